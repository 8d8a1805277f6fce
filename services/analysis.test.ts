import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_ACTIONS } from '../core/analysis/auditSets.ts';
import { ANALYSIS_VERSION } from '../core/analysis/types.ts';
import { readAnalysisRun } from '../db/analysis.ts';
import { openReadable } from '../db/database.ts';
import { createCase, openCase } from './caseFolder.ts';
import type { WritableDB } from '../db/database.ts';
import { addAccessItem, addAuditData } from '../db/events.ts';
import { exposure, exposureItems, exposureToCsv, findings, gaps, sessions } from './analysis.ts';
import { BadInputError, CaseError } from './errors.ts';

const T0 = Date.UTC(2024, 4, 1);
const H = 3_600_000;
const D = 86_400_000;
const END = T0 + 20 * D;
const NOW = '2024-06-01T12:00:00.000Z';
const iso = (ms: number) => new Date(ms).toISOString();
const MEG = 'megan.bowen@contoso.com';
const PATTI = 'adm.patti@contoso.com';

let dir: string;
let seq = 0;
/** The record id of the attacker's sign-in in the fixture. */
let evilSignIn = '';

function mbx(upn: string, over: Record<string, unknown> = {}) {
  const alias = upn.split('@')[0]!;
  return {
    identity: alias, userPrincipalName: upn, primarySmtpAddress: upn, displayName: alias, alias, exchangeGuid: null, externalDirectoryObjectId: null,
    recipientTypeDetails: 'UserMailbox', auditEnabled: true, auditLogAgeLimitDays: 90, auditOwner: DEFAULT_ACTIONS.Owner, auditDelegate: DEFAULT_ACTIONS.Delegate,
    auditAdmin: DEFAULT_ACTIONS.Admin, defaultAuditSet: ['Admin', 'Delegate', 'Owner'], persistedCapabilities: null, ...over,
  };
}

