import { beforeEach, describe, expect, it } from 'vitest';
import {
  SESSIONS_SQL, SQL, exposureItemsSql, firstAccessRecord, inferThrottles, insertAnalysisRun, readExposureItems, storeExposureItems,
  querySessions, querySyncedFolders, readAccessSources, readAnalysisRun, readCaseRange, readChangeRecords, readConfigObservations,
  readLedger, readMailboxActivity, readPremiumActionCounts, readSourceActivity, readThrottleMarkers, syncedFoldersSql,
} from './analysis.ts';
import Database from 'better-sqlite3';
import { CaseDataError } from './auditData.ts';
import { openMemory } from './database.ts';
import { addAccessItem, addAuditData } from './events.ts';
import type { ReadableDB, WritableDB } from './database.ts';

const T0 = Date.UTC(2024, 4, 1);
const H = 3_600_000;
const MEG = 'megan.bowen@contoso.com';
let db: WritableDB;
let seq = 0;

beforeEach(() => {
  db = openMemory();
  seq = 0;
  db.exec(`INSERT INTO evidence (id, sha256, size, rel_path, added_by, added_at) VALUES (1, 'ab', 1, 'evidence/ab/ab', 'test', '2024-06-01T00:00:00Z');
           INSERT INTO import_runs (id, evidence_id, source, started_at, status) VALUES (1, 1, 'file', '2024-06-01T00:00:00Z', 'completed');`);
});

interface Ev {
  timeMs: number;
  operation: string;
  mailbox?: string | null;
  userId?: string | null;
  ip?: string | null;
  session?: string | null;
  appId?: string | null;
  clientInfo?: string | null;
  recordType?: number;
  data?: Record<string, unknown>;
  items?: { imid: string | null; folder: string | null; type: 'Bind' | 'Sync' | null }[];
  workload?: string;
}

function insert(e: Ev): { id: number; recordId: string } {
  const recordId = `rec-${++seq}`;
  const data: Record<string, unknown> = { Id: recordId, Operation: e.operation, CreationTime: new Date(e.timeMs).toISOString().slice(0, 19), ...(e.data ?? {}) };
  const info = db.prepare(`INSERT INTO events (record_id, time_ms, record_type, operation, workload, user_id, mailbox, client_ip, session_id, app_id, client_info, evidence_id, import_run_id, result_status, user_type)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1, ?, ?)`).run(
    recordId, e.timeMs, e.recordType ?? 2, e.operation, e.workload ?? 'Exchange', e.userId ?? e.mailbox ?? null, e.mailbox ?? null, e.ip ?? null,
    e.session ?? null, e.appId ?? null, e.clientInfo ?? null, String(data['ResultStatus'] ?? 'Succeeded'), Number(data['UserType'] ?? 0),
  );
  const id = Number(info.lastInsertRowid);
  addAuditData(db, { id, operation: e.operation }, JSON.stringify(data));
  for (const it of e.items ?? []) {
    addAccessItem(db, id, { folderPath: it.folder, internetMessageId: it.imid, accessType: it.type });
  }
  return { id, recordId };
}

function snapshot(kind: string, asOf: string, rows: { identity: string; value: unknown; raw?: unknown }[]): number {
  const s = db.prepare("INSERT INTO config_snapshots (kind, as_of, as_of_source, evidence_id, import_run_id) VALUES (?, ?, 'option', 1, 1)").run(kind, asOf);
  for (const r of rows) {
    db.prepare('INSERT INTO config_rows (snapshot_id, kind, identity, value_json, raw_json) VALUES (?, ?, ?, ?, ?)').run(s.lastInsertRowid, kind, r.identity, JSON.stringify(r.value), JSON.stringify(r.raw ?? {}));
  }
  return Number(s.lastInsertRowid);
}

const mia = (timeMs: number, mailbox: string, extra: Partial<Ev> = {}) => insert({ timeMs, operation: 'MailItemsAccessed', mailbox, recordType: 50, ...extra });

