// Analysis services for the CLI and the app: gaps (blind windows), findings, exposure and sessions over
// a case directory (<dir>/case.sqlite). Each call reads the case, computes in core/analysis, stores the
// result with the analysis version and its inputs in analysis_runs, and returns the run id with the
// result so the caller can write the custody entry. Evidence and events are never modified.
// The clock is an argument (`now`).
import { join, resolve, sep } from 'node:path';
import { computeCoverage } from '../core/analysis/coverage.ts';
import { withPlansFromRaw } from '../core/analysis/licences.ts';
import type { CoverageInput, CoverageOptions, CoverageResult } from '../core/analysis/coverage.ts';
import { contentSearches } from '../core/analysis/contentSearch.ts';
import { blindWindowsForExposure, contentSearchesForExposure, exposureToCsv } from '../core/analysis/exposure.ts';
import { IdentityResolver, normaliseIdentifier } from '../core/analysis/identity.ts';
import type { ExposedItem, ExposureResult, ExposureScope } from '../core/analysis/exposure.ts';
import { buildFindings } from '../core/analysis/findings.ts';
import type { FindingsOptions } from '../core/analysis/findings.ts';
import { SOURCE_GROUPS, SOURCE_RECORDS } from '../core/analysis/sourceActivity.ts';
import { ANALYSIS_VERSION, SEVERITIES } from '../core/analysis/types.ts';
import { unseenConfiguration } from '../core/analysis/unseen.ts';
import { formatIso, parseIsoUtc } from '../core/time.ts';
import type { AccountKind, BlindWindow, Finding, LedgerSlice, Severity } from '../core/analysis/types.ts';
import type { ConfigKind } from '../core/model.ts';
import {
  configKinds, firstAccessRecord, inferThrottles, insertAnalysisRun, querySessions, querySyncedFolders,
  readAccessSources, readCaseRange, readChangeRecords, readConfigObservations, readLedger, readExposureItems, readMailboxActivity, readPremiumActionCounts, readSourceActivity, readThrottleMarkers, snapshotIds, storeExposureItems, updateAnalysisRun,
} from '../db/analysis.ts';
import type { SessionGroup } from '../db/analysis.ts';
import { listCopies, recordsWithDifferingCopies } from '../db/timeline.ts';
import { DIFFERING_COPIES_LISTED } from '../core/analysis/differingCopies.ts';
import { CaseDataError } from '../db/auditData.ts';
import type { ReadableDB, WritableDB } from '../db/database.ts';
import { BadInputError, CaseError, NotFoundError } from './errors.ts';
import { openCase, openCaseReadOnly } from './caseFolder.ts';
import type { CaseHandle } from './caseFolder.ts';
import { hashFile, pathWithin } from './files.ts';

export { exposureToCsv };

export type Clock = Date | string | number;

export interface CommonOptions {
  /** The time the analysis is made (recorded as generatedAt). */
  now: Clock;
  /**
   * The case range, when configured; otherwise the range the acquisition ledger covers (widened to any
   * event outside it), or first..last event time when the case has no ledger.
   */
  range?: { start: string; end: string };
  /** Accounts documented as service accounts (bypass there is informational). */
  serviceAccounts?: string[];
  /** Unified audit log retention in days, when the tenant's policy is known. */
  ualRetentionDays?: number;
}

export interface GapsOptions extends CommonOptions {
  mailbox?: string;
  includeSilence?: boolean;
}

/** Where the analysed range comes from: given, the acquisition ledger's slices, or the case's first and last events. */
export type RangeBasis = 'given' | 'acquisition-ledger' | 'events';

export interface GapsResult {
  generatedAt: string;
  analysisVersion: string;
  range: { start: string; end: string };
  rangeBasis: RangeBasis;
  /** The range basis in words, for the report (what the range is and why). */
  rangeNote: string;
  mailboxes: { mailbox: string; upn: string | null; accountKind: AccountKind; windows: BlindWindow[] }[];
  /** What could not be known for want of configuration evidence: no window of those kinds could be found (core/analysis/unseen.ts). */
  unseen: string[];
}