function build(db: WritableDB): void {
  db.exec(`INSERT INTO evidence (id, sha256, size, rel_path, added_by, added_at) VALUES (1, 'ab', 1, 'evidence/ab/ab', 'test', '2024-06-01T00:00:00Z');
           INSERT INTO import_runs (id, evidence_id, source, started_at, status) VALUES (1, 1, 'file', '2024-06-01T00:00:00Z', 'completed');`);
  const ev = db.prepare(`INSERT INTO events (record_id, time_ms, record_type, operation, workload, user_id, user_type, mailbox, object_id, client_ip, session_id, app_id, client_info, result_status, evidence_id, import_run_id)
                         VALUES (@id, @t, @rt, @op, 'Exchange', @user, @ut, @mbx, @obj, @ip, @sess, @app, @ci, @rs, 1, 1)`);
  const add = (t: number, op: string, o: { rt?: number; user?: string; mbx?: string | null; obj?: string | null; ip?: string; sess?: string; app?: string; ci?: string; data?: Record<string, unknown>; items?: [string | null, string, 'Bind' | 'Sync'][] } = {}) => {
    const id = `rec-${++seq}`;
    const data = { Id: id, Operation: op, CreationTime: iso(t).slice(0, 19), ResultStatus: o.rt === 1 ? 'True' : 'Succeeded', ...(o.data ?? {}) };
    const info = ev.run({ id, t, rt: o.rt ?? 2, op, user: o.user ?? o.mbx ?? null, ut: o.rt === 1 ? 2 : 0, mbx: o.mbx ?? null, obj: o.obj ?? null, ip: o.ip ?? null, sess: o.sess ?? null, app: o.app ?? null, ci: o.ci ?? null, rs: String(data.ResultStatus) });
    addAuditData(db, { id: info.lastInsertRowid, operation: op }, JSON.stringify(data));
    for (const [imid, folder, type] of o.items ?? []) addAccessItem(db, info.lastInsertRowid, { folderPath: folder, internetMessageId: imid, accessType: type });
    return id;
  };
  // Ordinary owner activity from the office: days 0..19.
  for (let d = 0; d < 20; d++) add(T0 + d * D + 9 * H, 'MailItemsAccessed', { rt: 50, mbx: MEG, ip: '198.51.100.10', sess: `own-${d}`, app: 'owa', ci: 'Client=OWA', items: [[`<own-${d}@contoso.com>`, '\\Inbox', 'Bind']] });
  // Admin turns on bypass for the compromised admin (by bare alias), and off again later.
  add(T0 + 5 * D, 'Set-MailboxAuditBypassAssociation', { rt: 1, user: PATTI, obj: 'adm.patti', data: { Parameters: [{ Name: 'Identity', Value: 'adm.patti' }, { Name: 'AuditBypassEnabled', Value: 'True' }] } });
  add(T0 + 9 * D, 'Set-MailboxAuditBypassAssociation', { rt: 1, user: PATTI, obj: 'adm.patti', data: { Parameters: [{ Name: 'Identity', Value: 'adm.patti' }, { Name: 'AuditBypassEnabled', Value: 'False' }] } });
  // The attacker reads mail from a new IP, then Sync of the Inbox, then a throttled marker.
  add(T0 + 10 * D, 'MailItemsAccessed', { rt: 50, mbx: MEG, ip: '203.0.113.66', sess: 'evil-1', app: 'evil-app', ci: 'Client=REST', items: [['<inv-1@contoso.com>', '\\Inbox', 'Bind'], ['<inv-2@contoso.com>', '\\Inbox', 'Bind']] });
  add(T0 + 10 * D + H, 'MailItemsAccessed', { rt: 50, mbx: MEG, ip: '203.0.113.66', sess: 'evil-1', app: 'evil-app', ci: 'Client=REST', items: [['<inv-1@contoso.com>', '\\Inbox', 'Bind']] });
  add(T0 + 10 * D + 2 * H, 'MailItemsAccessed', { rt: 2, mbx: MEG, ip: '203.0.113.66', sess: 'evil-2', app: 'outlook', ci: 'Client=MSExchangeRPC', items: [[null, '\\Inbox', 'Sync']] });
  add(T0 + 11 * D, 'MailItemsAccessed', { rt: 50, mbx: MEG, ip: '203.0.113.66', sess: 'evil-1', app: 'evil-app', ci: 'Client=REST', data: { OperationProperties: [{ Name: 'MailAccessType', Value: 'Bind' }, { Name: 'IsThrottled', Value: 'True' }] }, items: [['<inv-3@contoso.com>', '\\Finance', 'Bind']] });
  add(T0 + 10 * D + 3 * H, 'New-InboxRule', { rt: 1, user: MEG, obj: 'megan.bowen\\.', data: { UserType: 0, Parameters: [{ Name: 'MoveToFolder', Value: 'RSS Feeds' }, { Name: 'Name', Value: '.' }, { Name: 'MarkAsRead', Value: 'True' }] } });
  evilSignIn = add(T0 + 10 * D - 2 * H, 'UserLoggedIn', { rt: 15, user: MEG, ip: '203.0.113.66' });
  // Grady has no Audit Premium, yet his Send is recorded (older documentation lists Send as Premium only).
  add(T0 + 15 * D, 'Send', { rt: 2, mbx: 'grady@contoso.com' });

  const snap = db.prepare("INSERT INTO config_snapshots (kind, as_of, as_of_source, evidence_id, import_run_id) VALUES (?, ?, 'option', 1, 1)");
  const row = db.prepare('INSERT INTO config_rows (snapshot_id, kind, identity, value_json, raw_json) VALUES (?, ?, ?, ?, ?)');
  const snapshot = (kind: string, rows: [string, unknown][]) => {
    const s = snap.run(kind, iso(END)).lastInsertRowid;
    for (const [id, v] of rows) row.run(s, kind, id, JSON.stringify(v), '{}');
  };
  snapshot('mailbox', [[MEG, mbx(MEG)], [PATTI, mbx(PATTI)], ['grady@contoso.com', mbx('grady@contoso.com', { auditLogAgeLimitDays: 7 })]]);
  snapshot('bypass', [['adm.patti', { identity: 'adm.patti', name: 'adm.patti', auditBypassEnabled: false, whenChangedUtc: null }]]);
  snapshot('organization', [['contoso', { name: 'contoso', auditDisabled: false }]]);
  snapshot('adminAuditLog', [['x', { unifiedAuditLogIngestionEnabled: true, unifiedAuditLogFirstOptInDate: null, adminAuditLogEnabled: true, adminAuditLogAgeLimitDays: 90 }]]);
  const lic = (upn: string, plans: string[]) => ({ userPrincipalName: upn, skuPartNumber: 'X', skuId: null, servicePlans: plans.map((name) => ({ name, status: 'Success' })), assignedVia: 'direct', groupId: null, state: 'Active', error: null });
  snapshot('licence', [[MEG, lic(MEG, ['M365_ADVANCED_AUDITING'])], [PATTI, lic(PATTI, ['M365_ADVANCED_AUDITING'])], ['grady@contoso.com', lic('grady@contoso.com', ['EXCHANGE_S_ENTERPRISE'])]]);
}