describe('range, configuration and change records', () => {
  it('case range is first..last event', () => {
    expect(readCaseRange(db)).toBeNull();
    insert({ timeMs: T0 + 5 * H, operation: 'Send', mailbox: MEG });
    insert({ timeMs: T0, operation: 'Send', mailbox: MEG });
    expect(readCaseRange(db)).toEqual({ startMs: T0, endMs: T0 + 5 * H, events: 2 });
  });

  it('configuration rows carry their snapshot time; an unreadable as_of is an error', () => {
    snapshot('bypass', '2024-06-01T00:00:00Z', [{ identity: 'svc', value: { identity: 'svc', name: 'svc', auditBypassEnabled: true, whenChangedUtc: null } }]);
    const got = readConfigObservations(db, 'bypass');
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ asOfMs: Date.UTC(2024, 5, 1), value: { auditBypassEnabled: true } });
    snapshot('bypass', 'yesterday', [{ identity: 'x', value: {} }]);
    expect(() => readConfigObservations(db, 'bypass')).toThrow(CaseDataError);
  });

  it('change records are parsed with their Parameters, other operations are not read', () => {
    insert({ timeMs: T0 + H, operation: 'Set-MailboxAuditBypassAssociation', recordType: 1, data: { Parameters: [{ Name: 'Identity', Value: 'megan.bowen' }, { Name: 'AuditBypassEnabled', Value: 'True' }], ResultStatus: 'True' } });
    insert({ timeMs: T0, operation: 'set-mailbox', recordType: 1, data: { Parameters: [{ Name: 'Identity', Value: 'x' }] } });
    insert({ timeMs: T0, operation: 'MailItemsAccessed', mailbox: MEG });
    const recs = readChangeRecords(db);
    expect(recs.map((r) => r.operation)).toEqual(['set-mailbox', 'Set-MailboxAuditBypassAssociation']);
    expect(recs[1]!.parameters.get('AuditBypassEnabled')).toBe('True');
    expect(recs[1]!.failed).toBe(false);
  });
});

describe('content searches are change records', () => {
  it('Security & Compliance cmdlets are read, their Parameters string parsed', () => {
    insert({ timeMs: T0, operation: 'New-ComplianceSearch', recordType: 18, userId: 'adm.patti@contoso.com', ip: '203.0.113.91', data: { Parameters: '-Name "S" -ExchangeLocation "All"', ResultStatus: 'True' } });
    insert({ timeMs: T0 + H, operation: 'New-ComplianceSearchAction', recordType: 18, userId: 'adm.patti@contoso.com', ip: '203.0.113.91', data: { Parameters: '-SearchName "S" -Export', ResultStatus: 'True' } });
    const recs = readChangeRecords(db);
    expect(recs.map((r) => [r.operation, r.clientIp, [...r.parameters]])).toEqual([
      ['New-ComplianceSearch', '203.0.113.91', [['Name', 'S'], ['ExchangeLocation', 'All']]],
      ['New-ComplianceSearchAction', '203.0.113.91', [['SearchName', 'S'], ['Export', 'True']]],
    ]);
  });
});

