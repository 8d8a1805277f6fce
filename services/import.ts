// Importing files an investigator holds: each file is copied into the evidence store and hashed first,
// then parsed by core/formats and written in ONE transaction, so a refused or killed import leaves the
// case exactly as it was before that file.
import { isUtf8 } from 'node:buffer';
import { existsSync, lstatSync, readSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve, sep } from 'node:path';
import type { Detection, FormatId } from '../core/formats/types.ts';
import { IMPORT_FORMAT_IDS, detectFormat } from '../core/formats/index.ts';
import { notText } from '../core/formats/binary.ts';
import { PackedReader } from '../core/packedBatch.ts';
import type { PackedBatch } from '../core/packedBatch.ts';
import { parseIsoUtc } from '../core/time.ts';
import { earlierImportReadOtherwise, finishImportRun, insertRejectedLine, startImportRun, upsertEvidence } from '../db/caseRepo.ts';
import { EventWriter, moveBulkDuplicates } from '../db/events.ts';
import { SnapshotWriter } from '../db/snapshots.ts';
import type { AsOfSource } from '../db/snapshots.ts';
import { EVIDENCE_DIR, INCOMING_DIR, isCaseDir } from './caseFolder.ts';
import type { CaseHandle, StagedEvidence } from './caseFolder.ts';
import { BadInputError, CaseError, isDiskFull, UsageError } from './errors.ts';
import { durable, pathWithin, withFd } from './files.ts';
import { encodingOfLabel, ParseThread, parseFile, WORKER_PARSE_BYTES } from './parseSource.ts';
import type { TextEncoding } from './parseSource.ts';
import type { DateOrder, DatesRead } from '../core/time.ts';
import type { WholeFileRefusal } from '../core/model.ts';
import { CUSTODY_ACTIONS } from '../core/custodyActions.ts';
import { completeEnd } from './utf8Check.ts';

export interface ImportOptions {
  format?: FormatId | 'auto';
  /** How the file's bytes are read as text: 'auto' (the default: told from the file) or an encoding's label. */
  encoding?: string;
  /** How its dates written with slashes are read: 'auto' (the default: month first, refused when one can only be day first), or the order. */
  dateOrder?: DateOrder | 'auto';
  skipBad?: boolean;
  asOf?: string;
  onProgress?: (p: ImportProgress) => void;
}

/**
 * What an import is doing, for a progress display: copying the file into the case and hashing it,
 * reading its records, then (a bulk load) rebuilding the indexes, which on 1,000,000 records takes about
 * as long as reading them.
 */
export type ImportProgress =
  | { phase: 'copying'; file: string; bytesCopied: number; totalBytes: number }
  | { phase: 'reading'; file: string; bytesRead: number; totalBytes: number; records: number }
  | { phase: 'indexing'; file: string; records: number; indexesBuilt: number; indexesTotal: number };

export interface ImportFileResult {
  path: string;
  sha256: string;
  format: FormatId;
  records: number;
  inserted: number;
  duplicates: number;
  /**
   * Of the duplicates, the copies whose time, operation, user, mailbox or client IP differ from the
   * record the case keeps under their record Id (each kept with what it says: `blindspot copies`).
   */
  differing: number;
  rejected: number;
  configRows: number;
  asOf?: { value: string; source: AsOfSource };
  /** Set when the file's text was not read as UTF-8: how it was read. */
  encoding?: TextEncoding;
  /** Set when its records were timed by dates written with slashes (03/04/2026): how those were read. */
  dates?: DatesRead;
  /** Read as UTF-8, the file has bytes that are not (read as U+FFFD): the offset of the first. */
  notUtf8At?: number;
  /**
   * The file was imported before and read then with another encoding: its records in the case are those
   * read then (this import found them as duplicates).
   */
  readBefore?: { importRun: number; encoding: TextEncoding };
}

