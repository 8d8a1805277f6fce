import { describe, expect, it } from 'vitest';
import { EVENT_COPIES_SHOWN } from '../core/api.ts';
import { normaliseRecord } from '../core/normalise.ts';
import { mailItemsAccessed } from '../test/helpers/records.ts';
import { openMemory } from './database.ts';
import type { WritableDB } from './database.ts';
import { EventWriter } from './events.ts';
import type { TimelineQuery } from './timeline.ts';
import { eventDetail, pageSql, timeline, timelineCount, timelineCountSql, timelinePage, timelineSql } from './timeline.ts';
import type { PageQuery, PageRow } from './timeline.ts';

const USERS = ['alex@contoso.com', 'debra@contoso.com', 'eve@contoso.com'];

/** 60 records; several share the same second so pages must break ties on id, inserted out of time order. */
function seed(db: WritableDB): void {
  db.prepare("INSERT INTO evidence (id, sha256, size, rel_path, added_by, added_at) VALUES (1, 'ab', 1, 'evidence/ab/ab', 't', 't')").run();
  db.prepare("INSERT INTO import_runs (id, evidence_id, source, started_at, status) VALUES (1, 1, 'file', 't', 'completed')").run();
  const w = new EventWriter(db, 1, 1);
  for (let k = 0; k < 60; k++) {
    const i = (k * 37) % 60; // a permutation: insertion order differs from time order
    const second = Math.floor(i / 4); // four records per second
    const rec = mailItemsAccessed(i, { user: USERS[i % 3]!, time: new Date(Date.UTC(2026, 4, 1, 10, 0, second)).toISOString().slice(0, 19) });
    if (i % 5 === 0) rec['ClientIPAddress'] = '198.51.100.9';
    w.write(normaliseRecord(rec), { line: i + 1 });
  }
}

function allPages(db: WritableDB, q: Omit<PageQuery, 'limit' | 'after'>, limit: number): { rows: PageRow[]; pages: number } {
  const rows: PageRow[] = [];
  let after: PageQuery['after'];
  let pages = 0;
  for (;;) {
    const p = timelinePage(db, { ...q, limit, ...(after ? { after } : {}) });
    pages++;
    rows.push(...p.rows);
    if (!p.next) break;
    expect(p.rows).toHaveLength(limit);
    after = p.next;
  }
  return { rows, pages };
}

