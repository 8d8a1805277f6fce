// Tenant profiles, acquisition runs and the completeness ledger (schema: migrations/0003_acquisition.sql).
// Values are always bound; rows are mapped to typed objects before they leave this file.
import type { ReadableDB, WritableDB } from './database.ts';

// ---- tenant profiles --------------------------------------------------------------------------------

export type AuthMode = 'device' | 'browser' | 'certificate' | 'secret';
export const AUTH_MODES: readonly AuthMode[] = ['device', 'browser', 'certificate', 'secret'];

export interface TenantProfile {
  name: string;
  tenant: string;
  cloud: string;
  clientId: string;
  authMode: AuthMode;
  certPath: string | null;
  /** Explicit endpoints (simulated tenant or proxy); null = the cloud's own hosts. */
  endpoints: { authorityHost: string; graphBase: string; exoBase: string; manageBase: string } | null;
  caPath: string | null;
  graphVersion: 'beta' | 'v1.0';
  createdAt: string;
  createdBy: string;
}

interface TenantRow {
  name: string; tenant: string; cloud: string; client_id: string; auth_mode: string; cert_path: string | null;
  endpoints_json: string | null; ca_path: string | null; graph_version: string; created_at: string; created_by: string;
}

function rowToProfile(r: TenantRow): TenantProfile {
  return {
    name: r.name, tenant: r.tenant, cloud: r.cloud, clientId: r.client_id, authMode: r.auth_mode as AuthMode,
    certPath: r.cert_path, endpoints: r.endpoints_json ? (JSON.parse(r.endpoints_json) as TenantProfile['endpoints']) : null,
    caPath: r.ca_path, graphVersion: r.graph_version === 'v1.0' ? 'v1.0' : 'beta', createdAt: r.created_at, createdBy: r.created_by,
  };
}

/** Inserts or replaces a profile by name. */
export function saveTenantProfile(db: WritableDB, p: TenantProfile): void {
  db.prepare(
    `INSERT INTO tenant_profiles (name, tenant, cloud, client_id, auth_mode, cert_path, endpoints_json, ca_path, graph_version, created_at, created_by)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(name) DO UPDATE SET tenant = excluded.tenant, cloud = excluded.cloud, client_id = excluded.client_id,
       auth_mode = excluded.auth_mode, cert_path = excluded.cert_path, endpoints_json = excluded.endpoints_json,
       ca_path = excluded.ca_path, graph_version = excluded.graph_version`,
  ).run(p.name, p.tenant, p.cloud, p.clientId, p.authMode, p.certPath, p.endpoints ? JSON.stringify(p.endpoints) : null, p.caPath,
    p.graphVersion, p.createdAt, p.createdBy);
}

export function getTenantProfile(db: ReadableDB, name: string): TenantProfile | null {
  const r = db.prepare('SELECT * FROM tenant_profiles WHERE name = ?').get(name) as TenantRow | undefined;
  return r ? rowToProfile(r) : null;
}

export function listTenantProfiles(db: ReadableDB): TenantProfile[] {
  return (db.prepare('SELECT * FROM tenant_profiles ORDER BY name').all() as TenantRow[]).map(rowToProfile);
}

// ---- runs -------------------------------------------------------------------------------------------

/** `abandoned`: found still 'running' by a later acquisition, so its process ended without finishing it (killed). */
export type RunStatus = 'running' | 'complete' | 'incomplete' | 'interrupted' | 'failed' | 'abandoned';

export function startRun(db: WritableDB, r: { tenantName: string; planHash: string; planJson: string; startedAt: string }): number {
  const info = db.prepare(`INSERT INTO acquisition_runs (tenant_name, plan_hash, plan_json, started_at, status) VALUES (?, ?, ?, ?, 'running')`)
    .run(r.tenantName, r.planHash, r.planJson, r.startedAt);
  return Number(info.lastInsertRowid);
}

export function finishRun(db: WritableDB, id: number, status: Exclude<RunStatus, 'running'>, summary: unknown, error: string | null, finishedAt: string): void {
  db.prepare('UPDATE acquisition_runs SET status = ?, summary_json = ?, error = ?, finished_at = ? WHERE id = ?')
    .run(status, JSON.stringify(summary), error, finishedAt, id);
}

/** Marks a run that was left 'running' (its process was killed) as abandoned, with when that was found. */
export function abandonRun(db: WritableDB, id: number, error: string, foundAt: string): void {
  db.prepare("UPDATE acquisition_runs SET status = 'abandoned', error = ?, finished_at = ? WHERE id = ? AND status = 'running'").run(error, foundAt, id);
}

export interface RunRow {
  id: number; tenantName: string; planHash: string; startedAt: string; finishedAt: string | null; status: RunStatus; error: string | null;
}

