// Evidence bundles: a zip a recipient can verify offline, and verification of a case folder or a bundle.
//
// A bundle holds manifest.json (path, size and SHA-256 of every other file), custody.jsonl, evidence/,
// a consistent snapshot of case.sqlite and README.txt. Verification recomputes every hash, checks the
// custody chain, and checks the database's evidence table against the files; it names each modified,
// missing or unexpected file.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { Readable } from 'node:stream';
import Database from '../db/sqlite.ts';
import yazl from 'yazl';
import yauzl from 'yauzl';
import { jsonOfLine, sha256Hex, TORN_LINE_ACTION, verifyCustodyChain } from '../core/custody.ts';
import { CUSTODY_ACTIONS } from '../core/custodyActions.ts';
import type { CustodyObject } from '../core/custody.ts';
import { reconcileAnnotations } from '../core/annotations.ts';
import { showControls } from '../core/text.ts';
import type { AnnotationRow } from '../core/annotations.ts';
import { CASE_DB, CaseInUseError, CUSTODY_LOG, EVIDENCE_DIR, openCase, openCaseReadOnly, REPORTS_DIR } from './caseFolder.ts';
import type { CaseHandle } from './caseFolder.ts';
import { BadInputError, BlindspotError, CaseError, databaseDamage, isDiskFull, UsageError } from './errors.ts';
import { hashFile, pathWithin } from './files.ts';
import { readCustodyHead } from '../db/caseRepo.ts';
import type { ReadableDB } from '../db/database.ts';
import { checkRecords } from './recordsCheck.ts';
import { TOOL_VERSION } from './version.ts';

export const BUNDLE_FORMAT = 'blindspot-bundle/1';
/**
 * zlib's fastest level for what a bundle compresses (the database snapshot, evidence files under 256 MB;
 * larger ones are stored). A case of 1,000,000 records exported in 30.0-31.8 s at level 1 against
 * 41.8-44.5 s at zlib's default 6, and the bundle grew by 1.6% (1,618.3 against 1,593.2 MB).
 */
const DEFLATE_LEVEL = 1;
/** Database pages the snapshot copies per step (16 MiB at the case's page size; SQLite's default is 100 pages). */
const BACKUP_PAGES_PER_STEP = 1024;

export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
}

export interface Manifest {
  format: typeof BUNDLE_FORMAT;
  tool: string;
  createdAt: string;
  createdBy: string;
  case: { name: string; number: string | null; examiner: string; createdAt: string };
  custodyHead: string | null;
  custodyEntries: number;
  files: ManifestFile[];
}

/** The reports the examiner wrote into the case (blindspot report): the files of reports/, not hidden ones (a report being written). */
function listReportFiles(caseDir: string): string[] {
  const root = join(caseDir, REPORTS_DIR);
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true }).filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => `${REPORTS_DIR}/${e.name}`).sort();
}

function listEvidenceFiles(caseDir: string): string[] {
  const root = join(caseDir, EVIDENCE_DIR);
  const out: string[] = [];
  const walk = (d: string): void => {
    if (!existsSync(d)) return;
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.push(relative(caseDir, p).split(sep).join('/'));
    }
  };
  walk(root);
  return out;
}

// The case's own words are shown with any control character escaped: a case created before such values
// were refused could otherwise forge a line of this file (a second "Manifest:" line).
const README = (m: Manifest, manifestSha: string) => `Blindspot evidence bundle
=========================

Case:      ${showControls(m.case.name, true)}${m.case.number ? ` (${showControls(m.case.number, true)})` : ''}
Examiner:  ${showControls(m.case.examiner, true)}
Exported:  ${m.createdAt} by ${m.createdBy} with ${m.tool}
Manifest:  manifest.json, SHA-256 ${manifestSha}

What is inside
  manifest.json   the path, size and SHA-256 of every other file in this bundle
  custody.jsonl   the chain of custody: one JSON object per line; "prev" is the SHA-256 of the line before,
                  so an edited, removed or reordered line breaks the chain
  evidence/       every file the case received, exactly as received, named by its SHA-256
  case.sqlite     a consistent snapshot of the case database (SQLite 3); its "evidence" table lists each
                  evidence file with its origin
  reports/        the examiner's reports (blindspot report), when there are any: HTML files that open in
                  any browser; the custody log records each one's SHA-256 when it was written
  README.txt      this file (not listed in the manifest)

How to verify (offline)
  1. Ask the examiner for the manifest's SHA-256 by a separate channel and compare it with the line above
     and with: sha256sum manifest.json. This step anchors everything else and no tool inside the bundle
     can do it for you: a bundle altered and re-hashed whole would pass the other checks.
  2. With Blindspot:  blindspot verify <this-bundle.zip>   (exit code 0 means every check in it passed:
     every file against manifest.json, the custody chain, the evidence and reports against the database
     and the custody log). To also compare the database's records with the evidence files they were read
     from: unzip it into an empty folder and run blindspot verify <folder> --records
  3. Without Blindspot: unzip the bundle, then for every entry in manifest.json compute
     sha256sum <path> and compare, and treat any file not listed there (other than this README) as a
     problem; check that evidence/ab/<hash> files hash to their own name; and check custody.jsonl line by
     line: "seq" runs 1, 2, 3 ... without a gap, line 1's "prev" is null, and line N+1's "prev" equals the
     SHA-256 of line N's exact text (without the newline); the chain has ${m.custodyEntries} entries and its
     last line hashes to ${m.custodyHead ?? '(empty)'}.
     A line that is not JSON was cut short when it was written (the workstation stopped or its disk
     filled up mid-write); the line after it, action "${TORN_LINE_ACTION}", names it with its length and SHA-256.

How to review it
  Unzip the bundle into an empty folder and run: blindspot ui <folder>  (or blindspot timeline <folder>).
  That folder is then a working copy, not the evidence: Blindspot records in its custody.jsonl what is
  done with it (a verify, an analysis), so it no longer matches manifest.json. Keep this zip as received.
  The examiner's own tags, notes and bookmarks on events are listed by: blindspot annotations <folder>
  (and shown in the UI's event detail). They are the examiner's work, not evidence; custody.jsonl
  records each one added or removed, by whom and when.
`;