function fingerprint(): string {
  const db = openReadable(join(dir, 'case.sqlite'));
  try {
    return JSON.stringify([db.prepare('SELECT count(*), sum(length(audit_data)), max(event_id) FROM event_data').get(), db.prepare('SELECT * FROM evidence').all(), db.prepare('SELECT count(*) FROM access_items').get()]);
  } finally {
    db.close();
  }
}

beforeEach(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'blindspot-analysis-')), 'case');
  seq = 0;
  const h = createCase(dir, { name: 'analysis test', examiner: 'tester' });
  build(h.db);
  h.close();
});
afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

describe('gaps', () => {
  it('returns the windows of the scenario and stores the run with its inputs', () => {
    const before = fingerprint();
    const { runId, result } = gaps(dir, { now: NOW });
    expect(result).toMatchObject({ generatedAt: NOW, analysisVersion: ANALYSIS_VERSION, range: { start: iso(T0 + 9 * H), end: iso(T0 + 19 * D + 9 * H) } });
    const w = (m: string) => result.mailboxes.find((x) => x.mailbox === m)!.windows.map((x) => [x.kind, x.start, x.end, x.confidence]);
    expect(w(PATTI)).toEqual([['bypass', iso(T0 + 5 * D), iso(T0 + 9 * D), 'certain']]);
    expect(w(MEG)).toEqual([['throttled', iso(T0 + 11 * D), iso(T0 + 12 * D), 'certain']]);
    // Grady's store keeps 7 days, seen from when his configuration was read (END), not from the last event.
    expect(w('grady@contoso.com')).toEqual([
      ['retention', iso(T0 + 9 * H), iso(END - 7 * D), 'certain'],
      ['unlicensed', iso(T0 + 9 * H), null, 'certain'],
    ]);
    const grady = result.mailboxes.find((x) => x.mailbox === 'grady@contoso.com')!.windows;
    expect(grady[0]!.reason).toContain(`seen from ${iso(END)}, when the mailbox configuration (Get-Mailbox) was read`);
    expect(grady[1]!.reason).toContain('MailItemsAccessed is not recorded without Audit (Premium); Send was recorded nonetheless: the case holds 1 Send record for this mailbox in the case range');
    expect(result).toMatchObject({ rangeBasis: 'events', rangeNote: "the case's first to last event (no range given and no acquisition ledger)" });
    expect(result.mailboxes.find((x) => x.mailbox === PATTI)!.accountKind).toBe('admin');
    const stored = readAnalysisRun(openReadable(join(dir, 'case.sqlite')), runId)!;
    expect(stored.result).toEqual(result);
    expect(stored.inputs).toMatchObject({ events: 29, changeRecords: 3, throttleMarkers: 1, ledgerSlices: 0 });
    expect(fingerprint()).toBe(before);
  });

  it('with a completeness ledger, the acquired range by default, and the store seen from when the acquisition read it', () => {
    const h = openCase(dir);
    h.db.prepare(`INSERT INTO ledger (plan_hash, source, slice_start, slice_end, status, query_json, updated_at) VALUES ('p', ?, ?, ?, 'complete', ?, ?)`)
      .run('graph', iso(T0), iso(T0 + 21 * D), '{}', iso(T0 + 21 * D + H));
    h.db.prepare(`INSERT INTO ledger (plan_hash, source, slice_start, slice_end, status, query_json, updated_at) VALUES ('p', ?, ?, ?, 'complete', ?, ?)`)
      .run('mailbox-audit', iso(T0), iso(T0 + 21 * D), JSON.stringify({ cmdlet: 'Search-MailboxAuditLog', Identity: 'grady@contoso.com', mailbox: 'grady@contoso.com' }), iso(T0 + 22 * D));
    h.close();
    const { result } = gaps(dir, { now: NOW });
    // The events run from T0 + 9 h to T0 + 19 d 9 h; what was acquired is T0 to T0 + 21 d.
    expect(result).toMatchObject({ range: { start: iso(T0), end: iso(T0 + 21 * D) }, rangeBasis: 'acquisition-ledger', rangeNote: 'the acquired range (from the completeness ledger)' });
    const grady = result.mailboxes.find((x) => x.mailbox === 'grady@contoso.com')!.windows.filter((x) => x.kind === 'retention');
    expect(grady.map((x) => [x.start, x.end, x.store])).toEqual([[iso(T0), iso(T0 + 15 * D), 'mailbox-audit']]);
    expect(grady[0]!.reason).toContain(`seen from ${iso(T0 + 22 * D)}, when the acquisition read this mailbox's audit history from the store (Search-MailboxAuditLog, acquisition ledger)`);
    // A range given wins over the ledger, and the store's horizon does not move with it.
    const given = gaps(dir, { now: NOW, range: { start: iso(T0), end: iso(T0 + 5 * D) } }).result;
    expect(given).toMatchObject({ rangeBasis: 'given', rangeNote: 'the range given' });
    expect(given.mailboxes.find((x) => x.mailbox === 'grady@contoso.com')!.windows.filter((x) => x.kind === 'retention').map((x) => x.end)).toEqual([iso(T0 + 15 * D)]);
  });

  it('a ledger narrower than the events: the acquired range widened to the events, and said so', () => {
    const h = openCase(dir);
    h.db.prepare(`INSERT INTO ledger (plan_hash, source, slice_start, slice_end, status, query_json, updated_at) VALUES ('p', ?, ?, ?, 'complete', ?, ?)`)
      .run('graph', iso(T0 + 2 * D), iso(T0 + 10 * D), '{}', iso(T0 + 21 * D + H));
    h.close();
    const { runId, result } = gaps(dir, { now: NOW });
    // The events run from T0 + 9 h to T0 + 19 d 9 h, on both sides of the one slice acquired (T0 + 2 d to T0 + 10 d).
    expect(result).toMatchObject({
      range: { start: iso(T0 + 9 * H), end: iso(T0 + 19 * D + 9 * H) }, rangeBasis: 'acquisition-ledger',
      rangeNote: `the acquired range (${iso(T0 + 2 * D)} to ${iso(T0 + 10 * D)}, from the completeness ledger), widened to the events the case holds outside it`,
    });
    const db = openReadable(join(dir, 'case.sqlite'));
    const stored = readAnalysisRun(db, runId)!;
    db.close();
    expect(stored.inputs).toMatchObject({ ledgerSlices: 1, range: { start: iso(T0 + 9 * H), end: iso(T0 + 19 * D + 9 * H), configured: false, basis: 'acquisition-ledger' } });
  });

  it('the stored inputs say whether the range was given (configured) and where it came from', () => {
    const read = (runId: number) => {
      const db = openReadable(join(dir, 'case.sqlite'));
      const r = readAnalysisRun(db, runId)!;
      db.close();
      return r.inputs;
    };
    expect(read(gaps(dir, { now: NOW, range: { start: iso(T0), end: iso(T0 + 5 * D) } }).runId)).toMatchObject({ range: { start: iso(T0), end: iso(T0 + 5 * D), configured: true, basis: 'given' } });
    expect(read(gaps(dir, { now: NOW }).runId)).toMatchObject({ range: { start: iso(T0 + 9 * H), end: iso(T0 + 19 * D + 9 * H), configured: false, basis: 'events' } });
  });

  it('states what could not be known for each configuration kind the case lacks', () => {
    expect(gaps(dir, { now: NOW }).result.unseen).toEqual([]); // the scenario has every kind
    const h = openCase(dir);
    h.db.exec("DELETE FROM config_rows WHERE kind IN ('licence', 'bypass'); DELETE FROM config_snapshots WHERE kind IN ('licence', 'bypass')");
    h.close();
    const { result } = gaps(dir, { now: NOW });
    expect(result.unseen).toEqual([
      expect.stringMatching(/^No audit bypass associations \(Get-MailboxAuditBypassAssociation\)/),
      expect.stringMatching(/^No licence assignments/),
    ]);
    // Without them, the bypass and unlicensed windows are gone: the statements are what the report says instead.
    expect(result.mailboxes.flatMap((m) => m.windows.map((w) => w.kind))).not.toContain('unlicensed');
  });

  it('an empty licence export gives the analysis nothing to read: no unlicensed window, and licences stated as unknown', () => {
    const h = openCase(dir);
    h.db.exec("DELETE FROM config_rows WHERE kind = 'licence'"); // the licence snapshot stays, with no row
    h.close();
    const { result } = gaps(dir, { now: NOW });
    expect(result.unseen).toEqual([expect.stringMatching(/^No licence assignments/)]);
    expect(result.mailboxes.flatMap((m) => m.windows.map((w) => w.kind))).not.toContain('unlicensed');
  });

  it('filters by any identifier of a mailbox, and refuses an unknown one', () => {
    expect(gaps(dir, { now: NOW, mailbox: 'ADM.PATTI' }).result.mailboxes.map((m) => m.mailbox)).toEqual([PATTI]);
    expect(() => gaps(dir, { now: NOW, mailbox: 'nobody' })).toThrow(BadInputError);
  });

  it('a folder without a case database is a case error; a bad clock is bad input', () => {
    expect(() => gaps(join(dir, 'missing'), { now: NOW })).toThrow(CaseError);
    expect(() => gaps(dir, { now: 'soon' })).toThrow(BadInputError);
  });
});

