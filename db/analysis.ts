// Queries for the coverage, findings, exposure and sessions analyses, and the store of analysis runs.
// Heavy lifting happens in SQL over indexes (0001 + 0002_analysis.sql); rows are streamed with
// .iterate() and aggregated before they reach JavaScript. Nothing here writes to evidence or events.
//
// The completeness ledger is written by acquisition (migration 0003_acquisition.sql, not ours). It is read only when a
// table named `ledger` exists, with these columns:
//   ledger(id, source, slice_start TEXT ISO, slice_end TEXT ISO, status, query_json, reported, retrieved,
//          duplicates, retries, reason)
// where status is complete | incomplete | failed | not-collected.
import type { AdminAuditLogConfig, BypassAssociation, ConfigKind, LicenceAssignment, MailboxConfig, OrganizationConfig } from '../core/model.ts';
import { detectThrottle, THROTTLE_LIMIT } from '../core/analysis/mailboxWindows.ts';
import type { InferredThrottle, ThrottleMarker } from '../core/analysis/mailboxWindows.ts';
import type { ExposedItem, SyncedFolder } from '../core/analysis/exposure.ts';
import { CONTENT_SEARCH_OPERATIONS } from '../core/analysis/contentSearch.ts';
import type { AccessSource } from '../core/analysis/findings.ts';
import { appFilterValue, ipFilterValue, sessionFilterValue } from '../core/match.ts';
import { APP_MATCH } from './timeline.ts';
import { SOURCE_GROUPS } from '../core/analysis/sourceActivity.ts';
import type { SourceActivity, SourceRecord } from '../core/analysis/sourceActivity.ts';
import { nameValueMap, param, parseBool, toChangeRecord } from '../core/analysis/records.ts';
import type { RawChangeRow } from '../core/analysis/records.ts';
import type { CaseRange, ChangeRecord, ConfigObservation, LedgerSlice, MailboxActivity, PremiumActionCount } from '../core/analysis/types.ts';
import { AUDIT_DATA_COLUMNS, AUDIT_DATA_JOIN, CaseDataError, withAuditData } from './auditData.ts';
import type { AuditDataRef } from './auditData.ts';
import { hasLedger } from './ledger.ts';
import type { ReadableDB, WritableDB } from './database.ts';


const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Operations the coverage model and the findings read in full (few rows: admin and rule/permission records). */
export const CHANGE_OPERATIONS = [
  'Set-Mailbox', 'Set-MailboxAuditBypassAssociation', 'Set-OrganizationConfig', 'Set-AdminAuditLogConfig',
  'New-InboxRule', 'Set-InboxRule', 'UpdateInboxRules',
  'Add-MailboxPermission', 'Add-RecipientPermission', 'Add-MailboxFolderPermission', 'Set-MailboxFolderPermission', 'UpdateFolderPermissions',
  ...CONTENT_SEARCH_OPERATIONS,
];

