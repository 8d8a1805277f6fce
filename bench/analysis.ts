// Benchmark of the analysis services over a large case, built directly with SQL inserts:
// 3,000,000 events (realistic mix: MailItemsAccessed with access items, other mailbox actions, sign-ins,
// SharePoint, a few admin cmdlets), 500 mailboxes over 180 days, and one mailbox with 1,000,000 accessed
// items. Times `gaps` + `findings` (target < 5 s) and `exposure` of the hot mailbox (target < 2 s).
// Prints JSON figures; never passes or fails on time.
//
//   node bench/analysis.ts [--events 3000000] [--hot-items 1000000] [--keep] [--dir <folder>] [--reuse]
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_ACTIONS } from '../core/analysis/auditSets.ts';
import { addAccessItem, addAuditData } from '../db/events.ts';
import { createCase } from '../services/caseFolder.ts';
import { exposure, exposureItems, exposureToCsv, findings, gaps } from '../services/analysis.ts';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}
const TOTAL = arg('events', 3_000_000);
const HOT_ITEMS = arg('hot-items', 1_000_000);
/** Time the analysis over a case an earlier --keep run left in --dir, instead of building it again. */
const REUSE = process.argv.includes('--reuse');
// A reused case is kept for the next run, as --keep keeps a new one.
const KEEP = process.argv.includes('--keep') || REUSE;
const dirArg = process.argv.indexOf('--dir');
const root = dirArg > 0 ? process.argv[dirArg + 1]! : mkdtempSync(join(tmpdir(), 'blindspot-bench-analysis-'));
const dir = join(root, 'case');

const MAILBOXES = 500;
const DAYS = 180;
const END = Date.UTC(2026, 10, 1);
const START = END - DAYS * 86_400_000;
const DOMAIN = 'contoso.onmicrosoft.com';
const upn = (i: number) => `user${i}@${DOMAIN}`;
const HOT = upn(0);