/**
 * What the case's own state rules out before anything is written: a bundle among the evidence or the
 * reports, a broken custody log (`custodyLines`), or one missing an evidence file (`present`: the
 * evidence files on disk, as listEvidenceFiles gives them).
 */
function refuseToExport(h: CaseHandle, out: string, present: readonly string[], custodyLines: string[]): void {
  for (const [folder, holds] of [[EVIDENCE_DIR, 'evidence files'], [REPORTS_DIR, 'the reports Blindspot writes']] as const) {
    if (pathWithin(h.abs(folder), out) !== null) {
      throw new UsageError(`export: ${out} is inside the case's ${folder} folder, which holds ${holds} only.`, 'Write the bundle elsewhere, for example in the case\'s exports folder.');
    }
  }
  const chain = verifyCustodyChain(custodyLines);
  if (chain.problems.length > 0) {
    throw new CaseError(`${h.dir}: the custody log is broken (line ${chain.problems[0]!.line}: ${chain.problems[0]!.problem}); refusing to export.`, 'Run: blindspot verify <case> for the full list.');
  }
  // Every evidence file the database names or the custody log records as added must be there: a bundle
  // without one would fail its recipient's verify.
  const onDisk = new Set(present);
  const named = [...h.db.prepare('SELECT rel_path FROM evidence ORDER BY id').pluck().all() as string[], ...filesLogged(custodyLines, CUSTODY_ACTIONS.evidenceAdded, EVIDENCE_DIR).map((o) => o.path)];
  const missing = [...new Set(named)].filter((p) => !onDisk.has(p));
  if (missing.length > 0) {
    throw new CaseError(`${h.dir}: ${missing.length} evidence file${missing.length === 1 ? ' is' : 's are'} missing (${missing[0]}${missing.length > 1 ? ', …' : ''}); refusing to export.`, 'Run: blindspot verify <case> for the full list, and restore the files from a copy.');
  }
}

/**
 * Where a long export or verification is: which step, and how many of its bytes are done. On a case of
 * 1,000,000 records (a 1.5 GB database, 1.23 GB of evidence) an export took 44 s and a bundle's
 * verification 10 s, with nothing on the screen.
 */
export interface BundleProgress {
  step: 'snapshot' | 'hashing' | 'writing' | 'hashing-bundle' | 'reading' | 'records';
  done: number;
  total: number;
}
export type OnBundleProgress = (p: BundleProgress) => void;

/** For each file of a step in turn (given its size), what reports its bytes done as the step's running total. */
function byteCounter(step: BundleProgress['step'], total: number, onProgress: OnBundleProgress | undefined): (fileSize: number) => (bytes: number) => void {
  let before = 0;
  return (fileSize) => {
    const base = before;
    before += fileSize;
    return (bytes) => onProgress?.({ step, done: base + bytes, total });
  };
}

/**
 * A stream that passes a file's bytes on and counts them (yazl pipes what it is given; see addReadStreamLazy).
 * yazl does not listen for errors on a stream it is given: a file that cannot be read goes to `onError`.
 */
function counted(source: string, onBytes: (bytes: number) => void, onError: (e: Error) => void): Readable {
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      onBytes(bytes);
      cb(null, chunk);
    },
  });
  const input = createReadStream(source);
  input.on('error', onError);
  return input.pipe(counter);
}

/**
 * Writes a bundle to `out` (atomically: a temporary file renamed into place). When `signal` aborts, it
 * stops within one read and throws the signal's reason, with the partial bundle and the temporary copy
 * of the database removed and nothing logged.
 */