describe('findings', () => {
  it('covers the scenario and respects minSeverity', () => {
    const { runId, result } = findings(dir, { now: NOW, incident: { start: iso(T0 + 9 * D), end: iso(T0 + 12 * D) } });
    const kinds = result.findings.map((f) => `${f.severity}:${f.kind}:${f.mailbox ?? '*'}`);
    expect(kinds).toEqual(expect.arrayContaining([
      `critical:bypass:${PATTI}`, `high:throttled:${MEG}`, `high:inbox-rule:${MEG}`, `high:new-access-source:${MEG}`, 'high:unlicensed:grady@contoso.com',
    ]));
    const ip = result.findings.find((f) => f.id === `new-access-source:${MEG}:IP:203.0.113.66`)!;
    expect(ip.evidence).toHaveLength(1);
    expect(runId).toBeGreaterThan(0);
    const high = findings(dir, { now: NOW, minSeverity: 'high' }).result.findings;
    expect(high.length).toBeGreaterThan(0);
    expect(high.every((f) => f.severity === 'critical' || f.severity === 'high')).toBe(true);
    expect(() => findings(dir, { now: NOW, minSeverity: 'urgent' as never })).toThrow(BadInputError);
  });
});

describe('exposure', () => {
  it('lists the messages, the synced folder and the throttled window for the attacker session', () => {
    const { runId, result } = exposure(dir, { now: NOW, mailbox: 'megan.bowen', ip: '203.0.113.66' });
    expect(result.items).toEqual({ count: 3, accessRecords: 4 });
    // The stored run (what the custody entry points at) carries the counts SQLite aggregated, not the placeholder it was inserted with.
    const db = openReadable(join(dir, 'case.sqlite'));
    const stored = readAnalysisRun(db, runId)!;
    db.close();
    expect(stored.result).toMatchObject({ items: { count: 3, accessRecords: 4 } });
    expect(stored.inputs).toMatchObject({ counts: { items: 3 } });
    const items = [...exposureItems(dir, runId)];
    expect(items.map((i) => [i.internetMessageId, i.accessCount, i.sessions])).toEqual([
      ['<inv-1@contoso.com>', 2, ['evil-1']], ['<inv-2@contoso.com>', 1, ['evil-1']], ['<inv-3@contoso.com>', 1, ['evil-1']],
    ]);
    expect(result.syncedFolders).toEqual([{ folder: '\\Inbox', time: iso(T0 + 10 * D + 2 * H), sessionId: 'evil-2', ip: '203.0.113.66', client: 'Client=MSExchangeRPC' }]);
    expect(result.blindWindows.map((w) => [w.mailbox, w.kind])).toEqual([[MEG, 'throttled'], [PATTI, 'bypass']]);
    const rows = parse(exposureToCsv(result, items), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r['record'])).toEqual(['message', 'message', 'message', 'synced-folder', 'blind-window', 'blind-window']);
    // The same scope typed as a person may type it: a port on the IP, the session in capitals.
    expect(exposure(dir, { now: NOW, mailbox: 'megan.bowen', ip: '203.0.113.66:443' }).result.items).toEqual({ count: 3, accessRecords: 4 });
    expect(exposure(dir, { now: NOW, mailbox: 'megan.bowen', session: 'EVIL-1' }).result.items).toEqual({ count: 3, accessRecords: 4 });
  });

  it('a mailbox store that aged out does not make exposure unmeasurable; the unified log\'s own retention does', () => {
    // Grady's store keeps 7 days: his records before END − 7 d are gone from it, not from the unified log.
    const own = exposure(dir, { now: NOW, mailbox: 'grady@contoso.com' }).result;
    expect(own.blindWindows.map((x) => [x.mailbox, x.kind])).toEqual([['grady@contoso.com', 'unlicensed'], [PATTI, 'bypass']]);
    const short = exposure(dir, { now: NOW, mailbox: 'grady@contoso.com', ualRetentionDays: 10 }).result;
    expect(short.blindWindows.map((x) => [x.kind, x.store ?? null])).toEqual(expect.arrayContaining([['retention', 'unified-audit-log']]));
    expect(short.blindWindows.some((x) => x.store === 'mailbox-audit')).toBe(false);
  });

  it('a time scope before the throttling has no throttled window', () => {
    const { runId, result } = exposure(dir, { now: NOW, mailbox: MEG, from: iso(T0 + 10 * D), to: iso(T0 + 10 * D + 2 * H) });
    expect([...exposureItems(dir, runId)].map((i) => i.internetMessageId)).toEqual(['<inv-1@contoso.com>', '<inv-2@contoso.com>']);
    expect(result.blindWindows).toEqual([]);
    expect(() => exposure(dir, { now: NOW, mailbox: MEG, from: iso(T0 + D), to: iso(T0) })).toThrow(BadInputError);
  });
});

