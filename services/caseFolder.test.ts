import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { verifyCustodyChain } from '../core/custody.ts';
import Database from 'better-sqlite3';
import { CASE_PAGE_SIZE, loadMigrations, migrate } from '../db/database.ts';
import { createCase, openCase, openCaseReadOnly, RECOVERY_ACTION } from './caseFolder.ts';
import type { CaseHandle } from './caseFolder.ts';
import { caseNotices } from './notices.ts';
import { durable } from './files.ts';
import { CaseError, UsageError } from './errors.ts';
import type * as Fs from 'node:fs';

// accessSync, wrapped so that a test can make one path of a case unwritable: the tests may run as root,
// whom no file mode stops.
const denied = vi.hoisted(() => ({ path: null as string | null, code: 'EACCES' }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof Fs>();
  const accessSync = (path: Fs.PathLike, mode?: number): void => {
    if (denied.path !== null && String(path) === denied.path) throw Object.assign(new Error(`${denied.code}: ${String(path)}`), { code: denied.code });
    fs.accessSync(path, mode);
  };
  return { ...fs, accessSync, default: { ...fs, accessSync } };
});

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'bs-case-'));
  dirs.push(d);
  return d;
}
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

describe('case folders', () => {
  it('creates the layout, metadata and a first custody entry', () => {
    const dir = join(tmp(), 'c1');
    const h = createCase(dir, { name: 'Contoso BEC', examiner: 'J. Doe', number: '2026-17', client: 'Contoso', timeZone: 'Europe/London' }, 'tester');
    h.close();
    for (const p of ['case.sqlite', 'custody.jsonl', 'evidence', 'exports', 'reports']) expect(existsSync(join(dir, p))).toBe(true);
    const c = openCaseReadOnly(dir);
    const meta = c.db.prepare('SELECT name, number, client, examiner, time_zone AS tz, tool_version AS v FROM case_meta').get() as Record<string, string>;
    expect(c.db.pragma('page_size', { simple: true })).toBe(CASE_PAGE_SIZE); // large pages for AuditData rows
    c.close();
    expect(meta).toMatchObject({ name: 'Contoso BEC', number: '2026-17', client: 'Contoso', examiner: 'J. Doe', tz: 'Europe/London' });
    expect(meta['v']).toMatch(/^blindspot \d/);
    const lines = readFileSync(join(dir, 'custody.jsonl'), 'utf8').trim().split('\n');
    const chain = verifyCustodyChain(lines);
    expect(chain.problems).toEqual([]);
    expect(chain.entries[0]).toMatchObject({ seq: 1, actor: 'tester', action: 'case-created', prev: null });
  });

  it('upgrades an older case database once, announces it and records it in the custody log', () => {
    const dir = join(tmp(), 'old');
    createCase(dir, { name: 'Old', examiner: 'e' }, 'tester').close();
    // The same case as an older Blindspot left it: schema version 3.
    const file = join(dir, 'case.sqlite');
    const meta = new Database(file).prepare('SELECT * FROM case_meta').get() as Record<string, unknown>;
    rmSync(file);
    const old = new Database(file);
    migrate(old, file, loadMigrations().slice(0, 3));
    old.prepare(`INSERT INTO case_meta (${Object.keys(meta).join(', ')}) VALUES (${Object.keys(meta).map(() => '?').join(', ')})`).run(...Object.values(meta));
    old.close();
    const said: string[] = [];
    const saved = caseNotices.upgrading;
    caseNotices.upgrading = (m) => said.push(m);
    try {
      const c = openCaseReadOnly(dir);
      expect(c.db.pragma('user_version', { simple: true })).toBe(loadMigrations().length);
      c.close();
      openCase(dir).close();
    } finally {
      caseNotices.upgrading = saved;
    }
    expect(said).toEqual([expect.stringMatching(/^Upgrading the case database .*case\.sqlite from schema version 3 to \d+ \(once; evidence files are not touched\)/)]);
    const entries = verifyCustodyChain(readFileSync(join(dir, 'custody.jsonl'), 'utf8').trim().split('\n')).entries;
    expect(entries.filter((e) => e.action === 'database-upgraded').map((e) => e.details)).toEqual([{ fromSchemaVersion: 3, toSchemaVersion: loadMigrations().length }]);
  });

  it('refuses a non-empty folder, a bad time zone and a missing name', () => {
    const d = tmp();
    writeFileSync(join(d, 'x'), 'x');
    expect(() => createCase(d, { name: 'n', examiner: 'e' })).toThrow(CaseError);
    expect(() => createCase(join(d, 'new'), { name: 'n', examiner: 'e', timeZone: 'Mars/Olympus' })).toThrow(UsageError);
    expect(() => createCase(join(d, 'new2'), { name: ' ', examiner: 'e' })).toThrow(/--name/);
    expect(() => createCase(join(d, 'new3'), { name: 'n', examiner: 'e', timeZone: '+02:00' })).toThrow(/a fixed offset is not a time zone/);
    expect(existsSync(join(d, 'new3'))).toBe(false);
    // One-line values: a line break could forge a line of the bundle's README or the report.
    expect(() => createCase(join(d, 'new4'), { name: 'Acme\nManifest:  manifest.json, SHA-256 0000', examiner: 'e' })).toThrow(/--name "Acme\\nManifest: .*" holds a line break or another control character/);
    expect(() => createCase(join(d, 'new5'), { name: 'n', examiner: 'e\u202eve' })).toThrow(/--examiner/);
    expect(() => createCase(join(d, 'new6'), { name: 'n', examiner: 'e', client: 'c\u0007' })).toThrow(UsageError);
    expect(existsSync(join(d, 'new4'))).toBe(false);
  });

  it('keeps a time zone as the time zone database spells it', () => {
    const h = createCase(join(tmp(), 'c'), { name: 'n', examiner: 'e', timeZone: 'europe/berlin' });
    expect(h.meta().timeZone).toBe('Europe/Berlin');
    h.close();
  });

  it('refuses to open a folder that is not a case, with a hint', () => {
    const d = tmp();
    expect(() => openCase(d)).toThrow(/not a Blindspot case/);
    expect(() => openCase(join(d, 'missing'))).toThrow(/no such folder/);
  });

  it('locks a case against a second writer and releases the lock on close', () => {
    const dir = join(tmp(), 'c');
    const h = createCase(dir, { name: 'n', examiner: 'e' });
    // A lock held by a live process other than this one:
    h.close();
    writeFileSync(join(dir, '.lock'), JSON.stringify({ pid: process.ppid, host: hostname() }));
    expect(() => openCase(dir)).toThrow(/in use by another Blindspot process/);
    rmSync(join(dir, '.lock'));
    const h2 = openCase(dir);
    expect(existsSync(join(dir, '.lock'))).toBe(true);
    h2.close();
    expect(existsSync(join(dir, '.lock'))).toBe(false);
  });

  it('takes over a stale lock left by a dead process', () => {
    const dir = join(tmp(), 'c');
    createCase(dir, { name: 'n', examiner: 'e' }).close();
    writeFileSync(join(dir, '.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname() }));
    const h = openCase(dir);
    expect(JSON.parse(readFileSync(join(dir, '.lock'), 'utf8')).pid).toBe(process.pid);
    h.close();
  });

  it('refuses a database written by a newer Blindspot', () => {
    const dir = join(tmp(), 'c');
    const h = createCase(dir, { name: 'n', examiner: 'e' });
    h.db.pragma('user_version = 999');
    h.close();
    expect(() => openCase(dir)).toThrow(/schema version 999/);
    expect(() => openCaseReadOnly(dir)).toThrow(/newer Blindspot/);
  });

  it('stages files hashed as received and places them read-only only on commit', async () => {
    const dir = join(tmp(), 'c');
    const h = createCase(dir, { name: 'n', examiner: 'e' });
    const src = join(tmp(), 'in.txt');
    writeFileSync(src, 'hello evidence');
    const s = await h.stageFile(src);
    expect(s.sha256).toBe(createHash('sha256').update('hello evidence').digest('hex'));
    expect(existsSync(h.abs(s.relPath))).toBe(false);
    h.db.exec('BEGIN');
    h.db.prepare("INSERT INTO evidence (sha256, size, rel_path, added_by, added_at) VALUES (?, ?, ?, 'e', 'now')").run(s.sha256, s.size, s.relPath);
    h.db.prepare("INSERT INTO import_runs (id, evidence_id, source, started_at, status) VALUES (7, 1, 'file', 'now', 'completed')").run();
    h.commitWithEvidence({ op: 'import', importRunId: 7, staged: [{ tmpPath: s.tmpPath, relPath: s.relPath }], custody: [{ action: 'evidence-added', details: { importRun: 7 }, objects: [{ sha256: s.sha256, path: s.relPath }] }] });
    expect(readFileSync(h.abs(s.relPath), 'utf8')).toBe('hello evidence');
    expect(statSync(h.abs(s.relPath)).mode & 0o222).toBe(0);
    expect(h.custodyEntries().at(-1)).toMatchObject({ action: 'evidence-added', objects: [{ sha256: s.sha256 }] });
    h.close();
  });

  it('leaves nothing in the incoming area when a file cannot be staged', async () => {
    const dir = join(tmp(), 'c');
    const h = createCase(dir, { name: 'n', examiner: 'e' });
    // A folder opens but cannot be read: the copy fails after its destination was created.
    await expect(h.stageFile(tmp())).rejects.toThrow(/EISDIR/);
    expect(readdirSync(h.abs('.incoming'))).toEqual([]);
    h.close();
  });

  it('recovers after a crash between the database commit and the file move', async () => {
    const dir = join(tmp(), 'c');
    const h = createCase(dir, { name: 'n', examiner: 'e' });
    const src = join(tmp(), 'in.txt');
    writeFileSync(src, 'crash test');
    const s = await h.stageFile(src);
    h.db.prepare("INSERT INTO evidence (sha256, size, rel_path, added_by, added_at) VALUES (?, ?, ?, 'e', 'now')").run(s.sha256, s.size, s.relPath);
    h.db.prepare("INSERT INTO import_runs (id, evidence_id, source, started_at, status) VALUES (3, 1, 'file', 'now', 'completed')").run();
    // The journal is written and the database committed, then the process "dies".
    writeFileSync(h.abs('.pending.json'), JSON.stringify({ op: 'import', importRunId: 3, staged: [{ tmpPath: s.tmpPath, relPath: s.relPath }], custody: [{ action: 'import', details: { importRun: 3 }, objects: [] }] }));
    h.db.close();
    rmSync(join(dir, '.lock'));
    const h2 = openCase(dir);
    expect(readFileSync(h2.abs(s.relPath), 'utf8')).toBe('crash test');
    expect(h2.custodyEntries().filter((e) => e.action === 'import')).toHaveLength(1);
    expect(h2.custodyEntries().at(-1)).toMatchObject({ action: RECOVERY_ACTION, details: { commitFinished: { op: 'import', importRun: 3 } } });
    expect(existsSync(join(dir, '.pending.json'))).toBe(false);
    h2.close();
  });

  it('discards staged files of an operation that never committed', async () => {
    const dir = join(tmp(), 'c');
    const h = createCase(dir, { name: 'n', examiner: 'e' });
    const src = join(tmp(), 'in.txt');
    writeFileSync(src, 'never committed');
    const s = await h.stageFile(src);
    writeFileSync(h.abs('.pending.json'), JSON.stringify({ op: 'import', importRunId: 99, staged: [{ tmpPath: s.tmpPath, relPath: s.relPath }], custody: [{ action: 'import', details: { importRun: 99 }, objects: [] }] }));
    // A second import's copy was cut short before it reached the journal.
    const partial = h.abs('.incoming/0123abcd');
    writeFileSync(partial, 'half a fi');
    const before = h.custodyEntries().length;
    h.db.close();
    rmSync(join(dir, '.lock'));
    const said: string[] = [];
    const saved = caseNotices.recovered;
    caseNotices.recovered = (m) => said.push(m);
    let h2: CaseHandle;
    try {
      h2 = openCase(dir);
    } finally {
      caseNotices.recovered = saved;
    }
    expect(existsSync(h2.abs(s.tmpPath))).toBe(false);
    expect(existsSync(h2.abs(s.relPath))).toBe(false);
    expect(existsSync(partial)).toBe(false);
    // Nothing entered the case, and what was undone is on record: one entry, and one line said.
    const entries = h2.custodyEntries();
    expect(entries).toHaveLength(before + 1);
    expect(entries.at(-1)).toMatchObject({
      action: RECOVERY_ACTION,
      details: { commitDiscarded: { op: 'import', importRun: 99 }, uncommittedCopiesRemoved: [{ path: join('.incoming', '0123abcd'), bytes: 9 }] },
      objects: [],
    });
    expect(said).toEqual([`${dir}: an earlier operation on this case was cut short (its process ended mid-write); its uncommitted evidence was discarded, 1 uncommitted evidence copy (<0.1 MB) removed. The case is as it was before that operation, or as that operation committed it; recorded in the custody log (${RECOVERY_ACTION}).`]);
    h2.close();
    // Opened again, there is nothing left to do and nothing more is logged.
    const h3 = openCase(dir);
    expect(h3.custodyEntries()).toHaveLength(before + 1);
    h3.close();
  });
  it('puts the staged files and the journal on disk before the database commits, and the placed file after', async () => {
    const dir = join(tmp(), 'c');
    const h = createCase(dir, { name: 'n', examiner: 'e' });
    const src = join(tmp(), 'in.txt');
    writeFileSync(src, 'durable evidence', { mode: 0o444 });
    const s = await h.stageFile(src);
    expect(statSync(h.abs(s.tmpPath)).mode & 0o200).not.toBe(0); // a read-only source's copy can still be opened to flush it
    expect(readFileSync(h.abs(s.tmpPath), 'utf8')).toBe('durable evidence'); // a copy: the source is not moved
    expect(existsSync(src)).toBe(true);
    const steps: string[] = [];
    const flush = durable.file;
    const file = vi.spyOn(durable, 'file').mockImplementation((p) => { steps.push(`file ${relative(dir, p)}`); flush(p); });
    const folder = vi.spyOn(durable, 'dir').mockImplementation((p) => { steps.push(`dir ${relative(dir, p) || '.'}`); });
    const exec = h.db.exec.bind(h.db);
    vi.spyOn(h.db, 'exec').mockImplementation((sql: string) => { if (sql === 'COMMIT') steps.push('COMMIT'); return exec(sql); });
    try {
      h.db.exec('BEGIN');
      h.db.prepare("INSERT INTO evidence (sha256, size, rel_path, added_by, added_at) VALUES (?, ?, ?, 'e', 'now')").run(s.sha256, s.size, s.relPath);
      h.db.prepare("INSERT INTO import_runs (id, evidence_id, source, started_at, status) VALUES (8, 1, 'file', 'now', 'completed')").run();
      h.commitWithEvidence({ op: 'import', importRunId: 8, staged: [{ tmpPath: s.tmpPath, relPath: s.relPath }], custody: [{ action: 'import', details: { importRun: 8 }, objects: [] }] });
    } finally {
      file.mockRestore();
      folder.mockRestore();
    }
    const shard = `evidence/${s.sha256.slice(0, 2)}`;
    expect(steps).toEqual([`file ${s.tmpPath}`, 'dir .incoming', 'file .pending.json', 'dir .', 'COMMIT', `dir ${shard}`, 'dir evidence']);
    expect(readFileSync(h.abs(s.relPath), 'utf8')).toBe('durable evidence');
    h.close();
  });
  it('compacts while a window reads the case: the database is compacted, the file shrinks once the reader lets go', () => {
    const dir = join(tmp(), 'c');
    const h = createCase(dir, { name: 'n', examiner: 'e' });
    h.db.exec("CREATE TABLE scratch AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) SELECT hex(randomblob(200)) AS pad FROM n; DROP TABLE scratch;");
    const reader = openCaseReadOnly(dir);
    reader.db.exec('BEGIN');
    reader.db.prepare('SELECT count(*) FROM events').get(); // holds its snapshot, as a page being read does
    const r = h.compact();
    expect(r.fileShrunk).toBe(false);
    expect(r.bytesAfter).toBeLessThan(r.bytesBefore / 2);
    expect(statSync(join(dir, 'case.sqlite')).size).toBe(r.bytesBefore);
    reader.db.exec('COMMIT');
    reader.close();
    h.db.pragma('wal_checkpoint(TRUNCATE)');
    expect(statSync(join(dir, 'case.sqlite')).size).toBe(r.bytesAfter);
    expect(h.custodyEntries().at(-1)).toMatchObject({ action: 'database-compacted', details: r });
    h.close();
  });
});

describe('a custody entry cut short when it was written', () => {
  it('is ended and recorded when the case is next opened; the torn bytes stay, later entries chain on, verify notes it', async () => {
    const dir = join(tmp(), 'c');
    createCase(dir, { name: 'n', examiner: 'e' }).close();
    const log = join(dir, 'custody.jsonl');
    const torn = '{"seq":2,"at":"2026-12-07T18:00:00.000Z","actor":"e","action":"imp';
    writeFileSync(log, readFileSync(log, 'utf8') + torn); // the append stopped part-way: no newline
    const h = openCase(dir);
    h.logCustody('after', {});
    expect(h.custodyEntries().map((e) => [e.seq, e.action])).toEqual([[1, 'case-created'], [3, 'custody-line-torn'], [4, 'after']]);
    expect(h.custodyEntries()[1]!.details).toMatchObject({ line: 2, bytes: torn.length, sha256: createHash('sha256').update(torn).digest('hex') });
    h.close();
    const lines = readFileSync(log, 'utf8').split('\n');
    expect(lines[1]).toBe(torn); // kept as it was, on a line of its own
    expect(lines.at(-1)).toBe('');
    const { verify } = await import('./bundle.ts');
    const r = await verify(dir);
    expect(r.problems).toEqual([]);
    expect(r.notes).toEqual([{ path: 'custody.jsonl:2', detail: 'an entry cut short when it was written, recorded by the entry at line 3' }]);
  });

  it('is recorded by its line, not its entry number, in a log that lost a line before it', () => {
    const dir = join(tmp(), 'c');
    const h0 = createCase(dir, { name: 'n', examiner: 'e' });
    h0.logCustody('a', {});
    h0.logCustody('b', {});
    h0.close();
    const log = join(dir, 'custody.jsonl');
    const lines = readFileSync(log, 'utf8').trimEnd().split('\n'); // entries 1-3
    const torn = '{"seq":4,"at":"2026-12-07T18:00:00.000Z","actor":"e","action":"imp';
    writeFileSync(log, `${lines[0]}\n${lines[2]}\n${torn}`); // entry 2 removed, then an append cut short
    const h = openCase(dir);
    const last = h.custodyEntries().at(-1)!;
    h.close();
    // The torn line is line 3 of the file; the entry recording it takes the number after the torn one.
    expect([last.seq, last.action, last.details['line']]).toEqual([5, 'custody-line-torn', 3]);
  });

  it('that lacks only its newline is ended, and not recorded as torn', () => {
    const dir = join(tmp(), 'c');
    const h0 = createCase(dir, { name: 'n', examiner: 'e' });
    h0.logCustody('whole', {});
    h0.close();
    const log = join(dir, 'custody.jsonl');
    writeFileSync(log, readFileSync(log, 'utf8').replace(/\n$/, ''));
    const h = openCase(dir);
    h.logCustody('after', {});
    expect(h.custodyEntries().map((e) => e.action)).toEqual(['case-created', 'whole', 'after']);
    h.close();
    expect(verifyCustodyChain(readFileSync(log, 'utf8').split('\n').filter(Boolean))).toMatchObject({ problems: [], notes: [] });
  });
});

describe('reading a case that another process is bulk-loading', () => {
  it('is refused after the wait for the lock, naming the process that writes it, instead of "database is locked"', () => {
    const dir = join(tmp(), 'c');
    createCase(dir, { name: 'n', examiner: 'e' }).close();
    const h = openCase(dir); // its lock file names this process
    // As a bulk import holds the database (services/import.ts): out of WAL, one transaction, pages spilled.
    h.db.pragma('journal_mode = DELETE');
    h.db.exec('BEGIN EXCLUSIVE');
    try {
      const err = (() => { try { openCaseReadOnly(dir); } catch (e) { return e; } return null; })() as CaseError;
      expect(err).toBeInstanceOf(CaseError);
      expect(err.message).toBe(`${dir}: the case is being written by another Blindspot process (pid ${process.pid}) and cannot be read until it finishes (a large import keeps the database to itself while it loads).`);
      expect(err.hint).toBe('Try again when it has finished; nothing was changed.');
    } finally {
      h.db.exec('ROLLBACK');
      h.close();
    }
    openCaseReadOnly(dir).close(); // and read once it has
  });
});

describe('a case this process cannot write to', () => {
  afterEach(() => { denied.path = null; });

  it('is refused before anything is written, naming the path, whether its folder, custody log or database is read-only', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'bs-ro-')), 'case');
    createCase(dir, { name: 'ro', examiner: 'e' }).close();
    const before = readFileSync(join(dir, 'custody.jsonl'), 'utf8');
    for (const [path, code, says] of [
      [join(dir, 'custody.jsonl'), 'EACCES', 'not writable by this user'],
      [join(dir, 'case.sqlite'), 'EROFS', 'on a read-only file system'],
      [dir, 'EACCES', 'not writable by this user'],
    ] as const) {
      denied.path = path;
      denied.code = code;
      expect(() => openCase(dir), path).toThrow(CaseError);
      expect(() => openCase(dir)).toThrow(`${dir}: the case cannot be changed here: ${path} is ${says}.`);
      expect(existsSync(join(dir, '.lock'))).toBe(false);
    }
    expect(readFileSync(join(dir, 'custody.jsonl'), 'utf8')).toBe(before);
    denied.path = null;
    openCase(dir).close(); // writable again: opens as before
    rmSync(join(dir, '..'), { recursive: true, force: true });
  });

  it('on read-only media is read as it is (immutable: no lock, no -shm), its AuditData too, unless its WAL holds changes', async () => {
    const dir = join(tmp(), 'case');
    const h = createCase(dir, { name: 'ro', examiner: 'e' });
    const src = join(tmp(), 'ual.jsonl');
    writeFileSync(src, `${JSON.stringify({ Id: 'r1', CreationTime: '2026-05-01T10:00:00', Operation: 'Send', RecordType: 2, UserId: 'a@contoso.com' })}\n`);
    const { importFile } = await import('./import.ts');
    await importFile(h, src);
    h.close();
    denied.path = dir; // the folder's file system is mounted read-only
    denied.code = 'EROFS';
    const c = openCaseReadOnly(dir);
    try {
      expect(c.db.name).toMatch(/^file:.*case\.sqlite\?immutable=1$/);
      const { eventDetail } = await import('../db/timeline.ts');
      expect(eventDetail(c.db, 'r1')?.auditData).toMatchObject({ Id: 'r1', Operation: 'Send' }); // read from the evidence file
    } finally {
      c.close();
    }
    expect(readdirSync(dir).filter((f) => f.startsWith('case.sqlite-'))).toEqual([]);
    const { verify } = await import('./bundle.ts');
    const custody = readFileSync(join(dir, 'custody.jsonl'), 'utf8');
    expect(await verify(dir)).toMatchObject({ intact: true, notLogged: `${dir}: the case cannot be changed here: ${dir} is on a read-only file system.` });
    expect(readFileSync(join(dir, 'custody.jsonl'), 'utf8')).toBe(custody);
    // Copied while open: the WAL holds a commit that case.sqlite lacks, which an immutable read would miss.
    writeFileSync(join(dir, 'case.sqlite-wal'), 'frames');
    expect(() => openCaseReadOnly(dir)).toThrow(`${dir}: the case is on read-only media and case.sqlite-wal holds changes not yet written into case.sqlite`);
  });
});

