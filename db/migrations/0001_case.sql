-- Case foundation: case metadata, evidence store index, import runs, events, access items,
-- configuration snapshots, annotations.

CREATE TABLE case_meta (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  name          TEXT NOT NULL,
  number        TEXT,
  client        TEXT,
  examiner      TEXT NOT NULL,
  description   TEXT,
  created_at    TEXT NOT NULL,
  time_zone     TEXT NOT NULL DEFAULT 'UTC',
  tool_version  TEXT NOT NULL
);

-- One row per distinct content (SHA-256). The file lives at evidence/<sha[0:2]>/<sha>.
CREATE TABLE evidence (
  id             INTEGER PRIMARY KEY,
  sha256         TEXT NOT NULL UNIQUE,
  size           INTEGER NOT NULL,
  rel_path       TEXT NOT NULL,
  original_path  TEXT,
  original_name  TEXT,
  modified_at    TEXT,
  added_by       TEXT NOT NULL,
  added_at       TEXT NOT NULL,
  format         TEXT,
  source         TEXT NOT NULL DEFAULT 'file',   -- file | acquisition
  request_json   TEXT,                           -- acquisition: method, url, body (never the token)
  response_json  TEXT                            -- acquisition: status and headers
);

CREATE TABLE import_runs (
  id            INTEGER PRIMARY KEY,
  evidence_id   INTEGER REFERENCES evidence(id),
  source        TEXT NOT NULL,        -- file | acquisition
  file          TEXT,
  format        TEXT,
  started_at    TEXT NOT NULL,
  finished_at   TEXT,
  status        TEXT NOT NULL,        -- running | completed | refused | failed
  records       INTEGER NOT NULL DEFAULT 0,
  inserted      INTEGER NOT NULL DEFAULT 0,
  duplicates    INTEGER NOT NULL DEFAULT 0,
  rejected      INTEGER NOT NULL DEFAULT 0,
  config_rows   INTEGER NOT NULL DEFAULT 0,
  as_of         TEXT,
  errors        TEXT
);

CREATE TABLE rejected_lines (
  import_run_id INTEGER NOT NULL REFERENCES import_runs(id),
  line          INTEGER,
  reason        TEXT NOT NULL,
  text          TEXT
);

CREATE TABLE events (
  id               INTEGER PRIMARY KEY,
  record_id        TEXT NOT NULL UNIQUE,
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
  -- Last, so reading any other column never walks the record's overflow pages.
  audit_data       TEXT NOT NULL
);

CREATE INDEX events_time ON events(time_ms);
CREATE INDEX events_user_time ON events(user_id, time_ms);
CREATE INDEX events_mailbox_time ON events(mailbox, time_ms);
CREATE INDEX events_op_time ON events(operation, time_ms);
CREATE INDEX events_ip ON events(client_ip, time_ms);
CREATE INDEX events_session ON events(session_id, time_ms);

-- A record seen again (same record_id) in another place: kept so nothing is dropped silently.
CREATE TABLE event_duplicates (
  event_id      INTEGER NOT NULL REFERENCES events(id),
  evidence_id   INTEGER NOT NULL REFERENCES evidence(id),
  loc_line      INTEGER,
  loc_offset    INTEGER,
  import_run_id INTEGER NOT NULL REFERENCES import_runs(id)
);

CREATE TABLE access_items (
  event_id            INTEGER NOT NULL REFERENCES events(id),
  folder_path         TEXT,
  folder_id           TEXT,
  internet_message_id TEXT,
  size_bytes          INTEGER,
  access_type         TEXT,          -- Bind | Sync
  subject             TEXT
);
CREATE INDEX access_items_event ON access_items(event_id);
CREATE INDEX access_items_imid ON access_items(internet_message_id);

-- Full-text search over operation, users, IPs, subjects, folder paths and parameters.
-- detail=none keeps the index small and fast to build: queries are ANDs of single tokens (db/events.ts
-- ftsQuery splits input on the same characters the tokenizer does), which need no positions.
CREATE VIRTUAL TABLE events_fts USING fts5(body, content='', contentless_delete=1, detail=none, tokenize="unicode61 tokenchars '@.-_:'");

-- Configuration snapshots: one row per snapshot (a file or an API answer), rows per object below.
CREATE TABLE config_snapshots (
  id            INTEGER PRIMARY KEY,
  kind          TEXT NOT NULL,     -- mailbox | bypass | organization | adminAuditLog | licence
  as_of         TEXT NOT NULL,     -- the time the snapshot describes (ISO UTC)
  as_of_source  TEXT NOT NULL,     -- option | file-mtime | acquisition
  evidence_id   INTEGER NOT NULL REFERENCES evidence(id),
  import_run_id INTEGER NOT NULL REFERENCES import_runs(id)
);

CREATE TABLE config_rows (
  id            INTEGER PRIMARY KEY,
  snapshot_id   INTEGER NOT NULL REFERENCES config_snapshots(id),
  kind          TEXT NOT NULL,
  identity      TEXT COLLATE NOCASE,   -- UPN / identity the row is about
  value_json    TEXT NOT NULL,         -- the normalised value (core/model.ts)
  raw_json      TEXT NOT NULL,         -- the object as received
  loc_line      INTEGER
);
CREATE INDEX config_rows_snapshot ON config_rows(snapshot_id);
CREATE INDEX config_rows_identity ON config_rows(kind, identity);

-- Analyst annotations: kept apart from evidence, never modify it.
CREATE TABLE annotations (
  id           INTEGER PRIMARY KEY,
  target_kind  TEXT NOT NULL,      -- event | mailbox | evidence | finding
  target_id    TEXT NOT NULL,
  kind         TEXT NOT NULL,      -- tag | note | bookmark
  text         TEXT,
  author       TEXT NOT NULL,
  created_at   TEXT NOT NULL
);
CREATE INDEX annotations_target ON annotations(target_kind, target_id);