/** SQL of the hot queries, exported so the tests can check their plans. */
export const SQL = {
  range: 'SELECT min(time_ms) AS startMs, max(time_ms) AS endMs, count(*) AS n FROM events',
  config: `SELECT r.id AS rowId, r.snapshot_id AS snapshotId, s.as_of AS asOf, r.value_json AS valueJson, r.raw_json AS rawJson
           FROM config_rows r JOIN config_snapshots s ON s.id = r.snapshot_id WHERE r.kind = ? ORDER BY s.as_of, r.id`,
  changes: `SELECT e.time_ms AS timeMs, e.operation, e.record_type AS recordType, e.user_id AS userId, e.user_type AS userType,
                   e.mailbox, e.object_id AS objectId, e.client_ip AS clientIp, e.result_status AS resultStatus, ${AUDIT_DATA_COLUMNS}
            FROM events e INDEXED BY events_op_time ${AUDIT_DATA_JOIN} WHERE e.operation = ? ORDER BY e.time_ms`,
  throttled: `SELECT e.time_ms AS timeMs, e.mailbox, ${AUDIT_DATA_COLUMNS} FROM events e INDEXED BY events_mia_throttled
              ${AUDIT_DATA_JOIN} WHERE e.operation = 'MailItemsAccessed' AND e.throttle_marker = 1`,
  miaTimes: `SELECT time_ms AS t FROM events INDEXED BY events_mia WHERE operation = 'MailItemsAccessed' AND mailbox = ? ORDER BY time_ms`,
  activity: `SELECT mailbox, time_ms / ${DAY_MS} AS day, count(*) AS n, sum(operation = 'MailItemsAccessed') AS mia, min(time_ms) AS firstMs, max(time_ms) AS lastMs
             FROM events INDEXED BY events_mailbox_day WHERE mailbox IS NOT NULL GROUP BY mailbox, time_ms / ${DAY_MS}`,
  activityOne: `SELECT mailbox, time_ms / ${DAY_MS} AS day, count(*) AS n, sum(operation = 'MailItemsAccessed') AS mia, min(time_ms) AS firstMs, max(time_ms) AS lastMs
             FROM events INDEXED BY events_mailbox_day WHERE mailbox IS NOT NULL AND mailbox = ? GROUP BY mailbox, time_ms / ${DAY_MS}`,
  accessSources: `SELECT mailbox, client_ip AS ip, app_id AS appId, client_info AS clientInfo, min(time_ms) AS firstMs, max(time_ms) AS lastMs, count(*) AS n
                  FROM events INDEXED BY events_mia_src WHERE operation = 'MailItemsAccessed' AND mailbox IS NOT NULL
                  GROUP BY mailbox, client_ip, app_id, client_info`,
  // operation and mailbox are COLLATE NOCASE: 'send' is a Send, and a mailbox's UPN case variants are one group.
  premiumActions: `SELECT lower(mailbox) AS mailbox, CASE WHEN operation = 'Send' THEN 'Send' ELSE 'SearchQueryInitiated' END AS action, count(*) AS n
                   FROM events INDEXED BY events_op_time
                   WHERE operation IN ('Send', 'SearchQueryInitiated', 'SearchQueryInitiatedExchange') AND time_ms >= ? AND time_ms <= ? AND mailbox IS NOT NULL
                   GROUP BY events.mailbox, action`,
  firstAccessByIp: `SELECT record_id AS recordId FROM events INDEXED BY events_mia WHERE operation = 'MailItemsAccessed' AND mailbox = ? AND time_ms = ? AND client_ip = ? LIMIT 1`,
  firstAccessByApp: `SELECT record_id AS recordId FROM events INDEXED BY events_mia WHERE operation = 'MailItemsAccessed' AND mailbox = ? AND time_ms = ? AND app_id = ? LIMIT 1`,
  firstAccessByClient: `SELECT record_id AS recordId FROM events INDEXED BY events_mia WHERE operation = 'MailItemsAccessed' AND mailbox = ? AND time_ms = ? AND client_info = ? LIMIT 1`,
  // Every record from one IP (the events_ip index) or one app (no index: a scan, made only for the few apps a
  // high finding names), grouped; then the records other than mail access in time order.
  sourceGroupsIp: `SELECT operation, user_id AS userId, mailbox, count(*) AS n, min(time_ms) AS firstMs, max(time_ms) AS lastMs
                   FROM events INDEXED BY events_ip WHERE client_ip = ? GROUP BY operation, user_id, mailbox`,
  sourceGroupsApp: `SELECT operation, user_id AS userId, mailbox, count(*) AS n, min(time_ms) AS firstMs, max(time_ms) AS lastMs
                    FROM events e WHERE ${APP_MATCH} GROUP BY operation, user_id, mailbox`,
  sourceRecordsIp: `SELECT e.time_ms AS timeMs, e.operation, e.record_type AS recordType, e.user_id AS userId, e.mailbox, e.app_id AS appId, ${AUDIT_DATA_COLUMNS}
                    FROM events e INDEXED BY events_ip ${AUDIT_DATA_JOIN}
                    WHERE e.client_ip = ? AND e.operation IS NOT 'MailItemsAccessed' ORDER BY e.time_ms, e.record_id`,
  sourceRecordsApp: `SELECT e.time_ms AS timeMs, e.operation, e.record_type AS recordType, e.user_id AS userId, e.mailbox, e.app_id AS appId, ${AUDIT_DATA_COLUMNS}
                     FROM events e ${AUDIT_DATA_JOIN}
                     WHERE ${APP_MATCH} AND e.operation IS NOT 'MailItemsAccessed' ORDER BY e.time_ms, e.record_id`,
  sourceExcludedIp: `SELECT count(*) FROM events WHERE record_id IN (SELECT value FROM json_each(?)) AND client_ip = ? AND operation IS NOT 'MailItemsAccessed'`,
  sourceExcludedApp: `SELECT count(*) FROM events e WHERE e.record_id IN (SELECT value FROM json_each(?)) AND ${APP_MATCH} AND e.operation IS NOT 'MailItemsAccessed'`,
} as const;

// ---- case range and configuration ----------------------------------------------------------------

