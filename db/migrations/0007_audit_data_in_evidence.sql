-- AuditData read where it lies. A record that is a whole record of its evidence file as written (a JSON
-- line, an element of a JSON array, a top-level JSON object) keeps its byte range, [audit_data_start,
-- audit_data_end), and no event_data row: its AuditData is those bytes of the write-once, hashed
-- evidence file (db/auditData.ts reads them). Other records keep their AuditData in event_data as before.
-- Copying the records into the database doubled what a large import wrote (1,000,000 JSON lines: 1.29 GB
-- of event_data next to the 1.23 GB file it came from).
ALTER TABLE events ADD COLUMN audit_data_start INTEGER;
ALTER TABLE events ADD COLUMN audit_data_end INTEGER;
