// Import benchmark: N realistic records imported into a fresh case, against the floor SQLite itself
// sets (the sqlite3 shell loading the same lines and building the same typed columns and indexes).
// Prints figures; asserts nothing.   npm run bench:import -- [--records N] [--keep]
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { RECORD_TYPES } from '../core/recordTypes.ts';
import { writeUalJsonl } from './ualGenerator.ts';

const { values } = parseArgs({ options: { records: { type: 'string', default: '1000000' }, keep: { type: 'boolean' } } });
const n = Number(values.records);
const work = mkdtempSync(join(tmpdir(), 'bs-bench-import-'));
const file = join(work, 'ual.jsonl');
process.stderr.write(`generating ${n} records in ${file}\n`);
const { bytes } = await writeUalJsonl(file, n);
// The generator's writes reach the disk before either side is timed, not during the first one.
const fd = openSync(file, 'r');
fsyncSync(fd);
closeSync(fd);

// 1. Blindspot, as a user runs it, in a child process so its peak memory is its own.
const caseDir = join(work, 'case');
const bin = join(import.meta.dirname, '..', 'bin', 'blindspot.js');
execFileSync(process.execPath, [bin, 'case', 'create', caseDir, '--name', 'bench', '--examiner', 'bench'], { stdio: 'ignore' });
// The case's events table and indexes, as its migrations made them (the shell below builds the same).
const caseDb = new Database(join(caseDir, 'case.sqlite'), { readonly: true });
const [eventsTable, ...eventsIndexes] = (caseDb
  .prepare("SELECT sql FROM sqlite_master WHERE tbl_name = 'events' AND sql IS NOT NULL ORDER BY type = 'table' DESC, rowid")
  .pluck().all() as string[]);
caseDb.close();
const t1 = performance.now();
const child = spawn(process.execPath, [join(import.meta.dirname, 'importChild.ts'), caseDir, file], { stdio: ['ignore', 'pipe', 'inherit'] });
let childOut = '';
child.stdout.on('data', (d: Buffer) => { childOut += d.toString(); });
const code: number = await new Promise((r) => child.on('exit', (c) => r(c ?? 1)));
const blindspotMs = performance.now() - t1;
if (code !== 0) throw new Error(`import failed with exit code ${code}`);
const child1 = JSON.parse(childOut) as { maxRssMB: number; inserted: number };

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
const t2 = performance.now();
execFileSync('sqlite3', [shellDb, `.read ${script}`], { stdio: ['ignore', 'ignore', 'inherit'] });
const shellMs = performance.now() - t2;

const result = {
  records: n,
  fileMB: +(bytes / 1e6).toFixed(1),
  avgRecordBytes: Math.round(bytes / n),
  blindspot: { seconds: +(blindspotMs / 1000).toFixed(2), recordsPerSecond: Math.round(n / (blindspotMs / 1000)), peakRssMB: child1.maxRssMB, caseMB: +(statSync(join(caseDir, 'case.sqlite')).size / 1e6).toFixed(1) },
  sqliteShell: { seconds: +(shellMs / 1000).toFixed(2), recordsPerSecond: Math.round(n / (shellMs / 1000)) },
  ratio: +(blindspotMs / shellMs).toFixed(2),
  target: 'ratio <= 0.5 (never above 1.0), peak RSS < 500 MB',
};
process.stdout.write(JSON.stringify(result, null, 2) + '\n');
if (!values.keep) rmSync(work, { recursive: true, force: true });