export function readCaseRange(db: ReadableDB): (CaseRange & { events: number }) | null {
  const r = db.prepare(SQL.range).get() as { startMs: number | null; endMs: number | null; n: number };
  if (r.startMs === null || r.endMs === null) return null;
  return { startMs: r.startMs, endMs: r.endMs, events: r.n };
}

type ValueOf<K extends ConfigKind> = K extends 'mailbox' ? MailboxConfig : K extends 'bypass' ? BypassAssociation
  : K extends 'organization' ? OrganizationConfig : K extends 'adminAuditLog' ? AdminAuditLogConfig : LicenceAssignment;

/** Configuration rows of one kind with their snapshot's time. A row whose JSON or as_of is unreadable is an error, not skipped. */
export function readConfigObservations<K extends ConfigKind>(db: ReadableDB, kind: K): ConfigObservation<ValueOf<K>>[] {
  const out: ConfigObservation<ValueOf<K>>[] = [];
  for (const r of db.prepare(SQL.config).iterate(kind) as Iterable<{ rowId: number; snapshotId: number; asOf: string; valueJson: string; rawJson: string }>) {
    const asOfMs = Date.parse(r.asOf);
    if (!Number.isFinite(asOfMs)) throw new CaseDataError(`config_snapshots ${r.snapshotId}: as_of "${r.asOf}" is not a time; the snapshot cannot be placed on the timeline`);
    let value: ValueOf<K>;
    let raw: Record<string, unknown>;
    try {
      value = JSON.parse(r.valueJson) as ValueOf<K>;
      raw = JSON.parse(r.rawJson) as Record<string, unknown>;
    } catch (e) {
      throw new CaseDataError(`config_rows ${r.rowId}: stored JSON is unreadable (${(e as Error).message})`);
    }
    out.push({ rowId: r.rowId, snapshotId: r.snapshotId, asOfMs, value, raw });
  }
  return out;
}

/** Configuration, rule and permission records, parsed (one indexed look-up per operation). */
export function readChangeRecords(db: ReadableDB, operations: readonly string[] = CHANGE_OPERATIONS): ChangeRecord[] {
  const stmt = db.prepare(SQL.changes);
  const out: ChangeRecord[] = [];
  withAuditData(db, (data) => {
    for (const op of operations) {
      for (const r of stmt.iterate(op) as Iterable<Omit<RawChangeRow, 'auditData'> & AuditDataRef>) out.push(toChangeRecord({ ...r, auditData: data.text(r) }));
    }
  });
  return out.sort((a, b) => a.timeMs - b.timeMs);
}

// ---- MailItemsAccessed ---------------------------------------------------------------------------

/** Records with OperationProperties IsThrottled = True (candidates from the partial index, confirmed by parsing). */
export function readThrottleMarkers(db: ReadableDB): ThrottleMarker[] {
  const out: ThrottleMarker[] = [];
  withAuditData(db, (reader) => {
    for (const r of db.prepare(SQL.throttled).iterate() as Iterable<{ timeMs: number; mailbox: string | null } & AuditDataRef>) {
      const text = reader.text(r);
      let data: Record<string, unknown>;
      try {
        data = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue; // stored verbatim and not JSON: no marker to confirm
      }
      if (parseBool(param(nameValueMap(data['OperationProperties']), 'IsThrottled')) !== true) continue;
      const mailbox = r.mailbox ?? (typeof data['MailboxOwnerUPN'] === 'string' ? data['MailboxOwnerUPN'] : null);
      if (mailbox) out.push({ recordId: r.recordId, timeMs: r.timeMs, mailbox });
    }
  });
  return out;
}

/** Events per mailbox per day (for capacity and silence) with their MailItemsAccessed counts, grouped in index order. */
export function readMailboxActivity(db: ReadableDB, mailbox?: string): MailboxActivity[] {
  const by = new Map<string, MailboxActivity & { miaDaily: Map<number, number> }>();
  const rows = mailbox === undefined ? db.prepare(SQL.activity).iterate() : db.prepare(SQL.activityOne).iterate(mailbox);
  for (const r of rows as Iterable<{ mailbox: string; day: number; n: number; mia: number; firstMs: number; lastMs: number }>) {
    const k = r.mailbox.toLowerCase();
    let a = by.get(k);
    if (!a) by.set(k, (a = { mailbox: k, count: 0, firstMs: r.firstMs, lastMs: r.lastMs, daily: new Map(), mailItemsAccessed: 0, miaDaily: new Map() }));
    a.count += r.n;
    a.mailItemsAccessed += r.mia;
    a.firstMs = Math.min(a.firstMs, r.firstMs);
    a.lastMs = Math.max(a.lastMs, r.lastMs);
    a.daily.set(r.day, (a.daily.get(r.day) ?? 0) + r.n);
    if (r.mia > 0) a.miaDaily.set(r.day, (a.miaDaily.get(r.day) ?? 0) + r.mia);
  }
  return [...by.values()];
}