export interface FindingsServiceOptions extends CommonOptions {
  minSeverity?: Severity;
  /** The suspected incident (ISO times). */
  incident?: { start: string; end: string };
  includeSilence?: boolean;
  baselineDays?: number;
}

export interface ExposureOptions extends CommonOptions {
  mailbox: string;
  session?: string;
  ip?: string;
  app?: string;
  from?: string;
  to?: string;
}

export interface SessionsResult {
  mailbox: string;
  sessions: SessionGroup[];
}

export interface Stored<T> {
  runId: number;
  result: T;
}

// ---- helpers -------------------------------------------------------------------------------------

function isoOf(c: Clock, what: string): string {
  const ms = c instanceof Date ? c.getTime() : typeof c === 'number' ? c : (parseIsoUtc(c) ?? Number.NaN);
  if (!Number.isFinite(ms)) throw new BadInputError(`${what} "${String(c)}" is not a time`, 'use an ISO 8601 time such as 2024-05-01T00:00:00Z');
  return new Date(ms).toISOString();
}

function parseTime(s: string, what: string): number {
  const ms = parseIsoUtc(s) ?? Number.NaN;
  if (!Number.isFinite(ms)) throw new BadInputError(`${what} "${s}" is not a time`, 'use an ISO 8601 time such as 2024-05-01T00:00:00Z');
  return ms;
}

/**
 * Runs one analysis on an open case (locked, recovered) and writes its custody entry: every analysis the
 * workstation makes is in the chain of custody, with the stored run it produced. Given a folder, the case
 * is opened for it and closed after; given a handle (the report runs several analyses on one), it is used.
 */
function withCase<T extends Stored<unknown>>(target: string | CaseHandle, kind: string, options: Record<string, unknown>, fn: (db: WritableDB) => T): T {
  const h = typeof target === 'string' ? openCase(target) : target;
  try {
    // Large read-mostly aggregates: map the file and let the sorter use a helper thread.
    h.db.pragma('mmap_size = 1073741824');
    h.db.pragma('threads = 2');
    const r = fn(h.db);
    h.logCustody('analysis', { kind, analysisRun: r.runId, analysisVersion: ANALYSIS_VERSION, options });
    return r;
  } catch (e) {
    if (e instanceof CaseDataError) throw new CaseError(`${join(h.dir, 'case.sqlite')}: ${e.message}`);
    throw e;
  } finally {
    if (typeof target === 'string') h.close();
  }
}

/** The options worth recording in custody (the clock is in the stored run). */
function optionsForCustody(opts: object): Record<string, unknown> {
  const { now: _now, ...rest } = opts as Record<string, unknown>;
  return rest;
}

/** The case has nothing to take a range from: no range given, no acquisition ledger, no event. */
export class NoRangeError extends CaseError {
  constructor() {
    super('the case holds no events, so it has no range to analyse', 'import audit records first, or pass a range');
    this.name = 'NoRangeError';
  }
}

interface AnalysedRange {
  startMs: number;
  endMs: number;
  events: number;
  basis: RangeBasis;
  note: string;
}

/**
 * The range to analyse: the one given; else, when the case has a completeness ledger, the range its
 * slices cover (what was asked of the tenant, not only where events happen to fall), widened to any event
 * outside it (an imported file); else the first to the last event.
 */
