-- The order an import was told to read dates written with slashes in (import --date-order: mdy or dmy);
-- NULL when it was told from the file (month first unless a date can only be day first), as before this
-- migration. Kept beside the encoding (0015) so that the file can be read again exactly as its import
-- read it (verify --records).
ALTER TABLE import_runs ADD COLUMN date_order TEXT CHECK (date_order IN ('mdy', 'dmy'));