describe('the activity of one source', () => {
  const EVIL = '203.0.113.66';
  const build = () => {
    const signIn = insert({ timeMs: T0, operation: 'UserLoggedIn', recordType: 15, userId: MEG, ip: EVIL, workload: 'AzureActiveDirectory', data: { ApplicationId: 'evil-app' } });
    for (let i = 0; i < 5; i++) insert({ timeMs: T0 + H + i, operation: 'MailItemsAccessed', mailbox: MEG, ip: EVIL, appId: 'evil-app' });
    const rule = insert({ timeMs: T0 + 2 * H, operation: 'New-InboxRule', recordType: 1, userId: MEG, mailbox: 'megan.bowen\\x', ip: EVIL });
    const sends = [3, 3, 4].map((h) => insert({ timeMs: T0 + h * H, operation: 'Send', mailbox: MEG, ip: EVIL, data: { recipientList: [{ Address: 'p@evil.example' }] } }));
    insert({ timeMs: T0 + 5 * H, operation: 'UserLoggedIn', recordType: 15, userId: 'adm.patti@contoso.com', ip: EVIL });
    insert({ timeMs: T0, operation: 'UserLoggedIn', recordType: 15, userId: MEG, ip: '198.51.100.7' });
    return { signIn, rule, sends };
  };

  it('counts every record from an IP and lists the first others in time then record order, leaving out the excluded', () => {
    const { signIn, rule, sends } = build();
    const a = readSourceActivity(db, 'IP', EVIL, new Set([rule.recordId]), 3)!;
    expect(a).toMatchObject({ dim: 'IP', value: EVIL, total: 11, firstMs: T0, lastMs: T0 + 5 * H, accounts: 2, groupCount: 5, otherCount: 5 });
    expect(a.operations).toEqual([{ operation: 'MailItemsAccessed', count: 5 }, { operation: 'Send', count: 3 }, { operation: 'UserLoggedIn', count: 2 }, { operation: 'New-InboxRule', count: 1 }]);
    expect(a.groups.map((g) => [g.operation, g.userId, g.count])).toEqual([
      ['UserLoggedIn', MEG, 1], ['MailItemsAccessed', MEG, 5], ['New-InboxRule', MEG, 1], ['Send', MEG, 3], ['UserLoggedIn', 'adm.patti@contoso.com', 1],
    ]);
    expect(a.records.map((r) => r.recordId)).toEqual([signIn.recordId, sends[0]!.recordId, sends[1]!.recordId]);
    expect(JSON.parse(a.records[0]!.auditData!)).toMatchObject({ ApplicationId: 'evil-app' });
    expect(readSourceActivity(db, 'IP', EVIL, new Set(), 100, 2)!.groups).toHaveLength(2);
    expect(readSourceActivity(db, 'IP', '192.0.2.1', new Set(), 3)).toBeNull();
  });

  it('a source with hundreds of thousands of (operation, account, mailbox) groups is read, its span and operations merged in one pass', () => {
    const N = 200_000;
    db.prepare(`WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < ? - 1)
                INSERT INTO events (record_id, time_ms, operation, user_id, mailbox, client_ip, evidence_id, import_run_id)
                SELECT 'bulk-' || i, ? + i, CASE i % 2 WHEN 0 THEN 'MailItemsAccessed' ELSE 'mailitemsaccessed' END, 'u' || i || '@contoso.com', ?, ?, 1, 1 FROM k`).run(N, T0, MEG, EVIL);
    const a = readSourceActivity(db, 'IP', EVIL, new Set(), 3)!;
    expect(a).toMatchObject({ total: N, firstMs: T0, lastMs: T0 + N - 1, accounts: N, groupCount: N, otherCount: 0, records: [] });
    expect(a.operations).toEqual([{ operation: 'MailItemsAccessed', count: N }]);
    expect(a.groups).toHaveLength(30);
  });

  it('mail access in any letter case is counted, not listed, nor taken off the other records when a finding cites it', () => {
    const lower = insert({ timeMs: T0, operation: 'mailitemsaccessed', mailbox: MEG, ip: EVIL });
    const send = insert({ timeMs: T0 + H, operation: 'Send', mailbox: MEG, ip: EVIL });
    const a = readSourceActivity(db, 'IP', EVIL, new Set([lower.recordId]), 3)!;
    expect(a.records.map((r) => r.recordId)).toEqual([send.recordId]);
    expect(a).toMatchObject({ total: 2, otherCount: 1 });
  });

  it('an app source also matches records that name the app only as client_app_id, in the counts, the records listed and those excluded', () => {
    build();
    const send = insert({ timeMs: T0 + 6 * H, operation: 'Send', mailbox: MEG, ip: '198.51.100.7' });
    const rule = insert({ timeMs: T0 + 7 * H, operation: 'Set-InboxRule', recordType: 1, userId: MEG, ip: '198.51.100.7' });
    db.prepare('UPDATE events SET client_app_id = ? WHERE id IN (?, ?)').run('evil-app', send.id, rule.id);
    const a = readSourceActivity(db, 'app', 'evil-app', new Set([rule.recordId]), 3)!;
    expect(a).toMatchObject({ total: 7, lastMs: T0 + 7 * H, otherCount: 1 });
    expect(a.operations).toEqual([{ operation: 'MailItemsAccessed', count: 5 }, { operation: 'Send', count: 1 }, { operation: 'Set-InboxRule', count: 1 }]);
    expect(a.records.map((r) => r.recordId)).toEqual([send.recordId]);
  });

  it('an app source reads app_id (sign-ins carry their app only in AuditData)', () => {
    build();
    const a = readSourceActivity(db, 'app', 'evil-app', new Set(), 3)!;
    expect(a).toMatchObject({ total: 5, otherCount: 0, records: [] });
  });
});

