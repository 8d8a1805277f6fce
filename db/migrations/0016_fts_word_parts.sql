-- Full-text rows as the import now writes them (core/packedBatch.ts ftsBody). Records imported before
-- 2026-12-07 were indexed without the word parts (the domain and surname of a user or mailbox, the later
-- parts of addresses, host and file names), so `--q fabrikam` missed megan.bowen@fabrikam.example among
-- them, and before 0013 and 0014 without the app id of a sign-in and with an inbox rule's whole identity
-- as its mailbox. The index is derived (each record keeps its AuditData as received), so it is built again
-- from every record's columns and AuditData (fts_body, registered by db/database.ts). On 1,000,000 records
-- this reads every record's AuditData once.
DROP TABLE events_fts;
CREATE VIRTUAL TABLE events_fts USING fts5(body, content='', contentless_delete=1, detail=none, tokenize="unicode61 tokenchars '@.-_:'");
INSERT INTO events_fts (rowid, body)
  SELECT e.id, fts_body(e.record_id, d.audit_data, e.audit_data_start, e.audit_data_end, v.rel_path, e.record_type, e.operation, e.user_id,
                        e.mailbox, e.client_ip, e.session_id, e.app_id, e.object_id, e.client_info, e.workload, e.record_type_name)
    FROM events e JOIN evidence v ON v.id = e.evidence_id LEFT JOIN event_data d ON d.event_id = e.id;
