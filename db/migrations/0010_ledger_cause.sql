-- Why a slice is not final, as a value the program decides on (the exit code, when to run again):
--   too-recent    collected, but it ends within the settle margin before it was collected (incomplete)
--   in-future     not collected: it starts after the collection time
--   refused       refused for permission or authentication (401/403), or not collected because its source was
--   out-of-reach  not collected: older than the Management Activity API reaches back
-- NULL for every other slice. `reason` stays the text for people; it was read for this before.
ALTER TABLE ledger ADD COLUMN cause TEXT CHECK (cause IN ('too-recent', 'in-future', 'refused', 'out-of-reach'));

-- Existing ledgers: the causes their reasons were written with (the prefixes the program matched; GLOB,
-- like those matches, is case-sensitive).
UPDATE ledger SET cause = 'too-recent' WHERE status = 'incomplete' AND reason GLOB 'too recent*';
UPDATE ledger SET cause = 'in-future' WHERE status = 'not-collected' AND reason GLOB 'in the future*';
UPDATE ledger SET cause = 'refused'
  WHERE reason GLOB 'refused (40[13])*' OR reason GLOB 'not collected: refused (40[13])*';
UPDATE ledger SET cause = 'out-of-reach' WHERE reason GLOB 'the Management Activity API reaches back 7 days only*';
