// Import benchmark: N realistic records imported into a fresh case, against the floor SQLite itself
// sets (the sqlite3 shell loading the same lines and building the same typed columns and indexes).
// Prints figures; asserts nothing.   npm run bench:import -- [--records N] [--runs N] [--purview-csv] [--keep]
// --purview-csv also imports the same records written as a Purview audit search CSV export (the format an
// investigator most often receives), once per run, into a fresh case, and reports its time.
// --runs N alternates the two sides N times on the same file and reports each pair and the medians: on a
// shared machine one pair can be off by 20% either way.
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { RECORD_TYPES } from '../core/recordTypes.ts';
import { purviewCsvRow, PURVIEW_CSV_HEADER } from '../sim/export.ts';
import type { UalRecord } from '../sim/scenario/types.ts';
import { durable } from '../services/files.ts';
import { writeUalJsonl } from './ualGenerator.ts';

const { values } = parseArgs({ options: { records: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '1' }, 'purview-csv': { type: 'boolean' }, keep: { type: 'boolean' } } });
const n = Number(values.records);
const runs = Number(values.runs);
if (!Number.isInteger(n) || n < 1 || !Number.isInteger(runs) || runs < 1) throw new Error('--records and --runs take a whole number of at least 1');
const work = mkdtempSync(join(tmpdir(), 'bs-bench-import-'));
const file = join(work, 'ual.jsonl');
process.stderr.write(`generating ${n} records in ${file}\n`);
const { bytes } = await writeUalJsonl(file, n);
// The generator's writes reach the disk before either side is timed, not during the first one.
durable.file(file);

// 1. Blindspot, as a user runs it, in a child process so its peak memory is its own.
const caseDir = join(work, 'case');
const bin = join(import.meta.dirname, '..', 'bin', 'blindspot.js');
const newCase = () => {
  rmSync(caseDir, { recursive: true, force: true });
  execFileSync(process.execPath, [bin, 'case', 'create', caseDir, '--name', 'bench', '--examiner', 'bench'], { stdio: 'ignore' });
};
newCase();
// The case's events table and indexes, as its migrations made them (the shell below builds the same).
const caseDb = new Database(join(caseDir, 'case.sqlite'), { readonly: true });
const [eventsTable, ...eventsIndexes] = (caseDb
  .prepare("SELECT sql FROM sqlite_master WHERE tbl_name = 'events' AND sql IS NOT NULL ORDER BY type = 'table' DESC, rowid")
  .pluck().all() as string[]);
caseDb.close();
/**
 * Writes every dirty page to disk before a side is timed: otherwise the side that runs second pays for
 * the writeback of the first one's 1.5 GB database (the kernel flushes it in the background while the
 * next side runs), which moved one side's time by up to 8 s on this machine.
 */
const settleDisk = (): void => { execFileSync('sync'); };

async function blindspot(source = file): Promise<{ ms: number; maxRssMB: number }> {
  settleDisk();
  const t1 = performance.now();
  const child = spawn(process.execPath, [join(import.meta.dirname, 'importChild.ts'), caseDir, source], { stdio: ['ignore', 'pipe', 'inherit'] });
  let childOut = '';
  child.stdout.on('data', (d: Buffer) => { childOut += d.toString(); });
  const code: number = await new Promise((r) => child.on('exit', (c) => r(c ?? 1)));
  const ms = performance.now() - t1;
  if (code !== 0) throw new Error(`import failed with exit code ${code}`);
  return { ms, maxRssMB: (JSON.parse(childOut) as { maxRssMB: number }).maxRssMB };
}

