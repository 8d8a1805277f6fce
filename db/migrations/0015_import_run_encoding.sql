-- How an import read its file's bytes as text (services/parseSource.ts TextEncoding). Imports before
-- this migration read every file as UTF-8 (UTF-16 was refused, no other encoding was read), which is
-- what NULL stands for. Kept so that a file imported again with another encoding can be told apart: its
-- records are duplicates of those read the first time, which keep the text read then.
ALTER TABLE import_runs ADD COLUMN encoding TEXT;