export function listRuns(db: ReadableDB): RunRow[] {
  return (db.prepare('SELECT id, tenant_name, plan_hash, started_at, finished_at, status, error FROM acquisition_runs ORDER BY id').all() as
    { id: number; tenant_name: string; plan_hash: string; started_at: string; finished_at: string | null; status: RunStatus; error: string | null }[])
    .map((r) => ({ id: r.id, tenantName: r.tenant_name, planHash: r.plan_hash, startedAt: r.started_at, finishedAt: r.finished_at, status: r.status, error: r.error }));
}

// ---- ledger -----------------------------------------------------------------------------------------

export type SliceStatus = 'complete' | 'incomplete' | 'failed' | 'not-collected';
export type SourceId = 'graph' | 'ual' | 'mgmt' | 'mailbox-audit';
/**
 * Why a slice is not final, for the program to decide on (migrations/0010_ledger_cause.sql): collected
 * but too recent to be final, in the future, refused (401/403, or its source was), out of the source's reach.
 */
export type SliceCause = 'too-recent' | 'in-future' | 'refused' | 'out-of-reach';

export interface LedgerRow {
  id: number;
  planHash: string;
  runId: number | null;
  source: SourceId;
  sliceStart: string;
  sliceEnd: string;
  status: SliceStatus;
  query: Record<string, unknown>;
  reported: number | null;
  retrieved: number;
  received: number;
  duplicates: number;
  retries: number;
  pages: number;
  /** Why it was not collected or is not final, for people. */
  reason: string | null;
  /** The same as a value, where the program decides on it; null otherwise. */
  cause: SliceCause | null;
  splitFrom: number | null;
  updatedAt: string;
}

interface LedgerDbRow {
  id: number; plan_hash: string; run_id: number | null; source: string; slice_start: string; slice_end: string; status: string;
  query_json: string; reported: number | null; retrieved: number; received: number; duplicates: number; retries: number; pages: number;
  reason: string | null; cause: string | null; split_from: number | null; updated_at: string;
}

function rowToLedger(r: LedgerDbRow): LedgerRow {
  return {
    id: r.id, planHash: r.plan_hash, runId: r.run_id, source: r.source as SourceId, sliceStart: r.slice_start, sliceEnd: r.slice_end,
    status: r.status as SliceStatus, query: JSON.parse(r.query_json) as Record<string, unknown>, reported: r.reported, retrieved: r.retrieved,
    received: r.received, duplicates: r.duplicates, retries: r.retries, pages: r.pages, reason: r.reason, cause: r.cause as SliceCause | null, splitFrom: r.split_from, updatedAt: r.updated_at,
  };
}

export function hasLedger(db: ReadableDB): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ledger'").get() !== undefined;
}

/** A slice as planned: the row's identity, query and status, before anything is counted. */
export type NewSlice = Pick<LedgerRow, 'planHash' | 'runId' | 'source' | 'sliceStart' | 'sliceEnd' | 'status' | 'query' | 'reason'> & {
  cause?: SliceCause | null;
  splitFrom?: number | null;
};

