// Log collection, composed from acquire/ (protocols, slicing, retries) and the case (evidence, ingestion,
// ledger): complete, resumable collection of every source in a plan. Tenant profiles and sign-in are in
// tenantSession.ts, the posture snapshot and preflight in posture.ts. Every fetched page becomes evidence first and then goes through
// the same ingestion as an imported file (ingestStaged), with its ledger row updated in the same
// transaction, so a killed run loses nothing and a restarted one duplicates nothing.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ApiRefusal, RetriesExhausted } from '../acquire/api.ts';
import type { AnswerKeeper, PageSink, SliceJob, SliceResult } from '../acquire/collect.ts';
import { pageOf, responsePage } from '../acquire/collect.ts';
import { invokePages, probeMailboxAuditLog, smalSlice, sualSlice } from '../acquire/exchange.ts';
import { auditQueryIdOf, graphRecordType, graphSlice } from '../acquire/graph.ts';
import { CONTENT_TYPES, ensureSubscriptions, manageSlice } from '../acquire/manage.ts';
import type { ManageTarget } from '../acquire/manage.ts';
import { NetworkPolicyError } from '../acquire/netPolicy.ts';
import { canSplit, DAY, HOUR, iso, MANAGE_REACH_MS, normaliseRange, planManageWindows, planSlices, SECOND, splitInto } from '../acquire/slicing.ts';
import { abandonRun, countSlice, heldCounts, listRuns, NO_HELD, totals, finishRun, finishSlice, insertSlice, recordPage, sliceAnswers, slicesForPlan, splitLedgerSlice, startRun, addRetries } from '../db/ledger.ts';
import type { HeldCounts, LedgerRow, LedgerTotals, SliceCause, SliceStatus, SourceId, TenantProfile } from '../db/ledger.ts';
import type { Api } from '../acquire/auth.ts';
import type { CaseHandle } from './caseFolder.ts';
import { BlindspotError, CaseError, isDiskFull, UsageError } from './errors.ts';
import { exoTarget, graphTarget, manageTarget, storePage } from './tenantSession.ts';
import type { Session } from './tenantSession.ts';
import { boundYoungGeneration, collectGarbage } from './heap.ts';

// ---- acquisition ------------------------------------------------------------------------------------------

export const ALL_SOURCES: readonly SourceId[] = ['graph', 'ual', 'mgmt', 'mailbox-audit'];
const FALLBACK_RECORD_TYPES = ['ExchangeItem', 'ExchangeItemGroup', 'ExchangeItemAggregated'] as const;
/** The unified log keeps every record at least this long (Audit Standard since October 2023) [A7]. */
const UAL_MIN_RETENTION_DAYS = 180;
/** ... and a user's records this long when the user holds Audit (Premium) (field notes: retention). */
const UAL_PREMIUM_RETENTION_DAYS = 365;

/**
 * How long after a moment the audit log may still be receiving its records. The Management Activity API
 * documents up to 12 h before content appears, and a backfill of about 22 h has been measured
 * (docs m365-protocols.md §3.3 "Latency"); the unified log that Search-UnifiedAuditLog and the Graph audit
 * query read is fed by the same ingestion. 24 h is a conservative margin: a slice ending less than this
 * before it was collected is collected but not final ("too recent"), and a later run of the same command
 * collects it again (records already held are recognised by their Id and counted as copies, never twice).
 */
export const SETTLE_MS = 24 * HOUR;
/** The reason of the Management API's slices older than its reach (planned only when mgmt is asked for on its own). */
const OUT_OF_REACH = `the Management Activity API reaches back ${MANAGE_REACH_MS / DAY} days only: this part of the range cannot be collected from it`;

/** Why the rest of a source is not collected: a refusal's message, and whether it was for permission or authentication. */
interface SourceRefusal { reason: string; cause: 'refused' | null }

/** A 401 or 403: the source refuses this application or account (exit 5). */
function authRefusal(e: unknown): e is ApiRefusal {
  return e instanceof ApiRefusal && (e.status === 401 || e.status === 403);
}

/**
 * What a range's timing allows, as of `nowMs`: null when the whole range is older than the settle margin;
 * otherwise what will not be collected (in the future) or not be final (too recent), and when to run again.
 */