describe('MailItemsAccessed aggregates', () => {
  it('throttle markers: only IsThrottled=True, confirmed by parsing', () => {
    const on = mia(T0, MEG, { data: { OperationProperties: [{ Name: 'MailAccessType', Value: 'Bind' }, { Name: 'IsThrottled', Value: 'True' }] } });
    mia(T0 + H, MEG, { data: { OperationProperties: [{ Name: 'IsThrottled', Value: 'False' }], Folders: [{ FolderItems: [{ Subject: 'True story' }] }] } });
    mia(T0 + 2 * H, MEG, { data: { OperationProperties: [{ Name: 'IsThrottled', Value: 'False' }] } });
    expect(readThrottleMarkers(db)).toEqual([{ recordId: on.recordId, timeMs: T0, mailbox: MEG }]);
  });

  it('throttle inference: 1,001 records in 24 hours on one mailbox, 1,000 on another, 1,001 over 25 hours on a third', () => {
    const ins = db.transaction(() => {
      for (let k = 0; k < 1001; k++) mia(T0 + k * 60_000, MEG);
      for (let k = 0; k < 1000; k++) mia(T0 + k * 60_000, 'adele@contoso.com');
      for (let k = 0; k < 1001; k++) mia(T0 + k * 90_000, 'grady@contoso.com');
    });
    ins();
    const activity = readMailboxActivity(db);
    expect(inferThrottles(db, activity)).toEqual([{ mailbox: MEG, startMs: T0 + 1000 * 60_000, count: 1001 }]);
    expect(activity.find((a) => a.mailbox === 'adele@contoso.com')?.mailItemsAccessed).toBe(1000);
  });

  it('activity per mailbox per day merges UPN case variants and counts MailItemsAccessed', () => {
    insert({ timeMs: T0, operation: 'Send', mailbox: MEG });
    insert({ timeMs: T0 + 25 * H, operation: 'Send', mailbox: MEG.toUpperCase() });
    mia(T0 + 26 * H, MEG);
    const [a] = readMailboxActivity(db);
    expect(a).toMatchObject({ mailbox: MEG, count: 3, firstMs: T0, lastMs: T0 + 26 * H, mailItemsAccessed: 1 });
    expect([...a!.daily.values()]).toEqual([1, 2]);
    expect(readMailboxActivity(db, 'MEGAN.BOWEN@contoso.com').map((x) => x.count)).toEqual([3]);
  });

  it('access sources group by IP, app and client; the first record is found', () => {
    mia(T0, MEG, { ip: '198.51.100.7', appId: 'owa', clientInfo: 'Client=OWA' });
    mia(T0 + H, MEG, { ip: '198.51.100.7', appId: 'owa', clientInfo: 'Client=OWA' });
    const evil = mia(T0 + 2 * H, MEG, { ip: '203.0.113.9', appId: 'owa', clientInfo: 'Client=OWA' });
    const got = readAccessSources(db).sort((a, b) => a.firstMs - b.firstMs);
    expect(got.map((s) => [s.ip, s.count, s.firstMs, s.lastMs])).toEqual([['198.51.100.7', 2, T0, T0 + H], ['203.0.113.9', 1, T0 + 2 * H, T0 + 2 * H]]);
    expect(firstAccessRecord(db, MEG, 'IP', '203.0.113.9', T0 + 2 * H)).toBe(evil.recordId);
    expect(firstAccessRecord(db, MEG, 'app', 'other', T0 + 2 * H)).toBeNull();
  });
});

