// The command line as a user runs it: real processes, real exit codes, real messages.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonl, mailItemsAccessed } from './helpers/records.ts';
import { useTmp } from './helpers/tmp.ts';

const BIN = join(import.meta.dirname, '..', 'bin', 'blindspot.js');
const tmp = useTmp('bs-cli-');

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('blindspot CLI', () => {
  it('says how an import read a file that was not UTF-8, and counts one record as one', () => {
    const dir = join(tmp(), 'case');
    const file = join(tmp(), 'excel.csv');
    const audit = JSON.stringify({ Id: 'x1', CreationTime: '2026-05-01T10:00:00', Operation: 'Send', RecordType: 2, UserId: 'jürgen@contoso.com' });
    writeFileSync(file, Buffer.from(`RecordId,CreationDate,RecordType,Operation,UserId,AuditData\r\nx1,5/1/2026 10:00:00 AM,2,Send,jürgen@contoso.com,"${audit.replaceAll('"', '""')}"\r\n`, 'latin1'));
    expect(run('case', 'create', dir, '--name', 'E', '--examiner', 'E').code).toBe(0);
    const imp = run('import', dir, file);
    expect(imp.code).toBe(0);
    expect(imp.out).toMatch(/excel\.csv: purview-csv \(read as Windows-1252\): 1 record, 1 new, 0 duplicates \(sha256 [0-9a-f]{64}\)\n$/);
    expect(run('timeline', dir, '--user', 'jürgen@contoso.com', '--format', 'jsonl').out).toContain('"user":"jürgen@contoso.com"');
    // imported again as another code page: its records keep the first reading, and the import says so
    const again = run('import', dir, file, '--encoding', 'cp1250');
    expect(again.out).toContain('purview-csv (read as windows-1250): 1 record, 0 new, 1 duplicate');
    expect(again.err).toContain('Note: excel.csv was imported before (import run 1) and read then as Windows-1252; its records in the case keep the text read then, and this import found them as duplicates. To read it as windows-1250, import it into a new case.');
  });

  it('notes, below the import line, where a file read as UTF-8 has bytes that are not', () => {
    const dir = join(tmp(), 'case');
    const file = join(tmp(), 'ual.jsonl');
    const text = Buffer.from(jsonl(Array.from({ length: 300 }, (_, i) => mailItemsAccessed(i))));
    // one more record, with a Windows-1252 "é" in a value
    writeFileSync(file, Buffer.concat([text, Buffer.from('{"Id":"x","CreationTime":"2026-05-01T10:00:00","Operation":"Send","RecordType":2,"UserId":"caf'), Buffer.from([0xe9]), Buffer.from('@contoso.com"}\n')]));
    const offset = text.length + '{"Id":"x","CreationTime":"2026-05-01T10:00:00","Operation":"Send","RecordType":2,"UserId":"caf'.length;
    expect(run('case', 'create', dir, '--name', 'U', '--examiner', 'E').code).toBe(0);
    const imp = run('import', dir, file);
    expect(imp.code).toBe(0);
    expect(imp.err).toContain(`Note: from byte ${offset} on, ual.jsonl has bytes that are not UTF-8; the case shows each as U+FFFD (the replacement character), the evidence file keeps them as they are.`);
  });

  it('creates a case, imports, searches a timeline, exports and verifies', () => {
    const dir = join(tmp(), 'case');
    const file = join(tmp(), 'ual.jsonl');
    writeFileSync(file, jsonl([0, 1, 2].map((i) => mailItemsAccessed(i, { user: i === 2 ? 'Eve@Contoso.com' : 'alex@contoso.com' }))));
    expect(run('case', 'create', dir, '--name', 'CLI test', '--examiner', 'Jo Examiner', '--number', 'C-7', '--tz', 'Europe/Paris').code).toBe(0);
    const imp = run('import', dir, file, '--json');
    expect(imp.code).toBe(0);
    expect(JSON.parse(imp.out).files).toEqual([expect.objectContaining({ path: file, format: 'ual-json', records: 3, inserted: 3, duplicates: 0, rejected: 0, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) })]);
    const info = JSON.parse(run('case', 'info', dir, '--json').out);
    expect(info).toMatchObject({ name: 'CLI test', number: 'C-7', examiner: 'Jo Examiner', events: 3, evidenceItems: 1, mailboxes: 2, firstEvent: '2026-05-01T10:00:00.000Z', lastEvent: '2026-05-01T10:00:02.000Z' });
    const tl = run('timeline', dir, '--mailbox', 'eve@contoso.com', '--format', 'jsonl');
    const rows = tl.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toEqual([expect.objectContaining({ time: '2026-05-01T10:00:02.000Z', operation: 'MailItemsAccessed', user: 'Eve@Contoso.com', clientIp: '203.0.113.154', evidence: { sha256: JSON.parse(imp.out).files[0].sha256, line: 3, element: null } })]);
    expect(Object.keys(rows[0])).toEqual(['id', 'time', 'recordType', 'recordTypeName', 'operation', 'workload', 'user', 'mailbox', 'clientIp', 'sessionId', 'appId', 'resultStatus', 'evidence']);
    const csv = run('timeline', dir, '--op', 'MailItemsAccessed', '--format', 'csv', '--limit', '2').out.trim().split('\r\n');
    expect(csv).toHaveLength(3);
    expect(csv[0]).toMatch(/^id,time,recordType/);
    const latest = run('timeline', dir, '--newest-first', '--limit', '2', '--format', 'jsonl').out.trim().split('\n').map((l) => JSON.parse(l).time);
    expect(latest).toEqual(['2026-05-01T10:00:02.000Z', '2026-05-01T10:00:01.000Z']);
    expect(run('timeline', dir, '--app', '00000002-0000-0FF1-CE00-000000000000', '--format', 'jsonl').out.trim().split('\n')).toHaveLength(3);
    expect(run('timeline', dir, '--app', 'ff8d92dc-3d82-41d6-bcbd-b9174d163620').err).toMatch(/^0 events/m);
    const bundle = join(tmp(), 'b.zip');
    const ex = run('export', dir, bundle);
    expect(ex.code).toBe(0);
    expect(ex.out).toMatch(/manifest SHA-256 [0-9a-f]{64}/);
    const v = run('verify', bundle);
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/^INTACT/m);
    // The case's events against the records of its evidence, field for field; a bundle is unzipped first.
    const deep = run('verify', dir, '--records');
    expect(deep.code).toBe(0);
    expect(deep.out).toMatch(/^INTACT: .*; the case database's \d+ events are the records of 1 evidence file, as read\n$/);
    expect(run('verify', bundle, '--records')).toMatchObject({ code: 2, err: expect.stringContaining('Unzip the bundle into an empty folder and run: blindspot verify <folder> --records') });
    // A new case: its database and custody log, the one entry of its creation.
    const fresh = join(tmp(), 'fresh');
    expect(run('case', 'create', fresh, '--name', 'F', '--examiner', 'E').code).toBe(0);
    expect(run('verify', fresh).out).toBe(`INTACT: ${fresh} (case): 2 files checked, custody chain of 1 entry unbroken\n`);
  });

  it('names a damaged case database as the case\'s problem (exit 4); verify reports it and still checks the evidence by its hashes', () => {
    const dir = join(tmp(), 'case');
    const file = join(tmp(), 'ual.jsonl');
    writeFileSync(file, jsonl([0, 1, 2].map((i) => mailItemsAccessed(i))));
    expect(run('case', 'create', dir, '--name', 'D', '--examiner', 'E').code).toBe(0);
    const sha = JSON.parse(run('import', dir, file, '--json').out).files[0].sha256 as string;
    // Every page after the first (which holds the header and the schema) overwritten, as a failing disk might.
    const db = join(dir, 'case.sqlite');
    const bytes = readFileSync(db);
    bytes.fill(0x5a, 16384);
    writeFileSync(db, bytes);
    const evidence = join(dir, 'evidence', sha.slice(0, 2), sha);
    chmodSync(evidence, 0o644);
    writeFileSync(evidence, 'altered');
    for (const args of [['case', 'info', dir], ['timeline', dir]]) {
      const r = run(...args);
      expect(r.code, args.join(' ')).toBe(4);
      expect(r.out, args.join(' ')).toBe(''); // no table header above the error
      expect(r.err).toMatch(new RegExp(`^blindspot ${args[0]}: the case database is damaged \\(database disk image is malformed\\)\\.\n  Run: blindspot verify <case>`));
    }
    const v = run('verify', dir);
    expect(v.code).toBe(1);
    expect(v.out).toContain('DATABASE   case.sqlite: damaged, its evidence table cannot be read (database disk image is malformed); each evidence file was checked against its name only');
    expect(v.out).toContain(`MODIFIED   evidence/${sha.slice(0, 2)}/${sha}: content hashes to ${createHash('sha256').update('altered').digest('hex')}, not to its name`);
    expect(v.out).toMatch(/NOT INTACT: .*: 2 problems found/);
  });

  it('lists each session with the sign-ins from its IP, saying which came before it and which only during it', () => {
    const dir = join(tmp(), 'case');
    const file = join(tmp(), 'ual.jsonl');
    const signIn = (time: string, id: string) => ({
      CreationTime: time, Id: id, Operation: 'UserLoggedIn', RecordType: 15, ResultStatus: 'Success', UserId: 'alex@contoso.com', UserKey: 'k', UserType: 0,
      Workload: 'AzureActiveDirectory', ClientIP: '203.0.113.154', OrganizationId: 'o', Version: 1,
    });
    writeFileSync(file, jsonl([signIn('2026-05-01T09:30:00', 'si-before'), ...[0, 1, 2].map((i) => mailItemsAccessed(i * 600)), signIn('2026-05-01T10:05:00', 'si-during')]));
    expect(run('case', 'create', dir, '--name', 'S', '--examiner', 'E').code).toBe(0);
    expect(run('import', dir, file).code).toBe(0);
    const out = run('sessions', dir, '--mailbox', 'alex@contoso.com').out;
    expect(out).toContain('signed in before it (may have begun it): 2026-05-01T09:30:00.000Z UserLoggedIn from 203.0.113.154 (Success)  record si-before');
    expect(out).toContain('signed in during it (cannot have begun it): 2026-05-01T10:05:00.000Z UserLoggedIn from 203.0.113.154 (Success)  record si-during');
    expect(out).not.toContain('began with');
  });

  it('compacts a case: the space freed inside the database goes back to the disk, events and their item order unchanged, logged, verify intact', () => {
    const dir = join(tmp(), 'case');
    const file = join(tmp(), 'ual.jsonl');
    const items = (i: number) => [0, 1, 2].map((k) => ({ InternetMessageId: `<m${i}-${k}@contoso.com>`, SizeInBytes: 10 }));
    writeFileSync(file, jsonl([0, 1, 2, 3].map((i) => ({ ...mailItemsAccessed(i), Folders: [{ FolderItems: items(i), Id: 'LgAAAAAL', Path: '\\Inbox' }] }))));
    expect(run('case', 'create', dir, '--name', 'compact', '--examiner', 'e').code).toBe(0);
    expect(run('import', dir, file).code).toBe(0);
    const read = () => {
      const db = new Database(join(dir, 'case.sqlite'), { readonly: true });
      try {
        return {
          events: db.prepare('SELECT id, record_id FROM events ORDER BY id').raw().all(),
          items: db.prepare('SELECT event_id, internet_message_id FROM access_items ORDER BY rowid').raw().all(),
        };
      } finally {
        db.close();
      }
    };
    const before = read();
    // Free pages inside the file, as an upgrade that moved data out of a table leaves them.
    const db = new Database(join(dir, 'case.sqlite'));
    db.exec("CREATE TABLE scratch AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) SELECT i, hex(randomblob(200)) AS pad FROM n; DROP TABLE scratch;");
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const big = statSync(join(dir, 'case.sqlite')).size;
    const r = run('case', 'compact', dir, '--json');
    expect(r.code).toBe(0);
    const sizes = JSON.parse(r.out) as { bytesBefore: number; bytesAfter: number; fileShrunk: boolean };
    expect(sizes.fileShrunk).toBe(true);
    expect(sizes.bytesBefore).toBe(big);
    expect(sizes.bytesAfter).toBeLessThan(big - 4_000_000);
    expect(statSync(join(dir, 'case.sqlite')).size).toBe(sizes.bytesAfter);
    expect(read()).toEqual(before);
    expect(before.items.length).toBe(12);
    const custody = readFileSync(join(dir, 'custody.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; details: unknown });
    expect(custody.at(-1)).toMatchObject({ action: 'database-compacted', details: sizes });
    expect(run('verify', dir).code).toBe(0);
  });

  it('says when a record received again under a known Id says something else, and lists such copies with both sides and where each lies', () => {
    const dir = join(tmp(), 'case');
    expect(run('case', 'create', dir, '--name', 'x', '--examiner', 'y').code).toBe(0);
    const rec = mailItemsAccessed(0, { id: 'id-1' });
    const a = join(tmp(), 'a.jsonl');
    writeFileSync(a, jsonl([rec]));
    const b = join(tmp(), 'b.jsonl');
    writeFileSync(b, jsonl([{ ...rec, Operation: 'HardDelete', UserId: 'mallory@evil.example' }]));
    expect(run('import', dir, a).code).toBe(0);
    const second = run('import', dir, b, a);
    expect(second.code).toBe(0);
    expect(second.out).toContain('b.jsonl: ual-json: 1 record, 0 new, 1 duplicate (1 of them differs from the record kept)');
    expect(second.out).toMatch(/a\.jsonl: ual-json: 1 record, 0 new, 1 duplicate \(sha256/); // a true copy is only a duplicate
    expect(second.err).toContain(`Note: 1 record in b.jsonl carries the Id of a record the case already holds but gives another time, operation, user, mailbox or client IP. The case keeps the first record and each such copy with what it says; see them with: blindspot copies ${dir}`);
    const listed = run('copies', dir);
    expect(listed.code).toBe(0);
    const bSha = createHash('sha256').update(readFileSync(b)).digest('hex');
    const aSha = createHash('sha256').update(readFileSync(a)).digest('hex');
    expect(listed.out).toBe(`id-1\n  kept:  2026-05-01T10:00:00.000Z MailItemsAccessed by alex@contoso.com on alex@contoso.com from 203.0.113.154  [${aSha}, line 1]\n`
      + `  copy:  says operation HardDelete, user mallory@evil.example  [${bSha}, line 1; import run 2; from ${b}]\n`);
    expect(listed.err).toBe('1 copy that differs from the record the case keeps under the same Id\n');
    const all = run('copies', dir, '--all', '--json');
    expect(all.out.trim().split('\n').map((l) => (JSON.parse(l) as { differs: unknown }).differs)).toEqual([{ operation: 'HardDelete', user: 'mallory@evil.example' }, null]);
    // It is a finding, and so in the report and the window's findings.
    const found = (JSON.parse(run('findings', dir, '--json').out) as { findings: { id: string; severity: string; title: string }[] }).findings;
    expect(found).toContainEqual(expect.objectContaining({ id: 'differing-copy:id-1', severity: 'high', title: 'Record id-1 was received again saying otherwise: operation HardDelete, user mallory@evil.example' }));
  });

  it('refuses a file whose dates can only be day first and says how to import it; says when the order was assumed', () => {
    const dir = join(tmp(), 'case');
    expect(run('case', 'create', dir, '--name', 'x', '--examiner', 'y').code).toBe(0);
    const header = '"Operation";"OperationResult";"LogonType";"MailboxOwnerUPN";"LogonUserDisplayName";"LastAccessed";"ClientIPAddress"\r\n';
    const row = (d: string) => `"HardDelete";"Succeeded";"Delegate";"dave@contoso.com";"Mallory";"${d}";"198.51.100.1"\r\n`;
    const f = join(tmp(), 'mbx.csv');
    writeFileSync(f, header + row('03/04/2026 10:00:00') + row('25/04/2026 10:00:00'));
    const refused = run('import', dir, f);
    expect(refused.code).toBe(3);
    expect(refused.err).toContain('the date "25/04/2026 10:00:00" can only be read day first');
    expect(refused.err).toContain('import it with --date-order dmy');
    expect(run('import', dir, f, '--date-order', 'ymd')).toMatchObject({ code: 2, err: expect.stringContaining('--date-order must be auto, mdy') });
    expect(run('import', dir, f, '--date-order', 'dmy').code).toBe(0);
    expect(run('timeline', dir, '--format', 'jsonl').out.trim().split('\n').map((l) => (JSON.parse(l) as { time: string }).time)).toEqual(['2026-04-03T10:00:00.000Z', '2026-04-25T10:00:00.000Z']);
    const amb = join(tmp(), 'amb.csv');
    writeFileSync(amb, header + row('05/06/2026 10:00:00'));
    expect(run('import', dir, amb).err).toContain('Note: 1 date in amb.csv is written with slashes and both numbers 12 or less (such as 03/04/2026), which the file alone cannot tell month first from day first; it was read month first');
  });

  it('lists the records an import with --skip-bad left out, with why; control characters from a file never reach the terminal raw', () => {
    const dir = join(tmp(), 'case');
    expect(run('case', 'create', dir, '--name', 'x', '--examiner', 'y').code).toBe(0);
    const f = join(tmp(), 'some-bad.jsonl');
    writeFileSync(f, `${JSON.stringify(mailItemsAccessed(0))}\n\u001b[2J\u001b]0;PWNED\u0007 evil\n`);
    const refused = run('import', dir, f);
    expect(refused.code).toBe(3);
    expect(refused.err).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(refused.err).toContain('"\\u001b[2J\\u001b]0;PWNED\\u0007 evil" is not valid JSON');
    expect(run('import', dir, f, '--skip-bad').code).toBe(0);
    const listed = run('rejected', dir);
    const sha = createHash('sha256').update(readFileSync(f)).digest('hex');
    expect(listed.out).toBe(`${f}: line 2: not valid JSON (Unexpected token '\\u001b', "\\u001b[2J\\u001b]0;PWNED\\u0007 evil" is not valid JSON)\n  [import run 1; evidence ${sha}]\n  \\u001b[2J\\u001b]0;PWNED\\u0007 evil\n`);
    expect(listed.err).toBe('1 record left out by imports with --skip-bad (each file is kept whole as evidence)\n');
    expect(JSON.parse(run('rejected', dir, '--json').out)).toMatchObject({ importRun: 1, file: f, sha256: sha, line: 2, text: '\u001b[2J\u001b]0;PWNED\u0007 evil' });
    // A record's own values in the timeline's table: an escape sequence and a right-to-left override, shown as escapes.
    const g = join(tmp(), 'hostile.jsonl');
    writeFileSync(g, jsonl([{ ...mailItemsAccessed(1), Operation: '\u001b[31mRED', UserId: 'u\u202eevil' }]));
    expect(run('import', dir, g).code).toBe(0);
    const table = run('timeline', dir, '--op', '\u001b[31mRED').out;
    expect(table).toContain('\\u001b[31mRED');
    expect(table).toContain('u\\u202eevil');
    expect(table).not.toMatch(/[\u001b\u202e]/);
  });

  it('records an exposure list written to a file in the custody log, with the file\'s SHA-256', () => {
    const dir = join(tmp(), 'case');
    expect(run('case', 'create', dir, '--name', 'x', '--examiner', 'y').code).toBe(0);
    const f = join(tmp(), 'mia.jsonl');
    writeFileSync(f, jsonl([0, 1].map((i) => mailItemsAccessed(i))));
    expect(run('import', dir, f).code).toBe(0);
    const out = join(tmp(), 'exposed.csv');
    const r = run('exposure', dir, '--mailbox', 'alex@contoso.com', '--out', out);
    expect(r.code).toBe(0);
    const sha = createHash('sha256').update(readFileSync(out)).digest('hex');
    expect(r.err).toContain(`to ${out} (SHA-256 ${sha}; in the custody log)`);
    const last = JSON.parse(readFileSync(join(dir, 'custody.jsonl'), 'utf8').trim().split('\n').at(-1)!) as { action: string; details: { file: string; analysisRun: number }; objects: { sha256: string; path: string }[] };
    expect(last).toMatchObject({ action: 'exposure-written', details: { file: out }, objects: [{ sha256: sha, path: out }] });
    expect(run('verify', dir).code).toBe(0); // a file outside the case is named, not checked
  });

  it('answers bad input with a short message and a documented exit code', () => {
    const dir = join(tmp(), 'case');
    expect(run('case', 'create', dir, '--name', 'x', '--examiner', 'y').code).toBe(0);
    const noFlag = run('case', 'create', join(tmp(), 'c2'), '--name', 'x');
    expect(noFlag.code).toBe(2);
    expect(noFlag.err).toContain('--examiner is required');
    const unknown = run('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("unknown command 'frobnicate'");
    const badFlag = run('timeline', dir, '--colour', 'red');
    expect(badFlag.code).toBe(2);
    expect(badFlag.err.split('\n').length).toBeLessThanOrEqual(3);
    const badTime = run('timeline', dir, '--from', 'yesterday');
    expect(badTime.code).toBe(2);
    expect(badTime.err).toContain('--from yesterday is not an ISO 8601 date');
    const extra = run('verify', dir, join(tmp(), 'other.zip'));
    expect(extra.code).toBe(2);
    expect(extra.err).toContain("verify: unexpected argument '");
    expect(extra.err).toContain('(verify takes one)');
    const x1 = join(tmp(), 'x1');
    const extraCase = run('case', 'create', x1, join(tmp(), 'x2'), '--name', 'n', '--examiner', 'e');
    expect(extraCase.code).toBe(2);
    expect(existsSync(x1)).toBe(false);
    expect(extraCase.err).toContain('case create: unexpected argument');
    // An IP filter that is no address would match nothing, silently: refused.
    for (const cmd of [['timeline', dir], ['exposure', dir, '--mailbox', 'eve@contoso.com']]) {
      const notIp = run(...cmd, '--ip', 'megan');
      expect(notIp.code, cmd[0]).toBe(2);
      expect(notIp.err, cmd[0]).toContain(`${cmd[0]}: --ip "megan" is not an IP address`);
    }
    const huge = run('timeline', dir, '--limit', '99999999999999999999');
    expect(huge.code).toBe(2);
    expect(huge.err).toContain('--limit must be a whole number from 1 to');
    const reversed = run('findings', dir, '--incident-from', '2026-12-05', '--incident-to', '2026-12-01');
    expect(reversed.code).toBe(2);
    expect(reversed.err).toContain('--incident-from must be before --incident-to');
    // The report takes the findings' and the range's flags, refused the same way, before the case is touched.
    for (const [args, said] of [
      [['report', dir, '--incident-from', '2026-12-05', '--incident-to', '2026-12-01'], 'report: --incident-from must be before --incident-to.'],
      [['report', dir, '--min-severity', 'urgent'], 'report: --min-severity must be one of critical, high, medium, low, info (got urgent).'],
      [['gaps', dir, '--range-from', '2026-12-05', '--range-to', '2026-12-01'], 'gaps: --range-from must be before --range-to.'],
      [['report', dir, '--range-from', '2026-12-05'], 'report: give both --range-from and --range-to, or neither'],
    ] as const) {
      const r = run(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toContain(said);
    }
    const custodyBefore = readFileSync(join(dir, 'custody.jsonl'), 'utf8');
    const noFolder = run('exposure', dir, '--mailbox', 'eve@contoso.com', '--out', join(tmp(), 'nodir', 'x.csv'));
    expect(noFolder.code).toBe(2);
    expect(noFolder.err).toContain('nodir does not exist');
    expect(readFileSync(join(dir, 'custody.jsonl'), 'utf8')).toBe(custodyBefore); // no analysis was run and logged
    const demoFile = join(tmp(), 'a-file');
    writeFileSync(demoFile, 'x');
    const demoOut = run('demo', '--out', demoFile);
    expect(demoOut.code).toBe(2);
    expect(demoOut.err).toContain('that is a file');
    const mixed = join(tmp(), 'mixed');
    mkdirSync(mixed);
    writeFileSync(join(mixed, '0-good.jsonl'), jsonl([mailItemsAccessed(70, { id: 'mixed-0' })]));
    writeFileSync(join(mixed, 'a-notes.txt'), 'not audit data\n');
    writeFileSync(join(mixed, 'z-good.jsonl'), jsonl([mailItemsAccessed(71, { id: 'mixed-1' })]));
    const partial = run('import', dir, mixed, '--json');
    expect(partial.code).toBe(3);
    expect(partial.err).toContain('Imported before it: 1 file; not tried: 1 (');
    expect(JSON.parse(partial.out)).toMatchObject({ files: [{ path: join(mixed, '0-good.jsonl'), inserted: 1 }], refused: { path: join(mixed, 'a-notes.txt') }, notTried: [join(mixed, 'z-good.jsonl')] });
    const noWords = run('timeline', dir, '--q', '%');
    expect(noWords.code).toBe(2);
    expect(noWords.err).toContain('--q "%" has no letter or digit to search for');
    const notCase = run('case', 'info', tmp());
    expect(notCase.code).toBe(4);
    expect(notCase.err).toContain('is not a Blindspot case');
    const junk = join(tmp(), 'junk.txt');
    writeFileSync(junk, 'hello\n');
    const refused = run('import', dir, junk);
    expect(refused.code).toBe(3);
    expect(refused.err).toContain('format not recognised');
    expect(refused.err).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    const missing = run('verify', join(tmp(), 'nope.zip'));
    expect(missing.code).toBe(3);
  });

  it('prints help and the version', () => {
    expect(run('help').out).toContain('blindspot case create <dir>');
    expect(run('--version').out).toMatch(/^blindspot \d+\.\d+\.\d+/);
  });

  it('keeps the code V8 compiled for its modules in the system temporary folder, for the next command to start sooner', () => {
    const temp = tmp();
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: temp };
    delete env['NODE_COMPILE_CACHE'];
    delete env['NODE_DISABLE_COMPILE_CACHE'];
    const r = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8', env });
    expect(r.status, r.stderr).toBe(0);
    const cache = join(temp, 'node-compile-cache');
    expect(existsSync(cache) && readdirSync(cache, { recursive: true }).length > 0).toBe(true);
  });

  it('says what is in the case when an import is interrupted with Ctrl-C, and leaves the file out whole; an export stopped so leaves nothing', async () => {
    const dir = join(tmp(), 'case');
    expect(run('case', 'create', dir, '--name', 'int', '--examiner', 'e').code).toBe(0);
    const first = join(tmp(), 'first.jsonl');
    writeFileSync(first, jsonl([mailItemsAccessed(0, { id: 'first-0' })]));
    const big = join(tmp(), 'big.jsonl');
    // ~75 MB: interrupted while it is being imported, that is while its staged copy waits in .incoming.
    writeFileSync(big, Array.from({ length: 60_000 }, (_, i) => JSON.stringify(mailItemsAccessed(i + 1))).join('\n') + '\n');
    const child = spawn(process.execPath, [BIN, 'import', dir, first, big], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
    const incoming = join(dir, '.incoming');
    // A staged file can be moved into evidence/ between listing the folder and reading its size.
    const staging = () => existsSync(incoming) && readdirSync(incoming).some((f) => (statSync(join(incoming, f), { throwIfNoEntry: false })?.size ?? 0) > 50e6);
    for (let i = 0; i < 3000 && child.exitCode === null && !staging(); i++) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(err).toContain(`blindspot import: interrupted. Nothing of ${big} was imported; the 1 file before it is in the case.`);
    const info = JSON.parse(run('case', 'info', dir, '--json').out) as { events: number; evidenceItems: number };
    expect(info).toMatchObject({ events: 1, evidenceItems: 1 });
    expect(run('verify', dir).code).toBe(0);

    // Ctrl-C while the bundle is written: exit 130, no bundle, no partial file, no temporary copy, nothing logged.
    expect(run('import', dir, big).code).toBe(0);
    const custody = readFileSync(join(dir, 'custody.jsonl'), 'utf8');
    const outDir = tmp();
    const out = join(outDir, 'bundle.zip');
    const ownTmp = tmp();
    const exp = spawn(process.execPath, [BIN, 'export', dir, out], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: ownTmp } });
    let expErr = '';
    exp.stderr.on('data', (d: Buffer) => { expErr += d.toString(); });
    const expExited = new Promise<number | null>((r) => exp.once('close', (code) => r(code)));
    const writing = () => readdirSync(outDir).some((f) => f.startsWith('bundle.zip.partial-'));
    for (let i = 0; i < 3000 && exp.exitCode === null && !writing(); i++) await new Promise((r) => setTimeout(r, 5));
    exp.kill('SIGINT');
    expect(await expExited, expErr).toBe(130);
    expect(expErr).toContain(`blindspot export: interrupted. Nothing was written to ${out}, nothing was logged, and no temporary copy is left.`);
    expect(readdirSync(outDir)).toEqual([]);
    expect(readdirSync(ownTmp).filter((f) => f.startsWith('blindspot-'))).toEqual([]); // (Node keeps its compile cache there too)
    expect(readFileSync(join(dir, 'custody.jsonl'), 'utf8')).toBe(custody);
  });
});