/**
 * Where a mailbox passed 1,000 MailItemsAccessed records within 24 hours. Any 24 hours lie within two
 * consecutive UTC days, so only mailboxes whose daily counts of two consecutive days exceed the limit
 * are candidates; only their record times are streamed (in index order) and scanned exactly.
 */
export function inferThrottles(db: ReadableDB, activity: MailboxActivity[]): InferredThrottle[] {
  const inferred: InferredThrottle[] = [];
  const times = db.prepare(SQL.miaTimes).pluck();
  for (const a of activity as (MailboxActivity & { miaDaily?: Map<number, number> })[]) {
    if (a.mailItemsAccessed <= THROTTLE_LIMIT || !a.miaDaily) continue;
    let candidate = false;
    for (const [d, n] of a.miaDaily) if (n + (a.miaDaily.get(d + 1) ?? 0) > THROTTLE_LIMIT) { candidate = true; break; }
    if (!candidate) continue;
    for (const d of detectThrottle(times.iterate(a.mailbox) as Iterable<number>)) inferred.push({ mailbox: a.mailbox, startMs: d.startMs, count: d.count });
  }
  return inferred;
}

/**
 * Send and SearchQueryInitiated records per mailbox in [startMs, endMs] (the actions older documentation
 * lists as Audit Premium only), from the operation index. The unified log spells the second
 * SearchQueryInitiatedExchange; both spellings count as SearchQueryInitiated.
 */
export function readPremiumActionCounts(db: ReadableDB, range: CaseRange): PremiumActionCount[] {
  const rows = db.prepare(SQL.premiumActions).all(range.startMs, range.endMs) as { mailbox: string; action: PremiumActionCount['operation']; n: number }[];
  return rows.map((r) => ({ mailbox: r.mailbox, operation: r.action, count: r.n }));
}

/** MailItemsAccessed grouped by (mailbox, IP, app, client), from the covering partial index. */
export function readAccessSources(db: ReadableDB): AccessSource[] {
  const out: AccessSource[] = [];
  for (const r of db.prepare(SQL.accessSources).iterate() as Iterable<{ mailbox: string; ip: string | null; appId: string | null; clientInfo: string | null; firstMs: number; lastMs: number; n: number }>) {
    out.push({ mailbox: r.mailbox.toLowerCase(), ip: r.ip, appId: r.appId, clientInfo: r.clientInfo, firstMs: r.firstMs, lastMs: r.lastMs, count: r.n, firstRecordId: null });
  }
  return out;
}

/** The record that first used an IP, app or client on a mailbox (for a finding's evidence). */
export function firstAccessRecord(db: ReadableDB, mailbox: string, dim: 'IP' | 'app' | 'client', value: string, firstMs: number): string | null {
  const sql = dim === 'IP' ? SQL.firstAccessByIp : dim === 'app' ? SQL.firstAccessByApp : SQL.firstAccessByClient;
  const r = db.prepare(sql).get(mailbox, firstMs, value) as { recordId: string } | undefined;
  return r?.recordId ?? null;
}

/**
 * Every record of the case from one IP or app: counted per operation and per (operation, account,
 * mailbox), and the first `limit` records other than MailItemsAccessed whose record id is not in
 * `exclude`, with their AuditData (null when it cannot be read: the description then says less).
 */