const SNIFF_BYTES = 256 * 1024;
/** In refuse mode, how many bad records are collected for the message before giving up on the file. */
const MAX_REPORTED_REJECTS = 10;

/**
 * Expands folders (recursively, sorted, skipping hidden entries) into the files to import. A Blindspot
 * case folder met in a folder (the case being imported into, kept among its exports, or another) is not
 * walked: its database and custody log are no audit export, and its evidence is already evidence.
 * `onSkipped` is told each one. Finding no file at all is refused: an import that did nothing must not
 * look like one that worked.
 */
export function expandInputs(paths: string[], onSkipped?: (folder: string, why: string) => void): string[] {
  const out: string[] = [];
  const walked = new Set<string>(); // folders by their real path: a link back up the tree is walked once
  const walk = (p: string): void => {
    if (!existsSync(p)) throw new BadInputError(`${p}: no such file or folder${lstatSync(p, { throwIfNoEntry: false })?.isSymbolicLink() ? ' (a link to nothing)' : ''}.`);
    const st = statSync(p);
    if (st.isDirectory()) {
      if (isCaseDir(p)) {
        onSkipped?.(p, 'a Blindspot case folder (its database and custody log are not exports, and its evidence is already evidence)');
        return;
      }
      const real = realpathSync(p);
      if (walked.has(real)) {
        onSkipped?.(p, `a link to ${real}, which is read once`);
        return;
      }
      walked.add(real);
      for (const name of readdirSync(p).sort()) if (!name.startsWith('.')) walk(join(p, name));
    } else if (st.isFile()) {
      out.push(p);
    } else {
      throw new BadInputError(`${p}: not a regular file.`);
    }
  };
  for (const p of paths) walk(resolve(p));
  if (out.length === 0) {
    throw new BadInputError(
      `nothing to import: ${paths.map((p) => resolve(p)).join(', ')} hold${paths.length === 1 ? 's' : ''} no file to read (hidden files, whose names start with ".", and Blindspot case folders are skipped).`,
      'Name the export files, or the folders that hold them.',
    );
  }
  return out;
}

/** The first SNIFF_BYTES of a file. */
function readHead(file: string): Buffer {
  const buf = Buffer.alloc(SNIFF_BYTES);
  return buf.subarray(0, withFd(file, 'r', (fd) => readSync(fd, buf, 0, SNIFF_BYTES, 0)));
}

/** The head's length without a UTF-8 sequence cut short by the sniff (a whole file's end is its own). */
function utf8End(head: Buffer): number {
  return head.length < SNIFF_BYTES ? head.length : completeEnd(head);
}

/**
 * The head as text, without a sequence cut short at its end, so that the sample decodes cleanly (and
 * without a byte-order mark).
 */
function headText(head: Buffer, encoding: TextEncoding): string {
  if (encoding === 'utf-8') return head.subarray(0, utf8End(head)).toString('utf8');
  let end = head.length;
  if (encoding === 'utf-16le' || encoding === 'utf-16be') {
    end -= end % 2;
    // a high surrogate whose low half was cut off
    const last = end >= 2 ? (encoding === 'utf-16le' ? head.readUInt16LE(end - 2) : head.readUInt16BE(end - 2)) : 0;
    if (end === SNIFF_BYTES && last >= 0xd800 && last <= 0xdbff) end -= 2;
  }
  return new TextDecoder(encoding).decode(head.subarray(0, end));
}

/**
 * UTF-16 when the text starts like it (a byte-order mark, or ASCII with zero bytes between); else UTF-8,
 * unless the head is not valid UTF-8: then Windows-1252, which Excel's "CSV" and Windows PowerShell
 * 5.1's Set-Content write in Western locales (decoded as UTF-8, each accented letter became U+FFFD).
 */