export async function exportBundle(dirArg: string, outArg: string, onProgress?: OnBundleProgress, signal?: AbortSignal): Promise<{ out: string; manifestSha256: string; bundleSha256: string; files: number; bytes: number }> {
  const out = resolve(outArg);
  if (!out.toLowerCase().endsWith('.zip')) throw new UsageError(`export: ${outArg}: the bundle name must end in .zip.`);
  if (existsSync(out)) throw new UsageError(`export: ${out} already exists.`, 'Choose a new name; bundles are never overwritten.');
  if (!existsSync(dirname(out))) throw new UsageError(`export: folder ${dirname(out)} does not exist.`);
  const h = openCase(dirArg);
  const work = mkdtempSync(join(tmpdir(), 'blindspot-export-'));
  const tmpZip = `${out}.partial-${process.pid}`;
  try {
    const evidenceFiles = listEvidenceFiles(h.dir);
    const custodyLines = readFileSync(h.abs(CUSTODY_LOG), 'utf8').split('\n').filter(Boolean);
    refuseToExport(h, out, evidenceFiles, custodyLines);
    const meta = h.meta();
    // A consistent snapshot of the database through SQLite's online backup.
    const dbSnapshot = join(work, CASE_DB);
    const pageSize = h.db.pragma('page_size', { simple: true }) as number;
    const snapshot = (totalPages: number, remainingPages: number): void => onProgress?.({ step: 'snapshot', done: (totalPages - remainingPages) * pageSize, total: totalPages * pageSize });
    const copied = await h.db.backup(dbSnapshot, {
      progress: ({ totalPages, remainingPages }) => {
        signal?.throwIfAborted(); // rejects the backup, which closes it
        snapshot(totalPages, remainingPages);
        return BACKUP_PAGES_PER_STEP;
      },
    }).catch((e: unknown) => {
      if (!isDiskFull(e)) throw e;
      const mb = Math.ceil(statSync(h.abs(CASE_DB)).size / 1e6);
      throw new CaseError(
        `export: no space left in the temporary folder ${tmpdir()} for the copy of the case database (about ${mb} MB; ${(e as Error).message}); nothing was written to ${out}.`,
        'Free space there, or point TMPDIR at a folder with room for it, then export again.',
      );
    });
    snapshot(copied.totalPages, 0); // the last step is not reported by better-sqlite3
    const files: { path: string; source: string }[] = [
      { path: CUSTODY_LOG, source: h.abs(CUSTODY_LOG) },
      { path: CASE_DB, source: dbSnapshot },
      ...evidenceFiles.map((p) => ({ path: p, source: h.abs(p) })),
      ...listReportFiles(h.dir).map((p) => ({ path: p, source: h.abs(p) })),
    ];
    const stats = files.map((f) => statSync(f.source));
    const sizes = stats.map((st) => st.size);
    const total = sizes.reduce((a, b) => a + b, 0);
    const hashing = byteCounter('hashing', total, onProgress);
    const manifestFiles: ManifestFile[] = [];
    for (const [i, f] of files.entries()) {
      const { sha256, size } = await hashFile(f.source, hashing(sizes[i]!), signal);
      manifestFiles.push({ path: f.path, size, sha256 });
    }
    // Whatever verify would find in the case (a changed or stray evidence file, a report changed or not
    // written by Blindspot, an annotation changed outside it, a custody log cut short) is refused here, in
    // its words: the recipient's verify would fail the bundle.
    const within = (folder: string) => new Map(manifestFiles.filter((f) => f.path.startsWith(`${folder}/`)).map((f) => [f.path, f]));
    const found: VerifyProblem[] = [];
    checkCase(caseTables(h.db), within(EVIDENCE_DIR), within(REPORTS_DIR), custodyLines, found, [], 'is no longer in the case folder'); // a deleted report: a note, not exported
    if (found.length > 0) {
      const p = found[0]!;
      throw new CaseError(
        `${p.kind.toUpperCase()} ${p.path}: ${p.detail}. Refusing to export${found.length > 1 ? ` (${found.length} problems found)` : ''}.`,
        'Run: blindspot verify <case> for the full list; the case must verify before it is exported.',
      );
    }
    const manifest: Manifest = {
      format: BUNDLE_FORMAT, tool: TOOL_VERSION, createdAt: new Date().toISOString(), createdBy: h.actor,
      case: { name: meta.name, number: meta.number, examiner: meta.examiner, createdAt: meta.createdAt },
      custodyHead: custodyLines.length ? sha256Hex(custodyLines.at(-1)!) : null,
      custodyEntries: custodyLines.length,
      files: manifestFiles,
    };
    const manifestText = JSON.stringify(manifest, null, 2) + '\n';
    const manifestSha256 = sha256Hex(manifestText);
    const zip = new yazl.ZipFile();
    zip.addBuffer(Buffer.from(manifestText), 'manifest.json');
    zip.addBuffer(Buffer.from(README(manifest, manifestSha256)), 'README.txt');
    const writing = byteCounter('writing', total, onProgress);
    // A file that cannot be read (or whose size changed, which yazl reports on the ZipFile) ends the
    // output with that error, so the write fails with it instead of the process dying of it, or waiting.
    const fail = (e: Error): void => { (zip.outputStream as Readable).destroy(e); };
    zip.on('error', fail);
    for (const [i, f] of files.entries()) {
      // As addFile would: the file's time and mode, its size checked. Large evidence files are stored, not compressed.
      const { mtime, mode, size } = stats[i]!;
      const onBytes = writing(size);
      const stored = f.path.startsWith(`${EVIDENCE_DIR}/`) && size >= 256 << 20;
      zip.addReadStreamLazy(f.path, { mtime, mode, size, compressionLevel: stored ? 0 : DEFLATE_LEVEL }, (cb) => cb(null, counted(f.source, onBytes, fail)));
    }
    zip.end();
    try {
      await pipeline(zip.outputStream as Readable, createWriteStream(tmpZip, { flags: 'wx' }), signal ? { signal } : {});
    } catch (e) {
      signal?.throwIfAborted();
      throw new CaseError(
        `export: the bundle could not be written (${(e as Error).message}); nothing was written to ${out}.`,
        'Run: blindspot verify <case> to check the case; if it is intact, export again (and check the free space where the bundle goes).',
      );
    }
    const bundleSize = statSync(tmpZip).size;
    const bundle = await hashFile(tmpZip, (done) => onProgress?.({ step: 'hashing-bundle', done, total: bundleSize }), signal);
    signal?.throwIfAborted();
    renameSync(tmpZip, out);
    h.logCustody('export', { bundle: out, bundleSha256: bundle.sha256, manifestSha256, files: manifestFiles.length, custodyHead: manifest.custodyHead }, [{ sha256: bundle.sha256, path: out }]);
    return { out, manifestSha256, bundleSha256: bundle.sha256, files: manifestFiles.length, bytes: bundle.size };
  } finally {
    rmSync(tmpZip, { force: true });
    rmSync(work, { recursive: true, force: true });
    h.close();
  }
}

// ---- verification ----------------------------------------------------------------------------------

