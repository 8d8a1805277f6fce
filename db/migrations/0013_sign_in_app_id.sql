-- Entra sign-ins (UserLoggedIn and the rest of RecordType 15) name the app that signed in as ApplicationId
-- and carry no AppId, so imports before this left their app_id empty: a look-up of what an app did missed
-- the sign-ins through it, and the timeline showed them without an app. The import now falls back to
-- ApplicationId for any record without an AppId (core/normalise.ts appIdOf), so this derives it again for
-- every record of an older case that has no app id, not only sign-ins, with the same function, from each
-- record's AuditData as stored (audit_data_app_id, registered by db/database.ts, reads it from event_data
-- or the evidence file and gives NULL when there is none or it cannot be read). Their
-- full-text rows stay as they were written: a text search for the app id finds only records imported since.
CREATE TEMP TABLE sign_in_app_ids (id INTEGER PRIMARY KEY, app_id TEXT NOT NULL);
INSERT INTO sign_in_app_ids (id, app_id)
  SELECT id, app_id FROM (
    SELECT e.id, audit_data_app_id(e.record_id, d.audit_data, e.audit_data_start, e.audit_data_end, v.rel_path) AS app_id
    FROM events e JOIN evidence v ON v.id = e.evidence_id LEFT JOIN event_data d ON d.event_id = e.id
    WHERE e.app_id IS NULL)
  WHERE app_id IS NOT NULL;
UPDATE events SET app_id = s.app_id FROM sign_in_app_ids s WHERE s.id = events.id;
DROP TABLE sign_in_app_ids;