export function recencyOutlook(fromMs: number, toMs: number, nowMs: number, settleMs = SETTLE_MS): string | null {
  if (toMs <= nowMs - settleMs) return null;
  const hours = Math.round(settleMs / HOUR);
  const after = iso(toMs + settleMs);
  const parts: string[] = [];
  if (toMs > nowMs) parts.push(fromMs >= nowMs ? `the whole range is in the future (after ${iso(nowMs)}): nothing will be collected` : `the range runs ${Math.ceil((toMs - nowMs) / HOUR)} h past now (${iso(nowMs)}): slices starting after now will not be collected`);
  parts.push(`slices ending less than ${hours} h ago will be collected but are not final (the audit log may still be receiving their records: ingestion latency)`);
  return `${parts.join('; ')}. The range cannot be complete before ${after}: run the same command again after ${after} to complete it.`;
}

export interface AcquirePlan {
  /** Tenant profile name. */
  tenant: string;
  from: string;
  to: string;
  sources: SourceId[];
  /** Whether the sources were asked for one by one (`--source mgmt`) rather than as "all". */
  explicitSources?: boolean;
  users?: string[];
  recordTypes?: string[];
  operations?: string[];
  /** Initial slice length in hours (default 24). */
  sliceHours?: number;
}

export interface AcquireProgress {
  source: SourceId | null;
  slicesDone: number;
  slicesTotal: number;
  records: number;
  recordsPerSecond: number;
  /** Seconds left, estimated from the slices still to do; null until there is a rate. */
  etaSeconds: number | null;
  message?: string;
}

/**
 * One source's slices: `received` rows on its pages, `records` the distinct events among them,
 * `duplicates` the copies (received - records), `reported` what the service reported (null: it reports no
 * totals), and its notes.
 */
export type SourceSummary = Pick<LedgerTotals, 'slices' | 'complete' | 'incomplete' | 'failed' | 'notCollected' | 'reported' | 'duplicates'> & {
  received: number;
  records: number;
  notes: string[];
};

export interface AcquireSummary {
  runId: number;
  planHash: string;
  resumed: boolean;
  interrupted: boolean;
  slices: number;
  complete: number;
  incomplete: number;
  failed: number;
  notCollected: number;
  /** Distinct records the case holds from the plan's slices. */
  records: number;
  /** Records new to the case in this run. */
  inserted: number;
  /** Rows received on the plan's pages, repeats included (every source). */
  received: number;
  /** received - records: copies of records already held (repeated across pages, slices, sources or runs). */
  duplicates: number;
  retries: number;
  /** Slices collected but not final: they end less than the settle margin before they were collected. */
  tooRecent: number;
  /** Slices not collected because they start after the collection time. */
  inFuture: number;
  /** When a later run of the same command can make the too recent and future slices final; null if none. */
  runAgainAfter: string | null;
  /** Sources with a slice (or their planning) refused for permission or authentication (exit 5). */
  refusedSources: SourceId[];
  /** Earlier runs found still 'running' (their process was killed) and marked abandoned by this one. */
  abandonedRuns: number[];
  bySource: Partial<Record<SourceId, SourceSummary>>;
}

export interface AcquireOptions {
  onProgress?: (p: AcquireProgress) => void;
  signal?: AbortSignal;
  /** Graph query polling interval (default 15 s; the simulated tenant needs none). */
  graphPollMs?: number;
  /** Graph records per page ($top, default 1000; tests use small values). */
  graphPageSize?: number;
  /** Search-UnifiedAuditLog ResultSize and session cap (tests use small values). */
  sualResultSize?: number;
  sualSessionCap?: number;
  /** The clock (default Date.now): what is in the future or too recent is measured from it. */
  now?: () => number;
  /**
   * How long after its end a slice is final (default SETTLE_MS). Only a tenant with no ingestion latency,
   * such as the simulated tenant whose records are all there at once, may be given less.
   */
  settleMs?: number;
}

interface CanonicalPlan {
  tenant: string; tenantId: string; from: string; to: string; sources: SourceId[]; explicitSources: boolean;
  users: string[]; recordTypes: string[]; operations: string[]; sliceHours: number; graphVersion: string;
}

export function canonicalPlan(plan: AcquirePlan, profile: TenantProfile): CanonicalPlan {
  const r = normaliseRange(Date.parse(plan.from), Date.parse(plan.to));
  const sources = [...new Set(plan.sources)].sort();
  for (const s of sources) if (!ALL_SOURCES.includes(s)) throw new UsageError(`acquire: unknown source ${s}; use graph, ual, mgmt, mailbox-audit or all.`);
  if (sources.length === 0) throw new UsageError('acquire: no source selected.');
  const sliceHours = plan.sliceHours ?? 24;
  if (!(sliceHours > 0) || (sliceHours * 3600) % 1 !== 0) throw new UsageError('acquire: the slice length must be a whole number of seconds.');
  return {
    tenant: profile.name, tenantId: profile.tenant, from: iso(r.startMs), to: iso(r.endMs), sources, explicitSources: plan.explicitSources ?? true,
    users: [...new Set((plan.users ?? []).map((u) => u.trim().toLowerCase()).filter(Boolean))].sort(),
    recordTypes: [...new Set(plan.recordTypes ?? [])].sort(), operations: [...new Set(plan.operations ?? [])].sort(),
    sliceHours, graphVersion: profile.graphVersion,
  };
}

