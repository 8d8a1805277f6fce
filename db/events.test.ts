import { describe, expect, it } from 'vitest';
import { normaliseRecord } from '../core/normalise.ts';
import { mailItemsAccessed } from '../test/helpers/records.ts';
import { openMemory } from './database.ts';
import type { WritableDB } from './database.ts';
import { EventWriter } from './events.ts';
import { ftsQuery } from '../core/search.ts';
import { COPIES_SQL, timeline, timelineSql } from './timeline.ts';

function seed(db: WritableDB): void {
  db.prepare("INSERT INTO evidence (id, sha256, size, rel_path, added_by, added_at) VALUES (1, 'ab', 1, 'evidence/ab/ab', 't', 't')").run();
  db.prepare("INSERT INTO import_runs (id, evidence_id, source, started_at, status) VALUES (1, 1, 'file', 't', 'completed')").run();
  const w = new EventWriter(db, 1, 1);
  const users = ['alex@contoso.com', 'Debra@Contoso.com', 'alex@contoso.com'];
  users.forEach((u, i) => w.write(normaliseRecord(mailItemsAccessed(i, { user: u })), { line: i + 1 }));
  const admin = { CreationTime: '2026-05-01T10:00:10', Id: 'admin-1', Operation: 'New-InboxRule', RecordType: 1, ResultStatus: 'True', UserId: 'eve@contoso.com', ClientIP: '198.51.100.7:51515', ObjectId: 'alex\\.', Workload: 'Exchange', Parameters: [{ Name: 'ForwardTo', Value: 'drop@evil.example' }, { Name: 'Name', Value: '.' }] };
  w.write(normaliseRecord(admin), { line: 4 });
}

describe('timeline queries', () => {
  it('filters by time, user, mailbox, operation, IP, session and text, in time order', () => {
    const db = openMemory();
    seed(db);
    const ids = (q: Parameters<typeof timeline>[1]) => [...timeline(db, q)].map((r) => r.evidence.line);
    expect(ids({})).toEqual([1, 2, 3, 4]);
    expect(ids({ fromMs: Date.UTC(2026, 4, 1, 10, 0, 1), toMs: Date.UTC(2026, 4, 1, 10, 0, 3) })).toEqual([2, 3]);
    expect(ids({ user: 'ALEX@contoso.com' })).toEqual([1, 3]);
    expect(ids({ mailbox: 'debra@contoso.com' })).toEqual([2]);
    expect(ids({ operations: ['new-inboxrule'] })).toEqual([4]);
    expect(ids({ ip: '198.51.100.7' })).toEqual([4]);
    expect(ids({ session: 'e01c84f0-0000-439e-87bc-5ee52fdf90d4' })).toEqual([1, 2, 3]);
    expect(ids({ text: 'drop@evil.example' })).toEqual([4]);
    // Part of a word: the start of an address, a domain inside one, the start of a user's name.
    expect(ids({ text: 'drop' })).toEqual([4]);
    expect(ids({ text: 'evil' })).toEqual([4]);
    expect(ids({ text: 'evil.example' })).toEqual([4]);
    expect(ids({ text: 'debra' })).toEqual([2]);
    expect(ids({ text: 'DEBRA inbox' })).toEqual([2]);
    expect(ids({ text: 'example.evil' })).toEqual([]);
    expect(ids({ text: 'contoso.com' })).toEqual([1, 2, 3, 4]); // the domain of every user
    expect(ids({ text: '<msg-2@contoso.com>' })).toEqual([3]);
    expect(ids({ text: 'msg-2@contoso.com' })).toEqual([3]); // a message id, with or without its brackets
    expect(ids({ limit: 2 })).toEqual([1, 2]);
  });

  it('a mailbox filter also finds admin records that name the mailbox by alias or an object inside it', () => {
    const db = openMemory();
    seed(db);
    const ids = () => [...timeline(db, { mailbox: 'ALEX@contoso.com' })].map((r) => r.evidence.line);
    expect(ids()).toEqual([1, 3]); // no mailbox snapshot: only the UPN is known
    db.prepare("INSERT INTO config_snapshots (id, kind, as_of, as_of_source, evidence_id, import_run_id) VALUES (1, 'mailbox', '2026-05-02T00:00:00Z', 'option', 1, 1)").run();
    db.prepare("INSERT INTO config_rows (snapshot_id, kind, identity, value_json, raw_json) VALUES (1, 'mailbox', 'alex@contoso.com', ?, '{}')")
      .run(JSON.stringify({ identity: 'alex', userPrincipalName: 'alex@contoso.com', primarySmtpAddress: 'alex@contoso.com', alias: 'alex' }));
    expect(ids()).toEqual([1, 3, 4]); // + New-InboxRule on alex\. by eve
    expect([...timeline(db, { mailbox: 'alex' })].map((r) => r.evidence.line)).toEqual([1, 3, 4]);
    expect([...timeline(db, { mailbox: 'debra@contoso.com' })].map((r) => r.evidence.line)).toEqual([2]);
  });

  it('never lets search text become FTS syntax', () => {
    expect(ftsQuery('a" OR b')).toBe('"a"* AND "OR"* AND "b"*');
    expect(ftsQuery('invoice;payment <x@y.com>')).toBe('"invoice"* AND "payment"* AND "x@y.com"*');
    expect(ftsQuery('" * ')).toBe('');
    const db = openMemory();
    seed(db);
    expect(() => [...timeline(db, { text: 'NEAR( * ) "' })]).not.toThrow();
  });

  it('uses an index for each filter the UI offers', () => {
    const db = openMemory();
    seed(db);
    const plan = (q: Parameters<typeof timelineSql>[0]) => {
      const { sql, params } = timelineSql(q);
      return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join(' | ');
    };
    expect(plan({ user: 'x', fromMs: 0 })).toMatch(/USING INDEX events_user_time/);
    expect(plan({ mailbox: 'x' })).toMatch(/USING INDEX events_mailbox_time/);
    expect(plan({ operations: ['Send'] })).toMatch(/USING INDEX events_op_time/);
    expect(plan({ ip: 'x' })).toMatch(/USING INDEX events_ip/);
    expect(plan({ session: 'x' })).toMatch(/USING INDEX events_session/);
    expect(plan({ fromMs: 0, toMs: 1 })).toMatch(/USING INDEX events_time/);
    // An event's detail lists its copies by event, not by a scan of every copy in the case.
    const copies = (db.prepare(`EXPLAIN QUERY PLAN ${COPIES_SQL}`).all(1, 50) as { detail: string }[]).map((r) => r.detail).join(' | ');
    expect(copies).toMatch(/SEARCH d USING INDEX event_duplicates_event/);
  });
});