export function readSourceActivity(db: ReadableDB, dim: 'IP' | 'app', value: string, exclude: ReadonlySet<string>, limit: number, maxGroups = SOURCE_GROUPS): SourceActivity | null {
  type G = { operation: string | null; userId: string | null; mailbox: string | null; n: number; firstMs: number; lastMs: number };
  const rows = db.prepare(dim === 'IP' ? SQL.sourceGroupsIp : SQL.sourceGroupsApp).all(value) as G[];
  if (rows.length === 0) return null;
  rows.sort((a, b) => a.firstMs - b.firstMs || (a.operation ?? '').localeCompare(b.operation ?? '') || (a.userId ?? '').localeCompare(b.userId ?? '') || (a.mailbox ?? '').localeCompare(b.mailbox ?? ''));
  // Operations are case-insensitive in the events table: each is counted under the first spelling seen.
  const ops = new Map<string, { operation: string | null; count: number }>();
  const users = new Set<string>();
  let total = 0;
  let others = 0;
  let lastMs = rows[0]!.lastMs; // rows are in firstMs order: the first row has the earliest record
  for (const r of rows) {
    total += r.n;
    const k = (r.operation ?? '').toLowerCase();
    if (k !== 'mailitemsaccessed') others += r.n;
    const op = ops.get(k);
    if (op) op.count += r.n;
    else ops.set(k, { operation: r.operation, count: r.n });
    if (r.userId) users.add(r.userId.toLowerCase());
    if (r.lastMs > lastMs) lastMs = r.lastMs;
  }
  const excluded = exclude.size === 0 ? 0 : db.prepare(dim === 'IP' ? SQL.sourceExcludedIp : SQL.sourceExcludedApp).pluck().get(JSON.stringify([...exclude]), value) as number;
  const records: SourceRecord[] = [];
  withAuditData(db, (data) => {
    for (const r of db.prepare(dim === 'IP' ? SQL.sourceRecordsIp : SQL.sourceRecordsApp).iterate(value) as Iterable<Omit<SourceRecord, 'recordId' | 'auditData'> & AuditDataRef>) {
      if (exclude.has(r.recordId)) continue;
      if (records.length >= limit) break;
      let auditData: string | null;
      try {
        auditData = data.text(r);
      } catch (e) {
        if (!(e instanceof CaseDataError)) throw e;
        auditData = null;
      }
      records.push({ recordId: r.recordId, timeMs: r.timeMs, operation: r.operation, recordType: r.recordType, userId: r.userId, mailbox: r.mailbox, appId: r.appId, auditData });
    }
  });
  return {
    dim, value, total,
    firstMs: rows[0]!.firstMs, lastMs,
    accounts: users.size,
    operations: [...ops.values()].sort((a, b) => b.count - a.count || (a.operation ?? '').localeCompare(b.operation ?? '')),
    groups: rows.slice(0, maxGroups).map((r) => ({ operation: r.operation, userId: r.userId, mailbox: r.mailbox, count: r.n, firstMs: r.firstMs, lastMs: r.lastMs })),
    groupCount: rows.length,
    records,
    otherCount: others - excluded,
  };
}

// ---- ledger --------------------------------------------------------------------------------------

const LEDGER_STATUSES = new Set(['complete', 'incomplete', 'failed', 'not-collected']);

/** The acquisition completeness ledger, or null when the case has none (no `ledger` table). */
export function readLedger(db: ReadableDB): LedgerSlice[] | null {
  if (!hasLedger(db)) return null;
  const out: LedgerSlice[] = [];
  for (const r of db.prepare('SELECT id, source, slice_start AS start, slice_end AS end, status, query_json AS queryJson, reason, updated_at AS collectedAt FROM ledger ORDER BY slice_start, id').iterate() as Iterable<{ id: number; source: string; start: string; end: string; status: string; queryJson: string | null; reason: string | null; collectedAt: string | null }>) {
    // An unknown status is treated as not complete: absence of events there proves nothing.
    const status = (LEDGER_STATUSES.has(r.status) ? r.status : 'incomplete') as LedgerSlice['status'];
    let query: Record<string, unknown> | null = null;
    try {
      const q: unknown = r.queryJson ? JSON.parse(r.queryJson) : null;
      query = q && typeof q === 'object' && !Array.isArray(q) ? (q as Record<string, unknown>) : null;
    } catch {
      query = null;
    }
    const reason = LEDGER_STATUSES.has(r.status) ? r.reason : `unknown ledger status "${r.status}"${r.reason ? `: ${r.reason}` : ''}`;
    out.push({ id: r.id, source: r.source, start: r.start, end: r.end, status, query, ...(reason ? { reason } : {}), ...(r.collectedAt ? { collectedAt: r.collectedAt } : {}) });
  }
  return out;
}

/** A configuration row a finding cites: the export it came from, whose row it is, the time it describes, where it lies in its evidence file. */
export interface CitedConfigRow { kind: ConfigKind; identity: string | null; asOf: string; sha256: string; line: number | null }

