-- Session ids in one form, lower case (core/normalise.ts): sources write the same GUID in either letter
-- case, so one session could be two in `sessions`, and a filter had to try each case against the
-- case's rows. The column is derived (each record's AuditData keeps the id as received), so it is
-- derived again. access_items carries its event's session id (0004).
UPDATE events SET session_id = lower(session_id) WHERE session_id <> lower(session_id);
UPDATE access_items SET session_id = lower(session_id) WHERE session_id <> lower(session_id);
