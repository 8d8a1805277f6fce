// A case folder on disk: the database, the content-addressed evidence store, the custody log, and the
// lock and recovery that keep them consistent. Everything that writes to a case goes through a
// CaseHandle opened here.
//
//   <case>/case.sqlite     the case database (WAL)
//   <case>/evidence/ab/abcdef…   write-once, read-only files named by their SHA-256
//   <case>/custody.jsonl   append-only chain of custody
//   <case>/exports/  <case>/reports/
import { createHash, randomBytes } from 'node:crypto';
import {
  accessSync, chmodSync, existsSync, fsyncSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync,
  statSync, writeFileSync, writeSync,
} from 'node:fs';
import { constants } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import type { CustodyEntry, CustodyObject } from '../core/custody.ts';
import { custodyLine, jsonOfLine, lastSeqOf, nextEntry, sha256Hex, TORN_LINE_ACTION, tornLineEntryDetails } from '../core/custody.ts';
import { hasControls } from '../core/text.ts';
import { openReadable, openWritable, SchemaOutdatedError, SchemaTooNewError } from '../db/database.ts';
import type { ReadableDB, WritableDB } from '../db/database.ts';
import type { CaseMeta } from '../db/caseRepo.ts';
import { insertCaseMeta, readCaseMeta, recordCustodyHead } from '../db/caseRepo.ts';
import { CaseError, DAMAGED_DATABASE_HINT, databaseDamage, UsageError } from './errors.ts';
import { copyHashed, durable, withFd } from './files.ts';
import { TOOL_VERSION } from './version.ts';
import { caseNotices } from './notices.ts';

export const CASE_DB = 'case.sqlite';
export const CUSTODY_LOG = 'custody.jsonl';
export const EVIDENCE_DIR = 'evidence';
/** Where blindspot report writes its reports (each one's SHA-256 in the custody log). */
export const REPORTS_DIR = 'reports';
export const INCOMING_DIR = '.incoming';
const LOCK_FILE = '.lock';
const PENDING_FILE = '.pending.json';

export function defaultActor(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return `unknown@${hostname()}`;
  }
}

export function evidenceRelPath(sha256: string): string {
  return `${EVIDENCE_DIR}/${sha256.slice(0, 2)}/${sha256}`;
}

export function isCaseDir(dir: string): boolean {
  return existsSync(join(dir, CASE_DB)) && existsSync(join(dir, CUSTODY_LOG));
}

// ---- custody log ------------------------------------------------------------------------------------

class CustodyLog {
  private lastLine: string | null = null;
  private lastSeq = 0;
  /** The log's lines, for naming a torn last line by its line (its number may differ: lastSeqOf). */
  private lineCount = 0;
  /** The log does not end with a newline: its last append was cut short (closeTornLine). */
  private unterminated = false;
  private readonly file: string;
  private readonly onAppended: (seq: number, lineSha256: string) => void;

  /** `onAppended`: told each entry appended, after it is on the disk: its number and the SHA-256 of its line. */
  constructor(file: string, onAppended: (seq: number, lineSha256: string) => void) {
    this.file = file;
    this.onAppended = onAppended;
    if (existsSync(file)) {
      const text = readFileSync(file, 'utf8');
      const lines = text.split('\n').filter((l) => l.length > 0);
      this.lastLine = lines.at(-1) ?? null;
      this.lastSeq = lastSeqOf(lines);
      this.lineCount = lines.length;
      this.unterminated = text.length > 0 && !text.endsWith('\n');
    }
  }

  /**
   * After an append cut short (a crash or a full disk mid-write), ends the torn line with a newline so
   * that the next entry starts a line of its own, and, unless the line was whole but for its newline,
   * records it (core/custody.ts TORN_LINE_ACTION). The torn bytes are kept; the chain goes on from them.
   */
  closeTornLine(actor: string): void {
    if (!this.unterminated) return;
    withFd(this.file, 'a', (fd) => {
      writeSync(fd, '\n');
      fsyncSync(fd);
    });
    this.unterminated = false;
    const torn = this.lastLine!;
    if (jsonOfLine(torn) === undefined) this.append({ actor, action: TORN_LINE_ACTION, details: tornLineEntryDetails(this.lineCount, torn) });
  }