export interface VerifyProblem {
  kind: 'modified' | 'missing' | 'unexpected' | 'custody' | 'database' | 'record';
  path: string;
  detail: string;
}

export interface VerifyReport {
  target: string;
  kind: 'case' | 'bundle';
  intact: boolean;
  filesChecked: number;
  custodyEntries: number;
  manifestSha256?: string;
  problems: VerifyProblem[];
  /** What was found and is not a problem: a custody line cut short when written, and recorded so. */
  notes: { path: string; detail: string }[];
  /** A case folder whose custody log could not take this verification's entry: why (read-only media, in use). */
  notLogged?: string;
  /** verify --records: the evidence files whose records were compared, the events found as read, the files not compared (configuration exports). */
  records?: { files: number; events: number; notCompared: number };
}

interface EvidenceDbRow { sha256: string; size: number; rel_path: string }
type Hashed = { sha256: string; size: number };

const EVIDENCE_SQL = 'SELECT sha256, size, rel_path FROM evidence ORDER BY id';
const ANNOTATIONS_SQL = 'SELECT id, kind, text, target_id AS recordId, target_kind AS targetKind, author, created_at AS createdAt FROM annotations ORDER BY id';
/**
 * The most of manifest.json and of custody.jsonl a bundle's verification reads into memory. A manifest
 * names each file in about 150 bytes; a custody log takes about 1 KB per evidence file and a line per
 * action on the case. Past these, the entry is not a Blindspot one, and reading it would exhaust memory
 * (1 GiB of newlines compresses to 1 MB).
 */
const MANIFEST_MAX_BYTES = 64 << 20;
const CUSTODY_MAX_BYTES = 128 << 20;

/** The tables verify reads. */
/** The tables verify reads; `head`: the custody log's last entry as the database recorded it (null: none recorded). */
interface CaseTables { evidence: EvidenceDbRow[] | null; annotations: AnnotationRow[] | null; head: CustodyHead | null }
type CustodyHead = NonNullable<ReturnType<typeof readCustodyHead>>;

/**
 * The evidence and annotation tables of a database file that is not an open case (the snapshot inside a
 * bundle, or the database of a case folder without its custody log); one that cannot be read is a problem,
 * and the tables are null.
 */
function readCaseTables(dbFile: string, problems: VerifyProblem[]): CaseTables {
  try {
    const db = new Database(dbFile, { readonly: true, fileMustExist: true });
    try {
      return caseTables(db as unknown as ReadableDB); // opened read-only: what ReadableDB stands for
    } finally {
      db.close();
    }
  } catch (e) {
    problems.push({ kind: 'database', path: CASE_DB, detail: `cannot read the evidence table (${(e as Error).message}); each evidence file was checked against its name only` });
    return NO_TABLES;
  }
}

/** The tables verify reads, from a database that could be opened. */
function caseTables(db: ReadableDB): CaseTables {
  return { evidence: db.prepare(EVIDENCE_SQL).all() as EvidenceDbRow[], annotations: db.prepare(ANNOTATIONS_SQL).all() as AnnotationRow[], head: readCustodyHead(db) };
}

/** No table could be read (a problem already said why). */
const NO_TABLES: CaseTables = { evidence: null, annotations: null, head: null };

function checkCustody(lines: string[], t: CaseTables, problems: VerifyProblem[], notes: VerifyReport['notes']): void {
  const evidence = t.evidence;
  const chain = verifyCustodyChain(lines);
  for (const p of chain.problems) problems.push({ kind: 'custody', path: `${CUSTODY_LOG}:${p.line}`, detail: p.problem });
  for (const p of chain.notes) notes.push({ path: `${CUSTODY_LOG}:${p.line}`, detail: p.problem });
  // The chain cannot show lines cut from its end: the database's record of the last entry written can.
  // A log ahead of it is not one (an entry appended, then a crash before the database recorded it).
  if (t.head !== null) {
    const line = chain.lineOfSeq.get(t.head.seq);
    if (chain.lastSeq < t.head.seq) problems.push({ kind: 'custody', path: CUSTODY_LOG, detail: `the log ends at entry ${chain.lastSeq}, but the case database recorded entry ${t.head.seq} as written (line SHA-256 ${t.head.lineSha256}): entries were cut from its end` });
    else if (line === undefined || sha256Hex(lines[line - 1]!) !== t.head.lineSha256) problems.push({ kind: 'custody', path: `${CUSTODY_LOG}:${line ?? t.head.seq}`, detail: `not the entry ${t.head.seq} the case database recorded as written (line SHA-256 ${t.head.lineSha256})` });
  } else if (evidence !== null) {
    notes.push({ path: CUSTODY_LOG, detail: 'the case database records no last entry of the log (a case from before 2026-12-07 not changed since): lines cut from its end could not be told' });
  }
  const named = new Set(chain.entries.flatMap((e) => (Array.isArray(e.objects) ? e.objects.map((o) => o.sha256) : [])));
  for (const r of evidence ?? []) {
    if (!named.has(r.sha256)) problems.push({ kind: 'custody', path: r.rel_path, detail: 'evidence item has no custody entry' });
  }
}

/** The custody entries of the actions named, with their lines (1-based); a line is parsed only when it may be one. */
function entriesOf(lines: string[], actions: readonly string[]): { line: number; action: string; details: Record<string, unknown>; objects: unknown }[] {
  const out: { line: number; action: string; details: Record<string, unknown>; objects: unknown }[] = [];
  for (const [i, line] of lines.entries()) {
    if (!actions.some((a) => line.includes(`"action":"${a}"`))) continue;
    const e = jsonOfLine(line) as { action?: unknown; details?: unknown; objects?: unknown } | null;
    if (typeof e?.action !== 'string' || !actions.includes(e.action)) continue;
    out.push({ line: i + 1, action: e.action, details: (e.details ?? {}) as Record<string, unknown>, objects: e.objects });
  }
  return out;
}