/** The configuration rows with these ids (`config-row:<id>` in a finding's evidence); an id not in the case is left out. */
export function citedConfigRows(db: ReadableDB, ids: readonly number[]): Map<number, CitedConfigRow> {
  const rows = db.prepare(
    `SELECT r.id, r.kind, r.identity, s.as_of AS asOf, e.sha256, r.loc_line AS line
       FROM config_rows r JOIN config_snapshots s ON s.id = r.snapshot_id JOIN evidence e ON e.id = s.evidence_id
      WHERE r.id IN (SELECT value FROM json_each(?))`,
  ).all(JSON.stringify(ids)) as ({ id: number } & CitedConfigRow)[];
  return new Map(rows.map(({ id, ...r }) => [id, r]));
}

/** The events with these record ids (`event:<record id>` in a finding's evidence): when, what and who, to list them by. */
export function citedEvents(db: ReadableDB, recordIds: readonly string[]): Map<string, { timeMs: number; operation: string | null; user: string | null }> {
  const rows = db.prepare('SELECT record_id AS id, time_ms AS timeMs, operation, user_id AS user FROM events WHERE record_id IN (SELECT value FROM json_each(?))')
    .all(JSON.stringify(recordIds)) as { id: string; timeMs: number; operation: string | null; user: string | null }[];
  return new Map(rows.map(({ id, ...r }) => [id, r]));
}

/** The ledger slices with these ids (`ledger:<id>` in a finding's evidence); an id not in the case is left out. */
export function citedLedgerSlices(db: ReadableDB, ids: readonly number[]): Map<number, { source: string; start: string; end: string; status: string }> {
  if (!hasLedger(db)) return new Map();
  const rows = db.prepare('SELECT id, source, slice_start AS start, slice_end AS end, status FROM ledger WHERE id IN (SELECT value FROM json_each(?))')
    .all(JSON.stringify(ids)) as { id: number; source: string; start: string; end: string; status: string }[];
  return new Map(rows.map(({ id, ...r }) => [id, r]));
}

// ---- exposure ------------------------------------------------------------------------------------

export interface ExposureQuery {
  mailbox: string;
  fromMs: number;
  toMs: number;
  session?: string | null;
  ip?: string | null;
  app?: string | null;
}

/**
 * The scope filters over access_items (alias ai), whose rows carry their event's mailbox, time, session,
 * IP and operation (migration 0004); only the app is read from the event.
 */
function exposureWhere(q: ExposureQuery): { where: string; args: unknown[] } {
  const parts = ["ai.operation = 'MailItemsAccessed'", 'ai.mailbox = ?', 'ai.time_ms >= ?', 'ai.time_ms < ?'];
  const args: unknown[] = [q.mailbox, q.fromMs, q.toMs];
  if (q.session) { parts.push('ai.session_id = ?'); args.push(sessionFilterValue(q.session)); }
  if (q.ip) { parts.push('ai.client_ip = ?'); args.push(ipFilterValue(q.ip)); }
  if (q.app) {
    parts.push(`EXISTS (SELECT 1 FROM events e WHERE e.id = ai.event_id AND ${APP_MATCH})`);
    args.push(appFilterValue(q.app));
  }
  return { where: parts.join(' AND '), args };
}

/** The non-empty values of a column in a group, as a JSON array with repeats (deduplicated when read). */
const jsonValues = (col: string): string => `json_group_array(${col}) FILTER (WHERE ${col} IS NOT NULL AND ${col} <> '')`;

export function exposureItemsSql(q: ExposureQuery): { sql: string; args: unknown[] } {
  const { where, args } = exposureWhere(q);
  return {
    // The partial index holds a mailbox's Bind items in message order with every column read here, so
    // GROUP BY needs no sort and no table row is visited. Its WHERE terms are repeated for SQLite to use it.
    sql: `INSERT INTO exposure_items (run_id, internet_message_id, first_ms, last_ms, access_count, folders_json, sessions_json, ips_json)
          SELECT ?, ai.internet_message_id, min(ai.time_ms), max(ai.time_ms), count(DISTINCT ai.event_id),
                 ${jsonValues('ai.folder_path')}, ${jsonValues('ai.session_id')}, ${jsonValues('ai.client_ip')}
          FROM access_items ai INDEXED BY access_items_exposure
          WHERE ${where} AND ai.internet_message_id IS NOT NULL AND ai.access_type IS NOT 'Sync'
          GROUP BY ai.internet_message_id`,
    args,
  };
}

/**
 * Aggregates the Bind-accessed messages of a scope, one row per InternetMessageId, into exposure_items
 * under `runId`, inside SQLite. On 1,000,000 items over 432,000 messages the aggregation takes about
 * 0.5 s; reading the item rows into JavaScript and folding them there took 3.2 s (and storing the folded
 * result as one JSON document 1.5 s more), and DISTINCT inside each list aggregate doubles SQL's time,
 * so the lists keep their repeats and are deduplicated when read (a page at a time).
 * `accessCount` counts distinct records: an item repeated inside one aggregated record counts once.
 */