describe('Send and SearchQueryInitiated counts', () => {
  it('per mailbox inside the range, both spellings of SearchQueryInitiated as one, UPN case folded', () => {
    insert({ timeMs: T0, operation: 'Send', mailbox: MEG });
    insert({ timeMs: T0 + H, operation: 'Send', mailbox: 'Megan.Bowen@contoso.com' });
    insert({ timeMs: T0 + 2 * H, operation: 'SearchQueryInitiatedExchange', mailbox: MEG });
    insert({ timeMs: T0 + 3 * H, operation: 'SearchQueryInitiated', mailbox: MEG });
    insert({ timeMs: T0 + 10 * H, operation: 'Send', mailbox: MEG }); // after the range
    insert({ timeMs: T0, operation: 'SendAs', mailbox: MEG });
    insert({ timeMs: T0, operation: 'Send', mailbox: null });
    const counts = readPremiumActionCounts(db, { startMs: T0, endMs: T0 + 5 * H });
    expect(counts.sort((a, b) => a.operation.localeCompare(b.operation))).toEqual([
      { mailbox: MEG, operation: 'SearchQueryInitiated', count: 2 },
      { mailbox: MEG, operation: 'Send', count: 2 },
    ]);
  });

  it('operations are matched in any letter case: a record stored as "send" is a Send', () => {
    insert({ timeMs: T0, operation: 'send', mailbox: 'Adele.Vance@contoso.com' });
    insert({ timeMs: T0 + H, operation: 'SEND', mailbox: 'adele.vance@contoso.com' });
    insert({ timeMs: T0 + 2 * H, operation: 'searchqueryinitiatedexchange', mailbox: 'adele.vance@contoso.com' });
    const counts = readPremiumActionCounts(db, { startMs: T0, endMs: T0 + 5 * H });
    expect(counts.sort((a, b) => a.operation.localeCompare(b.operation))).toEqual([
      { mailbox: 'adele.vance@contoso.com', operation: 'SearchQueryInitiated', count: 1 },
      { mailbox: 'adele.vance@contoso.com', operation: 'Send', count: 2 },
    ]);
  });
});

describe('ledger', () => {
  it('is null when the case has no ledger table', () => {
    const bare = new Database(':memory:') as unknown as ReadableDB;
    expect(readLedger(bare)).toBeNull();
  });

  it('reads the acquisition ledger (0003 schema); an unknown status counts as incomplete', () => {
    expect(readLedger(db)).toEqual([]);
    db.exec(`INSERT INTO ledger (plan_hash, source, slice_start, slice_end, status, query_json, reason, updated_at) VALUES
               ('p', 'graph', '2024-05-01T00:00:00Z', '2024-05-01T01:00:00Z', 'incomplete', '{"mailbox":"megan.bowen"}', 'cap', '2024-06-01T00:00:00Z'),
               ('p', 'graph', '2024-05-01T01:00:00Z', '2024-05-01T02:00:00Z', 'weird', '{}', null, '2024-06-01T00:00:00Z');`);
    expect(readLedger(db)).toEqual([
      { id: 1, source: 'graph', start: '2024-05-01T00:00:00Z', end: '2024-05-01T01:00:00Z', status: 'incomplete', query: { mailbox: 'megan.bowen' }, reason: 'cap', collectedAt: '2024-06-01T00:00:00Z' },
      { id: 2, source: 'graph', start: '2024-05-01T01:00:00Z', end: '2024-05-01T02:00:00Z', status: 'incomplete', query: {}, reason: 'unknown ledger status "weird"', collectedAt: '2024-06-01T00:00:00Z' },
    ]);
  });
});