describe('content searches and the other activity of a source', () => {
  const EVIL = '203.0.113.66';
  const EVIL2 = '203.0.113.91';
  const ids: Record<string, string> = {};
  beforeEach(() => {
    const h = openCase(dir);
    const ev = h.db.prepare(`INSERT INTO events (record_id, time_ms, record_type, operation, workload, user_id, user_type, mailbox, object_id, client_ip, evidence_id, import_run_id, result_status)
                             VALUES (@id, @t, @rt, @op, @wl, @user, 2, @mbx, @obj, @ip, 1, 1, 'True')`);
    const add = (key: string, t: number, rt: number, op: string, user: string, ip: string, data: Record<string, unknown>, mbx: string | null = null, obj: string | null = null) => {
      const id = `x-${key}`;
      const info = ev.run({ id, t, rt, op, wl: rt === 18 ? 'SecurityComplianceCenter' : 'Exchange', user, mbx, obj, ip });
      addAuditData(h.db, { id: info.lastInsertRowid, operation: op }, JSON.stringify({ Id: id, Operation: op, CreationTime: iso(t).slice(0, 19), RecordType: rt, UserId: user, ...data }));
      ids[key] = id;
    };
    // The attacker forwards externally and sends from the IP that read the mail; the admin signs in from a second IP and exports everything.
    add('fwd', T0 + 10 * D + 4 * H, 1, 'New-InboxRule', MEG, EVIL, { Parameters: [{ Name: 'Name', Value: 'x' }, { Name: 'ForwardTo', Value: 'drop@evil.example' }] }, 'megan.bowen\\x', 'megan.bowen\\x');
    add('send', T0 + 10 * D + 5 * H, 2, 'Send', MEG, EVIL, { Item: { Subject: 'New bank details' }, recipientList: [{ Address: 'payments@evil.example' }] }, MEG);
    add('signin2', T0 + 10 * D + 6 * H, 15, 'UserLoggedIn', PATTI, EVIL2, { ApplicationId: 'owa' });
    add('search', T0 + 10 * D + 7 * H, 18, 'New-ComplianceSearch', PATTI, EVIL2, { Parameters: '-Name "S1" -ExchangeLocation "All" -ContentMatchQuery "invoice"' }, null, 'S1');
    add('start', T0 + 10 * D + 7 * H + 60_000, 18, 'Start-ComplianceSearch', PATTI, EVIL2, { Parameters: '-Identity "S1"' }, null, 'S1');
    add('export', T0 + 10 * D + 8 * H, 18, 'New-ComplianceSearchAction', PATTI, EVIL2, { Parameters: '-SearchName "S1" -Export -Format "FxStream"' }, null, 'S1_Export');
    h.close();
  });

  it('findings: the search is high with its records; each source of a high finding has its other activity listed, bounded and stored', () => {
    const { runId, result } = findings(dir, { now: NOW });
    const search = result.findings.find((f) => f.kind === 'content-search')!;
    expect(search).toMatchObject({ id: 'content-search:s1', severity: 'high', mailbox: null, evidence: ['search', 'start', 'export'].map((k) => `event:${ids[k]}`) });
    const fromEvil = result.findings.find((f) => f.id === `source-activity:ip:${EVIL}`)!;
    const rule = result.findings.find((f) => f.kind === 'inbox-rule' && f.evidence[0] === `event:${ids['fwd']}`)!;
    expect(rule.related).toEqual([fromEvil.id]);
    expect(fromEvil).toMatchObject({ severity: 'high', mailbox: MEG, related: [rule.id] });
    // The sign-in before the reads and the Send, not the rule already cited; the 4 reads are counted.
    expect(fromEvil.evidence).toEqual([`event:${evilSignIn}`, `event:${ids['send']}`]);
    expect(fromEvil.title).toContain('1 sign-in, 1 send, 1 admin command, 4 mail accesses (MailItemsAccessed)');
    expect(fromEvil.detail).toContain('Send by megan.bowen@contoso.com: "New bank details" to payments@evil.example (outside the tenant)');
    const fromEvil2 = result.findings.find((f) => f.id === `source-activity:ip:${EVIL2}`)!;
    expect(fromEvil2).toMatchObject({ mailbox: PATTI, evidence: [`event:${ids['signin2']}`], related: [search.id] });
    const db = openReadable(join(dir, 'case.sqlite'));
    const stored = readAnalysisRun(db, runId)!;
    db.close();
    expect(stored).toMatchObject({ analysisVersion: ANALYSIS_VERSION, result });
  });

  it('exposure states the export for every mailbox it could reach, in the range, without changing the item list', () => {
    const { runId, result } = exposure(dir, { now: NOW, mailbox: 'megan.bowen', ip: EVIL });
    expect(result.items).toEqual({ count: 3, accessRecords: 4 });
    expect(result.contentSearches).toEqual([expect.objectContaining({
      name: 'S1', scope: 'all', actors: [PATTI], ips: [EVIL2], first: iso(T0 + 10 * D + 7 * H), last: iso(T0 + 10 * D + 8 * H), actions: ['export'], contentRead: true,
      evidence: ['search', 'start', 'export'].map((k) => `event:${ids[k]}`),
    })]);
    expect(result.contentSearches[0]!.statement).toMatch(/Messages of megan\.bowen@contoso\.com that matched it may have been exported; the item list cannot show them/);
    const db = openReadable(join(dir, 'case.sqlite'));
    const stored = readAnalysisRun(db, runId)!;
    db.close();
    expect(stored.result).toMatchObject({ contentSearches: result.contentSearches });
    expect(stored.inputs).toMatchObject({ counts: { contentSearches: 1 } });
    expect(exposure(dir, { now: NOW, mailbox: 'grady@contoso.com' }).result.contentSearches.map((c) => c.name)).toEqual(['S1']);
    expect(exposure(dir, { now: NOW, mailbox: MEG, to: iso(T0 + 10 * D + 7 * H) }).result.contentSearches).toEqual([]);
    const cli = (...args: string[]) => spawnSync(process.execPath, [join(import.meta.dirname, '..', 'bin', 'blindspot.js'), 'exposure', dir, ...args], { encoding: 'utf8' });
    const text = cli('--mailbox', MEG);
    expect(text.stdout).toMatch(/Content searches \(eDiscovery\) that could reach this mailbox[^\n]*NOT in the list above:\n {2}SEARCH {2}\S+ {2}"S1" {2}export {2}by adm\.patti@contoso\.com {2}from 203\.0\.113\.91/);
    const json = JSON.parse(cli('--mailbox', MEG, '--json').stdout) as { contentSearches: { name: string }[] };
    expect(json.contentSearches.map((c) => c.name)).toEqual(['S1']);
  });
});