export function planHash(p: CanonicalPlan): string {
  return createHash('sha256').update(JSON.stringify(p)).digest('hex');
}

function sourceQuery(source: SourceId, p: CanonicalPlan, recordType: string | null): Record<string, unknown> {
  if (source === 'ual') {
    const q: Record<string, unknown> = { cmdlet: 'Search-UnifiedAuditLog', SessionCommand: 'ReturnLargeSet' };
    if (recordType) q.RecordType = recordType;
    if (p.operations.length) q.Operations = p.operations;
    if (p.users.length) q.UserIds = p.users;
    return q;
  }
  if (source === 'graph') {
    const q: Record<string, unknown> = { api: `graph ${p.graphVersion} security/auditLog/queries` };
    if (p.recordTypes.length) q.recordTypeFilters = p.recordTypes.map(graphRecordType);
    if (p.operations.length) q.operationFilters = p.operations;
    if (p.users.length) { q.userPrincipalNameFilters = p.users; q.userIds = p.users; }
    return q;
  }
  return {};
}

/** Creates the ledger rows of a plan's sources that have none yet (mailbox-audit is planned at run time). */
function planLedger(h: CaseHandle, p: CanonicalPlan, hash: string, runId: number, now: string, nowMs: number): void {
  const existing = new Set(slicesForPlan(h.db, hash).map((r) => r.source));
  const fromMs = Date.parse(p.from);
  const toMs = Date.parse(p.to);
  const sliceMs = p.sliceHours * HOUR;
  const add = (source: SourceId, startMs: number, endMs: number, status: SliceStatus, query: Record<string, unknown>, reason: string | null, cause: SliceCause | null = null): void => {
    insertSlice(h.db, { planHash: hash, runId, source, sliceStart: iso(startMs), sliceEnd: iso(endMs), status, query, reason, cause }, now);
  };
  const tx = h.db.transaction(() => {
    for (const source of p.sources) {
      if (existing.has(source) || source === 'mailbox-audit') continue;
      if (source === 'ual') {
        const types = p.recordTypes.length ? p.recordTypes : [null];
        for (const rt of types) for (const s of planSlices(fromMs, toMs, sliceMs)) add('ual', s.startMs, s.endMs, 'not-collected', sourceQuery('ual', p, rt), 'not yet collected');
      } else if (source === 'graph') {
        for (const s of planSlices(fromMs, toMs, sliceMs)) add('graph', s.startMs, s.endMs, 'not-collected', sourceQuery('graph', p, null), 'not yet collected');
      } else if (source === 'mgmt') {
        const { windows, outOfReach, later } = planManageWindows(fromMs, toMs, nowMs, 12 * HOUR);
        const q: Record<string, unknown> = { contentTypes: [...CONTENT_TYPES], window: 'contentCreated' };
        if (p.users.length) q.userIds = p.users;
        for (const w of [...windows, ...later]) add('mgmt', w.startMs, w.endMs, 'not-collected', q, 'not yet collected');
        // Out of the API's reach: a gap only when this source was asked for on its own.
        if (outOfReach && p.explicitSources) add('mgmt', outOfReach.startMs, outOfReach.endMs, 'not-collected', q, OUT_OF_REACH, 'out-of-reach');
      }
    }
  });
  tx.immediate();
}

