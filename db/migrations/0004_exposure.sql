-- Exposure at scale. A mailbox with 1,000,000 accessed items took about 6 s: each item row was joined
-- to its event for the mailbox, time, session and IP, the rows were sorted by InternetMessageId, and the
-- result (118 MB of JSON) was stored whole. Now:
--  * access_items carries the event's mailbox, time, session, IP and operation (copied when the event is
--    written; they never change, because evidence is never rewritten), so one partial index holds every
--    Bind item of a mailbox in message order and the aggregation reads nothing else;
--  * an exposure run's messages are stored one row each in exposure_items, aggregated by SQL straight
--    from that index, and read back page by page or streamed.

ALTER TABLE access_items ADD COLUMN mailbox    TEXT COLLATE NOCASE;
ALTER TABLE access_items ADD COLUMN time_ms    INTEGER;
ALTER TABLE access_items ADD COLUMN session_id TEXT;
ALTER TABLE access_items ADD COLUMN client_ip  TEXT;
ALTER TABLE access_items ADD COLUMN operation  TEXT COLLATE NOCASE;

UPDATE access_items SET (mailbox, time_ms, session_id, client_ip, operation) =
  (SELECT e.mailbox, e.time_ms, e.session_id, e.client_ip, e.operation FROM events e WHERE e.id = access_items.event_id);

-- Replaced by the two below.
DROP INDEX access_items_event_cover;

-- Every column the aggregation reads, so that it never visits the table (a million random row reads).
CREATE INDEX access_items_exposure ON access_items(mailbox, internet_message_id, time_ms, event_id, session_id, client_ip, folder_path, access_type, operation)
  WHERE operation = 'MailItemsAccessed' AND internet_message_id IS NOT NULL AND access_type IS NOT 'Sync';

-- Synced folders are few: a small index of them alone.
CREATE INDEX access_items_sync ON access_items(mailbox, time_ms) WHERE access_type = 'Sync';

CREATE TABLE exposure_items (
  run_id               INTEGER NOT NULL REFERENCES analysis_runs(id),
  internet_message_id  TEXT NOT NULL,
  first_ms             INTEGER NOT NULL,
  last_ms              INTEGER NOT NULL,
  access_count         INTEGER NOT NULL,   -- distinct records naming the item
  folders_json         TEXT NOT NULL,      -- JSON arrays of the values seen, with repeats, in index order
  sessions_json        TEXT NOT NULL,      -- (deduplicated and sorted when read: db/analysis.ts)
  ips_json             TEXT NOT NULL,
  PRIMARY KEY (run_id, internet_message_id)
) WITHOUT ROWID;