describe('timeline keyset paging', () => {
  const filters: Omit<TimelineQuery, 'limit'>[] = [
    {},
    { user: 'ALEX@contoso.com' },
    { mailbox: 'debra@contoso.com' },
    { operations: ['mailitemsaccessed'] },
    { ip: '198.51.100.9' },
    { session: 'e01c84f0-0000-439e-87bc-5ee52fdf90d4' },
    { text: '<msg-7@contoso.com>' },
    { fromMs: Date.UTC(2026, 4, 1, 10, 0, 3), toMs: Date.UTC(2026, 4, 1, 10, 0, 9) },
    { user: 'eve@contoso.com', ip: '198.51.100.9' },
    { app: '00000002-0000-0FF1-CE00-000000000000' },
  ];

  it('pages through exactly the rows timeline() returns, in the same order, for every filter and page size', () => {
    const db = openMemory();
    seed(db);
    for (const f of filters) {
      const expected = [...timeline(db, f)].map((r) => r.id);
      for (const limit of [1, 3, 4, 7, 100]) {
        const { rows } = allPages(db, f, limit);
        expect(rows.map((r) => r.id), `${JSON.stringify(f)} limit ${limit}`).toEqual(expected);
      }
      expect(timelineCount(db, f), JSON.stringify(f)).toBe(expected.length);
    }
  });

  it('breaks ties inside one millisecond on the row id, so no row repeats or goes missing at a page edge', () => {
    const db = openMemory();
    seed(db);
    const { rows, pages } = allPages(db, {}, 3);
    expect(rows).toHaveLength(60);
    expect(pages).toBe(20);
    expect(new Set(rows.map((r) => r.id)).size).toBe(60);
    for (let i = 1; i < rows.length; i++) {
      const a = rows[i - 1]!;
      const b = rows[i]!;
      expect(a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.rowId < b.rowId)).toBe(true);
    }
    // The page edge falls inside a second shared by four rows.
    const p1 = timelinePage(db, { limit: 2 });
    expect(p1.rows[0]!.timeMs).toBe(p1.rows[1]!.timeMs);
    const p2 = timelinePage(db, { limit: 2, after: p1.next! });
    expect(p2.rows[0]!.timeMs).toBe(p1.rows[1]!.timeMs);
    expect(p2.rows[0]!.rowId).toBeGreaterThan(p1.rows[1]!.rowId);
  });

  it('pages newest first through exactly the same rows in reverse, for every filter and page size', () => {
    const db = openMemory();
    seed(db);
    for (const f of filters) {
      const oldestFirst = [...timeline(db, f)].map((r) => r.id);
      expect([...timeline(db, { ...f, newestFirst: true })].map((r) => r.id), JSON.stringify(f)).toEqual([...oldestFirst].reverse());
      for (const limit of [1, 3, 4, 7, 100]) {
        const { rows } = allPages(db, { ...f, newestFirst: true }, limit);
        expect(rows.map((r) => r.id), `${JSON.stringify(f)} limit ${limit}`).toEqual([...oldestFirst].reverse());
      }
    }
    // A page edge inside one second: the next page continues below the last row's id, not past it.
    const p1 = timelinePage(db, { limit: 2, newestFirst: true });
    const p2 = timelinePage(db, { limit: 2, newestFirst: true, after: p1.next! });
    expect(p1.rows[1]!.timeMs).toBe(p2.rows[0]!.timeMs);
    expect(p2.rows[0]!.rowId).toBeLessThan(p1.rows[1]!.rowId);
  });

  it('finds an IP however it is typed (port, brackets, IPv6 letter case and zero groups) and a session id in either letter case', () => {
    const db = openMemory();
    seed(db);
    const w = new EventWriter(db, 1, 1);
    for (const [i, ip] of ['[2001:DB8:107:0:0:0:0:4E]:443', '2001:db8:107::4e'].entries()) {
      const rec = mailItemsAccessed(100 + i, { user: 'v6@contoso.com' });
      rec['ClientIPAddress'] = ip;
      w.write(normaliseRecord(rec), { line: 100 + i });
    }
    const ids = (q: Omit<TimelineQuery, 'limit'>) => [...timeline(db, q)].map((r) => r.id);
    const v6 = ids({ ip: '2001:db8:107::4e' });
    expect(v6).toHaveLength(2);
    for (const typed of ['2001:DB8:107:0:0:0:0:4E', '[2001:db8:107::4e]:443', ' 2001:0db8:0107::004e ']) expect(ids({ ip: typed }), typed).toEqual(v6);
    expect(timelineCount(db, { ip: '2001:DB8:107:0:0:0:0:4E' })).toBe(2);
    const v4 = ids({ ip: '198.51.100.9' });
    expect(v4.length).toBeGreaterThan(0);
    expect(ids({ ip: '198.51.100.9:50123' })).toEqual(v4);
    const session = 'e01c84f0-0000-439e-87bc-5ee52fdf90d4';
    expect(ids({ session: session.toUpperCase() })).toEqual(ids({ session }));
    expect(ids({ session }).length).toBeGreaterThan(0);
    // A source that writes the GUID in capitals: stored in the one form, so found either way and one session.
    const upper = mailItemsAccessed(200, { user: 'v6@contoso.com' });
    upper['SessionId'] = session.toUpperCase();
    w.write(normaliseRecord(upper), { line: 200 });
    expect(db.prepare('SELECT session_id FROM events WHERE record_id = ?').pluck().get(upper['Id'])).toBe(session);
    expect(db.prepare('SELECT DISTINCT session_id FROM access_items WHERE event_id = (SELECT id FROM events WHERE record_id = ?)').pluck().all(upper['Id'])).toEqual([session]);
    expect(ids({ session })).toContain(upper['Id']);
    expect(ids({ session: session.toUpperCase() })).toEqual(ids({ session }));
    // The page query as run still seeks the one stored form on its index, in order, with no sort.
    const page = timelinePage(db, { session: session.toUpperCase(), limit: 5 });
    expect(page.rows.map((r) => r.id)).toEqual(ids({ session }).slice(0, 5));
    for (const newestFirst of [false, true]) {
      const { sql, params } = pageSql(db, { session: session.toUpperCase(), limit: 5, after: page.next!, newestFirst });
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join(' | ');
      expect(plan).toMatch(newestFirst ? /USING INDEX events_session \(session_id=\? AND time_ms<\?\)/ : /USING INDEX events_session \(session_id=\? AND time_ms>\?\)/);
      expect(plan).not.toMatch(/TEMP B-TREE/);
    }
  });

  it('finds what an app did: its AppId, its ClientAppId or a sign-in\'s ApplicationId, typed in either letter case', () => {
    const db = openMemory();
    seed(db);
    const w = new EventWriter(db, 1, 1);
    const app = 'ff8d92dc-3d82-41d6-bcbd-b9174d163620';
    const viaClient = mailItemsAccessed(300, { user: 'v6@contoso.com' });
    viaClient['ClientAppId'] = app;
    w.write(normaliseRecord(viaClient), { line: 300 });
    w.write(normaliseRecord({ Id: 'si-1', CreationTime: '2026-05-01T09:00:00', RecordType: 15, Operation: 'UserLoggedIn', UserId: 'v6@contoso.com', ApplicationId: app }), { line: 301 });
    const ids = (q: Omit<TimelineQuery, 'limit'>) => [...timeline(db, q)].map((r) => r.id);
    expect(ids({ app })).toEqual(['si-1', viaClient['Id']]);
    expect(ids({ app: app.toUpperCase() })).toEqual(ids({ app }));
    expect(ids({ app: ` ${app} ` })).toEqual(ids({ app })); // as typed on the command line, spaces and all
    expect(timelineCount(db, { app })).toBe(2);
    expect(ids({ app, user: 'nobody@contoso.com' })).toEqual([]);
    // The app every seeded MailItemsAccessed record names as AppId, on every page, newest first too.
    const exchange = '00000002-0000-0ff1-ce00-000000000000';
    expect(timelineCount(db, { app: exchange })).toBe(61);
    expect(allPages(db, { app: exchange, newestFirst: true }, 7).rows.map((r) => r.id)).toEqual(ids({ app: exchange }).reverse());
  });

  it('returns next: null on the last page and an empty page after the end', () => {
    const db = openMemory();
    seed(db);
    expect(timelinePage(db, { limit: 60 }).next).toBeNull();
    expect(timelinePage(db, { limit: 59 }).next).not.toBeNull();
    expect(timelinePage(db, { limit: 10, after: { timeMs: Date.UTC(2027, 0, 1), id: 0 } })).toEqual({ rows: [], next: null });
    expect(timelinePage(db, { limit: 10, user: 'nobody@contoso.com' })).toEqual({ rows: [], next: null });
  });

  it('maps rows to the UI shape with evidence hash and line', () => {
    const db = openMemory();
    seed(db);
    const r = timelinePage(db, { limit: 1 }).rows[0]!;
    expect(r).toMatchObject({ time: '2026-05-01T10:00:00.000Z', operation: 'MailItemsAccessed', user: 'alex@contoso.com', evidence: { sha256: 'ab', line: 1 } });
    expect(Object.keys(r).sort()).toEqual(['appId', 'clientIp', 'evidence', 'id', 'mailbox', 'operation', 'recordType', 'recordTypeName', 'resultStatus', 'rowId', 'sessionId', 'time', 'timeMs', 'user', 'workload']);
  });

  it('seeks with an index for the page position and each single-value filter (EXPLAIN QUERY PLAN)', () => {
    const db = openMemory();
    seed(db);
    const plan = (q: PageQuery) => {
      const { sql, params } = timelineSql(q);
      return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join(' | ');
    };
    const after = { timeMs: 1, id: 2 };
    // The page position is an index seek, not a scan, and the index order serves ORDER BY (no temp B-tree).
    expect(plan({ limit: 10, after })).toMatch(/SEARCH e USING INDEX events_time \(time_ms>\?\)/);
    expect(plan({ limit: 10, after })).not.toMatch(/TEMP B-TREE/);
    expect(plan({ limit: 10, after, user: 'x' })).toMatch(/SEARCH e USING INDEX events_user_time \(user_id=\? AND time_ms>\?\)/);
    expect(plan({ limit: 10, after, user: 'x' })).not.toMatch(/TEMP B-TREE/);
    expect(plan({ limit: 10, after, mailbox: 'x' })).toMatch(/SEARCH e USING INDEX events_mailbox_time \(mailbox=\? AND time_ms>\?\)/);
    expect(plan({ limit: 10, after, operations: ['Send'] })).toMatch(/SEARCH e USING INDEX events_op_time \(operation=\? AND time_ms>\?\)/);
    expect(plan({ limit: 10, after, fromMs: 0, toMs: 9 })).toMatch(/USING INDEX events_time/);
    expect(plan({ limit: 10, after, ip: 'x' })).toMatch(/USING INDEX events_ip/);
    expect(plan({ limit: 10, after, session: 'x' })).toMatch(/USING INDEX events_session/);
    // Newest first walks the same indexes backwards: a seek, and still no sort.
    for (const q of [{}, { user: 'x' }, { mailbox: 'x' }, { operations: ['Send'] }, { ip: 'x' }, { session: 'x' }]) {
      const p = plan({ limit: 10, after, newestFirst: true, ...q });
      expect(p, JSON.stringify(q)).toMatch(/SEARCH e USING INDEX events_\w+ \((\w+=\? AND )?time_ms<\?\)/);
      expect(p, JSON.stringify(q)).not.toMatch(/TEMP B-TREE/);
    }
    const count = timelineCountSql({ user: 'x' });
    expect((db.prepare(`EXPLAIN QUERY PLAN ${count.sql}`).all(...count.params) as { detail: string }[])[0]!.detail).toMatch(/USING COVERING INDEX events_user_time/);
  });

  it('binds every value: hostile filter text is data, not SQL or FTS syntax', () => {
    const db = openMemory();
    seed(db);
    const evil = "x' OR 1=1 --";
    const { sql } = timelineSql({ limit: 1, user: evil, text: 'NEAR( * ) "', operations: [evil] });
    expect(sql).not.toContain(evil);
    expect(timelinePage(db, { limit: 10, user: evil }).rows).toEqual([]);
    expect(() => timelinePage(db, { limit: 10, text: 'NEAR( * ) " OR' })).not.toThrow();
  });

  it('returns event detail with AuditData and access items, or null for an unknown id', () => {
    const db = openMemory();
    seed(db);
    const first = timelinePage(db, { limit: 1 }).rows[0]!;
    const d = eventDetail(db, first.id)!;
    expect(d.id).toBe(first.id);
    expect((d.auditData as { Operation: string }).Operation).toBe('MailItemsAccessed');
    expect(d.items).toEqual([{ folderPath: '\\Inbox', internetMessageId: '<msg-0@contoso.com>', accessType: 'Bind', sizeBytes: 1234 }]);
    expect(d.evidence).toEqual({ sha256: 'ab', line: 1, element: null });
    expect(d).toMatchObject({ evidenceFile: { source: 'file', format: null, origin: null }, copies: [], copiesTotal: 0 });
    expect(eventDetail(db, 'no-such-id')).toBeNull();
  });

  it('lists the first EVENT_COPIES_SHOWN copies of an event and counts them all', () => {
    const db = openMemory();
    seed(db);
    const first = timelinePage(db, { limit: 1 }).rows[0]!;
    const copy = db.prepare('INSERT INTO event_duplicates (event_id, evidence_id, loc_line, loc_offset, import_run_id) VALUES (?, 1, ?, NULL, 1)');
    for (let i = 0; i < EVENT_COPIES_SHOWN + 1; i++) copy.run(first.rowId, 100 + i);
    const d = eventDetail(db, first.id)!;
    expect(d.copies).toHaveLength(EVENT_COPIES_SHOWN);
    expect(d.copies[0]).toMatchObject({ line: 100 });
    expect(d.copiesTotal).toBe(EVENT_COPIES_SHOWN + 1);
  });
});