describe('exposure', () => {
  function seed() {
    mia(T0, MEG, { session: 's1', ip: '203.0.113.9', appId: 'app1', items: [{ imid: '<a@x>', folder: '\\Inbox', type: 'Bind' }, { imid: '<b@x>', folder: '\\Inbox', type: 'Bind' }, { imid: '<a@x>', folder: '\\Inbox', type: 'Bind' }] });
    mia(T0 + H, MEG, { session: 's2', ip: '198.51.100.7', appId: 'app2', items: [{ imid: '<a@x>', folder: '\\Archive', type: 'Bind' }] });
    mia(T0 + 2 * H, MEG, { session: 's1', ip: '203.0.113.9', appId: 'app1', clientInfo: 'Client=MSExchangeRPC', items: [{ imid: null, folder: '\\Inbox', type: 'Sync' }] });
    mia(T0, 'other@contoso.com', { session: 's1', items: [{ imid: '<z@x>', folder: '\\Inbox', type: 'Bind' }] });
  }
  const all = { mailbox: MEG, fromMs: 0, toMs: Number.MAX_SAFE_INTEGER };
  /** Stores the scope's messages under a new run and reads them back, as the exposure service does. */
  const exposed = (q: typeof all & { session?: string; ip?: string; app?: string }) => {
    const run = insertAnalysisRun(db, { kind: 'exposure', analysisVersion: 't', generatedAt: '2024-06-01T00:00:00.000Z', inputs: {}, result: {} });
    const stored = storeExposureItems(db, run, q);
    const items = [...readExposureItems(db, run)];
    expect(stored.count).toBe(items.length);
    expect(stored.accessRecords).toBe(items.reduce((a, i) => a + i.accessCount, 0));
    return items;
  };

  it('one item per InternetMessageId; a repeat inside one aggregated record counts once', () => {
    seed();
    const items = exposed(all);
    expect(items).toEqual([
      { internetMessageId: '<a@x>', folder: '\\Archive | \\Inbox', firstAccess: new Date(T0).toISOString(), lastAccess: new Date(T0 + H).toISOString(), accessCount: 2, sessions: ['s1', 's2'], ips: ['198.51.100.7', '203.0.113.9'], accessTypes: ['Bind'] },
      { internetMessageId: '<b@x>', folder: '\\Inbox', firstAccess: new Date(T0).toISOString(), lastAccess: new Date(T0).toISOString(), accessCount: 1, sessions: ['s1'], ips: ['203.0.113.9'], accessTypes: ['Bind'] },
    ]);
    expect(querySyncedFolders(db, all)).toEqual([{ folder: '\\Inbox', time: new Date(T0 + 2 * H).toISOString(), sessionId: 's1', ip: '203.0.113.9', client: 'Client=MSExchangeRPC' }]);
  });

  it('commas inside folder names, sessions and IPs survive the aggregation', () => {
    mia(T0, MEG, { session: 'a,b', ip: '203.0.113.9', items: [{ imid: '<c@x>', folder: '\\Clients, old', type: 'Bind' }] });
    mia(T0 + H, MEG, { session: 'c', ip: '203.0.113.9', items: [{ imid: '<c@x>', folder: '\\Inbox', type: 'Bind' }] });
    expect(exposed(all)).toMatchObject([{ internetMessageId: '<c@x>', folder: '\\Clients, old | \\Inbox', sessions: ['a,b', 'c'], ips: ['203.0.113.9'], accessCount: 2 }]);
  });

  it('a message seen in three folders lists all three (scoped to the mailbox)', () => {
    seed();
    mia(T0 + 3 * H, MEG, { session: 's1', items: [{ imid: '<a@x>', folder: '\\Zed', type: 'Bind' }] });
    mia(T0 + 3 * H, 'other@contoso.com', { session: 's1', items: [{ imid: '<a@x>', folder: '\\Elsewhere', type: 'Bind' }] });
    const [a] = exposed(all);
    expect(a).toMatchObject({ internetMessageId: '<a@x>', folder: '\\Archive | \\Inbox | \\Zed', accessCount: 3 });
  });

  it.each([
    { name: 'session', q: { session: 's2' }, want: ['<a@x>'] },
    { name: 'ip', q: { ip: '203.0.113.9' }, want: ['<a@x>', '<b@x>'] },
    { name: 'app', q: { app: 'app2' }, want: ['<a@x>'] },
    { name: 'time', q: { fromMs: T0 + 1, toMs: T0 + 3 * H }, want: ['<a@x>'] },
  ])('scope by $name', ({ q, want }) => {
    seed();
    expect(exposed({ ...all, ...q }).map((i) => i.internetMessageId)).toEqual(want);
  });
});

