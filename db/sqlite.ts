// better-sqlite3, loaded with SQLite's URI filenames enabled. Its addon reads SQLITE_USE_URI once, when
// it loads, and it is built with URI filenames off; a case on read-only media (a DVD, a write-protected
// drive: an air-gapped reviewer's copy) can only be opened as `file:…?immutable=1` (SQLite's documented
// way to read a WAL database where its -shm file cannot be created). Every path Blindspot opens
// otherwise is absolute, so none is read as a URI by accident. Import the database class from here, not
// from 'better-sqlite3', wherever it is constructed.
import { fileURLToPath } from 'node:url';
import type BetterSqlite3 from 'better-sqlite3';

process.env['SQLITE_USE_URI'] ??= '1';
const Database: typeof BetterSqlite3 = (await import('better-sqlite3')).default;
export default Database;

/** The file a connection was opened on, whether by path or as a `file:` URI (`db.name` is what was given). */
export function databasePath(db: { name: string }): string {
  return db.name.startsWith('file:') ? fileURLToPath(db.name.replace(/\?.*$/, '')) : db.name;
}