/** Plans mailbox-audit rows after probing Search-MailboxAuditLog (or its unified-log fallback). */
async function planMailboxAudit(h: CaseHandle, s: Session, p: CanonicalPlan, hash: string, runId: number, keep: AnswerKeeper, nowMs: number, signal?: AbortSignal): Promise<string> {
  const exo = exoTarget(s);
  let mailboxes = p.users;
  if (mailboxes.length === 0) {
    mailboxes = [];
    const what = 'list mailboxes for Search-MailboxAuditLog';
    for await (const r of invokePages(exo, 'Get-Mailbox', { ResultSize: 'Unlimited' }, what, signal)) {
      await keep(r, what); // which mailboxes were asked about
      for (const m of r.value) if (typeof m.UserPrincipalName === 'string') mailboxes.push(m.UserPrincipalName.toLowerCase());
    }
  }
  const probe = await probeMailboxAuditLog(exo, mailboxes[0], signal, keep);
  const now = new Date().toISOString();
  // As one of "all" sources, mailbox audit history is collected only where the unified log no longer
  // reaches: inside the unified log's retention the same actions are already collected there, with the
  // record ids that deduplicate them, and a second copy without those ids would be counted twice.
  const fromMs = Date.parse(p.from);
  const toMs = p.explicitSources ? Date.parse(p.to) : Math.min(Date.parse(p.to), nowMs - UAL_MIN_RETENTION_DAYS * DAY);
  const slices = toMs > fromMs ? planSlices(fromMs, toMs, p.sliceHours * HOUR) : [];
  const tx = h.db.transaction(() => {
    if (probe.available) {
      for (const m of mailboxes) for (const sl of slices) {
        const q: Record<string, unknown> = { cmdlet: 'Search-MailboxAuditLog', Identity: m, mailbox: m, ShowDetails: true };
        if (p.operations.length) q.Operations = p.operations;
        insertSlice(h.db, { planHash: hash, runId, source: 'mailbox-audit', sliceStart: iso(sl.startMs), sliceEnd: iso(sl.endMs), status: 'not-collected', query: q, reason: 'not yet collected' }, now);
      }
    } else {
      for (const rt of FALLBACK_RECORD_TYPES) for (const sl of slices) {
        const q: Record<string, unknown> = { cmdlet: 'Search-UnifiedAuditLog', fallback: 'unified-log', fallbackReason: probe.reason, RecordType: rt, SessionCommand: 'ReturnLargeSet' };
        if (p.operations.length) q.Operations = p.operations;
        if (p.users.length) q.UserIds = p.users;
        insertSlice(h.db, { planHash: hash, runId, source: 'mailbox-audit', sliceStart: iso(sl.startMs), sliceEnd: iso(sl.endMs), status: 'not-collected', query: q, reason: 'not yet collected' }, now);
      }
    }
  });
  tx.immediate();
  const scope = slices.length === 0
    ? `; nothing to collect: the unified log still holds the whole range (it keeps at least ${UAL_MIN_RETENTION_DAYS} days), so it is collected there`
    : toMs < Date.parse(p.to) ? `; collected up to ${iso(toMs)}, where the unified log's retention begins` : '';
  return (probe.available ? `Search-MailboxAuditLog answers: ${mailboxes.length} mailboxes` : `${probe.reason}: falling back to the unified log's ${FALLBACK_RECORD_TYPES.join(', ')} records`) + scope
    + (probe.available ? twiceStored(p, fromMs, toMs, nowMs) : '');
}

/**
 * Where this run also collects the unified log over a period whose mailbox actions Search-MailboxAuditLog
 * returns too, says that those actions are stored twice: its rows carry no unified-log record Id, so the
 * two copies of one action cannot be recognised as one (matching them on their content would be a guess).
 * The unified log holds a record 180 days, or a year for a user with Audit (Premium); the Management
 * Activity API serves its last 7 days.
 */
function twiceStored(p: CanonicalPlan, fromMs: number, toMs: number, nowMs: number): string {
  const unifiedLog = p.sources.includes('ual') || p.sources.includes('graph');
  const reachMs = unifiedLog ? UAL_PREMIUM_RETENTION_DAYS * DAY : p.sources.includes('mgmt') ? MANAGE_REACH_MS : 0;
  if (reachMs === 0) return '';
  const startMs = Math.max(fromMs, nowMs - reachMs);
  if (toMs <= startMs) return '';
  const premiumOnly = unifiedLog && toMs <= nowMs - UAL_MIN_RETENTION_DAYS * DAY;
  return `; WARNING: from ${iso(startMs)} to ${iso(toMs)} the unified log, also collected by this run, holds the same mailbox actions`
    + (premiumOnly ? ' for users with Audit (Premium) (it keeps their records a year)' : '')
    + ': Search-MailboxAuditLog rows carry no unified-log record Id, so an action found by both is stored twice, once per source; count mailbox actions in that period from one source';
}

/**
 * The Graph audit query an earlier attempt at this slice created, from the answers kept as its evidence
 * (the create, or a later look-up, naming the query's id), newest first. An answer whose file no longer
 * matches its hash is passed over: a new query is the safe choice.
 */
function earlierGraphQuery(h: CaseHandle, row: LedgerRow): string | null {
  for (const a of sliceAnswers(h.db, row.id)) {
    if (a.status === null || a.status < 200 || a.status >= 300) continue;
    let body: unknown;
    try {
      const bytes = readFileSync(h.abs(a.relPath));
      if (createHash('sha256').update(bytes).digest('hex') !== a.sha256) continue;
      body = JSON.parse(bytes.toString('utf8'));
    } catch {
      continue;
    }
    const id = auditQueryIdOf(a.request, a.status, body);
    if (id) return id;
  }
  return null;
}