function encodingOf(b: Buffer): TextEncoding {
  const n = b.length;
  if (n >= 2 && b[0] === 0xff && b[1] === 0xfe) return 'utf-16le';
  if (n >= 2 && b[0] === 0xfe && b[1] === 0xff) return 'utf-16be';
  if (n >= 4 && b[0] !== 0 && b[1] === 0 && b[2] !== 0 && b[3] === 0) return 'utf-16le';
  if (n >= 4 && b[0] === 0 && b[1] !== 0 && b[2] === 0 && b[3] !== 0) return 'utf-16be';
  return isUtf8(b.subarray(0, utf8End(b))) ? 'utf-8' : 'windows-1252';
}

function decideFormat(file: string, staged: string, requested: FormatId | 'auto' | undefined, requestedEncoding: TextEncoding | null): { format: FormatId; encoding: TextEncoding } {
  const head = readHead(staged);
  const binary = notText(head);
  if (binary) throw new BadInputError(`${file}: this is ${binary.what}, not an audit export. Nothing from it was imported.`, binary.advice);
  const encoding = requestedEncoding ?? encodingOf(head);
  if (requested && requested !== 'auto') {
    if (!IMPORT_FORMAT_IDS.includes(requested)) {
      throw new UsageError(`--format ${requested}: unknown format.`, `Known formats: auto, ${IMPORT_FORMAT_IDS.join(', ')}.`);
    }
    return { format: requested, encoding };
  }
  const d: Detection = detectFormat(headText(head, encoding), basename(file));
  if (!d.ok) {
    throw new BadInputError(
      `${file}: format not recognised (${d.reason}). Tried: ${d.tried.join(', ')}.`,
      'If you know the format, pass --format <name>; otherwise check that this is an audit or configuration export.',
    );
  }
  return { format: d.format, encoding };
}

/**
 * The time a configuration export describes. One after now is refused: no export can describe a time
 * after it was made, and the analysis would measure retention from it (a retention window reaching into
 * the case's range that never was).
 */
function parseAsOf(asOf: string, now = Date.now()): string {
  const ms = parseIsoUtc(asOf);
  if (ms === null) throw new UsageError(`--as-of ${asOf}: not an ISO 8601 date-time.`, 'Example: --as-of 2026-05-01T12:00:00Z (UTC unless a zone is given).');
  if (ms > now) {
    throw new UsageError(`--as-of ${asOf}: ${new Date(ms).toISOString()} is after now (${new Date(now).toISOString()}); a configuration export describes the time it was made, which has passed.`, 'Give the time the export was made (UTC unless a zone is given), or leave --as-of out to take the file\'s modification time.');
  }
  return new Date(ms).toISOString();
}

/**
 * Imports one file into an open case. Throws BadInputError on refusal, and CaseError when a disk fills
 * up (the case's, or the temporary folder where a bulk load sorts its indexes); either way the case is
 * left exactly as it was.
 */
export async function importFile(h: CaseHandle, fileArg: string, opts: ImportOptions = {}): Promise<ImportFileResult> {
  try {
    return await importOne(h, fileArg, opts);
  } catch (e) {
    if (!isDiskFull(e)) throw e;
    throw new CaseError(
      `${resolve(fileArg)}: no space left to import it (${(e as Error).message}). Nothing of this file was imported; the case is as it was.`,
      `Free space on the disk that holds ${h.dir} (a file needs its own size for the evidence copy, and about as much again for the case database) and, for a large file, in the temporary folder ${tmpdir()} (its indexes are sorted there), then import it again.`,
    );
  }
}

