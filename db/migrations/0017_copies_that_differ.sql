-- A record received again under the same record Id is kept as a counted copy (event_duplicates), never
-- stored twice. A copy that says something else (another time, operation, user, mailbox or client IP) is
-- no mere repeat: a forged or altered record, or a mislabelled export. `differs` holds, for such a copy,
-- the values it gives where it differs from the record kept (JSON, core/copies.ts); NULL when it agrees.
-- Copies received before this migration were not compared (NULL).
ALTER TABLE event_duplicates ADD COLUMN differs TEXT;