  append(fields: { actor: string; action: string; details?: Record<string, unknown>; objects?: CustodyObject[] }): CustodyEntry {
    const entry = nextEntry(this.lastLine, this.lastSeq, { at: new Date().toISOString(), ...fields });
    const line = custodyLine(entry);
    withFd(this.file, 'a', (fd) => {
      writeSync(fd, line + '\n');
      fsyncSync(fd);
    });
    this.lastLine = line;
    this.lastSeq = entry.seq;
    this.lineCount++;
    this.onAppended(entry.seq, sha256Hex(line));
    return entry;
  }



  /** The entries, without a line cut short when written. */
  entries(): CustodyEntry[] {
    if (!existsSync(this.file)) return [];
    return readFileSync(this.file, 'utf8').split('\n').filter(Boolean).flatMap((l) => {
      const e = jsonOfLine(l);
      return e === undefined ? [] : [e as CustodyEntry];
    });
  }
}

// ---- lock -------------------------------------------------------------------------------------------

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Who holds the case's lock, as its lock file says ({} when there is none or it cannot be read). */
function lockHolder(dir: string): { pid?: number; host?: string } {
  try {
    return JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid?: number; host?: string };
  } catch {
    return {}; // no lock, or an unreadable one (treated as stale)
  }
}

/** The case's lock is held by another Blindspot process (on this machine or another). */
export class CaseInUseError extends CaseError {}