/** The files (sha256 and path) of the custody entries of `action` whose path lies in `folder`, with each one's line. */
function filesLogged(lines: string[], action: string, folder: string): { line: number; sha256: string; path: string }[] {
  return entriesOf(lines, [action]).flatMap((e) => (Array.isArray(e.objects) ? e.objects as { sha256?: unknown; path?: unknown }[] : [])
    .filter((o): o is CustodyObject => typeof o?.sha256 === 'string' && typeof o.path === 'string' && o.path.startsWith(`${folder}/`))
    .map((o) => ({ line: e.line, sha256: o.sha256, path: o.path })));
}

/**
 * The reports in reports/ (path → hash computed) against the custody log's report-written entries: one
 * changed since it was written, or one Blindspot did not write, is a problem; one the log records that is
 * no longer there is a note (a draft may be deleted; its hash stays in the log), said as `absent`. Export
 * refuses what this finds.
 */
function checkReports(present: ReadonlyMap<string, Hashed>, lines: string[], problems: VerifyProblem[], notes: VerifyReport['notes'], absent: string): void {
  const written = Map.groupBy(filesLogged(lines, CUSTODY_ACTIONS.reportWritten, REPORTS_DIR), (o) => o.path);
  for (const [path, entries] of written) {
    const got = present.get(path);
    const last = entries.at(-1)!;
    if (!got) notes.push({ path, detail: `a report the custody log records (line ${last.line}) ${absent}` });
    else if (!entries.some((o) => o.sha256 === got.sha256)) problems.push({ kind: 'modified', path, detail: `content hashes to ${got.sha256}, the custody log (line ${last.line}) recorded ${last.sha256} when it was written` });
  }
  for (const path of present.keys()) {
    if (!written.has(path)) problems.push({ kind: 'unexpected', path, detail: 'not written by Blindspot (no report-written entry in the custody log)' });
  }
}

/** The examiner's annotations in the database against their custody entries (core/annotations.ts reconcileAnnotations). */
function checkAnnotations(annotations: AnnotationRow[] | null, lines: string[], problems: VerifyProblem[]): void {
  if (annotations === null) return; // the database could not be read: already a problem
  for (const p of reconcileAnnotations(annotations, entriesOf(lines, [CUSTODY_ACTIONS.annotationAdded, CUSTODY_ACTIONS.annotationRemoved]))) problems.push({ kind: 'custody', ...p });
}

/**
 * Compares the evidence table with the evidence files present (path → hash actually computed), and with
 * the files the custody log records as added (`added`: path → line): one gone from the table and the
 * files both (its row, its events and its file deleted) is missing. With no table to compare with (`null`:
 * the database could not be read, a problem already reported), each file is still checked against its own
 * name, its SHA-256.
 */
function checkEvidence(evidence: EvidenceDbRow[] | null, present: ReadonlyMap<string, Hashed>, added: ReadonlyMap<string, number>, problems: VerifyProblem[]): void {
  const expected = new Set<string>();
  for (const r of evidence ?? []) {
    expected.add(r.rel_path);
    const f = present.get(r.rel_path);
    if (!f) problems.push({ kind: 'missing', path: r.rel_path, detail: 'listed in the case database, not present' });
    else if (f.sha256 !== r.sha256 || f.size !== r.size) problems.push({ kind: 'modified', path: r.rel_path, detail: `content hashes to ${f.sha256} (${f.size} bytes), recorded ${r.sha256} (${r.size} bytes)` });
  }
  for (const [path, f] of present) {
    if (expected.has(path)) continue;
    if (basename(path) !== f.sha256) problems.push({ kind: 'modified', path, detail: `content hashes to ${f.sha256}, not to its name` });
    if (evidence !== null) problems.push({ kind: 'unexpected', path, detail: 'evidence file not listed in the case database' });
  }
  for (const [path, line] of added) {
    if (expected.has(path) || present.has(path)) continue;
    problems.push({ kind: 'missing', path, detail: `the custody log (line ${line}) records it as added; it is not present${evidence === null ? '' : ', nor listed in the case database'}` });
  }
}

/** What a case folder and a bundle are both checked for, once their files are hashed and their tables and custody log read (`lines` null: no custody log, a problem already). */
function checkCase(t: CaseTables, evidenceFiles: ReadonlyMap<string, Hashed>, reports: ReadonlyMap<string, Hashed>, lines: string[] | null, problems: VerifyProblem[], notes: VerifyReport['notes'], reportAbsent: string): void {
  const added = new Map<string, number>();
  for (const o of lines === null ? [] : filesLogged(lines, CUSTODY_ACTIONS.evidenceAdded, EVIDENCE_DIR)) if (!added.has(o.path)) added.set(o.path, o.line);
  checkEvidence(t.evidence, evidenceFiles, added, problems);
  if (lines === null) return;
  checkCustody(lines, t, problems, notes);
  checkAnnotations(t.annotations, lines, problems);
  checkReports(reports, lines, problems, notes, reportAbsent);
}

/** What is at `path`: a file, a folder (or something else), or nothing. */
function kindAt(path: string): 'file' | 'folder' | null {
  const st = statSync(path, { throwIfNoEntry: false });
  return st === undefined ? null : st.isFile() ? 'file' : 'folder';
}

