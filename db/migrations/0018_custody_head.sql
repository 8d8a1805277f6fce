-- The chain of custody's last entry as the case database knows it: the log's hash chain shows an edited,
-- removed or reordered line, but not lines cut from its end (the entries before them still chain). Each
-- entry the workstation appends is recorded here too (services/caseFolder.ts), so verify can tell a log
-- that ends before the entry the database last recorded. A case whose log was appended to before this
-- migration has no row until its next entry.
CREATE TABLE custody_head (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  seq         INTEGER NOT NULL,
  line_sha256 TEXT NOT NULL
);