/** One source's slices, counted by the ledger's own totals (`records` = distinct records retrieved). */
function sourceSummary(rows: LedgerRow[], held: HeldCounts): SourceSummary {
  const t = totals(rows);
  const notes = [...new Set(rows.filter((r) => r.query.fallback && r.reason).map((r) => r.reason as string))];
  return { slices: t.slices, complete: t.complete, incomplete: t.incomplete, failed: t.failed, notCollected: t.notCollected, reported: t.reported, received: held.received, records: held.distinct, duplicates: held.copies, notes };
}

/** `refused`: the sources refused for permission or authentication in this run (planning included). */
interface RunFacts { runId: number; hash: string; resumed: boolean; interrupted: boolean; inserted: number; settleMs: number; refused: SourceId[]; abandonedRuns: number[] }

function summarise(h: CaseHandle, rows: LedgerRow[], f: RunFacts): AcquireSummary {
  const t = totals(rows);
  const rowsBySource = new Map<SourceId, LedgerRow[]>();
  const refused = new Set<SourceId>(f.refused);
  let tooRecent = 0;
  let inFuture = 0;
  let lastEnd: number | null = null; // the last end of a slice waiting for its time (too recent or in the future)
  for (const r of rows) {
    const mine = rowsBySource.get(r.source);
    if (mine) mine.push(r); else rowsBySource.set(r.source, [r]);
    // What decides the exit code and when to run again is the slice's cause (the ledger's `cause`); its
    // reason is the same said for people.
    if (r.cause === 'refused') refused.add(r.source);
    const recent = r.cause === 'too-recent';
    const future = r.cause === 'in-future';
    if (recent) tooRecent++;
    if (future) inFuture++;
    if (recent || future) lastEnd = Math.max(lastEnd ?? -Infinity, Date.parse(r.sliceEnd));
  }
  const bySource: AcquireSummary['bySource'] = {};
  for (const [source, mine] of rowsBySource) bySource[source] = sourceSummary(mine, heldCounts(h.db, { planHash: f.hash, source }));
  const all = heldCounts(h.db, { planHash: f.hash });
  return {
    runId: f.runId, planHash: f.hash, resumed: f.resumed, interrupted: f.interrupted, slices: t.slices, complete: t.complete, incomplete: t.incomplete, failed: t.failed,
    notCollected: t.notCollected, records: all.distinct, inserted: f.inserted, received: all.received, duplicates: all.copies, retries: t.retries,
    tooRecent, inFuture, runAgainAfter: lastEnd === null ? null : iso(lastEnd + f.settleMs),
    refusedSources: [...refused].sort(), abandonedRuns: f.abandonedRuns, bySource,
  };
}

/**
 * Marks the case's acquisition runs still 'running' as abandoned, with a custody entry each. Called by an
 * acquisition, which holds the case's writer lock: no other run can be live, so a 'running' run is one
 * whose process was killed (SIGKILL, a crash, the machine stopped) before it could finish.
 */
function abandonStaleRuns(h: CaseHandle): number[] {
  const stale = listRuns(h.db).filter((r) => r.status === 'running');
  for (const r of stale) {
    const why = `the run's process ended without finishing it (killed, crashed or stopped); found by a later acquisition`;
    abandonRun(h.db, r.id, why, new Date().toISOString());
    h.logCustody('acquisition-abandoned', { acquisitionRun: r.id, planHash: r.planHash, startedAt: r.startedAt, reason: why });
  }
  return stale.map((r) => r.id);
}

/** The API a plan's sources first need a token for (mailbox audit planning and the unified log: Exchange). */
function firstApi(sources: SourceId[]): Api {
  if (sources.includes('ual') || sources.includes('mailbox-audit')) return 'exchange';
  return sources.includes('graph') ? 'graph' : 'manage';
}

/**
 * Collects every audit record in the plan's scope into the case. Restarted with the same plan it
 * continues from the ledger: complete slices are skipped, the others are collected again (records
 * already in the case count as duplicates, never twice as events).
 *
 * Memory stays bounded however many records there are (issue 4: under 300 MB for 1,000,000): pages are
 * stored one at a time, and V8's young generation is held small for the run (services/heap.ts).
 */
export async function acquire(h: CaseHandle, s: Session, plan: AcquirePlan, o: AcquireOptions = {}): Promise<AcquireSummary> {
  const release = boundYoungGeneration();
  try {
    return await collect(h, s, plan, o);
  } finally {
    release();
  }
}

