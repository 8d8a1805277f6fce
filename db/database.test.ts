import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMigrations, migrate, openReadable, SchemaOutdatedError, SchemaTooNewError } from './database.ts';
import { mailboxPart } from '../core/normalise.ts';

const ALL = loadMigrations();

/** A database (in memory, or the file given) migrated up to, not including, the migration whose name starts with `prefix` ('0011'). */
function migratedBefore(prefix: string, file = ':memory:'): Database.Database {
  const k = ALL.findIndex((m) => m.name.startsWith(`${prefix}_`));
  if (k < 0) throw new Error(`no migration ${prefix}`);
  const db = new Database(file);
  migrate(db, file, ALL.slice(0, k));
  return db;
}

/** One imported file (evidence 1, import run 1) for the rows of an older case to refer to. */
const ONE_IMPORT = `INSERT INTO evidence (id, sha256, size, rel_path, added_by, added_at) VALUES (1, 'ab', 1, 'evidence/ab/ab', 't', '2024-06-01T00:00:00Z');
  INSERT INTO import_runs (id, evidence_id, source, started_at, status) VALUES (1, 1, 'file', '2024-06-01T00:00:00Z', 'completed');`;

describe('migrations', () => {
  it('applies every migration in order and records the version', () => {
    const db = new Database(':memory:');
    const all = loadMigrations();
    migrate(db, ':memory:', all);
    expect(db.pragma('user_version', { simple: true })).toBe(all.length);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['case_meta', 'evidence', 'import_runs', 'events', 'access_items', 'config_snapshots', 'config_rows', 'annotations', 'event_duplicates', 'rejected_lines']));
  });

  it('applies each migration on top of the one before (an older case is upgraded)', () => {
    const all = loadMigrations();
    for (let k = 1; k <= all.length; k++) {
      const db = new Database(':memory:');
      migrate(db, ':memory:', all.slice(0, k));
      expect(db.pragma('user_version', { simple: true })).toBe(k);
      migrate(db, ':memory:', all);
      expect(db.pragma('user_version', { simple: true })).toBe(all.length);
    }
  });

  it('0004 copies each existing item its event\'s mailbox, time, session, IP and operation, and indexes it for exposure', () => {
    const db = migratedBefore('0004');
    db.exec(`${ONE_IMPORT}
             INSERT INTO events (id, record_id, time_ms, operation, mailbox, session_id, client_ip, audit_data, evidence_id, import_run_id)
               VALUES (7, 'r7', 1717200000000, 'MailItemsAccessed', 'Megan@Contoso.com', 's1', '203.0.113.9', '{}', 1, 1);
             INSERT INTO access_items (event_id, folder_path, internet_message_id, access_type) VALUES (7, '\\Inbox', '<a@x>', 'Bind');`);
    migrate(db, ':memory:', ALL);
    expect(db.prepare('SELECT mailbox, time_ms, session_id, client_ip, operation FROM access_items').get())
      .toEqual({ mailbox: 'Megan@Contoso.com', time_ms: 1717200000000, session_id: 's1', client_ip: '203.0.113.9', operation: 'MailItemsAccessed' });
    const plan = db.prepare("EXPLAIN QUERY PLAN SELECT internet_message_id FROM access_items WHERE mailbox = 'megan@contoso.com' AND operation = 'MailItemsAccessed' AND internet_message_id IS NOT NULL AND access_type IS NOT 'Sync'").all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join('\n')).toMatch(/access_items_exposure/);
  });

  it('0008 gives each acquisition run its own exchange: the first run of a content gets the one its evidence row kept', () => {
    const db = migratedBefore('0008');
    db.exec(`INSERT INTO evidence (id, sha256, size, rel_path, added_by, added_at, source, request_json, response_json)
               VALUES (1, 'ab', 1, 'evidence/ab/ab', 't', 'now', 'acquisition', '{"url":"a"}', '{"status":200}'),
                      (2, 'cd', 1, 'evidence/cd/cd', 't', 'now', 'file', NULL, NULL);
             INSERT INTO import_runs (id, evidence_id, source, file, started_at, status) VALUES
               (1, 2, 'file', '/x.json', 'now', 'completed'), (2, 1, 'acquisition', 'a', 'now', 'completed'), (3, 1, 'acquisition', 'b', 'now', 'completed');`);
    migrate(db, ':memory:', ALL);
    expect(db.prepare('SELECT id, request_json, response_json FROM import_runs ORDER BY id').raw().all())
      .toEqual([[1, null, null], [2, '{"url":"a"}', '{"status":200}'], [3, null, null]]);
  });

  it('0005 moves AuditData to event_data unchanged and flags the throttling candidates the old GLOB index found', () => {
    const db = migratedBefore('0005');
    const throttled = '{"Operation":"MailItemsAccessed","OperationProperties":[{"Name":"IsThrottled","Value":"True"}]}';
    const notThrottled = '{"Operation":"MailItemsAccessed","OperationProperties":[{"Name":"IsThrottled","Value":"False"}]}';
    const ins = db.prepare('INSERT INTO events (id, record_id, time_ms, operation, mailbox, audit_data, evidence_id, import_run_id) VALUES (?, ?, 0, ?, \'m@x\', ?, 1, 1)');
    db.exec(ONE_IMPORT);
    ins.run(1, 'a', 'MailItemsAccessed', throttled);
    ins.run(2, 'b', 'mailitemsaccessed', notThrottled);
    ins.run(3, 'c', 'Send', throttled);
    migrate(db, ':memory:', ALL);
    expect(db.prepare('SELECT event_id, audit_data FROM event_data ORDER BY event_id').raw().all()).toEqual([[1, throttled], [2, notThrottled], [3, throttled]]);
    expect(db.prepare('SELECT id, throttle_marker FROM events ORDER BY id').raw().all()).toEqual([[1, 1], [2, 0], [3, 0]]);
    expect(db.prepare('PRAGMA table_info(events)').all().map((c) => (c as { name: string }).name)).not.toContain('audit_data');
  });

  it('0011 writes the client IPs of older cases in the canonical form the import now writes, and nothing else', () => {
    const db = migratedBefore('0011');
    db.exec(`${ONE_IMPORT}
             INSERT INTO events (id, record_id, time_ms, client_ip, evidence_id, import_run_id)
               VALUES (1, 'a', 0, '2001:db8:107:0:0:0:0:4e', 1, 1), (2, 'b', 0, '::ffff:192.0.2.1', 1, 1), (3, 'c', 0, '2001:db8::1', 1, 1),
                      (4, 'd', 0, '198.51.100.7', 1, 1), (5, 'e', 0, NULL, 1, 1);
             INSERT INTO access_items (event_id, client_ip) VALUES (1, '2001:db8:107:0:0:0:0:4e'), (4, '198.51.100.7');`);
    migrate(db, ':memory:', ALL);
    expect(db.prepare('SELECT client_ip FROM events ORDER BY id').pluck().all()).toEqual(['2001:db8:107::4e', '192.0.2.1', '2001:db8::1', '198.51.100.7', null]);
    expect(db.prepare('SELECT client_ip FROM access_items ORDER BY event_id').pluck().all()).toEqual(['2001:db8:107::4e', '198.51.100.7']);
  });

  it('0013 gives the sign-ins of older cases the app id their AuditData names as ApplicationId, read from the evidence file or event_data, and nothing else', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bs-0013-'));
    try {
      const line = (id: string, app: string | null): string => JSON.stringify({ Id: id, RecordType: 15, Operation: 'UserLoggedIn', ...(app ? { ApplicationId: app } : {}) });
      const fromFile = line('a', 'ff8d92dc-3d82-41d6-bcbd-b9174d163620');
      const without = line('c', null);
      const file = `${fromFile}\n${without}\n`;
      mkdirSync(join(dir, 'evidence', 'ab'), { recursive: true });
      writeFileSync(join(dir, 'evidence', 'ab', 'ab'), file);
      const db = migratedBefore('0013', join(dir, 'case.sqlite'));
      const at = (s: string): [number, number] => [Buffer.byteLength(file.slice(0, file.indexOf(s))), Buffer.byteLength(file.slice(0, file.indexOf(s) + s.length))];
      db.exec(ONE_IMPORT);
      const ins = db.prepare('INSERT INTO events (id, record_id, time_ms, app_id, audit_data_start, audit_data_end, evidence_id, import_run_id) VALUES (?, ?, 0, ?, ?, ?, 1, 1)');
      ins.run(1, 'a', null, ...at(fromFile)); // AuditData in the evidence file
      ins.run(2, 'b', null, null, null); // AuditData in event_data
      ins.run(3, 'c', null, ...at(without)); // no ApplicationId
      ins.run(4, 'd', '00000002-0000-0ff1-ce00-000000000000', null, null); // an app id of its own
      ins.run(5, 'e', null, 1_000_000, 1_000_100); // its AuditData cannot be read: left for verify to report
      db.prepare('INSERT INTO event_data (event_id, audit_data) VALUES (?, ?)').run(2, line('b', '27922004-5251-4030-b22d-91ecd9a37ea4'));
      db.prepare('INSERT INTO event_data (event_id, audit_data) VALUES (?, ?)').run(4, line('d', 'ff8d92dc-3d82-41d6-bcbd-b9174d163620'));
      // A pipeline that lower-cased every key: read the way the import reads it (core/normalise.ts appIdOf).
      ins.run(6, 'f', null, null, null);
      db.prepare('INSERT INTO event_data (event_id, audit_data) VALUES (?, ?)').run(6, JSON.stringify({ id: 'f', recordtype: 15, operation: 'UserLoggedIn', applicationid: 'a3883eba-fbe9-48bd-9ed3-dca3e0e84250' }));
      migrate(db, join(dir, 'case.sqlite'), ALL);
      expect(db.prepare('SELECT app_id FROM events ORDER BY id').pluck().all()).toEqual([
        'ff8d92dc-3d82-41d6-bcbd-b9174d163620', '27922004-5251-4030-b22d-91ecd9a37ea4', null, '00000002-0000-0ff1-ce00-000000000000', null,
        'a3883eba-fbe9-48bd-9ed3-dca3e0e84250',
      ]);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('0012 writes the session ids of older cases in lower case, as the import now stores them, and nothing else', () => {
    const db = migratedBefore('0012');
    db.exec(`${ONE_IMPORT}
             INSERT INTO events (id, record_id, time_ms, session_id, evidence_id, import_run_id)
               VALUES (1, 'a', 0, 'E01C84F0-0000-439E-87BC-5EE52FDF90D4', 1, 1), (2, 'b', 0, 'e01c84f0-0000-439e-87bc-5ee52fdf90d4', 1, 1), (3, 'c', 0, NULL, 1, 1);
             INSERT INTO access_items (event_id, session_id) VALUES (1, 'E01C84F0-0000-439E-87BC-5EE52FDF90D4'), (3, NULL);`);
    migrate(db, ':memory:', ALL);
    expect(db.prepare('SELECT session_id FROM events ORDER BY id').pluck().all()).toEqual(['e01c84f0-0000-439e-87bc-5ee52fdf90d4', 'e01c84f0-0000-439e-87bc-5ee52fdf90d4', null]);
    expect(db.prepare('SELECT session_id FROM access_items ORDER BY event_id').pluck().all()).toEqual(['e01c84f0-0000-439e-87bc-5ee52fdf90d4', null]);
  });

  it('0014 keeps the mailbox part of the identity an inbox-rule or folder cmdlet named, as the import now does, and nothing else', () => {
    const db = migratedBefore('0014');
    const rows: [string, string | null][] = [
      ['New-InboxRule', 'megan.bowen\\..'], ['Set-InboxRule', 'alex\\178354651'], ['Add-MailboxFolderPermission', 'alex@contoso.com:\\Calendar'],
      ['Set-Mailbox', 'CONTOSO\\alex'], ['New-InboxRule', 'rule-only'], ['New-InboxRule', '\\odd'], ['UpdateInboxRules', 'alex@contoso.com'], ['New-InboxRule', null],
    ];
    db.exec(ONE_IMPORT);
    const insert = db.prepare('INSERT INTO events (id, record_id, time_ms, operation, mailbox, object_id, evidence_id, import_run_id) VALUES (?, ?, 0, ?, ?, ?, 1, 1)');
    rows.forEach(([op, mailbox], i) => insert.run(i + 1, `r${i}`, op, mailbox, mailbox));
    migrate(db, ':memory:', ALL);
    expect(db.prepare('SELECT mailbox FROM events ORDER BY id').pluck().all()).toEqual(
      ['megan.bowen', 'alex', 'alex@contoso.com', 'CONTOSO\\alex', 'rule-only', '\\odd', 'alex@contoso.com', null]);
    expect(db.prepare('SELECT object_id FROM events ORDER BY id').pluck().all()).toEqual(rows.map(([, m]) => m));
    // the same rule as the import's, for every row above
    expect(rows.map(([op, m]) => mailboxPart(op, m))).toEqual(db.prepare('SELECT mailbox FROM events ORDER BY id').pluck().all());
  });

  it('0016 indexes the records of older cases with the word parts and parsed text the import now writes', () => {
    const db = migratedBefore('0016');
    db.exec(`${ONE_IMPORT}
             INSERT INTO events (id, record_id, time_ms, operation, user_id, mailbox, object_id, evidence_id, import_run_id)
               VALUES (1, 'a', 0, 'New-InboxRule', 'megan.bowen@fabrikam.example', 'megan.bowen', 'megan.bowen\\Invoices', 1, 1),
                      (2, 'b', 0, 'Send', 'alex@contoso.com', 'alex@contoso.com', NULL, 1, 1);
             INSERT INTO event_data (event_id, audit_data) VALUES
               (1, '{"Parameters":[{"Name":"SubjectContainsWords","Value":"invoice.pdf.exe"}]}'),
               (2, '{"Item":{"Subject":"Quarterly report"}}');
             -- the bodies an older import wrote: whole words only
             INSERT INTO events_fts (rowid, body) VALUES (1, 'New-InboxRule megan.bowen@fabrikam.example megan.bowen megan.bowen\\Invoices SubjectContainsWords invoice.pdf.exe'),
                                                       (2, 'Send alex@contoso.com Quarterly report');`);
    const find = (q: string) => db.prepare('SELECT rowid FROM events_fts WHERE events_fts MATCH ? ORDER BY rowid').pluck().all(`"${q}"*`);
    expect([find('fabrikam'), find('exe'), find('quarterly')]).toEqual([[], [], [2]]);
    migrate(db, ':memory:', ALL);
    expect([find('fabrikam'), find('bowen'), find('exe'), find('quarterly'), find('invoices'), find('send')]).toEqual([[1], [1], [1], [2], [1], [2]]);
  });

  it('0006 rebuilds events with the same ids and rows, its record-Id uniqueness a named index, every reference intact', () => {
    const db = migratedBefore('0006');
    db.pragma('foreign_keys = ON');
    db.exec(`${ONE_IMPORT}
             INSERT INTO events (id, record_id, time_ms, operation, mailbox, user_id, evidence_id, loc_line, import_run_id, throttle_marker)
               VALUES (7, 'r7', 1717200000000, 'MailItemsAccessed', 'Megan@Contoso.com', 'Megan@Contoso.com', 1, 3, 1, 1),
                      (9, 'r9', 1717200001000, 'Send', 'alex@contoso.com', 'alex@contoso.com', 1, 4, 1, 0);
             INSERT INTO event_data (event_id, audit_data) VALUES (7, '{"a":7}'), (9, '{"a":9}');
             INSERT INTO access_items (event_id, folder_path, internet_message_id, access_type) VALUES (7, '\\Inbox', '<a@x>', 'Bind');
             INSERT INTO event_duplicates (event_id, evidence_id, loc_line, import_run_id) VALUES (9, 1, 8, 1);`);
    const rows = () => db.prepare('SELECT * FROM events ORDER BY id').all();
    const before = rows();
    migrate(db, ':memory:', ALL.slice(0, 6));
    expect(rows()).toEqual(before);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1); // put back after the migrations
    migrate(db, ':memory:', ALL);
    // 0007: every existing event keeps its AuditData in event_data (no byte range).
    expect(rows()).toEqual(before.map((r) => ({ ...(r as object), audit_data_start: null, audit_data_end: null })));
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'events_record_id'").pluck().get()).toMatch(/CREATE UNIQUE INDEX/);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND name LIKE 'sqlite_autoindex%'").pluck().get()).toBe(0);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'").pluck().get()).toBe(12);
    expect(() => db.exec("INSERT INTO events (record_id, time_ms, evidence_id, import_run_id) VALUES ('r7', 0, 1, 1)")).toThrow(/UNIQUE constraint failed: events.record_id/);
    expect(() => db.exec('DELETE FROM events WHERE id = 7')).toThrow(/FOREIGN KEY/); // the references still point at the rebuilt table
  });

  it('refuses a migration that would leave a broken reference, and leaves the database at the version before it', () => {
    const all = loadMigrations();
    const broken = { version: all.length + 1, name: '9999_broken.sql', sql: 'INSERT INTO event_data (event_id, audit_data) VALUES (12345, \'{}\');' };
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, ':memory:', all);
    expect(() => migrate(db, ':memory:', [...all, broken])).toThrow(/9999_broken.sql would leave 1 broken reference\(s\), the first from event_data to events/);
    expect(db.pragma('user_version', { simple: true })).toBe(all.length);
    expect(db.prepare('SELECT count(*) FROM event_data').pluck().get()).toBe(0);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
  });

  it('openReadable refuses an older database and leaves it as it was (only the locked, logged path upgrades)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bs-old-'));
    try {
      const file = join(dir, 'old.sqlite');
      const old = new Database(file);
      migrate(old, file, loadMigrations().slice(0, 3));
      old.close();
      expect(() => openReadable(file)).toThrow(SchemaOutdatedError);
      const after = new Database(file, { readonly: true });
      expect(after.pragma('user_version', { simple: true })).toBe(3);
      after.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a database newer than the code', () => {
    const db = new Database(':memory:');
    db.pragma('user_version = 42');
    expect(() => migrate(db, 'x.sqlite')).toThrow(SchemaTooNewError);
    expect(() => migrate(db, 'x.sqlite')).toThrow(/x.sqlite: .*version 42/);
  });

  it('refuses migrations out of sequence', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bs-mig-'));
    writeFileSync(join(dir, '0001_a.sql'), 'SELECT 1;');
    writeFileSync(join(dir, '0003_c.sql'), 'SELECT 1;');
    try {
      expect(() => loadMigrations(dir)).toThrow(/0003_c.sql is out of sequence/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