function caseRange(db: ReadableDB, opts: CommonOptions, ledger: LedgerSlice[] | null): AnalysedRange {
  const r = readCaseRange(db);
  if (opts.range) {
    const startMs = parseTime(opts.range.start, 'range start');
    const endMs = parseTime(opts.range.end, 'range end');
    if (endMs <= startMs) throw new BadInputError(`the range ends (${opts.range.end}) before it starts (${opts.range.start})`);
    return { startMs, endMs, events: r?.events ?? 0, basis: 'given', note: 'the range given' };
  }
  const acquired = acquiredRange(ledger ?? []);
  if (acquired) {
    const startMs = Math.min(acquired.startMs, r?.startMs ?? acquired.startMs);
    const endMs = Math.max(acquired.endMs, r?.endMs ?? acquired.endMs);
    const widened = startMs < acquired.startMs || endMs > acquired.endMs;
    return {
      startMs, endMs, events: r?.events ?? 0, basis: 'acquisition-ledger',
      note: widened
        ? `the acquired range (${formatIso(acquired.startMs)} to ${formatIso(acquired.endMs)}, from the completeness ledger), widened to the events the case holds outside it`
        : 'the acquired range (from the completeness ledger)',
    };
  }
  if (!r) throw new NoRangeError();
  return { ...r, basis: 'events', note: 'the case\'s first to last event (no range given and no acquisition ledger)' };
}

/** The span the ledger's slices cover (whatever their status: a slice not collected is part of what was asked). */
function acquiredRange(ledger: LedgerSlice[]): { startMs: number; endMs: number } | null {
  let startMs = Infinity;
  let endMs = -Infinity;
  for (const s of ledger) {
    const a = Date.parse(s.start);
    const b = Date.parse(s.end);
    if (!Number.isFinite(a) || !Number.isFinite(b) || b <= a) continue;
    startMs = Math.min(startMs, a);
    endMs = Math.max(endMs, b);
  }
  return Number.isFinite(startMs) ? { startMs, endMs } : null;
}

interface Loaded {
  input: CoverageInput;
  inputsSummary: Record<string, unknown>;
  range: AnalysedRange;
  /** The configuration kinds the case holds rows of (those absent are read as null or empty, and are unseen). */
  kinds: Set<ConfigKind>;
}

/** Reads everything the coverage model needs. With `onlyMailbox`, activity and throttle counts are read for that mailbox only. */
function loadCoverageInput(db: ReadableDB, opts: CommonOptions, onlyMailbox?: string): Loaded {
  const ledger = readLedger(db);
  const range = caseRange(db, opts, ledger);
  const activity = readMailboxActivity(db, onlyMailbox);
  const inferred = inferThrottles(db, activity);
  const kinds = configKinds(db);
  const input: CoverageInput = {
    range: { startMs: range.startMs, endMs: range.endMs },
    mailboxes: readConfigObservations(db, 'mailbox'),
    bypass: readConfigObservations(db, 'bypass'),
    organization: readConfigObservations(db, 'organization'),
    adminAuditLog: readConfigObservations(db, 'adminAuditLog'),
    licences: kinds.has('licence') ? readConfigObservations(db, 'licence') : null,
    changes: readChangeRecords(db),
    throttleMarkers: readThrottleMarkers(db),
    inferredThrottles: inferred,
    activity,
    ledger,
    premiumActions: readPremiumActionCounts(db, range),
  };
  const inputsSummary = {
    events: range.events,
    range: { start: new Date(range.startMs).toISOString(), end: new Date(range.endMs).toISOString(), configured: range.basis === 'given', basis: range.basis },
    snapshots: snapshotIds(db),
    configRows: { mailbox: input.mailboxes.length, bypass: input.bypass.length, organization: input.organization.length, adminAuditLog: input.adminAuditLog.length, licence: input.licences?.length ?? null },
    changeRecords: input.changes.length,
    throttleMarkers: input.throttleMarkers.length,
    inferredThrottles: input.inferredThrottles.length,
    ledgerSlices: input.ledger?.length ?? null,
  };
  return { input, inputsSummary, range, kinds };
}

function coverageOptions(opts: CommonOptions & { includeSilence?: boolean }, mailboxFilter?: string[]): CoverageOptions {
  return {
    ...(opts.serviceAccounts ? { serviceAccounts: opts.serviceAccounts } : {}),
    ...(opts.ualRetentionDays !== undefined ? { ualRetentionDays: opts.ualRetentionDays } : {}),
    ...(opts.includeSilence ? { includeSilence: true } : {}),
    ...(mailboxFilter ? { mailboxFilter } : {}),
  };
}