describe('sessions', () => {
  it('groups by session, IP, app and client across workloads, with the sign-ins that began them', () => {
    const signin = insert({ timeMs: T0 - H, operation: 'UserLoggedIn', userId: MEG, mailbox: null, ip: '203.0.113.9', recordType: 15, workload: 'AzureActiveDirectory' });
    insert({ timeMs: T0 - 48 * H, operation: 'UserLoggedIn', userId: MEG, mailbox: null, ip: '198.51.100.7', recordType: 15, workload: 'AzureActiveDirectory' });
    const second = insert({ timeMs: T0 - H, operation: 'UserLoggedIn', userId: MEG, mailbox: null, ip: '198.51.100.7', recordType: 15, workload: 'AzureActiveDirectory' });
    mia(T0, MEG, { session: 's1', ip: '203.0.113.9', appId: 'a', clientInfo: 'c' });
    insert({ timeMs: T0 + H, operation: 'FileDownloaded', userId: MEG, mailbox: null, session: 's1', ip: '203.0.113.9', appId: 'a', clientInfo: 'c', workload: 'SharePoint', recordType: 6 });
    mia(T0 + 2 * H, MEG, { session: 's2', ip: '198.51.100.7', appId: 'a', clientInfo: 'c' });
    const got = querySessions(db, MEG);
    expect(got.map((g) => [g.sessionId, g.events, g.workloads, g.operations])).toEqual([
      ['s1', 2, ['Exchange', 'SharePoint'], ['FileDownloaded', 'MailItemsAccessed']],
      ['s2', 1, ['Exchange'], ['MailItemsAccessed']],
    ]);
    expect(got[0]!.signIns.map((s) => s.recordId)).toEqual([signin.recordId]);
    // s2 began 3 hours after the 198.51.100.7 sign-in (within 12 h); the sign-in two days earlier is too old.
    expect(got[1]!.signIns.map((s) => s.recordId)).toEqual([second.recordId]);
    expect(got.flatMap((g) => g.signIns.map((s) => s.when))).toEqual(['before', 'before']);
  });

  it('says which sign-ins came only after a group had begun (they cannot have begun it)', () => {
    const early = insert({ timeMs: T0 - H, operation: 'UserLoggedIn', userId: MEG, mailbox: null, ip: '203.0.113.9', recordType: 15, workload: 'AzureActiveDirectory' });
    const late = insert({ timeMs: T0 + 30 * 60_000, operation: 'UserLoggedIn', userId: MEG, mailbox: null, ip: '203.0.113.9', recordType: 15, workload: 'AzureActiveDirectory' });
    mia(T0, MEG, { session: 's1', ip: '203.0.113.9', appId: 'a', clientInfo: 'c' });
    mia(T0 + H, MEG, { session: 's1', ip: '203.0.113.9', appId: 'a', clientInfo: 'c' });
    const [g] = querySessions(db, MEG);
    expect(g!.signIns.map((s) => [s.recordId, s.when])).toEqual([[early.recordId, 'before'], [late.recordId, 'during']]);
  });
});