describe('exposure on the command line', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, [join(import.meta.dirname, '..', 'bin', 'blindspot.js'), 'exposure', dir, ...args], { encoding: 'utf8' });

  it('streams every exposed message from the stored run as JSON, CSV and a CSV file', () => {
    const json = cli('--mailbox', MEG, '--ip', '203.0.113.66', '--json');
    expect(json.status).toBe(0);
    const r = JSON.parse(json.stdout) as { runId: number; itemCount: number; accessRecords: number; items: { internetMessageId: string; sessions: string[] }[]; syncedFolders: unknown[]; blindWindows: unknown[] };
    expect(r).toMatchObject({ itemCount: 3, accessRecords: 4, syncedFolders: [expect.objectContaining({ sessionId: 'evil-2' })] });
    expect(r.items.map((i) => [i.internetMessageId, i.sessions])).toEqual([['<inv-1@contoso.com>', ['evil-1']], ['<inv-2@contoso.com>', ['evil-1']], ['<inv-3@contoso.com>', ['evil-1']]]);
    const csv = cli('--mailbox', MEG, '--ip', '203.0.113.66', '--csv');
    expect(csv.status).toBe(0);
    const rows = parse(csv.stdout, { columns: true }) as Record<string, string>[];
    expect(rows.map((x) => x['record'])).toEqual(['message', 'message', 'message', 'synced-folder', 'blind-window', 'blind-window']);
    const out = join(dir, 'exposure.csv');
    const file = cli('--mailbox', MEG, '--ip', '203.0.113.66', '--out', out);
    expect(file.status).toBe(0);
    expect(file.stderr).toMatch(/Wrote 3 exposed messages and 1 synced folder to /);
    expect(readFileSync(out, 'utf8')).toBe(csv.stdout);
    const again = cli('--mailbox', MEG, '--out', out);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/exposure --out .*exposure\.csv: that file already exists\.\n.*never overwrites/);
    expect(readFileSync(out, 'utf8')).toBe(csv.stdout);
  });

  it('the table names the count and the first messages', () => {
    const t = cli('--mailbox', MEG);
    expect(t.status).toBe(0);
    expect(t.stdout).toMatch(/^Mailbox megan\.bowen@contoso\.com: 23 messages exposed by Bind \(24 accesses: each message counted once per record naming it\), 1 folder synced \(\\Inbox\) in 1 sync record /);
    expect(t.stdout).toMatch(/BIND .* <inv-1@contoso\.com> {2}x2/);
  });
});

describe('sessions', () => {
  it('groups the attacker session with the sign-in that began it', () => {
    const { result } = sessions(dir, { now: NOW, mailbox: MEG });
    const evil = result.sessions.find((s) => s.sessionId === 'evil-1')!;
    expect(evil).toMatchObject({ ip: '203.0.113.66', appId: 'evil-app', events: 3 });
    expect(evil.signIns.map((s) => s.operation)).toEqual(['UserLoggedIn']);
    expect(result.sessions.find((s) => s.sessionId === 'own-0')!.signIns).toEqual([]);
  });
});
