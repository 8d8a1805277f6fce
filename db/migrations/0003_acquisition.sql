-- Acquisition: tenant profiles, acquisition runs and the completeness ledger.
-- (Migration 0003, owned by acquisition.)

-- A tenant the case acquires from. Never a secret, a private key or a token: the certificate is named by
-- its path, a client secret comes from the environment at run time.
CREATE TABLE tenant_profiles (
  name            TEXT PRIMARY KEY,
  tenant          TEXT NOT NULL,            -- tenant GUID or verified domain
  cloud           TEXT NOT NULL,            -- global | gcc | gcchigh | dod | china
  client_id       TEXT NOT NULL,
  auth_mode       TEXT NOT NULL,            -- device | browser | certificate | secret
  cert_path       TEXT,                     -- certificate mode: PEM or PFX file (outside the case)
  endpoints_json  TEXT,                     -- explicit endpoints (simulated tenant or proxy), else NULL
  ca_path         TEXT,                     -- extra CA to trust for those endpoints
  graph_version   TEXT NOT NULL DEFAULT 'beta',
  created_at      TEXT NOT NULL,
  created_by      TEXT NOT NULL
);

CREATE TABLE acquisition_runs (
  id            INTEGER PRIMARY KEY,
  tenant_name   TEXT NOT NULL,
  plan_hash     TEXT NOT NULL,              -- SHA-256 of the canonical plan: same plan = same ledger
  plan_json     TEXT NOT NULL,
  started_at    TEXT NOT NULL,
  finished_at   TEXT,
  status        TEXT NOT NULL,              -- running | complete | incomplete | interrupted | failed
  summary_json  TEXT,
  error         TEXT
);

-- The completeness ledger: one row per slice of a plan (source x time window), the rows of a plan
-- partition its range. A slice that was split is moved to ledger_splits and replaced by its parts.
-- status: complete | incomplete | failed | not-collected (not yet collected, or out of the source's reach)
CREATE TABLE ledger (
  id            INTEGER PRIMARY KEY,
  plan_hash     TEXT NOT NULL,
  run_id        INTEGER REFERENCES acquisition_runs(id),   -- the run that last worked on it
  source        TEXT NOT NULL,              -- graph | ual | mgmt | mailbox-audit
  slice_start   TEXT NOT NULL,              -- ISO UTC, inclusive
  slice_end     TEXT NOT NULL,              -- ISO UTC, exclusive
  status        TEXT NOT NULL,
  query_json    TEXT NOT NULL,              -- the query as sent (filters, content type, mailbox, ...)
  reported      INTEGER,                    -- total the service reported for the slice (NULL: it reports none)
  retrieved     INTEGER NOT NULL DEFAULT 0, -- distinct records stored from the slice's pages
  received      INTEGER NOT NULL DEFAULT 0, -- rows received on its pages, repeats included
  duplicates    INTEGER NOT NULL DEFAULT 0, -- received - retrieved
  retries       INTEGER NOT NULL DEFAULT 0, -- HTTP retries and session restarts
  pages         INTEGER NOT NULL DEFAULT 0,
  reason        TEXT,                       -- why not complete, or how it was collected (fallback)
  split_from    INTEGER,                    -- ledger_splits.id this slice was cut from
  updated_at    TEXT NOT NULL
);
CREATE INDEX ledger_plan ON ledger(plan_hash, source, slice_start);

-- Slices that reached a cap and were cut into smaller ones (kept for the record, with their probe pages).
CREATE TABLE ledger_splits (
  id            INTEGER PRIMARY KEY,
  plan_hash     TEXT NOT NULL,
  run_id        INTEGER REFERENCES acquisition_runs(id),
  source        TEXT NOT NULL,
  slice_start   TEXT NOT NULL,
  slice_end     TEXT NOT NULL,
  query_json    TEXT NOT NULL,
  reported      INTEGER,
  reason        TEXT NOT NULL,
  parts         INTEGER NOT NULL,
  created_at    TEXT NOT NULL
);

-- Every page (evidence item) of a slice, in the order received. A page of a slice that was later split
-- stays attributed to the split (split_id) rather than to a slice.
CREATE TABLE ledger_evidence (
  ledger_id     INTEGER REFERENCES ledger(id),
  split_id      INTEGER REFERENCES ledger_splits(id),
  evidence_id   INTEGER NOT NULL REFERENCES evidence(id),
  import_run_id INTEGER NOT NULL REFERENCES import_runs(id),
  page          INTEGER NOT NULL,
  records       INTEGER NOT NULL,
  CHECK ((ledger_id IS NULL) <> (split_id IS NULL))
);
CREATE INDEX ledger_evidence_ledger ON ledger_evidence(ledger_id);
CREATE INDEX ledger_evidence_split ON ledger_evidence(split_id);

-- Reconciling a slice counts the distinct records of its pages: index the page side of events.
CREATE INDEX IF NOT EXISTS events_evidence ON events(evidence_id);
CREATE INDEX IF NOT EXISTS event_duplicates_evidence ON event_duplicates(evidence_id);