describe('analysis runs', () => {
  it('stores and reads back a run with its inputs', () => {
    const id = insertAnalysisRun(db, { kind: 'gaps', analysisVersion: '1.0.0', generatedAt: '2024-06-01T00:00:00.000Z', inputs: { events: 3 }, result: { ok: 1 } });
    expect(readAnalysisRun(db, id)).toEqual({ id, kind: 'gaps', analysisVersion: '1.0.0', generatedAt: '2024-06-01T00:00:00.000Z', inputs: { events: 3 }, result: { ok: 1 } });
  });
});

describe('query plans use indexes', () => {
  const plan = (sql: string, ...args: unknown[]) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail);
  const ex = exposureItemsSql({ mailbox: MEG, fromMs: 0, toMs: 1, session: 's', ip: 'i', app: 'a' });
  const sy = syncedFoldersSql({ mailbox: MEG, fromMs: 0, toMs: 1 });
  it.each([
    ['throttle markers', SQL.throttled, [], /events_mia_throttled/],
    ['MailItemsAccessed times of a mailbox', SQL.miaTimes, [MEG], /COVERING INDEX events_mia\b/],
    ['access sources (grouped in index order)', SQL.accessSources, [], /^SEARCH events USING COVERING INDEX events_mia_src \(mailbox>\?\)$/],
    ['activity per day (grouped in index order)', SQL.activity, [], /^SEARCH events USING COVERING INDEX events_mailbox_day \(mailbox>\?\)$/],
    ['activity of one mailbox', SQL.activityOne, [MEG], /^SEARCH events USING COVERING INDEX events_mailbox_day \(mailbox=\?\)$/],
    ['change records', SQL.changes, ['Set-Mailbox'], /INDEX events_op_time/],
    ['Send and SearchQueryInitiated counts', SQL.premiumActions, [0, 1], /INDEX events_op_time \(operation=\? AND time_ms>\? AND time_ms<\?\)/],
    ['first access by IP', SQL.firstAccessByIp, [MEG, 1, 'x'], /INDEX events_mia\b/],
    // One index, in message order: no join to events (but for the app, read from the event), no sort.
    ['exposure items', ex.sql, [1, ...ex.args], /^SEARCH ai USING COVERING INDEX access_items_exposure \(mailbox=\? AND internet_message_id>\?\)\nSEARCH e EXISTS USING INTEGER PRIMARY KEY \(rowid=\?\)\n(?![\s\S]*GROUP BY)/],
    ['synced folders', sy.sql, sy.args, /^SEARCH ai USING INDEX access_items_sync \(mailbox=\? AND time_ms>\? AND time_ms<\?\)\nSEARCH e USING INTEGER PRIMARY KEY/],
    ['sessions', SESSIONS_SQL, [MEG, MEG], /events_mailbox_time[\s\S]*events_user_time|events_user_time[\s\S]*events_mailbox_time/],
    ['records from one IP, grouped', SQL.sourceGroupsIp, ['203.0.113.66'], /^SEARCH events USING INDEX events_ip \(client_ip=\?\)/],
    ['records from one IP, in time order', SQL.sourceRecordsIp, ['203.0.113.66'], /SEARCH e USING INDEX events_ip \(client_ip=\?\)/],
    ['excluded records from one IP', SQL.sourceExcludedIp, ['[]', '203.0.113.66'], /events_record_id|events_ip/],
  ])('%s', (_name, sql, args, want) => {
    const p = plan(sql as string, ...(args as unknown[])).join('\n');
    expect(p).toMatch(want as RegExp);
    expect(p).not.toMatch(/SCAN (e|events)$/m);
  });
});