// 2. The sqlite3 shell, the floor SQLite itself sets: the raw lines into a one-column table (its copy of
// the evidence), then the case's own events table, filled with json_extract, and the case's own events
// indexes. Table and indexes are read from the case just created, so the baseline has the same typed
// columns, collations and indexes as the schema it is measured against, whatever later migrations add.
// Only what needs parsing beyond json_extract stays Blindspot's own work: access items, full-text rows,
// IP normalisation, mailbox resolution, deduplication.
const shellDb = join(work, 'shell.sqlite');
const script = join(work, 'load.sql');
const j = (p: string) => `json_extract(line, '$.${p}')`;
writeFileSync(script, `
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE raw(line TEXT);
.mode ascii
.separator "\\037" "\\n"
.import ${file} raw
CREATE TABLE record_types(code INTEGER PRIMARY KEY, name TEXT);
INSERT INTO record_types VALUES ${Object.entries(RECORD_TYPES).map(([code, name]) => `(${code}, '${name}')`).join(', ')};
${eventsTable};
INSERT INTO events (record_id, time_ms, record_type, record_type_name, operation, workload, user_id, user_key, user_type, mailbox,
    object_id, client_ip, session_id, app_id, client_app_id, logon_type, result_status, client_info, evidence_id, loc_line,
    import_run_id, throttle_marker)
  SELECT ${j('Id')}, CAST(round((julianday(${j('CreationTime')}) - 2440587.5) * 86400000) AS INTEGER), ${j('RecordType')}, t.name, ${j('Operation')},
    ${j('Workload')}, ${j('UserId')}, ${j('UserKey')}, ${j('UserType')}, ${j('MailboxOwnerUPN')}, ${j('ObjectId')},
    coalesce(${j('ClientIP')}, ${j('ClientIPAddress')}), ${j('SessionId')}, ${j('AppId')}, ${j('ClientAppId')}, ${j('LogonType')},
    ${j('ResultStatus')}, ${j('ClientInfoString')}, 1, raw.rowid, 1,
    ${j('Operation')} = 'MailItemsAccessed' COLLATE NOCASE AND line GLOB '*IsThrottled*True*'
  FROM raw LEFT JOIN record_types t ON t.code = ${j('RecordType')};
${eventsIndexes.join(';\n')};
`);
function shell(): number {
  for (const f of [shellDb, `${shellDb}-wal`, `${shellDb}-shm`]) rmSync(f, { force: true });
  settleDisk();
  const t2 = performance.now();
  execFileSync('sqlite3', [shellDb, `.read ${script}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  return performance.now() - t2;
}

/** The same records as a Purview CSV export, written from the JSON lines (a line at a time). */
async function writePurviewCsv(csvFile: string): Promise<number> {
  const out = createWriteStream(csvFile);
  out.write(`${PURVIEW_CSV_HEADER}\r\n`);
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    if (line && !out.write(`${purviewCsvRow(JSON.parse(line) as UalRecord)}\r\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  durable.file(csvFile); // on the disk before it is timed, as the JSON lines are
  return statSync(csvFile).size;
}
const csvFile = join(work, 'purview.csv');
const csvBytes = values['purview-csv'] ? await writePurviewCsv(csvFile) : 0;

const pairs: { blindspotMs: number; shellMs: number; maxRssMB: number }[] = [];
const csvRuns: { ms: number; maxRssMB: number }[] = [];
let caseBytes = 0;
for (let k = 0; k < runs; k++) {
  if (k > 0) newCase();
  const b = await blindspot();
  caseBytes = statSync(join(caseDir, 'case.sqlite')).size;
  const shellMs = shell();
  pairs.push({ blindspotMs: b.ms, shellMs, maxRssMB: b.maxRssMB });
  if (runs > 1) process.stderr.write(`run ${k + 1}/${runs}: Blindspot ${(b.ms / 1000).toFixed(2)} s, shell ${(shellMs / 1000).toFixed(2)} s, ratio ${(b.ms / shellMs).toFixed(2)}\n`);
  if (values['purview-csv']) {
    newCase();
    const c = await blindspot(csvFile);
    csvRuns.push(c);
    process.stderr.write(`run ${k + 1}/${runs}: Blindspot from the Purview CSV ${(c.ms / 1000).toFixed(2)} s\n`);
  }
}
const median = (xs: number[]) => { const v = [...xs].sort((a, b) => a - b); return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2; };
const blindspotMs = median(pairs.map((p) => p.blindspotMs));
const shellMs = median(pairs.map((p) => p.shellMs));
const csvMs = csvRuns.length > 0 ? median(csvRuns.map((c) => c.ms)) : 0;
const result = {
  records: n,
  fileMB: +(bytes / 1e6).toFixed(1),
  avgRecordBytes: Math.round(bytes / n),
  runs,
  blindspot: { seconds: +(blindspotMs / 1000).toFixed(2), recordsPerSecond: Math.round(n / (blindspotMs / 1000)), peakRssMB: Math.max(...pairs.map((p) => p.maxRssMB)), caseMB: +(caseBytes / 1e6).toFixed(1) },
  sqliteShell: { seconds: +(shellMs / 1000).toFixed(2), recordsPerSecond: Math.round(n / (shellMs / 1000)) },
  // With several runs: the median of the pairs' ratios (each pair ran back to back), and every pair.
  ratio: +median(pairs.map((p) => p.blindspotMs / p.shellMs)).toFixed(2),
  ...(csvRuns.length > 0 ? { purviewCsv: { fileMB: +(csvBytes / 1e6).toFixed(1), seconds: +(csvMs / 1000).toFixed(2), recordsPerSecond: Math.round(n / (csvMs / 1000)), peakRssMB: Math.max(...csvRuns.map((c) => c.maxRssMB)) } } : {}),
  ...(runs > 1 ? { pairs: pairs.map((p) => ({ blindspot: +(p.blindspotMs / 1000).toFixed(2), shell: +(p.shellMs / 1000).toFixed(2), ratio: +(p.blindspotMs / p.shellMs).toFixed(2) })) } : {}),
  target: 'ratio <= 0.5 (never above 1.0), peak RSS < 500 MB',
};
process.stdout.write(JSON.stringify(result, null, 2) + '\n');
if (!values.keep) rmSync(work, { recursive: true, force: true });
