// Opening a case database, applying ordered migrations under PRAGMA user_version, and the typed
// read/write handles the rest of db/ is written against.
import type BetterSqlite3 from 'better-sqlite3';
import Database from './sqlite.ts';
import { normaliseIp } from '../core/ip.ts';
import { AuditDataReader } from './auditData.ts';
import { parseAuditData } from '../core/analysis/records.ts';
import { appIdOf, normaliseWithHints } from '../core/normalise.ts';
import { ftsBody } from '../core/packedBatch.ts';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

declare const writable: unique symbol;
/** A handle that may only read. */
export type ReadableDB = BetterSqlite3.Database & { readonly __readable: true };
/** A handle that may also write. A WritableDB is accepted wherever a ReadableDB is. */
export type WritableDB = ReadableDB & { readonly [writable]: true };

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir).filter((f) => /^\d{4}_.*\.sql$/.test(f)).sort();
  return files.map((f, i) => {
    const version = Number(f.slice(0, 4));
    if (version !== i + 1) throw new Error(`migration ${f} is out of sequence: expected ${String(i + 1).padStart(4, '0')}_*.sql`);
    return { version, name: f, sql: readFileSync(join(dir, f), 'utf8') };
  });
}

export class SchemaTooNewError extends Error {
  constructor(file: string, found: number, known: number) {
    super(`${file}: the case database is at schema version ${found}, but this Blindspot knows only up to ${known}; open it with a newer Blindspot.`);
    this.name = 'SchemaTooNewError';
  }
}

/** Told before the migrations of an existing (older) database run: they can take a minute. */
export type OnUpgrade = (fromVersion: number, toVersion: number) => void;

/** Applies every pending migration in one transaction each. Refuses a database newer than the code. */
export function migrate(db: BetterSqlite3.Database, file: string, migrations = loadMigrations(), onUpgrade?: OnUpgrade): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.length;
  if (current > latest) throw new SchemaTooNewError(file, current, latest);
  if (current === latest) return;
  if (current > 0) onUpgrade?.(current, latest);
  // A migration may rebuild a table the way SQLite documents it (create, copy, drop, rename), which
  // needs foreign keys off; each migration's references are checked before it commits.
  // A migration may derive a column again with the function the import derives it with.
  db.function('normalise_ip', { deterministic: true }, (v: unknown) => (typeof v === 'string' ? normaliseIp(v) ?? v : v));
  const auditData = new AuditDataReader(db as ReadableDB);
  db.function('audit_data_app_id', (recordId: unknown, stored: unknown, start: unknown, end: unknown, relPath: unknown) => {
    try {
      const data = parseAuditData(auditData.text({ recordId: String(recordId), storedAuditData: stored as string | null, dataStart: start as number | null, dataEnd: end as number | null, evidencePath: String(relPath) }));
      return data ? appIdOf(data) : null;
    } catch {
      return null; // unreadable AuditData is left to verify and the analysis to report, not to the upgrade
    }
  });
  // A record's full-text body as the import now writes it (core/packedBatch.ts ftsBody): the stored
  // columns, and the searchable text of its AuditData (subjects, folders, parameters), which is parsed
  // again. The time given is never used: the AuditData is normalised only for its text, and a record
  // whose time came from its envelope (a CSV's CreationDate) has none of its own.
  db.function('fts_body', { varargs: true }, (...a: unknown[]) => {
    const [recordId, stored, start, end, relPath, recordType, operation, userId, mailbox, clientIp, sessionId, appId, objectId, clientInfo, workload, recordTypeName] = a;
    const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
    let searchText = '';
    try {
      const data = parseAuditData(auditData.text({ recordId: String(recordId), storedAuditData: text(stored), dataStart: start as number | null, dataEnd: end as number | null, evidencePath: String(relPath) }));
      if (data) searchText = normaliseWithHints(data, undefined, { time: '1970-01-01T00:00:00Z', timeField: 'time', recordType, operation }).searchText;
    } catch {
      // unreadable AuditData: the body of its columns alone (verify and the analysis report the record)
    }
    return ftsBody({
      operation: text(operation), userId: text(userId), mailbox: text(mailbox), clientIp: text(clientIp), sessionId: text(sessionId), appId: text(appId),
      objectId: text(objectId), clientInfo: text(clientInfo), workload: text(workload), recordTypeName: text(recordTypeName), searchText,
    });
  });
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
  db.pragma('foreign_keys = OFF');
  try {
    for (const m of migrations.slice(current)) {
      db.transaction(() => {
        db.exec(m.sql);
        const broken = db.pragma('foreign_key_check') as { table: string; parent: string }[];
        if (broken.length > 0) {
          throw new Error(`migration ${m.name} would leave ${broken.length} broken reference(s), the first from ${broken[0]!.table} to ${broken[0]!.parent}`);
        }
        db.pragma(`user_version = ${m.version}`);
      })();
    }
  } finally {
    auditData.close();
    db.pragma(`foreign_keys = ${foreignKeys}`);
  }
}

function tune(db: BetterSqlite3.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -65536');
  db.pragma('temp_store = MEMORY');
}

export const CASE_PAGE_SIZE = 16384;

export function openWritable(file: string, opts: { create?: boolean; onUpgrade?: OnUpgrade } = {}): WritableDB {
  const db = new Database(file, { fileMustExist: !opts.create });
  // A new case gets 16 KiB pages (set before anything is written; an existing case keeps its own): most
  // of a case is AuditData rows of 1-2 KB, which 4 KiB pages fit three to a page with the rest wasted.
  // On 200,000 records: 571 -> 535 MB, and the import 5-10% faster.
  if (opts.create) db.pragma(`page_size = ${CASE_PAGE_SIZE}`);
  tune(db);
  migrate(db, file, loadMigrations(), opts.onUpgrade);
  return db as WritableDB;
}

export class SchemaOutdatedError extends Error {
  constructor(file: string, found: number, latest: number) {
    super(`${file}: the case database is at schema version ${found}; this Blindspot writes ${latest}.`);
    this.name = 'SchemaOutdatedError';
  }
}

/**
 * Opens a database to read. One older than the code is refused with SchemaOutdatedError, never migrated
 * here: services/caseFolder.ts upgrades it under the case lock and in the custody log, then reads it.
 * `immutable`: the file is on read-only media and nothing can change it; SQLite then reads it without
 * locks and without the WAL's -shm file, which it could not create there (its WAL must be empty: the
 * caller checks).
 */
export function openReadable(file: string, opts: { immutable?: boolean } = {}): ReadableDB {
  const db = new Database(opts.immutable ? `${pathToFileURL(file).href}?immutable=1` : file, { readonly: true, fileMustExist: true });
  try {
    const v = db.pragma('user_version', { simple: true }) as number;
    const known = loadMigrations().length;
    if (v > known) throw new SchemaTooNewError(file, v, known);
    if (v < known) throw new SchemaOutdatedError(file, v, known);
  } catch (e) {
    db.close();
    throw e;
  }
  db.pragma('busy_timeout = 5000');
  return db as ReadableDB;
}

export function openMemory(): WritableDB {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  migrate(db, ':memory:');
  return db as WritableDB;
}
