-- The uniqueness of the record Id becomes a named index, events_record_id, instead of a UNIQUE clause on
-- the column (whose automatic index can never be dropped). A bulk import (services/import.ts) can then
-- drop it with the other indexes and build it once, sorted, at the end: kept up to date row by row, its
-- random keys (GUIDs) cost 6.8 s of a 1,000,000-record import once the index outgrew the page cache.
-- Deduplication is unchanged: the first record with an Id stays, and each later one is a duplicate
-- (db/events.ts). SQLite cannot drop a column constraint, so the table is rebuilt the documented way
-- (create, copy, drop, rename; foreign keys are off while migrations run and checked before each
-- commits: db/database.ts). Ids are copied as they are, so nothing that refers to an event changes.

CREATE TABLE events_new (
  id               INTEGER PRIMARY KEY,
  record_id        TEXT NOT NULL,
  id_synthetic     INTEGER NOT NULL DEFAULT 0,
  time_ms          INTEGER NOT NULL,
  record_type      INTEGER,
  record_type_name TEXT,
  operation        TEXT COLLATE NOCASE,
  workload         TEXT,
  user_id          TEXT COLLATE NOCASE,
  user_key         TEXT,
  user_type        INTEGER,
  mailbox          TEXT COLLATE NOCASE,
  object_id        TEXT,
  client_ip        TEXT,
  session_id       TEXT,
  app_id           TEXT,
  client_app_id    TEXT,
  logon_type       INTEGER,
  result_status    TEXT,
  client_info      TEXT,
  evidence_id      INTEGER NOT NULL REFERENCES evidence(id),
  loc_line         INTEGER,
  loc_offset       INTEGER,
  import_run_id    INTEGER NOT NULL REFERENCES import_runs(id),
  throttle_marker  INTEGER NOT NULL DEFAULT 0
);

INSERT INTO events_new (id, record_id, id_synthetic, time_ms, record_type, record_type_name, operation, workload, user_id, user_key,
    user_type, mailbox, object_id, client_ip, session_id, app_id, client_app_id, logon_type, result_status, client_info, evidence_id,
    loc_line, loc_offset, import_run_id, throttle_marker)
  SELECT id, record_id, id_synthetic, time_ms, record_type, record_type_name, operation, workload, user_id, user_key,
    user_type, mailbox, object_id, client_ip, session_id, app_id, client_app_id, logon_type, result_status, client_info, evidence_id,
    loc_line, loc_offset, import_run_id, throttle_marker
  FROM events ORDER BY id;

DROP TABLE events;
ALTER TABLE events_new RENAME TO events;

CREATE UNIQUE INDEX events_record_id ON events(record_id);

-- The indexes of 0001, 0002 and 0005, as they were.
CREATE INDEX events_time ON events(time_ms);
CREATE INDEX events_user_time ON events(user_id, time_ms);
CREATE INDEX events_mailbox_time ON events(mailbox, time_ms);
CREATE INDEX events_op_time ON events(operation, time_ms);
CREATE INDEX events_ip ON events(client_ip, time_ms);
CREATE INDEX events_session ON events(session_id, time_ms);
CREATE INDEX events_mia ON events(mailbox, time_ms, client_ip, app_id, client_info, session_id, operation)
  WHERE operation = 'MailItemsAccessed';
CREATE INDEX events_mia_src ON events(mailbox, client_ip, app_id, client_info, time_ms, operation)
  WHERE operation = 'MailItemsAccessed';
CREATE INDEX events_mailbox_day ON events(mailbox, time_ms / 86400000, operation, time_ms)
  WHERE mailbox IS NOT NULL;
CREATE INDEX events_evidence ON events(evidence_id);
CREATE INDEX events_mia_throttled ON events(mailbox, time_ms) WHERE operation = 'MailItemsAccessed' AND throttle_marker = 1;