/** The case database's tables; one missing, or damaged, is a problem (the tables are then null). */
function readCaseDb(dir: string, db: ReadableDB | null, problems: VerifyProblem[]): CaseTables {
  const at = kindAt(join(dir, CASE_DB));
  if (at !== 'file') {
    problems.push({ kind: 'missing', path: CASE_DB, detail: `${at === null ? 'the case database is not in the case folder' : 'a folder, not the case database'}; each evidence file was checked against its name only` });
    return NO_TABLES;
  }
  // Without its custody log the case cannot be opened as one (nor upgraded or recovered): its database is read as it is.
  if (db === null && kindAt(join(dir, CUSTODY_LOG)) !== 'file') return readCaseTables(join(dir, CASE_DB), problems);
  try {
    if (db !== null) return caseTables(db); // the case verify holds open
    const c = openCaseReadOnly(dir);
    try {
      return caseTables(c.db);
    } finally {
      c.close();
    }
  } catch (e) {
    // A damaged database is a finding: the evidence files and the custody log are still checked.
    const damage = databaseDamage(e);
    if (damage === null) throw e;
    problems.push({ kind: 'database', path: CASE_DB, detail: `damaged, its evidence table cannot be read (${damage}); each evidence file was checked against its name only` });
    return NO_TABLES;
  }
}

/** The custody log's lines, or null when it is missing (a problem). */
function readCustodyLog(dir: string, problems: VerifyProblem[]): string[] | null {
  const at = kindAt(join(dir, CUSTODY_LOG));
  if (at === 'file') return readFileSync(join(dir, CUSTODY_LOG), 'utf8').split('\n').filter(Boolean);
  problems.push({ kind: 'missing', path: CUSTODY_LOG, detail: `${at === null ? 'the chain of custody is not in the case folder' : 'a folder, not the chain of custody'}; the custody chain, the annotations and the reports could not be checked` });
  return null;
}

/** `db`: the case held open for the verification, or null when it could not be (read-only media, no custody log, damage). */
async function verifyCaseDir(dir: string, db: ReadableDB | null, onProgress?: OnBundleProgress, signal?: AbortSignal): Promise<VerifyReport> {
  const problems: VerifyProblem[] = [];
  const notes: VerifyReport['notes'] = [];
  const tables = readCaseDb(dir, db, problems);
  const present = new Map<string, Hashed>();
  const paths = listEvidenceFiles(dir);
  const sizes = paths.map((p) => statSync(join(dir, p)).size);
  const hashing = byteCounter('hashing', sizes.reduce((a, b) => a + b, 0), onProgress);
  for (const [i, p] of paths.entries()) present.set(p, await hashFile(join(dir, p), hashing(sizes[i]!), signal));
  const reports = new Map<string, Hashed>();
  for (const p of listReportFiles(dir)) reports.set(p, await hashFile(join(dir, p), undefined, signal));
  signal?.throwIfAborted(); // aborted during the last read
  const lines = readCustodyLog(dir, problems);
  checkCase(tables, present, reports, lines, problems, notes, 'is no longer in the case folder');
  const read = [CASE_DB, CUSTODY_LOG].filter((f) => kindAt(join(dir, f)) === 'file').length;
  return { target: dir, kind: 'case', intact: problems.length === 0, filesChecked: present.size + reports.size + read, custodyEntries: lines?.length ?? 0, problems, notes };
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  // Names are decoded here (forEachEntry), so that an unsafe one is a finding about its entry, not an
  // error that ends the reading of the zip.
  return new Promise((res, rej) => yauzl.open(file, { lazyEntries: true, autoClose: false, decodeStrings: false }, (err, zf) => (err || !zf ? rej(err ?? new Error('cannot open')) : res(zf))));
}

/**
 * Hands every entry of the zip to `onEntry`, one at a time, with its name as written (a backslash kept)
 * and what opens its data. A zip whose directory cannot be read to its end is refused (exit 3), as one
 * that cannot be opened is.
 */
async function forEachEntry(file: string, zf: yauzl.ZipFile, onEntry: (entry: yauzl.Entry, name: string, open: () => Promise<Readable>) => Promise<void>): Promise<void> {
  let entries = 0;
  await new Promise<void>((res, rej) => {
    zf.on('error', (e: Error) => rej(new BadInputError(`${file}: the zip's directory is damaged after ${entries} entries (${e.message}); the bundle cannot be checked.`)));
    zf.on('end', () => res());
    zf.on('entry', (entry: yauzl.Entry) => {
      entries++;
      const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
      const open = () => new Promise<Readable>((ok, fail) => zf.openReadStream(entry, (err, stream) => (err || !stream ? fail(err ?? new Error('cannot read entry')) : ok(stream))));
      onEntry(entry, name, open).then(() => zf.readEntry(), rej);
    });
    zf.readEntry();
  });
}

/** Why a zip entry's name is unsafe to extract (absolute, a `..` part, a backslash), as yauzl judges it; null when it is safe. */
function unsafeName(name: string): string | null {
  return yauzl.validateFileName(name)?.split(':')[0] ?? null; // its message, without the name
}