async function collect(h: CaseHandle, s: Session, plan: AcquirePlan, o: AcquireOptions): Promise<AcquireSummary> {
  if (plan.tenant !== s.profile.name) throw new UsageError(`acquire: the plan is for tenant ${plan.tenant} but the session is signed in to ${s.profile.name}.`);
  const p = canonicalPlan(plan, s.profile);
  const hash = planHash(p);
  const clock = o.now ?? Date.now;
  const settleMs = o.settleMs ?? SETTLE_MS;
  // Signed in before anything is written: a refused sign-in (wrong certificate, unknown client,
  // unreachable host) leaves the case as it was, with no run, no planned slices and no stale run marked.
  await s.api.token(firstApi(p.sources), o.signal);
  o.signal?.throwIfAborted();
  const abandonedRuns = abandonStaleRuns(h);
  const startedAt = new Date().toISOString();
  const resumed = slicesForPlan(h.db, hash).length > 0;
  const runId = startRun(h.db, { tenantName: p.tenant, planHash: hash, planJson: JSON.stringify(p), startedAt });
  h.logCustody('acquisition-started', { acquisitionRun: runId, planHash: hash, plan: p, resumed, account: s.tokens.account(), appOnly: s.tokens.appOnly });
  planLedger(h, p, hash, runId, startedAt, clock());
  const refused = new Map<SourceId, SourceRefusal>();
  const facts = (interrupted: boolean): RunFacts => ({
    runId, hash, resumed, interrupted, inserted, settleMs, abandonedRuns,
    refused: [...refused].filter(([, v]) => v.cause === 'refused').map(([source]) => source),
  });
  const notes: string[] = [];
  let inserted = 0;
  let records = 0;
  let interrupted = false;
  const t0 = Date.now();
  // Answers that hold no records but decide what is collected, or why a source or slice was not, are
  // evidence of the run too: stored as received, with their request, in the custody log.
  const keep: AnswerKeeper = async (r, what) => {
    await storePage(h, responsePage(r, 'api-answer', 0), { acquisitionRun: runId, answerTo: what });
  };
  try {
    if (p.sources.includes('mailbox-audit') && !slicesForPlan(h.db, hash).some((r) => r.source === 'mailbox-audit')) {
      try {
        notes.push(await planMailboxAudit(h, s, p, hash, runId, keep, clock(), o.signal));
      } catch (e) {
        if (o.signal?.aborted) throw e;
        if (!(e instanceof BlindspotError)) throw e;
        if (e instanceof ApiRefusal && e.answer) await keep(e.answer, `planning mailbox audit history (refused: ${e.message})`);
        notes.push(`mailbox audit history not collected: ${e.message}`);
        refused.set('mailbox-audit', { reason: e.message, cause: authRefusal(e) ? 'refused' : null });
      }
    }
    let subscriptionsChecked = false;
    let mgmt: ManageTarget | null = null;
    const queue = slicesForPlan(h.db, hash).filter((r) => r.status !== 'complete');
    const total = () => slicesForPlan(h.db, hash).length;
    let done = slicesForPlan(h.db, hash).length - queue.length;
    const doneAtStart = done;
    const progress = (source: SourceId | null, message?: string): void => {
      if (!o.onProgress) return;
      const el = (Date.now() - t0) / SECOND;
      const tot = total();
      const rate = el > 0 ? records / el : 0;
      const doneNow = done - doneAtStart;
      const perSlice = doneNow > 0 ? el / doneNow : null;
      o.onProgress({ source, slicesDone: done, slicesTotal: tot, records, recordsPerSecond: Math.round(rate), etaSeconds: perSlice === null ? null : Math.round(perSlice * (tot - done)), ...(message ? { message } : {}) });
    };
    progress(null, resumed ? 'resuming from the ledger' : 'starting');
    while (queue.length > 0) {
      o.signal?.throwIfAborted();
      const row = queue.shift()!;
      const why = refused.get(row.source);
      if (why) {
        finishSlice(h.db, row.id, { status: 'not-collected', reported: null, retriesAdded: 0, reason: `not collected: ${why.reason}`, cause: why.cause, runId }, new Date().toISOString());
        done++;
        continue;
      }
      if (row.cause === 'out-of-reach') {
        finishSlice(h.db, row.id, { status: 'not-collected', reported: null, retriesAdded: 0, reason: row.reason, cause: row.cause, runId }, new Date().toISOString());
        done++;
        continue;
      }
      // What the log can hold of this slice yet: nothing after now, and not yet everything of the last
      // settle margin (ingestion latency, SETTLE_MS).
      const sliceNow = clock();
      const rowStartMs = Date.parse(row.sliceStart);
      const rowEndMs = Date.parse(row.sliceEnd);
      if (rowStartMs >= sliceNow) {
        finishSlice(h.db, row.id, { status: 'not-collected', reported: null, retriesAdded: 0, runId, cause: 'in-future',
          reason: `in the future: this slice starts after the collection time (${iso(sliceNow)}), so nothing of it was collected; run the same command again after ${iso(rowEndMs + settleMs)} to collect it` }, new Date().toISOString());
        done++;
        continue;
      }
      const tooRecent = rowEndMs > sliceNow - settleMs
        ? `too recent: this slice ends at ${row.sliceEnd}, less than ${Math.round(settleMs / HOUR)} h before it was collected (${iso(sliceNow)}), and the audit log may still be receiving its records (ingestion latency); run the same command again after ${iso(rowEndMs + settleMs)} to collect it again`
        : null;
      // The Management Activity API lists content up to now only (its windows are on publication time).
      const jobEndMs = row.source === 'mgmt' ? Math.min(rowEndMs, Math.floor(sliceNow / SECOND) * SECOND) : rowEndMs;
      const job: SliceJob = { ledgerId: row.id, source: row.source, startMs: rowStartMs, endMs: jobEndMs, query: row.query };
      const sink: PageSink = async (page) => {
        await storePage(h, page, { ...page.custody, acquisitionRun: runId, slice: page.ledgerId, source: row.source }, (n, ins, importRunId, evidenceId) => {
          recordPage(h.db, page.ledgerId, evidenceId, importRunId, n, new Date().toISOString());
          inserted += ins;
        });
        records += page.rows;
        collectGarbage(); // pages are transient: keep the peak near the live set (services/heap.ts)
        progress(row.source);
      };
      const splittable = canSplit({ startMs: job.startMs, endMs: job.endMs });
      let result: SliceResult;
      let cause: SliceCause | null = null;
      const retriesBefore = s.api.retriesMade;
      try {
        if (row.source === 'ual' || (row.source === 'mailbox-audit' && row.query.fallback)) {
          result = await sualSlice(exoTarget(s), job, sink, { canSplit: splittable, ...(o.signal ? { signal: o.signal } : {}), ...(o.sualResultSize !== undefined ? { resultSize: o.sualResultSize } : {}), ...(o.sualSessionCap !== undefined ? { sessionCap: o.sualSessionCap } : {}) });
        } else if (row.source === 'mailbox-audit') {
          result = await smalSlice(exoTarget(s), job, sink, { canSplit: splittable, ...(o.signal ? { signal: o.signal } : {}) });
        } else if (row.source === 'graph') {
          // A slice collected again carries on with the query an earlier attempt created, if the service
          // still has it: a query takes minutes to hours to run. Not with the query whose answer left the
          // slice incomplete (the ledger names it): running the slice again is asking for a new one; but a
          // later attempt's query, interrupted, is carried on with.
          const newest = earlierGraphQuery(h, row);
          const earlier = row.status === 'incomplete' && newest === row.query.graphQueryId ? null : newest;
          result = await graphSlice(graphTarget(s, o.graphPollMs ?? 15_000), job, sink, {
            canSplit: splittable, ...(o.signal ? { signal: o.signal } : {}), ...(o.graphPageSize !== undefined ? { top: o.graphPageSize } : {}), ...(earlier ? { earlierQueryId: earlier } : {}),
          });
        } else {
          mgmt ??= await manageTarget(s);
          // The subscriptions are checked once, for the first slice of the source: the retries that took
          // are that slice's, so that every retry made while slices are collected is in the ledger (the
          // sign-in check and mailbox audit planning before them belong to no slice).
          if (!subscriptionsChecked) {
            const subs = await ensureSubscriptions(mgmt, CONTENT_TYPES, o.signal, keep);
            const started = subs.filter((x) => x.startedByUs).map((x) => x.contentType);
            if (started.length) h.logCustody('tenant-changed', { acquisitionRun: runId, change: 'started Management Activity API subscriptions', contentTypes: started });
            subscriptionsChecked = true;
          }
          result = await manageSlice(mgmt, job, sink, o.signal ? { signal: o.signal } : {});
        }
      } catch (e) {
        if (o.signal?.aborted) throw e;
        // The refusal that failed the slice is kept with the slice's pages: it says why.
        if (e instanceof ApiRefusal && e.answer) await sink(pageOf(job, e.answer, 'api-answer', 0));
        if (authRefusal(e)) {
          // a permission or authentication refusal (cause 'refused': exit 5); the source's other slices are not collected
          const reason = `refused (${e.status}): ${e.message}`;
          refused.set(row.source, { reason, cause: 'refused' });
          cause = 'refused';
          result = { kind: 'failed', reason };
        } else if (e instanceof ApiRefusal || e instanceof RetriesExhausted || e instanceof NetworkPolicyError || (e instanceof Error && /not an OData page/.test(e.message))) {
          result = { kind: 'failed', reason: e.message };
        } else {
          throw e;
        }
      }
      // Every retry made while collecting the slice, those of calls that succeeded before one failed too.
      const retries = s.api.retriesMade - retriesBefore;
      const now = new Date().toISOString();
      if (result.kind === 'split') {
        const parts = splitInto({ startMs: job.startMs, endMs: job.endMs }, Math.max(2, result.parts))!;
        const ids = splitLedgerSlice(h.db, row.id, parts.map((x) => ({ sliceStart: iso(x.startMs), sliceEnd: iso(x.endMs) })), result.reported, result.reason, runId, now);
        addRetries(h.db, row.id, retries, now);
        const fresh = ids.map((id) => slicesForPlan(h.db, hash).find((r) => r.id === id)!);
        queue.unshift(...fresh);
        progress(row.source, `split ${row.sliceStart}..${row.sliceEnd} into ${ids.length}: ${result.reason}`);
        continue;
      }
      const howNote = row.query.fallback ? `collected from the unified log instead of Search-MailboxAuditLog (${String(row.query.fallbackReason ?? 'retired')})`
        : result.kind === 'done' && result.how ? result.how : null;
      if (result.kind === 'failed') {
        finishSlice(h.db, row.id, { status: 'failed', reported: null, retriesAdded: retries, reason: result.reason, cause, runId }, now);
      } else if (result.kind === 'over-cap') {
        finishSlice(h.db, row.id, { status: 'incomplete', reported: result.reported, retriesAdded: retries, reason: result.reason, runId, ...(result.query ? { query: result.query } : {}) }, now);
      } else {
        // Decided from the slice's pages first and written once: a slice is never left 'complete' by a
        // process killed between two writes when it is not.
        const r1 = countSlice(h.db, row.id);
        let status: SliceStatus = 'complete';
        let reason: string | null = howNote;
        if (result.reported !== null && r1.retrieved < result.reported) {
          status = 'incomplete';
          reason = `the service reported ${result.reported} records but the case holds ${r1.retrieved} from this slice${howNote ? `; ${howNote}` : ''}`;
        } else if (result.reported !== null && r1.retrieved > result.reported) {
          reason = `the case holds ${r1.retrieved} records from this slice, more than the ${result.reported} reported${howNote ? `; ${howNote}` : ''}`;
        } else if (result.reported === null && result.note) {
          reason = howNote ? `${howNote}; ${result.note}` : result.note;
        }
        if (status === 'complete' && tooRecent) {
          status = 'incomplete';
          cause = 'too-recent';
          reason = reason ? `${tooRecent}; ${reason}` : tooRecent;
        }
        finishSlice(h.db, row.id, { status, reported: result.reported, retriesAdded: retries, reason, cause, runId, counts: r1, ...(result.query ? { query: result.query } : {}) }, now);
      }
      done++;
      progress(row.source);
    }
  } catch (e) {
    if (o.signal?.aborted) {
      interrupted = true;
    } else {
      try {
        const sum = summarise(h, slicesForPlan(h.db, hash), facts(false));
        finishRun(h.db, runId, 'failed', sum, (e as Error).message, new Date().toISOString());
        h.logCustody('acquisition-finished', { acquisitionRun: runId, status: 'failed', error: (e as Error).message, summary: sum });
      } catch (closing) {
        // A full disk may refuse these writes too: the run stays 'running', and the next acquisition
        // marks it abandoned (with its custody entry) before it starts.
        if (!isDiskFull(closing)) throw closing;
      }
      if (isDiskFull(e)) {
        throw new CaseError(
          `acquire: no space left to store what the tenant sends (${(e as Error).message}); the acquisition stopped. The pages stored before are in the case.`,
          `Free space on the disk that holds ${h.dir}, then run the same command again: it continues from the ledger.`,
        );
      }
      throw e;
    }
  }
  const sum = summarise(h, slicesForPlan(h.db, hash), facts(interrupted));
  for (const n of notes) (sum.bySource['mailbox-audit'] ??= sourceSummary([], NO_HELD)).notes.push(n);
  const status = interrupted ? 'interrupted' : sum.complete === sum.slices ? 'complete' : 'incomplete';
  finishRun(h.db, runId, status, sum, null, new Date().toISOString());
  h.logCustody('acquisition-finished', { acquisitionRun: runId, status, summary: sum });
  return sum;
}