export function insertSlice(db: WritableDB, s: NewSlice, now: string): number {
  const info = db.prepare(
    `INSERT INTO ledger (plan_hash, run_id, source, slice_start, slice_end, status, query_json, reason, cause, split_from, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(s.planHash, s.runId, s.source, s.sliceStart, s.sliceEnd, s.status, JSON.stringify(s.query), s.reason, s.cause ?? null, s.splitFrom ?? null, now);
  return Number(info.lastInsertRowid);
}

export function getSlice(db: ReadableDB, id: number): LedgerRow | null {
  const r = db.prepare('SELECT * FROM ledger WHERE id = ?').get(id) as LedgerDbRow | undefined;
  return r ? rowToLedger(r) : null;
}

/** The slices of one plan, by source then time. */
export function slicesForPlan(db: ReadableDB, planHash: string): LedgerRow[] {
  return (db.prepare('SELECT * FROM ledger WHERE plan_hash = ? ORDER BY source, slice_start, id').all(planHash) as LedgerDbRow[]).map(rowToLedger);
}

export function listLedger(db: ReadableDB): LedgerRow[] {
  if (!hasLedger(db)) return [];
  return (db.prepare('SELECT * FROM ledger ORDER BY plan_hash, source, slice_start, id').all() as LedgerDbRow[]).map(rowToLedger);
}

/** Links a committed page to its slice; call inside the page's transaction (ingestStaged's beforeCommit). */
export function recordPage(db: WritableDB, ledgerId: number, evidenceId: number, importRunId: number, records: number, now: string): number {
  const page = (db.prepare('SELECT pages FROM ledger WHERE id = ?').pluck().get(ledgerId) as number | undefined) ?? 0;
  db.prepare('INSERT INTO ledger_evidence (ledger_id, evidence_id, import_run_id, page, records) VALUES (?, ?, ?, ?, ?)')
    .run(ledgerId, evidenceId, importRunId, page + 1, records);
  db.prepare('UPDATE ledger SET pages = pages + 1, received = received + ?, updated_at = ? WHERE id = ?').run(records, now, ledgerId);
  return page + 1;
}

/** An API answer kept as evidence of a slice (format api-answer): its file, the request and the status. */
export interface SliceAnswer {
  page: number;
  evidenceId: number;
  sha256: string;
  relPath: string;
  request: { method: string; url: string };
  status: number | null;
}

/**
 * The API answers among a slice's own pages, newest first (pages of a slice that was split went with the
 * split, so these were all fetched for the slice's present bounds).
 */
export function sliceAnswers(db: ReadableDB, ledgerId: number): SliceAnswer[] {
  const rows = db.prepare(
    `SELECT le.page, v.id, v.sha256, v.rel_path, r.request_json, r.response_json
       FROM ledger_evidence le JOIN evidence v ON v.id = le.evidence_id JOIN import_runs r ON r.id = le.import_run_id
      WHERE le.ledger_id = ? AND v.format = 'api-answer'
      ORDER BY le.page DESC, le.rowid DESC`,
  ).all(ledgerId) as { page: number; id: number; sha256: string; rel_path: string; request_json: string | null; response_json: string | null }[];
  return rows.map((r) => {
    const req = (r.request_json ? JSON.parse(r.request_json) : {}) as { method?: unknown; url?: unknown };
    const res = (r.response_json ? JSON.parse(r.response_json) : {}) as { status?: unknown };
    return {
      page: r.page, evidenceId: r.id, sha256: r.sha256, relPath: r.rel_path,
      request: { method: typeof req.method === 'string' ? req.method : '', url: typeof req.url === 'string' ? req.url : '' },
      status: typeof res.status === 'number' ? res.status : null,
    };
  });
}

/**
 * The distinct events of the case on the pages of the ledger rows matched by `where` (over ledger_evidence
 * `le` joined to its ledger row `l`): each record stored from those pages, or recognised there as already
 * held (event_duplicates), counted once.
 */
function distinctEvents(db: ReadableDB, where: string, ...params: (string | number | null)[]): number {
  return db.prepare(
    `WITH ev AS (SELECT DISTINCT le.evidence_id FROM ledger_evidence le JOIN ledger l ON l.id = le.ledger_id WHERE ${where})
     SELECT COUNT(*) FROM (
       SELECT e.id FROM events e JOIN ev ON e.evidence_id = ev.evidence_id
       UNION
       SELECT d.event_id FROM event_duplicates d JOIN ev ON d.evidence_id = ev.evidence_id)`,
  ).pluck().get(...params) as number;
}

export interface SliceCounts {
  /** Rows received on the slice's pages (repeats included). */
  received: number;
  /** Distinct records among them (what the case holds from this slice). */
  retrieved: number;
  duplicates: number;
  pages: number;
}

/**
 * Counts what the case holds from a slice: the distinct records on its pages, whether each was first
 * stored from this page or was already in the case (then it is in event_duplicates for this page).
 */
export function countSlice(db: ReadableDB, ledgerId: number): SliceCounts {
  const pages = db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(records), 0) AS r FROM ledger_evidence WHERE ledger_id = ?').get(ledgerId) as { n: number; r: number };
  const retrieved = distinctEvents(db, 'le.ledger_id = ?', ledgerId);
  return { received: pages.r, retrieved, duplicates: Math.max(0, pages.r - retrieved), pages: pages.n };
}

export interface SliceOutcome {
  status: SliceStatus;
  reported: number | null;
  retriesAdded: number;
  reason: string | null;
  /** Null or absent: none (a slice finished again loses the cause it had). */
  cause?: SliceCause | null;
  runId: number;
  query?: Record<string, unknown>;
  /** The slice's counts when the caller has just taken them (countSlice) to decide the status; else taken here. */
  counts?: ReturnType<typeof countSlice>;
}

/** Reconciles a slice from its pages and records its outcome; returns the updated row. */
export function finishSlice(db: WritableDB, id: number, o: SliceOutcome, now: string): LedgerRow {
  const c = o.counts ?? countSlice(db, id);
  db.prepare(
    `UPDATE ledger SET status = ?, reported = ?, retrieved = ?, received = ?, duplicates = ?, pages = ?, retries = retries + ?,
       reason = ?, cause = ?, run_id = ?, updated_at = ?, query_json = COALESCE(?, query_json) WHERE id = ?`,
  ).run(o.status, o.reported, c.retrieved, c.received, c.duplicates, c.pages, o.retriesAdded, o.reason, o.cause ?? null, o.runId, now,
    o.query ? JSON.stringify(o.query) : null, id);
  return getSlice(db, id) as LedgerRow;
}

export function addRetries(db: WritableDB, id: number, n: number, now: string): void {
  if (n > 0) db.prepare('UPDATE ledger SET retries = retries + ?, updated_at = ? WHERE id = ?').run(n, now, id);
}

/**
 * Replaces a slice by its parts: the slice is kept in ledger_splits (with its pages), its row becomes the
 * first part and the other parts are added. Returns the ids of the parts, in time order.
 */
export function splitLedgerSlice(
  db: WritableDB, id: number, parts: { sliceStart: string; sliceEnd: string }[], reported: number | null, reason: string, runId: number, now: string,
): number[] {
  const run = db.transaction((): number[] => {
    const s = getSlice(db, id);
    if (!s) throw new Error(`ledger slice ${id} does not exist`);
    if (parts.length < 2) throw new Error('a split needs at least two parts');
    const splitId = Number(db.prepare(
      `INSERT INTO ledger_splits (plan_hash, run_id, source, slice_start, slice_end, query_json, reported, reason, parts, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(s.planHash, runId, s.source, s.sliceStart, s.sliceEnd, JSON.stringify(s.query), reported, reason, parts.length, now).lastInsertRowid);
    db.prepare('UPDATE ledger_evidence SET ledger_id = NULL, split_id = ? WHERE ledger_id = ?').run(splitId, id);
    const first = parts[0]!;
    db.prepare(
      `UPDATE ledger SET slice_start = ?, slice_end = ?, status = 'not-collected', reported = NULL, retrieved = 0, received = 0,
         duplicates = 0, pages = 0, reason = 'not yet collected', cause = NULL, split_from = ?, run_id = ?, updated_at = ? WHERE id = ?`,
    ).run(first.sliceStart, first.sliceEnd, splitId, runId, now, id);
    const ids = [id];
    for (const p of parts.slice(1)) {
      ids.push(insertSlice(db, {
        planHash: s.planHash, runId, source: s.source, sliceStart: p.sliceStart, sliceEnd: p.sliceEnd, status: 'not-collected',
        query: s.query, reason: 'not yet collected', splitFrom: splitId,
      }, now));
    }
    return ids;
  });
  return run.immediate();
}