async function verifyBundle(file: string, onProgress?: OnBundleProgress, signal?: AbortSignal): Promise<VerifyReport> {
  const problems: VerifyProblem[] = [];
  const work = mkdtempSync(join(tmpdir(), 'blindspot-verify-'));
  let zf: yauzl.ZipFile;
  try {
    zf = await openZip(file);
  } catch (e) {
    rmSync(work, { recursive: true, force: true });
    throw new BadInputError(`${file}: not a readable zip file (${(e as Error).message}).`);
  }
  try {
    const hashes = new Map<string, Hashed>();
    /** Entries whose data could not be read to its end: named already, and not also missing. */
    const damaged = new Set<string>();
    const seen = new Set<string>();
    let manifestText: string | null = null;
    let custodyText: string | null = null;
    // Progress in bytes of the zip file: each entry's compressed bytes, in the share of it read so far.
    const zipSize = statSync(file).size;
    let entriesDone = 0;
    await forEachEntry(file, zf, async (entry, name, open) => {
      const first = !seen.has(name);
      seen.add(name);
      const unsafe = unsafeName(name);
      // An extractor keeps one copy or the other: only the first is read, and a second is a problem.
      if (!first) problems.push({ kind: 'unexpected', path: name, detail: 'a second entry of this name in the bundle (an unzip tool keeps either copy); only the first was checked' });
      else if (unsafe !== null) problems.push({ kind: 'unexpected', path: name, detail: `an unsafe entry name, which unzipped could be written outside its folder (${unsafe}); not read` });
      if (!first || unsafe !== null || name.endsWith('/')) {
        entriesDone += entry.compressedSize;
        return;
      }
      const h = createHash('sha256');
      let size = 0;
      const share = entry.uncompressedSize > 0 ? entry.compressedSize / entry.uncompressedSize : 0;
      // Kept in memory, so refused past a size; its data cannot run past the size its header says (yauzl
      // fails the stream: a damaged entry).
      const keep = name === 'manifest.json' || name === CUSTODY_LOG;
      if (name === 'manifest.json' && entry.uncompressedSize > MANIFEST_MAX_BYTES) {
        throw new BadInputError(`${file}: manifest.json holds ${entry.uncompressedSize} bytes, more than any Blindspot manifest (at most ${MANIFEST_MAX_BYTES >> 20} MiB); this is not a Blindspot evidence bundle.`);
      }
      if (name === CUSTODY_LOG && entry.uncompressedSize > CUSTODY_MAX_BYTES) {
        throw new BadInputError(
          `${file}: custody.jsonl holds ${entry.uncompressedSize} bytes, more than verify reads into memory (${CUSTODY_MAX_BYTES >> 20} MiB); the bundle cannot be checked.`,
          'A custody log takes about 1 KB per evidence file and a line per action on the case; one this large was not written by Blindspot.',
        );
      }
      const parts: Buffer[] = [];
      // The database is copied out to be read. A write that fails (no space in the temporary folder) is
      // the copy's error, named below, never an unhandled one; so is a write still in flight when the
      // copy is given up (interrupted).
      const sink = name === CASE_DB ? createWriteStream(join(work, CASE_DB)) : null;
      let sinkError: Error | null = null;
      sink?.on('error', (e) => { sinkError ??= e; });
      // Exit 4, never 1: 1 would say the bundle was found altered.
      const copyFailed = (e: Error) => new CaseError(
        `${file}: the bundle's case database could not be copied to ${work} to be read (${e.message}).`,
        'Free space in the temporary folder (or point TMPDIR at a folder with room for it), then verify again.',
      );
      try {
        for await (const chunk of await open()) {
          signal?.throwIfAborted(); // leaving the loop destroys the entry's stream; the extracted database is removed below
          h.update(chunk as Buffer);
          size += (chunk as Buffer).length;
          if (keep) parts.push(chunk as Buffer);
          if (sink && !sink.write(chunk)) await once(sink, 'drain').catch((e: Error) => { throw copyFailed(e); }); // rejects on 'error'
          if (sinkError) throw copyFailed(sinkError);
          onProgress?.({ step: 'reading', done: entriesDone + Math.min(entry.compressedSize, Math.round(size * share)), total: zipSize });
        }
      } catch (e) {
        sink?.destroy();
        if (signal?.aborted || e instanceof BlindspotError) throw e;
        // The entry's own data (damaged compressed data, sizes that do not match, a bad local header):
        // a finding about it; the other entries are still read.
        problems.push({ kind: 'modified', path: name, detail: `the compressed data is damaged (${(e as Error).message})` });
        damaged.add(name);
        if (sink) rmSync(join(work, CASE_DB), { force: true });
        entriesDone += entry.compressedSize;
        return;
      }
      entriesDone += entry.compressedSize;
      if (sink) await new Promise<void>((r, j) => sink.end((err?: Error | null) => (err ?? sinkError ? j(copyFailed((err ?? sinkError)!)) : r())));
      if (name === 'manifest.json') manifestText = Buffer.concat(parts).toString('utf8');
      else if (name === CUSTODY_LOG) custodyText = Buffer.concat(parts).toString('utf8');
      hashes.set(name, { sha256: h.digest('hex'), size });
    });
    signal?.throwIfAborted(); // aborted during the last read
    onProgress?.({ step: 'reading', done: zipSize, total: zipSize }); // with the headers and directory between the entries
    if (manifestText === null) throw new BadInputError(`${file}: no ${damaged.has('manifest.json') ? 'readable ' : ''}manifest.json; this is not a Blindspot evidence bundle.`);
    let manifest: Manifest;
    try {
      manifest = JSON.parse(manifestText) as Manifest;
    } catch {
      throw new BadInputError(`${file}: manifest.json is not valid JSON; the bundle is damaged.`);
    }
    if (manifest.format !== BUNDLE_FORMAT || !Array.isArray(manifest.files) || !manifest.files.every((f) => typeof f?.path === 'string')) {
      throw new BadInputError(`${file}: manifest.json is not a ${BUNDLE_FORMAT} manifest.`);
    }
    const listed = new Set<string>(['manifest.json', 'README.txt']);
    for (const f of manifest.files) {
      listed.add(f.path);
      const got = hashes.get(f.path);
      if (!got) {
        if (!damaged.has(f.path)) problems.push({ kind: 'missing', path: f.path, detail: 'listed in manifest.json, not in the bundle' });
      } else if (got.sha256 !== f.sha256 || got.size !== f.size) problems.push({ kind: 'modified', path: f.path, detail: `content hashes to ${got.sha256} (${got.size} bytes), manifest says ${f.sha256} (${f.size} bytes)` });
    }
    for (const name of hashes.keys()) if (!listed.has(name)) problems.push({ kind: 'unexpected', path: name, detail: 'in the bundle, not listed in manifest.json' });
    // Missing whether the manifest lists them or not: said once.
    const named = (path: string) => problems.some((p) => p.path === path);
    if (!existsSync(join(work, CASE_DB)) && !named(CASE_DB)) problems.push({ kind: 'missing', path: CASE_DB, detail: 'the bundle has no case database' });
    if (custodyText === null && !named(CUSTODY_LOG)) problems.push({ kind: 'missing', path: CUSTODY_LOG, detail: 'the bundle has no custody log' });
    const tables = existsSync(join(work, CASE_DB)) ? readCaseTables(join(work, CASE_DB), problems) : NO_TABLES;
    const within = (folder: string) => new Map([...hashes].filter(([p]) => p.startsWith(`${folder}/`)));
    const lines = custodyText === null ? null : (custodyText as string).split('\n').filter(Boolean);
    const notes: VerifyReport['notes'] = [];
    checkCase(tables, within(EVIDENCE_DIR), within(REPORTS_DIR), lines, problems, notes, 'is not in the bundle');
    if (lines !== null && (lines.length !== manifest.custodyEntries || (lines.length > 0 && sha256Hex(lines.at(-1)!) !== manifest.custodyHead))) {
      problems.push({ kind: 'custody', path: CUSTODY_LOG, detail: `the manifest records ${manifest.custodyEntries} entries ending in ${manifest.custodyHead}; the log has ${lines.length}` });
    }
    return { target: file, kind: 'bundle', intact: problems.length === 0, filesChecked: hashes.size, custodyEntries: lines?.length ?? 0, manifestSha256: sha256Hex(manifestText), problems, notes };
  } finally {
    zf.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Verifies a case folder or a bundle. For a case folder the result is also written to its custody log.
 * When `signal` aborts, it stops within one read and throws the signal's reason, logging nothing.
 */
export async function verify(targetArg: string, onProgress?: OnBundleProgress, signal?: AbortSignal, opts: { records?: boolean } = {}): Promise<VerifyReport> {
  const target = resolve(targetArg);
  if (!existsSync(target)) throw new BadInputError(`${target}: no such file or folder.`);
  if (statSync(target).isDirectory()) {
    // A case that lost its database or its custody log is still checked, and found not intact.
    if (![CASE_DB, CUSTODY_LOG, EVIDENCE_DIR].some((f) => existsSync(join(target, f)))) throw new CaseError(`${target} is not a Blindspot case folder.`);
    // The case is held (its lock) while it is verified: a file another process were committing meanwhile
    // (an import's evidence) would be reported as unexpected. A case another process holds is refused;
    // one that cannot be opened for writing (read-only media, a damaged database) is still verified, its
    // result not logged, and the report says why.
    let h: CaseHandle | null = null;
    let notLogged: string | undefined;
    try {
      if (kindAt(join(target, CUSTODY_LOG)) !== 'file') throw new Error(`the case folder has no ${CUSTODY_LOG} to write it to`);
      h = openCase(target);
    } catch (e) {
      if (e instanceof CaseInUseError) throw new CaseInUseError(`${e.message} Verifying it while it changes could name a file being committed as unexpected.`, e.hint ?? 'Verify it when that process has finished.');
      notLogged = e instanceof Error ? e.message : String(e);
    }
    try {
      const report = await verifyCaseDir(target, h?.db ?? null, onProgress, signal);
      if (opts.records) verifyRecords(target, h?.db ?? null, report, onProgress);
      report.intact = report.problems.length === 0;
      if (h) h.logCustody('verify', { intact: report.intact, problems: report.problems.length, filesChecked: report.filesChecked, ...(report.records ? { records: report.records } : {}) });
      else if (notLogged !== undefined) report.notLogged = notLogged;
      return report;
    } finally {
      h?.close();
    }
  }
  if (opts.records) {
    throw new UsageError(`verify: --records compares a case folder's records with its evidence files; ${target} is a bundle.`, 'Unzip the bundle into an empty folder and run: blindspot verify <folder> --records');
  }
  return verifyBundle(target, onProgress, signal);
}

/**
 * verify --records (services/recordsCheck.ts): the case database's events against the evidence files they
 * were read from. Only where the files and the database were found as they should be: a record compared
 * with a changed file says nothing.
 */
function verifyRecords(dir: string, db: ReadableDB | null, report: VerifyReport, onProgress?: OnBundleProgress): void {
  const blocked = report.problems.find((p) => p.kind !== 'custody');
  if (blocked) {
    report.notes.push({ path: CASE_DB, detail: `its records were not compared with the evidence files: ${blocked.path} must be put right first` });
    return;
  }
  const c = db === null ? openCaseReadOnly(dir) : null;
  try {
    const found: { path: string; detail: string }[] = [];
    const checked = checkRecords(db ?? c!.db, (p) => join(dir, p), found, (done, total) => onProgress?.({ step: 'records', done, total }));
    for (const p of found) report.problems.push({ kind: 'record', ...p });
    report.records = checked;
  } finally {
    c?.close();
  }
}