function resolveMailbox(cov: CoverageResult, mailbox: string): string {
  const k = cov.resolver.resolve(mailbox);
  if (k) return k;
  throw new NotFoundError(`no mailbox "${mailbox}" in this case`, 'name it by UPN, alias, display name or GUID as in the mailbox inventory or the records');
}


// ---- gaps ----------------------------------------------------------------------------------------

/** The blind windows of a case, computed from a read-only handle (nothing stored): what the UI shows. */
export function computeGaps(db: ReadableDB, opts: GapsOptions): { result: GapsResult; inputs: Record<string, unknown> } {
  const generatedAt = isoOf(opts.now, 'now');
  const { input, inputsSummary, range, kinds } = loadCoverageInput(db, opts);
  let cov = computeCoverage(input, coverageOptions(opts));
  if (opts.mailbox !== undefined) {
    const key = resolveMailbox(cov, opts.mailbox);
    cov = { ...cov, mailboxes: cov.mailboxes.filter((m) => m.mailbox === key) };
  }
  const result: GapsResult = {
    generatedAt,
    analysisVersion: ANALYSIS_VERSION,
    range: { start: new Date(input.range.startMs).toISOString(), end: new Date(input.range.endMs).toISOString() },
    rangeBasis: range.basis,
    rangeNote: range.note,
    mailboxes: cov.mailboxes.map((m) => ({ mailbox: m.mailbox, upn: m.upn, accountKind: m.accountKind, windows: m.windows })),
    unseen: unseenConfiguration(kinds),
  };
  const inputs = { ...inputsSummary, options: { mailbox: opts.mailbox ?? null, includeSilence: opts.includeSilence ?? false, serviceAccounts: opts.serviceAccounts ?? [], ualRetentionDays: opts.ualRetentionDays ?? null }, unresolvedIdentities: cov.unresolved };
  return { result, inputs };
}

export function gaps(target: string | CaseHandle, opts: GapsOptions): Stored<GapsResult> {
  return withCase(target, 'gaps', optionsForCustody(opts), (db) => {
    const { result, inputs } = computeGaps(db, opts);
    const runId = insertAnalysisRun(db, { kind: 'gaps', analysisVersion: ANALYSIS_VERSION, generatedAt: result.generatedAt, inputs, result });
    return { runId, result };
  });
}

// ---- findings ------------------------------------------------------------------------------------

/** Refuses a clock that is no time and a severity that is none; returns the clock as ISO UTC. */
function checkedFindingsOptions(opts: FindingsServiceOptions): string {
  const generatedAt = isoOf(opts.now, 'now');
  if (opts.minSeverity !== undefined && !SEVERITIES.includes(opts.minSeverity)) {
    throw new BadInputError(`unknown severity "${String(opts.minSeverity)}"`, `use one of ${SEVERITIES.join(', ')}`);
  }
  return generatedAt;
}