async function importOne(h: CaseHandle, fileArg: string, opts: ImportOptions): Promise<ImportFileResult> {
  const file = resolve(fileArg);
  if (!existsSync(file) || !statSync(file).isFile()) throw new BadInputError(`${file}: no such file.`);
  // The case's own evidence is evidence already: imported again it would be a second import run of a
  // file whose original path is inside the case, a provenance that says nothing of where it came from.
  const inCase = pathWithin(realpathSync(h.dir), realpathSync(file));
  if (inCase !== null && (inCase.split(sep)[0] === EVIDENCE_DIR || inCase.split(sep)[0] === INCOMING_DIR)) {
    throw new BadInputError(`${file}: a file of this case's evidence store; it is already evidence, imported from where it came.`, 'Import the export from where it was received (see blindspot case info, or the custody log\'s evidence-added entries for its original path).');
  }
  const st = statSync(file);
  const asOfOption = opts.asOf !== undefined ? parseAsOf(opts.asOf) : undefined;
  const named = opts.encoding === undefined || opts.encoding === 'auto' ? null : opts.encoding;
  const encoding = named === null ? null : encodingOfLabel(named);
  if (named !== null && encoding === null) {
    throw new UsageError(`--encoding ${opts.encoding}: not an encoding known here.`, 'Give auto (the default) or a label such as utf-8, utf-16le, utf-16be, windows-1252, windows-1251, iso-8859-2, shift_jis.');
  }
  // A bulk load is set up before the file is copied in: leaving WAL mode syncs the database, and on ext4
  // a sync issued while the new copy is still being written back waits for all of it (0.4 s on 1.23 GB).
  const bulk = isBulkLoad(h, st.size);
  const leaveBulkLoad = bulk ? enterBulkLoad(h) : null;
  // The parse worker loads while the file is copied in and hashed; it is given the file only after.
  const parseThread = st.size >= WORKER_PARSE_BYTES ? new ParseThread() : undefined;
  try {
    const onProgress = opts.onProgress;
    const staged = await h.stageFile(file, onProgress && ((bytesCopied) => onProgress({ phase: 'copying', file, bytesCopied, totalBytes: st.size })));
    let decided: { format: FormatId; encoding: TextEncoding };
    try {
      decided = decideFormat(file, h.abs(staged.tmpPath), opts.format, encoding);
    } catch (e) {
      h.discardStaged(staged);
      throw e;
    }
    return await ingestStaged(h, staged, {
      ...decided, source: 'file', origin: file, originalName: basename(file), modifiedAt: st.mtime.toISOString(),
      asOf: asOfOption !== undefined ? { value: asOfOption, source: 'option' } : { value: st.mtime.toISOString(), source: 'file-mtime' },
      skipBad: opts.skipBad === true, bulk,
      ...(opts.dateOrder !== undefined && opts.dateOrder !== 'auto' ? { dateOrder: opts.dateOrder } : {}),
      ...(parseThread ? { parseThread } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
  } finally {
    await parseThread?.close(); // ended already, unless the file never reached it
    leaveBulkLoad?.();
  }
}

export interface IngestOptions {
  format: FormatId;
  /** How the file's bytes are read as text: UTF-8 unless said (an imported file's is told from it or named). */
  encoding?: TextEncoding;
  /** How dates written with slashes are read; told from the file (month first unless one can only be day first) unless said. */
  dateOrder?: DateOrder;
  source: 'file' | 'acquisition';
  /** The original path, or for acquisition the request URL. */
  origin: string;
  originalName: string | null;
  modifiedAt: string | null;
  asOf: { value: string; source: AsOfSource };
  skipBad: boolean;
  /** The caller has set the connection up for a bulk load (enterBulkLoad): the indexes are dropped and rebuilt. */
  bulk?: boolean;
  /** A parse worker started ahead for this file (importFile, for a large one): the file is parsed on it. */
  parseThread?: ParseThread;
  /** Acquisition: the request (method, URL, body; never the token) and the response status and headers. */
  requestJson?: string;
  responseJson?: string;
  /** Extra custody details (acquisition: run and slice ids). */
  custodyDetails?: Record<string, unknown>;
  /** Runs inside the import's transaction just before it commits (acquisition updates its ledger here). */
  beforeCommit?: (result: ImportFileResult, importRunId: number, evidenceId: number) => void;
  onProgress?: (p: ImportProgress) => void;
}

/**
 * Parses staged evidence and writes it, with its evidence row, import run and custody entries, in one
 * transaction. The one ingestion path for imported files and acquired API pages alike.
 */
export async function ingestStaged(h: CaseHandle, staged: StagedEvidence, o: IngestOptions): Promise<ImportFileResult> {
  let inTransaction = false;
  const bulk = o.bulk === true;
  try {
    const now = new Date().toISOString();
    h.db.exec('BEGIN IMMEDIATE');
    inTransaction = true;
    const deferred = bulk ? dropIndexes(h) : [];
    const { record: ev, created } = upsertEvidence(h.db, {
      sha256: staged.sha256, size: staged.size, relPath: staged.relPath, originalPath: o.origin, originalName: o.originalName,
      modifiedAt: o.modifiedAt, addedBy: h.actor, addedAt: now, format: o.format, source: o.source,
      requestJson: o.requestJson ?? null, responseJson: o.responseJson ?? null,
    });
    const runId = startImportRun(h.db, {
      evidenceId: ev.id, source: o.source, file: o.origin, format: o.format, startedAt: now, asOf: o.asOf.value,
      requestJson: o.requestJson ?? null, responseJson: o.responseJson ?? null, encoding: o.encoding ?? 'utf-8', dateOrder: o.dateOrder ?? null,
    });
    const counts = await parseInto(h, staged, runId, ev.id, o);
    if (counts.refusal) {
      h.db.exec('ROLLBACK');
      inTransaction = false;
      h.discardStaged(staged);
      throw new BadInputError(
        `${o.origin}: ${counts.refusal.join('; ')}. Nothing from this ${o.source === 'file' ? 'file' : 'response'} was imported.`,
        counts.fileRefused ? FILE_REFUSED_HINT[counts.fileRefused] : 'Fix the file, or import the rest with --skip-bad (each rejected record is kept with its reason).',
      );
    }
    const onProgress = o.onProgress;
    const copies = rebuildIndexes(h, deferred, onProgress && ((indexesBuilt) => onProgress({
      phase: 'indexing', file: o.origin, records: counts.records, indexesBuilt, indexesTotal: deferred.length,
    })));
    counts.inserted -= copies.moved;
    counts.duplicates += copies.moved;
    counts.differing += copies.differing;
    finishImportRun(h.db, runId, {
      status: 'completed', finishedAt: new Date().toISOString(), records: counts.records, inserted: counts.inserted,
      duplicates: counts.duplicates, rejected: counts.rejected, configRows: counts.configRows, errors: null,
    });
    const result: ImportFileResult = {
      path: o.origin, sha256: staged.sha256, format: o.format, records: counts.records, inserted: counts.inserted,
      duplicates: counts.duplicates, differing: counts.differing, rejected: counts.rejected, configRows: counts.configRows,
    };
    if (counts.configRows > 0) result.asOf = o.asOf;
    if (o.encoding && o.encoding !== 'utf-8') result.encoding = o.encoding;
    if (counts.notUtf8At !== undefined) result.notUtf8At = counts.notUtf8At;
    if (counts.dates) result.dates = counts.dates;
    const before = created ? null : earlierImportReadOtherwise(h.db, ev.id, runId, o.encoding ?? 'utf-8');
    if (before) result.readBefore = before;
    o.beforeCommit?.(result, runId, ev.id);
    const objects = [{ sha256: staged.sha256, path: staged.relPath }];
    const custody = [];
    if (created) {
      custody.push({
        action: CUSTODY_ACTIONS.evidenceAdded,
        details: { importRun: runId, source: o.source, originalPath: o.origin, originalName: o.originalName, size: staged.size, modifiedAt: o.modifiedAt, format: o.format, ...o.custodyDetails },
        objects,
      });
    }
    custody.push({
      action: o.source === 'file' ? 'import' : 'acquisition-page',
      details: {
        importRun: runId, file: o.origin, format: o.format, ...(result.encoding ? { encoding: result.encoding } : {}),
        ...(result.dates ? { dateOrder: result.dates.order, dateOrderFrom: result.dates.how } : {}),
        ...(result.notUtf8At !== undefined ? { notUtf8At: result.notUtf8At } : {}),
        records: counts.records, inserted: counts.inserted, duplicates: counts.duplicates,
        ...(counts.differing > 0 ? { differing: counts.differing } : {}), rejected: counts.rejected, configRows: counts.configRows, ...(counts.configRows > 0 ? { asOf: o.asOf.value, asOfSource: o.asOf.source } : {}),
        ...o.custodyDetails,
      },
      objects,
    });
    h.commitWithEvidence({ op: 'import', importRunId: runId, staged: [{ tmpPath: staged.tmpPath, relPath: staged.relPath }], custody });
    inTransaction = false;
    return result;
  } catch (e) {
    if (inTransaction) {
      try { h.db.exec('ROLLBACK'); } catch { /* already rolled back */ }
    }
    h.discardStaged(staged);
    throw e;
  }
}

// ---- bulk loads ---------------------------------------------------------------------------------------
//
// A file larger than the case database is loaded the way SQLite loads fastest: the indexes (the unique
// record Id's too, so duplicates are resolved when it is rebuilt) are dropped inside the import's
// transaction and rebuilt (one sort each) just before it commits, and
// the write goes through a rollback journal instead of the WAL (a growing file journals almost nothing,
// where the WAL would write every page twice). Both stay inside the one transaction, so a refused or
// killed bulk import still leaves the case exactly as it was. Foreign keys are not enforced during a
// bulk load: the writer makes each reference from the row it has just written (db/events.ts), and
// resolving duplicates deletes events rows, which with enforcement would scan event_duplicates (it has
// no index on event_id) once per deleted row.

/** Files at least this large, and larger than the case database, are bulk-loaded. */
export const BULK_LOAD_BYTES = 32 << 20;

function isBulkLoad(h: CaseHandle, size: number): boolean {
  if (size < BULK_LOAD_BYTES) return false;
  const pages = h.db.pragma('page_count', { simple: true }) as number;
  const pageSize = h.db.pragma('page_size', { simple: true }) as number;
  return size > pages * pageSize;
}

/**
 * The page cache of a bulk load, in KiB. The load only appends (events, items, full-text segments: the
 * right edge of each B-tree), so the case connection's 64 MiB held pages already written and never read
 * again. With 8 MiB, 1,000,000 records peaked at 170-171 MB instead of 227-228 MB; 200,000 records took
 * 4.66-5.69 s against 4.77-6.36 s (no difference within this machine's noise).
 */
export const BULK_CACHE_KIB = 8192;

/**
 * Sets the connection up for a bulk load (outside the transaction, where these pragmas take effect);
 * returns what puts it back. V8's young generation is not held small here, as an acquisition holds it
 * (services/heap.ts): the parse worker's is capped by its thread (ParseThread), and this thread's, which
 * only writes, stayed small on its own (1,000,000 records: peak 228 MB, against 217-221 MB held small).
 */
function enterBulkLoad(h: CaseHandle): () => void {
  h.db.pragma('foreign_keys = OFF');
  const cacheSize = h.db.pragma('cache_size', { simple: true }) as number;
  h.db.pragma(`cache_size = ${-BULK_CACHE_KIB}`);
  // For the index rebuilds' sorts (rebuildIndexes). Set here, outside the transaction: once a connection
  // has opened its temporary database (migration 0013 makes a TEMP table, so a case created or upgraded
  // by this handle has), SQLite refuses to change temp_store inside a transaction.
  const tempStore = h.db.pragma('temp_store', { simple: true }) as number;
  h.db.pragma('temp_store = FILE');
  try {
    h.db.pragma('wal_checkpoint(TRUNCATE)');
    h.db.pragma('journal_mode = DELETE');
  } catch {
    // Another reader holds the database open: stay in WAL mode, which is merely slower.
  }
  return () => {
    h.db.pragma('journal_mode = WAL');
    h.db.pragma(`temp_store = ${tempStore}`);
    h.db.pragma(`cache_size = ${cacheSize}`);
    h.db.pragma('foreign_keys = ON');
  };
}

/**
 * Rebuilds the dropped indexes, with SQLite's sorter spilling to temporary files in small sorted runs
 * that a helper thread sorts and merges while this thread goes on scanning the table:
 * - temp_store FILE (set by enterBulkLoad): the case connection's is MEMORY (db/database.ts), and an in-memory sorter neither
 *   spills nor uses helper threads. In memory, on 1,000,000 records, the exposure index alone sorted
 *   about 230 MB of keys and took the import from 456 to 583 MB.
 * - threads 2 and a 2 MiB cache: the sorter's runs are as large as the page cache, so a small cache
 *   gives the helper thread work early. On 200,000 records the fifteen rebuilds took 3.1 s with one
 *   thread and 1.7-1.8 s with two (1 and 4 MiB measured the same within noise).
 * - after each index the database is sent to the disk (durable.early) while the next one is built, so
 *   the commit finds it written (its fsync took 1.0-1.2 s of a 1,000,000-record import, now 0.01 s).
 * Each setting is put back as it was. The record-Id index is unique: when
 * it cannot be built, the load wrote a record twice, and the later copies become duplicates first
 * (db/events.ts). Returns how many copies were moved, and how many of them differ from the record kept. `onBuilt` is told how many are built, from 0.
 */
function rebuildIndexes(h: CaseHandle, sqls: string[], onBuilt?: (built: number) => void): { moved: number; differing: number } {
  let copies = { moved: 0, differing: 0 };
  if (sqls.length === 0) return copies;
  onBuilt?.(0);
  const restore = ['threads', 'cache_size'].map((name) => `${name} = ${h.db.pragma(name, { simple: true }) as number}`);
  h.db.pragma('threads = 2');
  h.db.pragma('cache_size = -2048');
  try {
    for (const [i, sql] of sqls.entries()) {
      try {
        h.db.exec(sql);
      } catch (e) {
        if ((e as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE' || copies.moved > 0) throw e;
        copies = moveBulkDuplicates(h.db);
        h.db.exec(sql);
      }
      durable.early(h.db.name);
      onBuilt?.(i + 1);
    }
  } finally {
    for (const setting of restore) h.db.pragma(setting);
  }
  return copies;
}

/** Drops every index of events and access_items, the record-Id one included; returns their SQL. */
function dropIndexes(h: CaseHandle): string[] {
  const rows = h.db
    .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('events', 'access_items')")
    .all() as { name: string; sql: string }[];
  for (const r of rows) h.db.exec(`DROP INDEX "${r.name.replaceAll('"', '""')}"`);
  return rows.map((r) => r.sql);
}

/** What to do about a file refused whole, by why (core/model.ts ParsedItem's `wholeFile`). */
const FILE_REFUSED_HINT: Record<WholeFileRefusal, string> = {
  format: 'Name the format it is in with --format, or leave --format out to have it detected.',
  'date-order': 'If the file writes its dates day first, import it with --date-order dmy; if they are month first and that date is wrong, with --date-order mdy (the date is then rejected as a bad record).',
  header: 'Export it again, or import a copy with the repeated column renamed (the copy is then the evidence, and the original should be kept with the case notes).',
};

interface ParseCounts {
  records: number;
  inserted: number;
  duplicates: number;
  differing: number;
  rejected: number;
  configRows: number;
  refusal: string[] | null;
  /** Why the file is refused whole, --skip-bad or not (core/model.ts ParsedItem's `wholeFile`). */
  fileRefused?: WholeFileRefusal;
  dates?: DatesRead;
  /** Read as UTF-8: the offset of the first bytes that are not. */
  notUtf8At?: number;
}

async function parseInto(h: CaseHandle, staged: StagedEvidence, runId: number, evidenceId: number, opts: IngestOptions): Promise<ParseCounts> {
  const events = new EventWriter(h.db, evidenceId, runId);
  const snapshots = new SnapshotWriter(h.db, evidenceId, runId, opts.asOf.value, opts.asOf.source);
  const file = opts.origin;
  const c: ParseCounts = { records: 0, inserted: 0, duplicates: 0, differing: 0, rejected: 0, configRows: 0, refusal: null };
  const problems: string[] = [];
  let bytesRead = 0;
  let lastProgress = 0;

  /** Writes one batch in file order; false once enough bad records are collected to refuse the file. */
  const handle = (batch: PackedBatch): boolean => {
    const reader = new PackedReader(batch);
    let other = 0;
    for (let i = 0; i < batch.count; i++) {
      const it = batch.others[other]?.at === i ? batch.others[other++]!.item : null;
      if (it === null) {
        reader.advance();
        if (problems.length > 0) continue; // refusing: stop writing, keep scanning for further bad records to report
        c.records++;
        if (events.writePacked(reader) === 'inserted') c.inserted++;
        else c.duplicates++;
      } else if (it.kind === 'reject') {
        c.rejected++;
        if (it.wholeFile) {
          c.fileRefused = it.wholeFile;
          problems.splice(0, problems.length, it.reason); // what refuses the file says more than a record's own rejection
          return false;
        }
        if (opts.skipBad) {
          insertRejectedLine(h.db, runId, it.loc.line ?? it.loc.row ?? it.loc.offset ?? null, it.reason, it.text?.slice(0, 4096) ?? null);
        } else {
          problems.push(it.reason); // it begins with where the record is (core/formats rejectAt)
          if (problems.length >= MAX_REPORTED_REJECTS) return false;
        }
      } else if (it.kind === 'dates') {
        const { kind: _kind, loc: _loc, ...read } = it;
        c.dates = read;
      } else if (problems.length === 0) {
        c.configRows++;
        snapshots.write(it.config, it.loc.line ?? it.loc.row ?? null);
      }
    }
    return true;
  };

  const where = {
    ...(opts.parseThread ? { worker: true, thread: opts.parseThread } : { worker: staged.size >= WORKER_PARSE_BYTES }),
    ...(opts.encoding ? { encoding: opts.encoding } : {}),
    ...(opts.dateOrder ? { dateOrder: opts.dateOrder } : {}),
  };
  for await (const batch of parseFile(h.abs(staged.tmpPath), opts.format, where)) {
    bytesRead = batch.bytesRead;
    if (batch.notUtf8At !== undefined) c.notUtf8At = batch.notUtf8At;
    if (!handle(batch)) break;
    if (opts.onProgress && bytesRead - lastProgress >= 8 << 20) {
      lastProgress = bytesRead;
      opts.onProgress({ phase: 'reading', file, bytesRead, totalBytes: staged.size, records: c.records });
    }
  }
  if (opts.onProgress) opts.onProgress({ phase: 'reading', file, bytesRead, totalBytes: staged.size, records: c.records });
  c.differing = events.differing;
  if (problems.length > 0) {
    const more = problems.length >= MAX_REPORTED_REJECTS ? ` (stopped after ${MAX_REPORTED_REJECTS} bad records)` : '';
    c.refusal = c.fileRefused ? [c.fileRefused === 'format' ? `not ${opts.format}: ${problems[0]!}` : problems[0]!]
      : [`${problems.length} malformed record${problems.length === 1 ? '' : 's'}${more}: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; …' : ''}`];
  }
  return c;
}