function acquireLock(dir: string): () => void {
  const file = join(dir, LOCK_FILE);
  const mine = JSON.stringify({ pid: process.pid, host: hostname(), at: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, mine, { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = lockHolder(dir);
      if (holder.pid && holder.host === hostname() && holder.pid !== process.pid && pidAlive(holder.pid)) {
        throw new CaseInUseError(`${dir}: the case is in use by another Blindspot process (pid ${holder.pid}).`, 'Wait for it to finish, or stop it, then try again.');
      }
      if (holder.host && holder.host !== hostname()) {
        throw new CaseInUseError(`${dir}: the case is locked by Blindspot on ${holder.host}.`, `If nothing runs there any more, delete ${file}.`);
      }
      rmSync(file, { force: true }); // stale lock left by a process that died
    }
  }
  throw new CaseError(`${dir}: could not lock the case.`);
}

// ---- the handle -------------------------------------------------------------------------------------

export interface StoredEvidence {
  sha256: string;
  size: number;
  relPath: string;
  /** Whether the content was already in the store before this call. */
  existed: boolean;
}

/** Evidence copied into the case's incoming area, hashed, not yet committed. */
export interface StagedEvidence {
  sha256: string;
  size: number;
  relPath: string;
  tmpPath: string;
  existed: boolean;
}

export interface PendingCommit {
  op: string;
  importRunId: number;
  staged: { tmpPath: string; relPath: string }[];
  /** Custody entries to append once the commit is durable; each carries details.importRun. */
  custody: { action: string; details: Record<string, unknown>; objects: CustodyObject[] }[];
}

export class CaseHandle {
  readonly dir: string;
  readonly db: WritableDB;
  readonly actor: string;
  private readonly custody: CustodyLog;
  private readonly release: () => void;
  private closed = false;

  constructor(dir: string, db: WritableDB, actor: string, release: () => void) {
    this.dir = dir;
    this.db = db;
    this.actor = actor;
    // The database keeps the log's last entry, so that verify can tell lines cut from the log's end. A
    // failure to record it is left: verify accepts a log ahead of the entry recorded (as after a crash
    // between the two writes), and the entry itself is on the disk already.
    this.custody = new CustodyLog(join(dir, CUSTODY_LOG), (seq, sha) => {
      try { recordCustodyHead(db, seq, sha); } catch { /* see above */ }
    });
    this.release = release;
  }

  meta(): CaseMeta {
    const m = readCaseMeta(this.db);
    if (!m) throw new CaseError(`${this.dir}: the case database has no case record; the case is damaged.`);
    return m;
  }

  logCustody(action: string, details: Record<string, unknown> = {}, objects: CustodyObject[] = []): CustodyEntry {
    return this.custody.append({ actor: this.actor, action, details, objects });
  }

  custodyEntries(): CustodyEntry[] {
    return this.custody.entries();
  }

  /** Ends and records a custody line whose append was cut short (recovery, when the case is opened). */
  closeTornCustodyLine(): void {
    this.custody.closeTornLine(this.actor);
  }

  abs(rel: string): string {
    return join(this.dir, rel);
  }

  /**
   * Copies a file into the incoming area and hashes it in the same pass (files.ts copyHashed): the hash
   * is of the bytes as they were read and stored, before anything parses them. Nothing is committed yet.
   * The copy is flushed to disk in the background while the caller parses it. A copy that fails is
   * removed. On a 1.23 GB file the kernel's copy then a second read to hash took 1.1-2.2 s here, the
   * one pass 0.8-1.0 s; `verify` hashes the stored file again whenever asked. `onCopied`: bytes copied so far.
   */
  async stageFile(src: string, onCopied?: (bytes: number) => void): Promise<StagedEvidence> {
    const tmpPath = this.newStagingPath();
    let copied: { sha256: string; size: number };
    try {
      copied = await copyHashed(src, this.abs(tmpPath), onCopied); // made read-only when placed
    } catch (e) {
      rmSync(this.abs(tmpPath), { force: true });
      throw e;
    }
    const { sha256, size } = copied;
    durable.early(this.abs(tmpPath));
    return this.staged(tmpPath, sha256, size);
  }

  /** Stages bytes already in memory (an API response body), hashed as received. */
  stageBytes(bytes: Uint8Array): StagedEvidence {
    const tmpPath = this.newStagingPath();
    writeFileSync(this.abs(tmpPath), bytes, { flag: 'wx' });
    return this.staged(tmpPath, createHash('sha256').update(bytes).digest('hex'), bytes.length);
  }

  private newStagingPath(): string {
    mkdirSync(this.abs(INCOMING_DIR), { recursive: true });
    return join(INCOMING_DIR, randomBytes(12).toString('hex'));
  }

  private staged(tmpPath: string, sha256: string, size: number): StagedEvidence {
    const relPath = evidenceRelPath(sha256);
    return { sha256, size, relPath, tmpPath, existed: existsSync(this.abs(relPath)) };
  }

  discardStaged(s: StagedEvidence): void {
    rmSync(this.abs(s.tmpPath), { force: true });
  }

  /**
   * Commits an open database transaction together with its staged evidence files and its custody
   * entry. A journal file makes the three steps recoverable: if the process dies after COMMIT, the next
   * open finishes the move and the custody entry; if it dies before, the next open discards the staged
   * files and the database never saw them. The staged files and the journal reach the disk before the
   * database commits, so a power cut cannot leave a committed case without its evidence or its journal.
   */
  commitWithEvidence(pending: PendingCommit): void {
    for (const s of pending.staged) durable.file(this.abs(s.tmpPath));
    durable.dir(this.abs(INCOMING_DIR));
    writeFileSync(this.abs(PENDING_FILE), JSON.stringify(pending));
    durable.file(this.abs(PENDING_FILE));
    durable.dir(this.dir);
    this.db.exec('COMMIT');
    finishPending(this, pending, false);
  }

  /**
   * Gives the space freed inside case.sqlite back to the file system (SQLite's VACUUM): an upgrade that
   * moved data out of a table leaves the file as large as before. Evidence files are not touched. Rows
   * keep their ids, and the rows of tables without one keep their order (VACUUM copies them in rowid
   * order). It needs free disk space about the size of the database. While another program reads the case
   * (a window open on it), the compacted database waits in the write-ahead log and the file shrinks when
   * that reader lets go: `fileShrunk` says which. Logged in the custody log.
   */
  compact(): { bytesBefore: number; bytesAfter: number; fileShrunk: boolean } {
    const fileSize = (): number => statSync(this.abs(CASE_DB)).size;
    const checkpoint = (): boolean => (this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[])[0]?.busy === 0;
    checkpoint();
    const bytesBefore = fileSize();
    try {
      this.db.exec('VACUUM');
    } catch (e) {
      if (((e as { code?: string }).code ?? '').startsWith('SQLITE_FULL')) {
        throw new CaseError(`${this.dir}: not enough free disk space to compact the case database (it needs about ${Math.ceil(bytesBefore / 1e6)} MB more for a while).`, 'Free some space and run the command again; the case is unchanged.');
      }
      throw e;
    }
    const fileShrunk = checkpoint();
    const bytesAfter = (this.db.pragma('page_count', { simple: true }) as number) * (this.db.pragma('page_size', { simple: true }) as number);
    this.logCustody('database-compacted', { bytesBefore, bytesAfter, fileShrunk });
    return { bytesBefore, bytesAfter, fileShrunk };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch { /* a checkpoint is an optimisation */ }
    this.db.close();
    this.release();
  }
}

function placeStaged(h: CaseHandle, tmpPath: string, relPath: string): void {
  const final = h.abs(relPath);
  const tmp = h.abs(tmpPath);
  if (existsSync(final)) {
    rmSync(tmp, { force: true });
    return;
  }
  if (!existsSync(tmp)) return;
  const folder = join(final, '..');
  const newFolder = !existsSync(folder);
  mkdirSync(folder, { recursive: true });
  chmodSync(tmp, 0o444);
  renameSync(tmp, final);
  durable.dir(folder);
  if (newFolder) durable.dir(join(folder, '..'));
}

function finishPending(h: CaseHandle, p: PendingCommit, recovering: boolean): void {
  for (const s of p.staged) placeStaged(h, s.tmpPath, s.relPath);
  // Only after a crash can some of these entries already be in the log; reading it back on every commit
  // would make a long acquisition quadratic.
  const logged = recovering ? h.custodyEntries().filter((e) => e.details['importRun'] === p.importRunId).map((e) => e.action) : [];
  for (const c of p.custody) if (!logged.includes(c.action)) h.logCustody(c.action, c.details, c.objects);
  rmSync(h.abs(PENDING_FILE), { force: true });
}

/** The custody action recording what the open of a case undid or finished of an operation cut short. */
export const RECOVERY_ACTION = 'interrupted-work-recovered';

/**
 * Finishes or undoes what an operation cut short (a killed process, a power cut) left in the case, and
 * records what it did in the custody log (RECOVERY_ACTION) and on caseNotices: a rolled-back database
 * write (`rolledBack`: the open found a hot rollback journal, which SQLite played back), a commit whose
 * evidence move is finished or whose staged copies are discarded, and uncommitted copies removed from
 * the incoming area. Nothing is logged when there was nothing to do.
 */
function recover(h: CaseHandle, rolledBack: boolean): void {
  h.closeTornCustodyLine(); // first: a commit being finished below appends to the log
  const details: Record<string, unknown> = {};
  if (rolledBack) details['databaseWriteRolledBack'] = true;
  const pendingFile = h.abs(PENDING_FILE);
  if (existsSync(pendingFile)) {
    const p = JSON.parse(readFileSync(pendingFile, 'utf8')) as PendingCommit;
    const committed = h.db.prepare("SELECT 1 FROM import_runs WHERE id = ? AND status <> 'running'").get(p.importRunId);
    if (committed) {
      finishPending(h, p, true);
      details['commitFinished'] = { op: p.op, importRun: p.importRunId };
    } else {
      for (const s of p.staged) rmSync(h.abs(s.tmpPath), { force: true });
      rmSync(pendingFile, { force: true });
      details['commitDiscarded'] = { op: p.op, importRun: p.importRunId };
    }
  }
  // Anything left in the incoming area belongs to an import that never committed.
  const incoming = h.abs(INCOMING_DIR);
  const removed: { path: string; bytes: number }[] = [];
  if (existsSync(incoming)) {
    for (const f of readdirSync(incoming)) {
      const path = join(INCOMING_DIR, f);
      removed.push({ path, bytes: statSync(h.abs(path), { throwIfNoEntry: false })?.size ?? 0 });
      rmSync(h.abs(path), { force: true });
    }
  }
  if (removed.length > 0) details['uncommittedCopiesRemoved'] = removed;
  if (Object.keys(details).length === 0) return;
  h.logCustody(RECOVERY_ACTION, details);
  caseNotices.recovered(recoveryNotice(h.dir, details));
}

/** What the command line says of a recovery (see recover). */
function recoveryNotice(dir: string, d: Record<string, unknown>): string {
  const did: string[] = [];
  if (d['databaseWriteRolledBack']) did.push('its unfinished database write was rolled back');
  if (d['commitFinished']) did.push('its committed evidence was moved into place');
  if (d['commitDiscarded']) did.push('its uncommitted evidence was discarded');
  const removed = (d['uncommittedCopiesRemoved'] as { bytes: number }[] | undefined) ?? [];
  if (removed.length > 0) {
    const mb = removed.reduce((n, r) => n + r.bytes, 0) / 1e6;
    did.push(`${removed.length} uncommitted evidence cop${removed.length === 1 ? 'y' : 'ies'} (${mb < 0.1 ? '<0.1' : mb.toFixed(1)} MB) removed`);
  }
  return `${dir}: an earlier operation on this case was cut short (its process ended mid-write); ${did.join(', ')}. The case is as it was before that operation, or as that operation committed it; recorded in the custody log (${RECOVERY_ACTION}).`;
}

// ---- create / open ----------------------------------------------------------------------------------

export interface CreateCaseInput {
  name: string;
  examiner: string;
  number?: string | null;
  client?: string | null;
  description?: string | null;
  timeZone?: string;
}

/** An IANA zone name, spelt as the time zone database spells it (europe/berlin → Europe/Berlin). */
export function validateTimeZone(tz: string): string {
  let canonical: string;
  try {
    canonical = new Intl.DateTimeFormat('en-GB', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    throw new UsageError(`--tz ${tz}: not an IANA time zone name.`, 'Use a name such as UTC, Europe/London or America/New_York.');
  }
  // A fixed offset is not a zone: the case's times would be shown wrong across a change to or from summer time.
  if (/^[+-]\d/.test(canonical)) throw new UsageError(`--tz ${tz}: a fixed offset is not a time zone (summer time would be ignored).`, 'Use a zone name such as Europe/Berlin or America/New_York.');
  return canonical;
}

export function createCase(dirArg: string, input: CreateCaseInput, actor = defaultActor()): CaseHandle {
  const dir = resolve(dirArg);
  if (!input.name.trim()) throw new UsageError('case create: --name must not be empty.');
  if (!input.examiner.trim()) throw new UsageError('case create: --examiner must not be empty.');
  // One-line values, shown in the bundle's README, the report and the window: a line break or a control
  // character there could forge a line of what the recipient reads.
  for (const [flag, v] of [['--name', input.name], ['--examiner', input.examiner], ['--number', input.number], ['--client', input.client]] as const) {
    if (v && hasControls(v)) throw new UsageError(`case create: ${flag} ${JSON.stringify(v)} holds a line break or another control character.`, 'Give it on one line, in plain characters.');
  }
  const timeZone = validateTimeZone(input.timeZone ?? 'UTC');
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new CaseError(`${dir} exists and is not a folder.`, 'Choose a new folder for the case.');
    if (readdirSync(dir).length > 0) throw new CaseError(`${dir} is not empty.`, 'A case is created in a new or empty folder.');
  }
  for (const sub of ['', EVIDENCE_DIR, 'exports', REPORTS_DIR]) mkdirSync(join(dir, sub), { recursive: true });
  const release = acquireLock(dir);
  try {
    const db = openWritable(join(dir, CASE_DB), { create: true });
    const meta: CaseMeta = {
      name: input.name.trim(),
      number: input.number ?? null,
      client: input.client ?? null,
      examiner: input.examiner.trim(),
      description: input.description ?? null,
      createdAt: new Date().toISOString(),
      timeZone,
      toolVersion: TOOL_VERSION,
    };
    insertCaseMeta(db, meta);
    const h = new CaseHandle(dir, db, actor, release);
    h.logCustody('case-created', { ...meta });
    return h;
  } catch (e) {
    release();
    throw e;
  }
}

function requireCase(dir: string): void {
  if (!existsSync(dir)) throw new CaseError(`${dir}: no such folder.`, 'Create a case first: blindspot case create <dir> --name … --examiner …');
  if (!isCaseDir(dir)) throw new CaseError(`${dir} is not a Blindspot case (no ${CASE_DB} and ${CUSTODY_LOG}).`, 'Create a case first: blindspot case create <dir> --name … --examiner …');
}

/**
 * Refuses, before anything is written, a case this process cannot write to: its folder, database,
 * custody log and evidence folder. Found only later, a custody log that cannot be appended to would
 * stop an action after its database commit, before its custody entry (recovered at the next open).
 */
function requireWritable(dir: string): void {
  for (const p of [dir, join(dir, CASE_DB), join(dir, CUSTODY_LOG), join(dir, EVIDENCE_DIR)]) {
    try {
      accessSync(p, constants.W_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue; // what must exist, requireCase has checked
      throw new CaseError(
        `${dir}: the case cannot be changed here: ${p} is ${code === 'EROFS' ? 'on a read-only file system' : 'not writable by this user'}.`,
        'Copy the case folder to a place you can write to, or give this user write access to it; nothing was changed.',
      );
    }
  }
}

/** The case's problem when its database cannot be opened: newer than this Blindspot, damaged, or else. */
function cannotOpen(file: string, e: unknown): CaseError {
  if (e instanceof SchemaTooNewError) return new CaseError(e.message);
  return new CaseError(`${file}: cannot open the case database (${(e as Error).message}).`, databaseDamage(e) === null ? undefined : DAMAGED_DATABASE_HINT, e);
}

/** Opens a case for writing: takes the lock and finishes or undoes any interrupted operation. */
export function openCase(dirArg: string, actor = defaultActor()): CaseHandle {
  const dir = resolve(dirArg);
  requireCase(dir);
  requireWritable(dir);
  const release = acquireLock(dir);
  try {
    const file = join(dir, CASE_DB);
    // A rollback journal left beside the database while this process holds the lock: a write cut short
    // (a bulk import runs in rollback-journal mode, services/import.ts). SQLite plays it back as it opens.
    const rolledBack = (statSync(`${file}-journal`, { throwIfNoEntry: false })?.size ?? 0) > 0;
    let upgraded: { fromSchemaVersion: number; toSchemaVersion: number } | null = null;
    let db: WritableDB;
    try {
      db = openWritable(file, {
        onUpgrade: (from, to) => {
          caseNotices.upgrading(`Upgrading the case database ${file} from schema version ${from} to ${to} (once; evidence files are not touched)…`);
          upgraded = { fromSchemaVersion: from, toSchemaVersion: to };
        },
      });
    } catch (e) {
      throw cannotOpen(file, e);
    }
    const h = new CaseHandle(dir, db, actor, release);
    if (upgraded) h.logCustody('database-upgraded', upgraded);
    recover(h, rolledBack);
    return h;
  } catch (e) {
    release();
    throw e;
  }
}

/**
 * What a reader is told when the case database stays locked past the wait (SQLITE_BUSY): another
 * process holds it for a write, which for a bulk import lasts the whole load (services/import.ts).
 */
export function caseBusyError(dir: string): CaseError {
  const { pid } = lockHolder(dir);
  return new CaseError(
    `${dir}: the case is being written by another Blindspot process${pid ? ` (pid ${pid})` : ''} and cannot be read until it finishes (a large import keeps the database to itself while it loads).`,
    'Try again when it has finished; nothing was changed.',
  );
}

/** Whether `dir` is on a file system mounted read-only (a DVD, a write-protected drive, a read-only share). */
function onReadOnlyMedia(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EROFS';
  }
}

/**
 * A case on read-only media: nothing can change it, so SQLite reads it as immutable (no locks, no -shm).
 * Refused when its WAL holds changes not yet in case.sqlite (copied while Blindspot had it open), which
 * an immutable read would silently leave out.
 */
function openOnReadOnlyMedia(dir: string, file: string): ReadableDB {
  const wal = statSync(`${file}-wal`, { throwIfNoEntry: false });
  if (wal && wal.size > 0) {
    throw new CaseError(
      `${dir}: the case is on read-only media and ${CASE_DB}-wal holds changes not yet written into ${CASE_DB} (it was copied while Blindspot had the case open); reading it here would leave them out.`,
      'Copy the case folder to a disk that can be written and open it there (the changes are applied then), or copy it again from a case no Blindspot has open.',
    );
  }
  try {
    return openReadable(file, { immutable: true });
  } catch (e) {
    if (e instanceof SchemaOutdatedError) throw new CaseError(`${e.message} It must be upgraded, which cannot be done on read-only media.`, 'Copy the case folder to a disk that can be written and open it there.');
    throw cannotOpen(file, e);
  }
}

/**
 * Opens a case for reading only (no lock, no recovery); an older case is upgraded first, as openCase does.
 * A case on read-only media is read as it is.
 */
export function openCaseReadOnly(dirArg: string): { dir: string; db: ReadableDB; close(): void } {
  const dir = resolve(dirArg);
  requireCase(dir);
  const file = join(dir, CASE_DB);
  if (onReadOnlyMedia(dir)) {
    const db = openOnReadOnlyMedia(dir, file);
    return { dir, db, close: () => db.close() };
  }
  /**
   * The database, or null when it must first be opened for writing through openCase: it is older than the
   * code (it is upgraded), or a write was cut short (a bulk import killed mid-file leaves its rollback
   * journal, which SQLite must play back before anyone reads, and a read-only connection cannot: "attempt
   * to write a readonly database"). openCase takes the lock, so it refuses while the writer still runs.
   */
  const open = (): ReadableDB | null => {
    try {
      return openReadable(file);
    } catch (e) {
      if (e instanceof SchemaOutdatedError) return null;
      const code = (e as { code?: string }).code;
      if (code?.startsWith('SQLITE_READONLY') && existsSync(`${file}-journal`)) return null;
      if (code === 'SQLITE_BUSY') throw caseBusyError(dir);
      throw cannotOpen(file, e);
    }
  };
  const db = open() ?? (openCase(dir).close(), open());
  if (db === null) throw new CaseError(`${file}: the case database could not be brought up to date for reading (upgraded, or an interrupted write undone).`);
  return { dir, db, close: () => db.close() };
}
