// Import benchmark: N realistic records imported into a fresh case, against the floor SQLite itself
// sets (the sqlite3 shell loading the same lines and building the same typed columns and indexes).
// Prints figures; asserts nothing.   npm run bench:import -- [--records N] [--keep]
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
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
const t1 = performance.now();
const child = spawn(process.execPath, [join(import.meta.dirname, 'importChild.ts'), caseDir, file], { stdio: ['ignore', 'pipe', 'inherit'] });
let childOut = '';
child.stdout.on('data', (d: Buffer) => { childOut += d.toString(); });
const code: number = await new Promise((r) => child.on('exit', (c) => r(c ?? 1)));
const blindspotMs = performance.now() - t1;
if (code !== 0) throw new Error(`import failed with exit code ${code}`);
const child1 = JSON.parse(childOut) as { maxRssMB: number; inserted: number };

// 2. The sqlite3 shell: raw lines into a one-column table, then the same typed columns and indexes.
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
CREATE TABLE events AS SELECT ${j('Id')} AS record_id, ${j('CreationTime')} AS creation_time, ${j('RecordType')} AS record_type,
  ${j('Operation')} AS operation, ${j('Workload')} AS workload, ${j('UserId')} AS user_id, ${j('UserKey')} AS user_key, ${j('UserType')} AS user_type,
  ${j('MailboxOwnerUPN')} AS mailbox, ${j('ObjectId')} AS object_id, coalesce(${j('ClientIP')}, ${j('ClientIPAddress')}) AS client_ip,
  ${j('SessionId')} AS session_id, ${j('AppId')} AS app_id, ${j('ClientAppId')} AS client_app_id, ${j('LogonType')} AS logon_type,
  ${j('ResultStatus')} AS result_status, line AS audit_data FROM raw;
CREATE UNIQUE INDEX s_id ON events(record_id);
CREATE INDEX s_time ON events(creation_time);
CREATE INDEX s_user_time ON events(user_id, creation_time);
CREATE INDEX s_mailbox_time ON events(mailbox, creation_time);
CREATE INDEX s_op_time ON events(operation, creation_time);
CREATE INDEX s_ip ON events(client_ip);
CREATE INDEX s_session ON events(session_id);
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