/** The findings of a case, computed from a read-only handle (nothing stored): what the UI shows, and what `findings` stores. */
export function computeFindings(db: ReadableDB, opts: FindingsServiceOptions): { result: { generatedAt: string; findings: Finding[] }; inputs: Record<string, unknown> } {
  const generatedAt = checkedFindingsOptions(opts);
  const { input, inputsSummary } = loadCoverageInput(db, opts);
  const coverage = computeCoverage(input, coverageOptions(opts));
  const fopts: FindingsOptions = {
    ...(opts.minSeverity ? { minSeverity: opts.minSeverity } : {}),
    ...(opts.incident ? { incident: { startMs: parseTime(opts.incident.start, 'incident start'), endMs: parseTime(opts.incident.end, 'incident end') } } : {}),
    ...(opts.includeSilence ? { includeSilence: true } : {}),
    ...(opts.baselineDays !== undefined ? { baselineDays: opts.baselineDays } : {}),
  };
  const accessSources = readAccessSources(db);
  fopts.firstRecord = (mailbox, dim, value, firstMs) => firstAccessRecord(db, mailbox, dim, value, firstMs);
  fopts.sourceActivity = (dim, value, exclude, limit) => readSourceActivity(db, dim, value, exclude, limit);
  const differing = {
    copies: [...listCopies(db, { differingOnly: true, records: DIFFERING_COPIES_LISTED })].map((c) => ({ recordId: c.recordId, kept: c.kept, copy: c.copy, differs: c.differs! })),
    records: recordsWithDifferingCopies(db),
  };
  const list = buildFindings({ coverage, changes: input.changes, accessSources, licences: input.licences?.map(withPlansFromRaw) ?? null, differing }, fopts);
  const inputs = { ...inputsSummary, accessSources: accessSources.length, recordsWithDifferingCopies: differing.records, sourceActivity: { records: SOURCE_RECORDS, groups: SOURCE_GROUPS }, options: { minSeverity: opts.minSeverity ?? 'info', incident: opts.incident ?? null, includeSilence: opts.includeSilence ?? false, baselineDays: opts.baselineDays ?? 7, serviceAccounts: opts.serviceAccounts ?? [] } };
  return { result: { generatedAt, findings: list }, inputs };
}

export function findings(target: string | CaseHandle, opts: FindingsServiceOptions): Stored<{ findings: Finding[] }> {
  checkedFindingsOptions(opts); // a bad clock or severity is refused before the case is opened
  return withCase(target, 'findings', optionsForCustody(opts), (db) => {
    const { result: { generatedAt, findings: list }, inputs } = computeFindings(db, opts);
    const result = { findings: list };
    const runId = insertAnalysisRun(db, { kind: 'findings', analysisVersion: ANALYSIS_VERSION, generatedAt, inputs, result });
    return { runId, result };
  });
}

// ---- exposure ------------------------------------------------------------------------------------

export function exposure(dir: string, opts: ExposureOptions): Stored<ExposureResult> {
  const generatedAt = isoOf(opts.now, 'now');
  if (!opts.mailbox) throw new BadInputError('exposure needs a mailbox');
  return withCase(dir, 'exposure', optionsForCustody(opts), (db) => {
    // Resolve the mailbox first with the inventory (cheap), then read activity for it alone.
    const key = resolveMailboxKey(db, opts.mailbox);
    const { input, inputsSummary } = loadCoverageInput(db, opts, key);
    const cov = computeCoverage(input, coverageOptions(opts));
    const fromMs = opts.from !== undefined ? parseTime(opts.from, 'from') : input.range.startMs;
    const toMs = opts.to !== undefined ? parseTime(opts.to, 'to') : input.range.endMs + 1;
    if (toMs <= fromMs) throw new BadInputError(`"to" (${opts.to ?? ''}) is not after "from" (${opts.from ?? ''})`);
    const own = cov.mailboxes.find((m) => m.mailbox === key)?.windows ?? [];
    // Bypass on another account blinds that account's access to this mailbox too.
    const others = cov.mailboxes.filter((m) => m.mailbox !== key).flatMap((m) => m.windows.filter((w) => w.kind === 'bypass'))
      .map((w) => ({ ...w, reason: `${w.reason}; if ${w.mailbox} accessed ${key} in this window, it left no record` }));
    const scope: ExposureScope = {
      mailbox: key, session: opts.session ?? null, ip: opts.ip ?? null, app: opts.app ?? null,
      from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(),
    };
    const q = { mailbox: key, fromMs, toMs, session: opts.session ?? null, ip: opts.ip ?? null, app: opts.app ?? null };
    const result: ExposureResult = {
      mailbox: key, scope, items: { count: 0, accessRecords: 0 }, syncedFolders: querySyncedFolders(db, q),
      blindWindows: blindWindowsForExposure([...own, ...others], fromMs, toMs),
      contentSearches: contentSearchesForExposure(contentSearches(input.changes, cov.resolver), key, fromMs, toMs),
    };
    const options = { mailbox: opts.mailbox, session: opts.session ?? null, ip: opts.ip ?? null, app: opts.app ?? null, from: opts.from ?? null, to: opts.to ?? null };
    const inputs = () => ({ ...inputsSummary, options, counts: { items: result.items.count, syncedFolders: result.syncedFolders.length, blindWindows: result.blindWindows.length, contentSearches: result.contentSearches.length } });
    // The run and its messages are stored together: the run first (the messages reference it), then its
    // counts once SQLite has aggregated the messages.
    const runId = db.transaction(() => {
      const id = insertAnalysisRun(db, { kind: 'exposure', analysisVersion: ANALYSIS_VERSION, generatedAt, inputs: inputs(), result });
      result.items = storeExposureItems(db, id, q);
      updateAnalysisRun(db, id, inputs(), result);
      return id;
    })();
    return { runId, result };
  });
}