export interface LedgerTotals {
  slices: number;
  complete: number;
  incomplete: number;
  failed: number;
  notCollected: number;
  /** Records the services reported for these slices; null when none of them reports totals (the Management API). */
  reported: number | null;
  /** Sum of each slice's distinct records: a record in two slices (two sources) counts twice; see heldCounts. */
  retrieved: number;
  duplicates: number;
  retries: number;
}

export function totals(rows: LedgerRow[]): LedgerTotals {
  const t: LedgerTotals = { slices: rows.length, complete: 0, incomplete: 0, failed: 0, notCollected: 0, reported: null, retrieved: 0, duplicates: 0, retries: 0 };
  for (const r of rows) {
    if (r.status === 'complete') t.complete++;
    else if (r.status === 'incomplete') t.incomplete++;
    else if (r.status === 'failed') t.failed++;
    else t.notCollected++;
    if (r.reported !== null) t.reported = (t.reported ?? 0) + r.reported;
    t.retrieved += r.retrieved;
    t.duplicates += r.duplicates;
    t.retries += r.retries;
  }
  return t;
}

export interface HeldCounts {
  /** Rows received on the slices' pages, repeats included. */
  received: number;
  /** Distinct events of the case among them (each counted once however many slices, pages or sources carried it). */
  distinct: number;
  /** received - distinct: copies of records already held (repeated across pages, slices, sources or runs). */
  copies: number;
}

/**
 * What the ledger's slices brought, counted over the case rather than slice by slice: rows received,
 * the distinct events they are, and the copies. Optionally one plan, and one source of it.
 */
/** Nothing held: what heldCounts gives for a case without a ledger, and a source with no slices. */
export const NO_HELD: Readonly<HeldCounts> = Object.freeze({ received: 0, distinct: 0, copies: 0 });

export function heldCounts(db: ReadableDB, f: { planHash?: string; source?: SourceId } = {}): HeldCounts {
  if (!hasLedger(db)) return { ...NO_HELD };
  const plan = f.planHash ?? null;
  const source = f.source ?? null;
  const where = '(? IS NULL OR l.plan_hash = ?) AND (? IS NULL OR l.source = ?)';
  const received = db.prepare(
    `SELECT COALESCE(SUM(le.records), 0) FROM ledger_evidence le JOIN ledger l ON l.id = le.ledger_id WHERE ${where}`,
  ).pluck().get(plan, plan, source, source) as number;
  const distinct = distinctEvents(db, where, plan, plan, source, source);
  return { received, distinct, copies: Math.max(0, received - distinct) };
}
