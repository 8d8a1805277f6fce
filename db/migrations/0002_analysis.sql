-- Analysis: stored results (with the analysis version and the inputs they were computed from) and the
-- indexes the coverage, findings and exposure queries need. Additive only: evidence and events are
-- never modified.

CREATE TABLE analysis_runs (
  id                INTEGER PRIMARY KEY,
  kind              TEXT NOT NULL,     -- gaps | findings | exposure | sessions
  analysis_version  TEXT NOT NULL,
  generated_at      TEXT NOT NULL,     -- ISO UTC, the clock the caller passed
  inputs_json       TEXT NOT NULL,     -- counts, snapshot ids, range, options
  result_json       TEXT NOT NULL
);
CREATE INDEX analysis_runs_kind ON analysis_runs(kind, generated_at);

-- MailItemsAccessed records by mailbox and time, covering what throttle inference, the access-source
-- baseline and the exposure scope filters read (partial: only MailItemsAccessed rows are indexed;
-- `operation` is included so that SQLite treats the index as covering).
CREATE INDEX events_mia ON events(mailbox, time_ms, client_ip, app_id, client_info, session_id, operation)
  WHERE operation = 'MailItemsAccessed';

-- Candidates for the IsThrottled=True marker (case-sensitive GLOB; each candidate is confirmed by
-- parsing its AuditData).
CREATE INDEX events_mia_throttled ON events(mailbox, time_ms)
  WHERE operation = 'MailItemsAccessed' AND audit_data GLOB '*IsThrottled*True*';

-- The same rows in (mailbox, IP, app, client) order: the access-source baseline groups them without sorting.
CREATE INDEX events_mia_src ON events(mailbox, client_ip, app_id, client_info, time_ms, operation)
  WHERE operation = 'MailItemsAccessed';

-- Events per mailbox per UTC day (capacity, silence, and the MailItemsAccessed daily counts that pick
-- the mailboxes worth a throttle scan), grouped in index order.
CREATE INDEX events_mailbox_day ON events(mailbox, time_ms / 86400000, operation, time_ms)
  WHERE mailbox IS NOT NULL;

-- Exposure reads an event's items with their message id, folder and access type without touching the table.
CREATE INDEX access_items_event_cover ON access_items(event_id, access_type, internet_message_id, folder_path);