export function storeExposureItems(db: WritableDB, runId: number, q: ExposureQuery): { count: number; accessRecords: number } {
  const { sql, args } = exposureItemsSql(q);
  const count = db.prepare(sql).run(runId, ...args).changes;
  // A second pass over the rows just stored, about 30 ms of the 1.4 s on the benchmark's 432,000 messages.
  // RETURNING access_count summed here was slower (1.64-1.65 s against 1.37-1.45 s: every row crosses into
  // JavaScript), and a summing SQL function called per row saved nothing.
  const accessRecords = db.prepare('SELECT coalesce(sum(access_count), 0) FROM exposure_items WHERE run_id = ?').pluck().get(runId) as number;
  return { count, accessRecords };
}

type ExposureItemRow = [imid: string, first: number, last: number, count: number, folders: string, sessions: string, ips: string];

/** A stored list (JSON, with repeats) as distinct values, sorted. */
const distinctSorted = (json: string): string[] => [...new Set(JSON.parse(json) as string[])].sort();

/** An exposure run's messages in InternetMessageId order, streamed (or one page: `limit` rows after `offset`). */
export function* readExposureItems(db: ReadableDB, runId: number, page?: { offset: number; limit: number }): Generator<ExposedItem> {
  const sql = `SELECT internet_message_id, first_ms, last_ms, access_count, folders_json, sessions_json, ips_json
               FROM exposure_items WHERE run_id = ? ORDER BY internet_message_id${page ? ' LIMIT ? OFFSET ?' : ''}`;
  const rows = db.prepare(sql).raw().iterate(...(page ? [runId, page.limit, page.offset] : [runId])) as Iterable<ExposureItemRow>;
  for (const [imid, first, last, count, folders, sessions, ips] of rows) {
    const f = distinctSorted(folders);
    yield {
      internetMessageId: imid, folder: f.length === 0 ? null : f.join(' | '),
      firstAccess: new Date(first).toISOString(), lastAccess: new Date(last).toISOString(), accessCount: count,
      sessions: distinctSorted(sessions), ips: distinctSorted(ips), accessTypes: ['Bind'], // Sync is whole-folder exposure (querySyncedFolders): every item here is Bind
    };
  }
}

const jsonList = (s: string): string[] => (JSON.parse(s) as (string | null)[]).filter((x): x is string => x !== null && x !== '').sort();

export function syncedFoldersSql(q: ExposureQuery): { sql: string; args: unknown[] } {
  const { where, args } = exposureWhere(q);
  return {
    sql: `SELECT DISTINCT ai.folder_path AS folder, ai.time_ms AS timeMs, ai.session_id AS sessionId, ai.client_ip AS ip, e.client_info AS client
          FROM access_items ai INDEXED BY access_items_sync JOIN events e ON e.id = ai.event_id
          WHERE ${where} AND ai.access_type = 'Sync' ORDER BY ai.time_ms, ai.folder_path`,
    args,
  };
}

export function querySyncedFolders(db: ReadableDB, q: ExposureQuery): SyncedFolder[] {
  const { sql, args } = syncedFoldersSql(q);
  return (db.prepare(sql).all(...args) as { folder: string | null; timeMs: number; sessionId: string | null; ip: string | null; client: string | null }[])
    .map((r) => ({ folder: r.folder, time: new Date(r.timeMs).toISOString(), sessionId: r.sessionId, ip: r.ip, client: r.client }));
}

// ---- sessions ------------------------------------------------------------------------------------

export interface SignInRef {
  recordId: string;
  time: string;
  operation: string;
  ip: string | null;
  resultStatus: string | null;
  /**
   * Before the group's first event (it may have begun the group), or during it (at or after its first
   * event: a sign-in made while the group was already acting cannot have begun it).
   */
  when: 'before' | 'during';
}

export interface SessionGroup {
  sessionId: string | null;
  ip: string | null;
  appId: string | null;
  clientInfo: string | null;
  firstSeen: string;
  lastSeen: string;
  events: number;
  operations: string[];
  workloads: string[];
  /** Sign-ins by the account from the same IP in the 12 hours before the group's first event, up to its last. */
  signIns: SignInRef[];
}