/**
 * Records in the custody log an exposure list written to a file (exposure --out): the run it came from,
 * the file and its SHA-256, so that the list handed to counsel can be shown to be the one computed.
 * Returns the SHA-256.
 */
export async function logExposureWritten(dir: string, runId: number, file: string, messages: number): Promise<string> {
  const abs = resolve(file);
  const { sha256, size } = await hashFile(abs);
  const h = openCase(dir);
  try {
    const inCase = pathWithin(h.dir, abs);
    h.logCustody('exposure-written', { analysisRun: runId, file: abs, messages, size }, [{ sha256, path: inCase === null ? abs : inCase.split(sep).join('/') }]);
  } finally {
    h.close();
  }
  return sha256;
}

/**
 * The messages an exposure run found, in InternetMessageId order: streamed (the whole list can be a
 * million rows) or one page. The case is open while the iteration runs and closed when it ends.
 */
export function* exposureItems(dir: string, runId: number, page?: { offset: number; limit: number }): Generator<ExposedItem> {
  const c = openCaseReadOnly(dir);
  try {
    yield* readExposureItems(c.db, runId, page);
  } finally {
    c.close();
  }
}

/** A mailbox named by any identifier: the inventory and licence rows first, then the events themselves. */
function resolveMailboxKey(db: ReadableDB, name: string): string {
  const resolver = new IdentityResolver();
  for (const o of readConfigObservations(db, 'mailbox')) resolver.addMailbox(o.value, o.raw);
  for (const o of readConfigObservations(db, 'licence')) resolver.addUpn(o.value.userPrincipalName);
  const k = resolver.resolve(name);
  if (k) return k;
  const seen = db.prepare('SELECT mailbox FROM events WHERE mailbox = ? LIMIT 1').pluck().get(name.trim()) as string | undefined;
  if (seen) return normaliseIdentifier(seen);
  throw new NotFoundError(`no mailbox "${name}" in this case`, 'name it by UPN, alias, display name or GUID as in the mailbox inventory or the records');
}

// ---- sessions ------------------------------------------------------------------------------------

export function sessions(dir: string, opts: { now: Clock; mailbox: string }): Stored<SessionsResult> {
  const generatedAt = isoOf(opts.now, 'now');
  if (!opts.mailbox) throw new BadInputError('sessions needs a mailbox');
  return withCase(dir, 'sessions', optionsForCustody(opts), (db) => {
    const key = resolveMailboxKey(db, opts.mailbox);
    const result: SessionsResult = { mailbox: key, sessions: querySessions(db, key) };
    const runId = insertAnalysisRun(db, {
      kind: 'sessions', analysisVersion: ANALYSIS_VERSION, generatedAt,
      inputs: { events: readCaseRange(db)?.events ?? 0, options: { mailbox: opts.mailbox }, counts: { sessions: result.sessions.length } },
      result,
    });
    return { runId, result };
  });
}