// Deterministic PRNG (mulberry32).
let seed = 42;
function rnd(): number {
  seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T,>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
const CLIENTS = [['Client=OWA;Action=ViaProxy', '00000002-0000-0ff1-ce00-000000000000'], ['Client=MSExchangeRPC', 'd3590ed6-52b3-4102-aeff-aad2292ab01c'], ['Client=REST;Client=RESTSystem;;', '27922004-5251-4030-b22d-91ecd9a37ea4']] as const;
const FOLDERS = ['\\Inbox', '\\Sent Items', '\\Archive', '\\Inbox\\Projects', '\\Deleted Items'];
const MAILBOX_OPS = ['Send', 'SoftDelete', 'MoveToDeletedItems', 'Update', 'HardDelete', 'Create'];

function build(): { events: number; items: number; buildMs: number; dbBytes: number } {
  const t0 = performance.now();
  const h = createCase(dir, { name: 'analysis benchmark', examiner: 'bench' });
  const db = h.db;
  db.pragma('synchronous = OFF');
  db.exec(`INSERT INTO evidence (id, sha256, size, rel_path, added_by, added_at) VALUES (1, 'bench', 1, 'evidence/be/bench', 'bench', '2026-11-01T00:00:00Z');
           INSERT INTO import_runs (id, evidence_id, source, started_at, status) VALUES (1, 1, 'file', '2026-11-01T00:00:00Z', 'completed');`);
  const evRow = db.prepare(`INSERT INTO events (id, record_id, time_ms, record_type, record_type_name, operation, workload, user_id, user_type, mailbox, object_id, client_ip, session_id, app_id, logon_type, result_status, client_info, evidence_id, import_run_id)
                         VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1)`);
  /** One event (the columns above, id first and operation fifth) and its AuditData, stored as EventWriter stores them. */
  const addEvent = (row: unknown[], auditData: string) => {
    evRow.run(row);
    addAuditData(db, { id: row[0] as number, operation: row[4] as string }, auditData);
  };
  const item = (eventId: number, folderPath: string, imid: string | null, accessType: 'Bind' | 'Sync') => addAccessItem(db, eventId, { folderPath, internetMessageId: imid, accessType });

  // The hot mailbox: HOT_ITEMS access items in records of 10 items, over 500,000 distinct messages.
  const hotRecords = Math.ceil(HOT_ITEMS / 10);
  const otherMia = Math.floor(TOTAL * 0.5) - hotRecords;
  let id = 0;
  let items = 0;
  let hotLeft = HOT_ITEMS;
  const step = (END - START) / TOTAL;
  const insertBatch = db.transaction((from: number, to: number) => {
    for (let n = from; n < to; n++) {
      id++;
      const t = Math.floor(START + n * step);
      const r = rnd();
      const [ci, app] = pick(CLIENTS);
      const ip = `198.51.${Math.floor(rnd() * 4)}.${Math.floor(rnd() * 250)}`;
      const sess = `s-${Math.floor(rnd() * 1e9).toString(36)}`;
      if (r < 0.5) {
        const hot = hotLeft > 0 && rnd() < hotRecords / (hotRecords + otherMia);
        const mi = hot ? 0 : 1 + Math.floor(rnd() * (MAILBOXES - 1));
        const mbx = upn(mi);
        // A person reads mail from a few usual places (office, home, phone); 1% from elsewhere.
        const ip = rnd() < 0.99 ? `10.${mi % 250}.${Math.floor(mi / 250)}.${1 + Math.floor(rnd() * 4)}` : `198.51.${Math.floor(rnd() * 4)}.${Math.floor(rnd() * 250)}`;
        const throttled = !hot && rnd() < 0.00002;
        const count = hot ? Math.min(10, hotLeft) : 1 + Math.floor(rnd() * 3);
        const folder = pick(FOLDERS);
        const sync = !hot && rnd() < 0.05;
        const imids: string[] = [];
        for (let k = 0; k < count; k++) imids.push(`<m${hot ? Math.floor(rnd() * 500_000) : Math.floor(rnd() * 5e6)}.${mbx.length}@contoso.com>`);
        const data = {
          CreationTime: new Date(t).toISOString().slice(0, 19), Id: `r${id}`, Operation: 'MailItemsAccessed', RecordType: 50, ResultStatus: 'Succeeded',
          UserId: mbx, Workload: 'Exchange', ClientIPAddress: ip, ClientInfoString: ci, AppId: app, LogonType: 0, MailboxOwnerUPN: mbx, SessionId: sess,
          OperationProperties: [{ Name: 'MailAccessType', Value: sync ? 'Sync' : 'Bind' }, { Name: 'IsThrottled', Value: throttled ? 'True' : 'False' }],
          OperationCount: count, Folders: [{ Path: folder, FolderItems: sync ? [] : imids.map((m) => ({ InternetMessageId: m })) }],
        };
        addEvent([id, `r${id}`, t, 50, 'MailItemsAccessed', 'Exchange', mbx, 0, mbx, null, ip, sess, app, 0, 'Succeeded', ci], JSON.stringify(data));
        if (sync) { item(id, folder, null, 'Sync'); items++; }
        else for (const m of imids) { item(id, folder, m, 'Bind'); items++; }
        if (hot) hotLeft -= count;
      } else if (r < 0.65) {
        const mbx = upn(Math.floor(rnd() * MAILBOXES));
        const op = pick(MAILBOX_OPS);
        const data = { CreationTime: new Date(t).toISOString().slice(0, 19), Id: `r${id}`, Operation: op, RecordType: 2, ResultStatus: 'Succeeded', UserId: mbx, Workload: 'Exchange', ClientIPAddress: ip, ClientInfoString: ci, MailboxOwnerUPN: mbx, LogonType: 0, Item: { ParentFolder: { Path: pick(FOLDERS) }, Subject: 'Re: quarterly figures' } };
        addEvent([id, `r${id}`, t, 2, op, 'Exchange', mbx, 0, mbx, null, ip, sess, app, 0, 'Succeeded', ci], JSON.stringify(data));
      } else if (r < 0.9) {
        const user = upn(Math.floor(rnd() * MAILBOXES));
        const data = { CreationTime: new Date(t).toISOString().slice(0, 19), Id: `r${id}`, Operation: 'UserLoggedIn', RecordType: 15, ResultStatus: 'Success', UserId: user, Workload: 'AzureActiveDirectory', ClientIP: ip };
        addEvent([id, `r${id}`, t, 15, 'UserLoggedIn', 'AzureActiveDirectory', user, 0, null, null, ip, null, app, null, 'Success', null], JSON.stringify(data));
      } else if (r < 0.999) {
        const user = upn(Math.floor(rnd() * MAILBOXES));
        const data = { CreationTime: new Date(t).toISOString().slice(0, 19), Id: `r${id}`, Operation: 'FileAccessed', RecordType: 6, UserId: user, Workload: 'SharePoint', ClientIP: ip, ObjectId: 'https://contoso.sharepoint.com/sites/finance/doc.xlsx' };
        addEvent([id, `r${id}`, t, 6, 'FileAccessed', 'SharePoint', user, 0, null, null, ip, null, null, null, null, null], JSON.stringify(data));
      } else {
        const target = `user${Math.floor(rnd() * MAILBOXES)}`;
        const [op, params] = pick([
          ['Set-Mailbox', [{ Name: 'Identity', Value: target }, { Name: 'RecoverableItemsQuota', Value: '30 GB' }]],
          ['New-InboxRule', [{ Name: 'Name', Value: 'filing' }, { Name: 'MoveToFolder', Value: 'Projects' }]],
          ['Set-MailboxAuditBypassAssociation', [{ Name: 'Identity', Value: target }, { Name: 'AuditBypassEnabled', Value: rnd() < 0.5 ? 'True' : 'False' }]],
          ['Add-MailboxPermission', [{ Name: 'Identity', Value: target }, { Name: 'User', Value: upn(1) }, { Name: 'AccessRights', Value: 'FullAccess' }]],
        ] as const);
        const data = { CreationTime: new Date(t).toISOString().slice(0, 19), Id: `r${id}`, Operation: op, RecordType: 1, ResultStatus: 'True', UserId: `admin@${DOMAIN}`, UserType: 2, Workload: 'Exchange', ObjectId: op === 'New-InboxRule' ? `${target}\\filing` : target, Parameters: params };
        addEvent([id, `r${id}`, t, 1, op, 'Exchange', `admin@${DOMAIN}`, 2, null, data.ObjectId, ip, null, null, null, 'True', null], JSON.stringify(data));
      }
    }
  });
  for (let from = 0; from < TOTAL; from += 100_000) insertBatch(from, Math.min(TOTAL, from + 100_000));

  // A burst on one mailbox: 1,200 MailItemsAccessed records in 10 hours without a marker (inferred throttling).
  db.transaction(() => {
    const mbx = upn(7);
    for (let k = 0; k < 1200; k++) {
      id++;
      const t = START + 30 * 86_400_000 + k * 30_000;
      addEvent([id, `r${id}`, t, 50, 'MailItemsAccessed', 'Exchange', mbx, 0, mbx, null, '203.0.113.9', 'burst', 'evil', 0, 'Succeeded', 'Client=REST'], JSON.stringify({ Id: `r${id}`, OperationProperties: [{ Name: 'IsThrottled', Value: 'False' }] }));
    }
  })();

  // Configuration snapshots at the end of the range.
  const snap = db.prepare("INSERT INTO config_snapshots (kind, as_of, as_of_source, evidence_id, import_run_id) VALUES (?, ?, 'option', 1, 1)");
  const row = db.prepare('INSERT INTO config_rows (snapshot_id, kind, identity, value_json, raw_json) VALUES (?, ?, ?, ?, ?)');
  const asOf = new Date(END).toISOString();
  db.transaction(() => {
    const m = snap.run('mailbox', asOf).lastInsertRowid;
    const l = snap.run('licence', asOf).lastInsertRowid;
    for (let i = 0; i < MAILBOXES; i++) {
      const u = upn(i);
      row.run(m, 'mailbox', u, JSON.stringify({
        identity: `user${i}`, userPrincipalName: u, primarySmtpAddress: u, displayName: `User ${i}`, alias: `user${i}`, exchangeGuid: null, externalDirectoryObjectId: null,
        recipientTypeDetails: i % 50 === 0 && i > 0 ? 'SharedMailbox' : 'UserMailbox', auditEnabled: i % 97 !== 5, auditLogAgeLimitDays: i % 40 === 3 ? 30 : 90,
        auditOwner: i % 60 === 4 ? ['Update', 'SoftDelete'] : DEFAULT_ACTIONS.Owner, auditDelegate: DEFAULT_ACTIONS.Delegate, auditAdmin: DEFAULT_ACTIONS.Admin,
        defaultAuditSet: i % 60 === 4 ? ['Admin', 'Delegate'] : ['Admin', 'Delegate', 'Owner'], persistedCapabilities: null,
      }), '{}');
      row.run(l, 'licence', u, JSON.stringify({ userPrincipalName: u, skuPartNumber: i % 4 === 0 ? 'SPE_E3' : 'SPE_E5', skuId: null, servicePlans: [{ name: i % 4 === 0 ? 'EXCHANGE_S_ENTERPRISE' : 'M365_ADVANCED_AUDITING', status: 'Success' }], assignedVia: 'direct', groupId: null, state: 'Active', error: null }), '{}');
    }
    row.run(snap.run('organization', asOf).lastInsertRowid, 'organization', 'contoso', JSON.stringify({ name: 'contoso', auditDisabled: false }), '{}');
    row.run(snap.run('adminAuditLog', asOf).lastInsertRowid, 'adminAuditLog', 'x', JSON.stringify({ unifiedAuditLogIngestionEnabled: true, unifiedAuditLogFirstOptInDate: null, adminAuditLogEnabled: true, adminAuditLogAgeLimitDays: 90 }), '{}');
    row.run(snap.run('bypass', asOf).lastInsertRowid, 'bypass', 'user9', JSON.stringify({ identity: 'user9', name: 'user9', auditBypassEnabled: true, whenChangedUtc: null }), '{}');
  })();
  db.pragma('optimize');
  db.pragma('wal_checkpoint(TRUNCATE)');
  h.close();
  return { events: id, items, buildMs: Math.round(performance.now() - t0), dbBytes: statSync(join(dir, 'case.sqlite')).size };
}

function timed<T>(f: () => T): [T, number] {
  const t = performance.now();
  const r = f();
  return [r, Math.round(performance.now() - t)];
}

const built = REUSE && existsSync(join(dir, 'case.sqlite')) ? 'reused' : build();
const now = new Date(END + 86_400_000);
const [g, gapsMs] = timed(() => gaps(dir, { now }));
const [f, findingsMs] = timed(() => findings(dir, { now }));
const [e, exposureMs] = timed(() => exposure(dir, { now, mailbox: HOT }));
// Reading the stored messages back and writing them as CSV (what the notification team receives).
const [csv, csvMs] = timed(() => exposureToCsv(e.result, exposureItems(dir, e.runId)));
const [eIp, exposureIpMs] = timed(() => exposure(dir, { now, mailbox: HOT, ip: '10.0.0.1' }));
process.stdout.write(`${JSON.stringify({
  dir: KEEP ? dir : '(removed)',
  built,
  gaps: { ms: gapsMs, mailboxes: g.result.mailboxes.length, windows: g.result.mailboxes.reduce((a, m) => a + m.windows.length, 0), runId: g.runId },
  findings: { ms: findingsMs, findings: f.result.findings.length, runId: f.runId },
  gapsPlusFindingsMs: gapsMs + findingsMs,
  gapsPlusFindingsTargetMs: 5000,
  exposure: { ms: exposureMs, targetMs: 2000, mailbox: HOT, items: e.result.items.count, accessRecords: e.result.items.accessRecords, syncedFolders: e.result.syncedFolders.length, blindWindows: e.result.blindWindows.length },
  exposureCsv: { ms: csvMs, bytes: csv.length },
  exposureOneIp: { ms: exposureIpMs, items: eIp.result.items.count },
  node: process.version,
}, null, 2)}\n`);
if (!KEEP) rmSync(root, { recursive: true, force: true });