export const SESSIONS_SQL = `
  SELECT session_id AS sessionId, client_ip AS ip, app_id AS appId, client_info AS clientInfo,
         min(time_ms) AS firstMs, max(time_ms) AS lastMs, count(*) AS n,
         json_group_array(DISTINCT operation) AS ops, json_group_array(DISTINCT workload) AS workloads
  FROM events
  WHERE id IN (SELECT id FROM events WHERE mailbox = ? UNION SELECT id FROM events WHERE user_id = ?)
    AND coalesce(operation, '') NOT IN ('UserLoggedIn', 'UserLoginFailed')
  GROUP BY session_id, client_ip, app_id, client_info
  ORDER BY min(time_ms)`;

export const SIGNINS_SQL = `SELECT record_id AS recordId, time_ms AS timeMs, operation, client_ip AS ip, result_status AS resultStatus
  FROM events WHERE user_id = ? AND operation IN ('UserLoggedIn', 'UserLoginFailed') ORDER BY time_ms`;

export function querySessions(db: ReadableDB, mailbox: string): SessionGroup[] {
  const signIns = db.prepare(SIGNINS_SQL).all(mailbox) as { recordId: string; timeMs: number; operation: string; ip: string | null; resultStatus: string | null }[];
  const out: SessionGroup[] = [];
  for (const r of db.prepare(SESSIONS_SQL).iterate(mailbox, mailbox) as Iterable<{ sessionId: string | null; ip: string | null; appId: string | null; clientInfo: string | null; firstMs: number; lastMs: number; n: number; ops: string; workloads: string }>) {
    const matched = signIns.filter((s) => s.ip !== null && s.ip === r.ip && s.timeMs >= r.firstMs - 12 * HOUR_MS && s.timeMs <= r.lastMs).slice(-20);
    out.push({
      sessionId: r.sessionId, ip: r.ip, appId: r.appId, clientInfo: r.clientInfo,
      firstSeen: new Date(r.firstMs).toISOString(), lastSeen: new Date(r.lastMs).toISOString(), events: r.n,
      operations: jsonList(r.ops), workloads: jsonList(r.workloads),
      signIns: matched.map((s) => ({
        recordId: s.recordId, time: new Date(s.timeMs).toISOString(), operation: s.operation, ip: s.ip, resultStatus: s.resultStatus,
        when: s.timeMs < r.firstMs ? 'before' : 'during',
      })),
    });
  }
  return out;
}

// ---- analysis runs -------------------------------------------------------------------------------

export interface AnalysisRun {
  id: number;
  kind: string;
  analysisVersion: string;
  generatedAt: string;
  inputs: unknown;
  result: unknown;
}

export function insertAnalysisRun(db: WritableDB, run: Omit<AnalysisRun, 'id'>): number {
  const info = db.prepare('INSERT INTO analysis_runs (kind, analysis_version, generated_at, inputs_json, result_json) VALUES (?, ?, ?, ?, ?)')
    .run(run.kind, run.analysisVersion, run.generatedAt, JSON.stringify(run.inputs), JSON.stringify(run.result));
  return Number(info.lastInsertRowid);
}

/** Replaces a stored run's inputs and result (a run whose result is completed after its rows are stored). */
export function updateAnalysisRun(db: WritableDB, id: number, inputs: unknown, result: unknown): void {
  db.prepare('UPDATE analysis_runs SET inputs_json = ?, result_json = ? WHERE id = ?').run(JSON.stringify(inputs), JSON.stringify(result), id);
}

export function readAnalysisRun(db: ReadableDB, id: number): AnalysisRun | null {
  const r = db.prepare('SELECT id, kind, analysis_version AS v, generated_at AS g, inputs_json AS i, result_json AS r FROM analysis_runs WHERE id = ?').get(id) as { id: number; kind: string; v: string; g: string; i: string; r: string } | undefined;
  return r ? { id: r.id, kind: r.kind, analysisVersion: r.v, generatedAt: r.g, inputs: JSON.parse(r.i), result: JSON.parse(r.r) } : null;
}

/**
 * The configuration kinds the case holds rows of: what the analysis has to read. An export with no row
 * (an empty licence export) gives it nothing, and counts as not held: no window of that kind is found from
 * it, and the report says what is therefore unknown.
 */
export function configKinds(db: ReadableDB): Set<ConfigKind> {
  return new Set(db.prepare('SELECT DISTINCT kind FROM config_rows').pluck().all() as ConfigKind[]);
}

export function snapshotIds(db: ReadableDB): { id: number; kind: string; asOf: string }[] {
  return db.prepare('SELECT id, kind, as_of AS asOf FROM config_snapshots ORDER BY id').all() as { id: number; kind: string; asOf: string }[];
}
