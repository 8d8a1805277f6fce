// The blind windows of one mailbox, kind by kind: audit bypass, the organisation's and the unified log's
// switches, AuditEnabled, the audited action sets, the licence, throttling, each store's retention,
// acquisition completeness, the audit store's capacity and (optionally) silence. Pure: computeCoverage
// (coverage.ts) resolves identities and gathers each mailbox's evidence; this turns it into windows.
//
// Window definitions (shared with the simulator's ground truth):
// - bypass: [Set-MailboxAuditBypassAssociation AuditBypassEnabled=True time, the False record's time),
//   for the mailbox of the bypassed account; a snapshot showing bypass with no record starts it at range.start.
// - throttled: [IsThrottled=True record time, +24 h); inferred where >1,000 MailItemsAccessed records
//   fall within 24 h and no marker was collected.
// - retention: [range.start, reference − AuditLogAgeLimit) for the mailbox store and
//   [range.start, reference − UAL retention) for the unified log, kept apart (`store`). The reference is
//   when the records were read from that store: the newest collection of the store in the acquisition
//   ledger, else the configuration snapshot's as-of time, and only failing both the range end. The
//   window's reason says which.
// - unlicensed / actions-not-audited / audit-disabled / org-audit-disabled / ual-ingestion-disabled:
//   from the state timeline (snapshot backward, records forward); the whole range when the snapshot says
//   so and no record changes it. `end` is null while the condition still holds at the end of the case.
//   Unlicensed states MailItemsAccessed as not recorded; Send and SearchQueryInitiated only as uncertain
//   (older documentation lists them as Audit Premium too), or as recorded where the case holds them.
import type { AdminAuditLogConfig, BypassAssociation, LicenceAssignment, MailboxConfig, OrganizationConfig } from '../model.ts';
import { applySetMailboxAudit, auditSetsEqual, defaultAuditSets, missingActions } from './auditSets.ts';
import type { AuditSets } from './auditSets.ts';
import { licenceVerdictOf, newestSnapshotRows, premiumHistory } from './licences.ts';
import { param, parseBool } from './records.ts';
import { DAY_MS, buildTimeline, iso } from './timeline.ts';
import { MAILBOX_AUDIT_DEFAULT_DAYS, ualLostBefore } from './retention.ts';
import type { Observation, Segment } from './timeline.ts';
import type { AuditStore, CaseRange, ChangeRecord, Confidence, ConfigObservation, LedgerSlice, MailboxActivity, WindowKind, WindowScope } from './types.ts';
import { LOGON_TYPE_NAMES } from './types.ts';

/**
 * Older documentation lists these, with MailItemsAccessed, as needing the Advanced Auditing service plan (Audit
 * Premium) [A1, A2]: without the licence, whether they are recorded is uncertain.
 */
const UNCERTAIN_PREMIUM_ACTIONS = ['Send', 'SearchQueryInitiated'] as const;
export const THROTTLE_LIMIT = 1000;
const MAILBOX_AUDIT_CAPACITY = 3_000_000;

const ALL_ACTIONS: WindowScope = { actions: ['*'], logonTypes: [...LOGON_TYPE_NAMES] };

export interface ThrottleMarker {
  recordId: string;
  timeMs: number;
  mailbox: string;
}

export interface InferredThrottle {
  mailbox: string;
  startMs: number;
  /** How many records fell in the 24 hours up to startMs. */
  count: number;
}

/** A window before windows of one kind are merged (times in ms; `endMs` null while it still holds). */
export interface RawWindow {
  mailbox: string;
  kind: WindowKind;
  startMs: number;
  endMs: number | null;
  scope: WindowScope;
  confidence: Confidence;
  reason: string;
  evidence: string[];
  store?: AuditStore;
}

/** What holds for the whole tenant, the same for every mailbox. */
export interface TenantEvidence {
  range: CaseRange;
  /** Organisation mailbox auditing off (Set-OrganizationConfig AuditDisabled) over time. */
  orgAuditDisabled: Segment<boolean>[];
  /** Unified audit log ingestion on (Set-AdminAuditLogConfig UnifiedAuditLogIngestionEnabled) over time. */
  ualIngestion: Segment<boolean>[];
  /** The case's licence snapshots (licences.ts snapshotsOf); empty without a licence export. */
  licenceSnapshots: ConfigObservation<LicenceAssignment>[][];
  /** The newest configuration snapshot of any kind. */
  newestSnapshot: ConfigObservation<unknown> | null;
  /** Whether Send and SearchQueryInitiated were counted (CoverageInput.premiumActions). */
  premiumCounted: boolean;
}

/** One mailbox's evidence, gathered under its resolved key. */
export interface MailboxEvidence {
  key: string;
  /** Its Get-Mailbox snapshots, and the newest of them. */
  configs: ConfigObservation<MailboxConfig>[];
  latestConfig: ConfigObservation<MailboxConfig> | null;
  /** The Set-Mailbox records that target it. */
  setMailbox: ChangeRecord[];
  /** Its audit bypass: Set-MailboxAuditBypassAssociation records and Get-MailboxAuditBypassAssociation rows. */
  bypassRecords: ChangeRecord[];
  bypassConfigs: ConfigObservation<BypassAssociation>[];
  /** Its licence rows; null when the case has no licence export (nothing can be said of its licence). */
  licences: ConfigObservation<LicenceAssignment>[] | null;
  throttleMarkers: ThrottleMarker[];
  inferredThrottles: InferredThrottle[];
  activity: MailboxActivity | undefined;
  /** Its Send and SearchQueryInitiated counts, when counted. */
  premiumCounts: Map<string, number> | undefined;
  /** The acquisition ledger slices that concern it (unscoped ones concern every mailbox). */
  ledger: LedgerSlice[];
}

export interface WindowOptions {
  /**
   * Time the retention horizons are measured from, overriding the default: when each store was read
   * (ledger), else the configuration snapshot's as-of time, else the range end.
   */
  retentionReferenceMs?: number;
  /** Unified audit log retention in days, when the tenant's policy is known (overrides the licence rule). */
  ualRetentionDays?: number;
  /** Include low-confidence `silence` windows (default false). */
  includeSilence?: boolean;
}

/** A mailbox whose AuditEnabled False the organisation default may override, with the records the case holds on it while it was False. */
export interface AuditEnabledIgnored {
  mailbox: string;
  evidence: string[];
  records: number;
}

const eqPrim = <T,>(a: T, b: T): boolean => a === b;

export function ev(recordId: string): string {
  return `event:${recordId}`;
}
function row(o: ConfigObservation<unknown>): string {
  return `config-row:${o.rowId}`;
}

/**
 * Turns segments whose value is blind into windows, clipped to the range start. A window cites what
 * began it and, when it ended, what ended it (the next segment's evidence: the record turning bypass
 * off, the snapshot that found auditing back on).
 */
function segmentsToWindows<V>(
  segments: Segment<V>[], range: CaseRange, isBlind: (v: V) => boolean,
  make: (seg: Segment<V>) => Omit<RawWindow, 'startMs' | 'endMs' | 'confidence' | 'evidence'>,
): RawWindow[] {
  const out: RawWindow[] = [];
  for (const [i, s] of segments.entries()) {
    if (!isBlind(s.value)) continue;
    if (s.endMs !== null && s.endMs <= range.startMs) continue;
    if (s.startMs > range.endMs) continue;
    const base = make(s);
    out.push({
      ...base,
      startMs: Math.max(s.startMs, range.startMs),
      endMs: s.endMs,
      confidence: s.confidence,
      reason: s.note ? `${base.reason} (${s.note})` : base.reason,
      evidence: [...new Set([...s.evidence, ...(s.endMs !== null && segments[i + 1]?.startMs === s.endMs ? segments[i + 1]!.evidence : [])])],
    });
  }
  return out;
}

/** Boolean state where the first record sets a value: the prior state is its opposite if the record restores the default, else the default. */
function boolPrior(defaultValue: boolean, what: string) {
  return (first: Observation<boolean> & { source: 'record' }) => {
    const after = first.apply(defaultValue);
    if (after === defaultValue) {
      return { value: !defaultValue, confidence: 'inferred' as const, note: `a record at ${iso(first.timeMs)} restores ${what}; when it was changed is not in the records` };
    }
    return { value: defaultValue, confidence: 'certain' as const, note: null };
  };
}

// ---- throttling ----------------------------------------------------------------------------------

/**
 * Scans one mailbox's MailItemsAccessed record times (ascending) for a 24-hour span with more than
 * 1,000 records. Each detection starts a 24-hour throttle; counting resumes after it.
 */
export function detectThrottle(times: Iterable<number>, limit = THROTTLE_LIMIT): { startMs: number; count: number }[] {
  const out: { startMs: number; count: number }[] = [];
  const win: number[] = [];
  let head = 0;
  let throttledUntil = -Infinity;
  for (const t of times) {
    if (t < throttledUntil) continue;
    win.push(t);
    while (win[head]! <= t - DAY_MS) head++;
    const count = win.length - head;
    if (count > limit) {
      out.push({ startMs: t, count });
      throttledUntil = t + DAY_MS;
      win.length = 0;
      head = 0;
    } else if (head > 4096) {
      win.splice(0, head);
      head = 0;
    }
  }
  return out;
}

/** The records acting on a mailbox on the UTC days that [fromMs, toMs) touches (whole days: the activity is counted per day). */
function recordsByDay(act: MailboxActivity | undefined, fromMs: number, toMs: number): number {
  if (!act || toMs <= fromMs) return 0;
  let n = 0;
  for (const [day, count] of act.daily) if (day >= Math.floor(fromMs / DAY_MS) && day <= Math.floor((toMs - 1) / DAY_MS)) n += count;
  return n;
}

// ---- the tenant's switches --------------------------------------------------------------------

/**
 * Organisation mailbox auditing (Set-OrganizationConfig AuditDisabled) and unified audit log ingestion
 * (Set-AdminAuditLogConfig UnifiedAuditLogIngestionEnabled) over time, from the snapshots and the records
 * (`changes` in time order, failed ones left out).
 */
export function tenantSwitches(
  organization: ConfigObservation<OrganizationConfig>[], adminAuditLog: ConfigObservation<AdminAuditLogConfig>[], changes: ChangeRecord[], range: CaseRange,
): Pick<TenantEvidence, 'orgAuditDisabled' | 'ualIngestion'> {
  const recorded = (cmdlet: string, parameter: string): Observation<boolean>[] =>
    changes.filter((c) => c.operation.toLowerCase() === cmdlet && parseBool(param(c.parameters, parameter)) !== null).map((c): Observation<boolean> => {
      const v = parseBool(param(c.parameters, parameter)) === true;
      return { timeMs: c.timeMs, source: 'record', apply: () => v, evidence: ev(c.recordId) };
    });
  const orgObs: Observation<boolean>[] = [
    ...organization.filter((o) => o.value.auditDisabled !== null).map((o): Observation<boolean> => ({ timeMs: o.asOfMs, source: 'snapshot', value: o.value.auditDisabled === true, evidence: row(o) })),
    ...recorded('set-organizationconfig', 'AuditDisabled'),
  ];
  const ualObs: Observation<boolean>[] = [
    ...adminAuditLog.filter((o) => o.value.unifiedAuditLogIngestionEnabled !== null).map((o): Observation<boolean> => ({ timeMs: o.asOfMs, source: 'snapshot', value: o.value.unifiedAuditLogIngestionEnabled === true, evidence: row(o) })),
    ...recorded('set-adminauditlogconfig', 'UnifiedAuditLogIngestionEnabled'),
  ];
  return {
    orgAuditDisabled: buildTimeline(orgObs, range.startMs, { equals: eqPrim, prior: boolPrior(false, 'organisation mailbox auditing') }),
    ualIngestion: buildTimeline(ualObs, range.startMs, { equals: eqPrim, prior: boolPrior(true, 'unified audit log ingestion') }),
  };
}

// ---- one mailbox ---------------------------------------------------------------------------------

/** Every blind window of one mailbox, with the AuditEnabled False states the organisation default may override. */
export function mailboxWindows(m: MailboxEvidence, t: TenantEvidence, opts: WindowOptions = {}): { windows: RawWindow[]; auditEnabledIgnored: AuditEnabledIgnored[] } {
  const disabled = auditDisabledWindows(m, t);
  const windows = [
    ...bypassWindows(m, t),
    ...tenantSwitchWindows(m.key, t),
    ...disabled.windows,
    ...actionsNotAuditedWindows(m, t),
    ...unlicensedWindows(m, t),
    ...throttleWindows(m),
    ...retentionWindows(m, t, opts),
    ...acquisitionWindows(m),
    ...capacityWindows(m, t.range),
    ...(opts.includeSilence && m.activity ? silenceWindows(m.key, m.activity, t.range) : []),
  ];
  return { windows, auditEnabledIgnored: disabled.ignored };
}

function bypassWindows(m: MailboxEvidence, t: TenantEvidence): RawWindow[] {
  const obs: Observation<boolean>[] = [
    ...m.bypassConfigs.map((o): Observation<boolean> => ({ timeMs: o.asOfMs, source: 'snapshot', value: o.value.auditBypassEnabled, evidence: row(o) })),
    ...m.bypassRecords.map((c): Observation<boolean> => {
      const v = parseBool(param(c.parameters, 'AuditBypassEnabled')) === true;
      return { timeMs: c.timeMs, source: 'record', apply: () => v, evidence: ev(c.recordId) };
    }),
  ];
  return segmentsToWindows(buildTimeline(obs, t.range.startMs, { equals: eqPrim, prior: boolPrior(false, 'audit bypass') }), t.range, (v) => v, () => ({
    mailbox: m.key, kind: 'bypass', scope: ALL_ACTIONS,
    reason: 'mailbox audit bypass is enabled for this account: no mailbox action it performs, on any mailbox, is recorded',
  }));
}

/** The organisation-wide and unified-log switches, stated for each mailbox. */
function tenantSwitchWindows(key: string, t: TenantEvidence): RawWindow[] {
  return [
    ...segmentsToWindows(t.orgAuditDisabled, t.range, (v) => v, () => ({
      mailbox: key, kind: 'org-audit-disabled', scope: ALL_ACTIONS,
      reason: 'Set-OrganizationConfig AuditDisabled is True: mailbox auditing is off for the whole organisation',
    })),
    ...segmentsToWindows(t.ualIngestion, t.range, (v) => !v, () => ({
      mailbox: key, kind: 'ual-ingestion-disabled', scope: ALL_ACTIONS,
      reason: 'UnifiedAuditLogIngestionEnabled is False: nothing is written to the unified audit log',
    })),
  ];
}

/** Mailbox AuditEnabled False, unless the organisation default overrides it. */
function auditDisabledWindows(m: MailboxEvidence, t: TenantEvidence): { windows: RawWindow[]; ignored: AuditEnabledIgnored[] } {
  const { key, latestConfig } = m;
  const { range } = t;
  const windows: RawWindow[] = [];
  const ignored: AuditEnabledIgnored[] = [];
  const obs: Observation<boolean>[] = [
    ...m.configs.filter((o) => o.value.auditEnabled !== null).map((o): Observation<boolean> => ({ timeMs: o.asOfMs, source: 'snapshot', value: o.value.auditEnabled === true, evidence: row(o) })),
    ...m.setMailbox.filter((c) => parseBool(param(c.parameters, 'AuditEnabled')) !== null).map((c): Observation<boolean> => {
      const v = parseBool(param(c.parameters, 'AuditEnabled')) === true;
      return { timeMs: c.timeMs, source: 'record', apply: () => v, evidence: ev(c.recordId) };
    }),
  ];
  const segs = buildTimeline(obs, range.startMs, { equals: eqPrim, prior: boolPrior(true, 'mailbox auditing') });
  const rtd = (latestConfig?.value.recipientTypeDetails ?? '').toLowerCase();
  // Auditing on by default covers user, shared and group mailboxes, not resource mailboxes [A1].
  const coveredByDefault = rtd === '' || rtd === 'usermailbox' || rtd === 'sharedmailbox' || rtd === 'groupmailbox';
  for (const w of segmentsToWindows(segs, range, (v) => !v, () => ({
    mailbox: key, kind: 'audit-disabled', scope: ALL_ACTIONS, reason: 'mailbox AuditEnabled is False',
  }))) {
    // Split the window by the organisation state: where org auditing-on-by-default is known active
    // (AuditDisabled False) and the mailbox type is covered by it, AuditEnabled is ignored [A1].
    for (const piece of splitByOrg(w, t.orgAuditDisabled, range)) {
      if (piece.org === false && coveredByDefault) {
        // Microsoft documents that auditing on by default ignores AuditEnabled [A1], but the field
        // reports and the simulator treat it as blind. Claiming coverage that may not exist is the
        // worse error in testimony, so the window is kept, marked inferred, with both readings.
        // The case's own records tell which reading held: any record acting on the mailbox in the window
        // was written despite AuditEnabled False.
        const records = recordsByDay(m.activity, piece.window.startMs, piece.window.endMs ?? range.endMs);
        ignored.push({ mailbox: key, evidence: w.evidence, records });
        windows.push({
          ...piece.window,
          confidence: 'inferred',
          reason: `${piece.window.reason}; Microsoft documents that organisation auditing on by default (AuditDisabled False) ignores AuditEnabled, so records may still have been written; ${records === 0
            ? 'the case holds no record acting on this mailbox in this window, which agrees with auditing having been off'
            : `the case holds about ${records} record${records === 1 ? '' : 's'} acting on this mailbox in this window (counted by UTC day), so actions were recorded: the documented reading is the likelier`}`,
        });
        continue;
      }
      windows.push({
        ...piece.window,
        confidence: piece.org === null ? 'inferred' : piece.window.confidence,
        reason: piece.org === null
          ? `${piece.window.reason}; the organisation setting (Get-OrganizationConfig AuditDisabled) was not collected, so whether auditing on by default overrides it is unknown`
          : piece.org === false ? `${piece.window.reason}; auditing on by default does not cover a ${latestConfig?.value.recipientTypeDetails ?? 'mailbox of this type'}`
            : `${piece.window.reason}; organisation auditing is also disabled`,
      });
    }
  }
  return { windows, ignored };
}

/** Default actions a customised audit set (AuditOwner, AuditDelegate, AuditAdmin) leaves out. */
function actionsNotAuditedWindows(m: MailboxEvidence, t: TenantEvidence): RawWindow[] {
  const obs: Observation<AuditSets>[] = [
    ...m.configs.map((o): Observation<AuditSets> => ({
      timeMs: o.asOfMs, source: 'snapshot', evidence: row(o),
      value: { Owner: o.value.auditOwner, Delegate: o.value.auditDelegate, Admin: o.value.auditAdmin, defaultSet: o.value.defaultAuditSet },
    })),
    ...m.setMailbox.flatMap((c): Observation<AuditSets>[] => {
      const f = applySetMailboxAudit(c);
      return f ? [{ timeMs: c.timeMs, source: 'record', apply: f, evidence: ev(c.recordId) }] : [];
    }),
  ];
  const segs = buildTimeline(obs, t.range.startMs, {
    equals: auditSetsEqual,
    prior: () => ({ value: defaultAuditSets(), confidence: 'inferred', note: 'the audit sets before the first Set-Mailbox record are not known; defaults assumed' }),
  });
  return segmentsToWindows(segs, t.range, (v) => missingActions(v).length > 0, (s) => {
    const missing = missingActions(s.value);
    return {
      mailbox: m.key, kind: 'actions-not-audited',
      scope: { actions: [...new Set(missing.flatMap((x) => x.missing))].sort(), logonTypes: missing.map((x) => x.lt) },
      reason: missing.map((x) => `${x.lt}: ${x.missing.join(', ')} not audited${x.customised ? ` (Audit${x.lt} customised; ${x.lt} is missing from DefaultAuditSet, so new default actions are not added)` : ''}`).join('; '),
    };
  });
}

/** No Audit (Premium) in the licences the newest licence snapshot shows (nothing without a licence export). */
function unlicensedWindows(m: MailboxEvidence, t: TenantEvidence): RawWindow[] {
  if (m.licences === null) return [];
  const current = newestSnapshotRows(m.licences); // the rows the verdict rests on, cited as evidence
  const verdict = licenceVerdictOf(current);
  if (verdict.advancedAuditing) return [];
  const accessed = (m.activity?.mailItemsAccessed ?? 0) > 0;
  return [{
    mailbox: m.key, kind: 'unlicensed', startMs: t.range.startMs, endMs: null,
    scope: { actions: ['MailItemsAccessed'], logonTypes: [...LOGON_TYPE_NAMES] },
    confidence: accessed || verdict.plansUnknown === true ? 'inferred' : 'certain',
    reason: `${verdict.reason}: MailItemsAccessed is not recorded without Audit (Premium)`
      + (accessed ? '; yet MailItemsAccessed records exist for this mailbox (Microsoft extended them to Audit Standard in 2023-24), so the window may not hold' : '')
      + (t.premiumCounted ? `; ${uncertainPremiumNote(m.premiumCounts)}` : ''),
    evidence: current.length > 0 ? current.map(row) : ['licence-export: no licence row for this account'],
  }];
}

/** Throttling: from IsThrottled markers (certain), then inferred from volume only where no marker is near. */
function throttleWindows(m: MailboxEvidence): RawWindow[] {
  const out: RawWindow[] = [];
  const marks = [...m.throttleMarkers].sort((a, b) => a.timeMs - b.timeMs);
  for (const mark of marks) {
    out.push({
      mailbox: m.key, kind: 'throttled', startMs: mark.timeMs, endMs: mark.timeMs + DAY_MS,
      scope: { actions: ['MailItemsAccessed'], logonTypes: [...LOGON_TYPE_NAMES] }, confidence: 'certain',
      reason: 'a MailItemsAccessed record has IsThrottled=True: Bind access is not recorded for the next 24 hours (Sync still is)',
      evidence: [ev(mark.recordId)],
    });
  }
  for (const i of m.inferredThrottles) {
    if (marks.some((mark) => Math.abs(mark.timeMs - i.startMs) <= DAY_MS)) continue;
    out.push({
      mailbox: m.key, kind: 'throttled', startMs: i.startMs, endMs: i.startMs + DAY_MS,
      scope: { actions: ['MailItemsAccessed'], logonTypes: [...LOGON_TYPE_NAMES] }, confidence: 'inferred',
      reason: `${i.count} MailItemsAccessed records within 24 hours (limit ${THROTTLE_LIMIT}) and no IsThrottled marker collected: Bind access was probably not recorded for 24 hours`,
      evidence: [],
    });
  }
  return out;
}

/** Records each store no longer holds, each store seen from when it was read. */
function retentionWindows(m: MailboxEvidence, t: TenantEvidence, opts: WindowOptions): RawWindow[] {
  const { range } = t;
  const out: RawWindow[] = [];
  const ageDays = m.latestConfig?.value.auditLogAgeLimitDays ?? null;
  const mbxRef = retentionReference('mailbox-audit', m.ledger, m.latestConfig, t.newestSnapshot, range, opts.retentionReferenceMs);
  const mbxLost = mbxRef.ms - (ageDays ?? MAILBOX_AUDIT_DEFAULT_DAYS) * DAY_MS;
  if (mbxLost > range.startMs) {
    out.push({
      mailbox: m.key, kind: 'retention', startMs: range.startMs, endMs: mbxLost, scope: ALL_ACTIONS, confidence: ageDays === null ? 'inferred' : 'certain',
      reason: `mailbox audit store keeps ${ageDays ?? MAILBOX_AUDIT_DEFAULT_DAYS} days (AuditLogAgeLimit${ageDays === null ? ' not collected; default assumed' : ''}): records before ${iso(mbxLost)} no longer exist there, ${mbxRef.basis}`
        + '; the unified audit log may still hold them',
      evidence: [...new Set([...(m.latestConfig ? [row(m.latestConfig)] : []), ...mbxRef.evidence])],
      store: 'mailbox-audit',
    });
  }
  const history = m.licences === null ? 'never' : premiumHistory(m.licences, t.licenceSnapshots);
  const premium = history === 'throughout';
  const ualRef = retentionReference('unified-audit-log', m.ledger, null, t.newestSnapshot, range, opts.retentionReferenceMs);
  const ualLost = ualLostBefore(ualRef.ms, premium, opts.ualRetentionDays);
  if (ualLost > range.startMs) {
    const tier = premium ? 'Audit Premium, 1 year'
      : `Audit Standard, 180 days (90 before 2023-10-17)${history === 'partly' ? '; Audit Premium shown in some licence snapshots of the case but not in every one (the licence changed, the account is missing from one, or its service plans were not listed), so the shorter retention is assumed' : ''}`;
    out.push({
      mailbox: m.key, kind: 'retention', startMs: range.startMs, endMs: ualLost, scope: ALL_ACTIONS,
      confidence: opts.ualRetentionDays !== undefined ? 'certain' : 'inferred',
      reason: `unified audit log retention (${opts.ualRetentionDays !== undefined ? `${opts.ualRetentionDays} days, as configured` : tier}): records before ${iso(ualLost)} no longer exist there, ${ualRef.basis}`,
      evidence: ualRef.evidence,
      store: 'unified-audit-log',
    });
  }
  return out;
}

/**
 * Acquisition completeness: the mailbox's slices not complete, less what a complete slice of the same
 * source (a later run, or another plan) covers.
 */
function acquisitionWindows(m: MailboxEvidence): RawWindow[] {
  const out: RawWindow[] = [];
  for (const s of m.ledger) {
    if (s.status === 'complete') continue;
    const startMs = Date.parse(s.start);
    const endMs = Date.parse(s.end);
    if (!Number.isFinite(startMs) || !Number.isFinite(endMs)) continue;
    const covered = m.ledger.filter((c) => c.status === 'complete' && c.source === s.source).map((c) => [Date.parse(c.start), Date.parse(c.end)] as const);
    for (const [a, b] of subtractIntervals(startMs, endMs, covered)) {
      out.push({
        mailbox: m.key, kind: 'acquisition-incomplete', startMs: a, endMs: b, scope: ALL_ACTIONS, confidence: 'certain',
        reason: `acquisition from ${s.source} is ${s.status} for this slice${s.reason ? `: ${s.reason}` : ''}`,
        evidence: s.id !== undefined ? [`ledger:${s.id}`] : [],
      });
    }
  }
  return out;
}

/** A mailbox audit store holding as many records as it can: the older ones were purged. */
function capacityWindows(m: MailboxEvidence, range: CaseRange): RawWindow[] {
  const act = m.activity;
  if (!act || act.count < MAILBOX_AUDIT_CAPACITY || act.firstMs <= range.startMs) return [];
  return [{
    mailbox: m.key, kind: 'capacity', startMs: range.startMs, endMs: act.firstMs, scope: ALL_ACTIONS, confidence: 'inferred',
    reason: `${act.count} audit records for this mailbox: the mailbox audit store holds at most ${MAILBOX_AUDIT_CAPACITY}, so older records were purged`,
    evidence: [],
    store: 'mailbox-audit',
  }];
}

// ---- helpers -----------------------------------------------------------------------------------

/** What an unlicensed window says of Send and SearchQueryInitiated: recorded (with counts) where the case holds them, else uncertain. */
function uncertainPremiumNote(counts: Map<string, number> | undefined): string {
  const recorded = UNCERTAIN_PREMIUM_ACTIONS.filter((a) => (counts?.get(a) ?? 0) > 0);
  const unknown = UNCERTAIN_PREMIUM_ACTIONS.filter((a) => !recorded.includes(a));
  const parts: string[] = [];
  if (recorded.length > 0) {
    parts.push(`${recorded.join(' and ')} ${recorded.length > 1 ? 'were' : 'was'} recorded nonetheless: the case holds ${recorded.map((a) => `${counts!.get(a)} ${a} record${counts!.get(a) === 1 ? '' : 's'}`).join(' and ')} for this mailbox in the case range`);
  }
  if (unknown.length > 0) {
    parts.push(`older documentation also lists ${unknown.join(' and ')} as Audit (Premium) only, so whether ${unknown.length > 1 ? 'they were' : 'it was'} recorded is uncertain (the case holds no such record for this mailbox in the case range)`);
  }
  return parts.join('; ');
}

/** When the records of a store were read, and how that is known: the time retention is measured from. */
interface RetentionReference {
  ms: number;
  basis: string;
  evidence: string[];
}

const UNIFIED_LOG_SOURCES = new Set(['graph', 'ual', 'mgmt']);

/**
 * The moment a store's records were read for this mailbox: the newest collection of that store in the
 * acquisition ledger (Search-MailboxAuditLog for the mailbox store; the Graph audit query,
 * Search-UnifiedAuditLog or the Management Activity API, or the mailbox-audit fallback to the unified log,
 * for the unified log), else the as-of time of the configuration snapshot (the mailbox's own for its
 * store, else the newest), else the end of the range. `overrideMs` (an option) wins over all of them.
 */
function retentionReference(
  store: AuditStore, ledger: readonly LedgerSlice[], mailboxCfg: ConfigObservation<unknown> | null, newestSnapshot: ConfigObservation<unknown> | null,
  range: CaseRange, overrideMs?: number,
): RetentionReference {
  if (overrideMs !== undefined) return { ms: overrideMs, basis: `seen from ${iso(overrideMs)}, the reference time given`, evidence: [] };
  const reads = ledger.filter((s) => {
    if (s.status !== 'complete' && s.status !== 'incomplete') return false;
    if (s.collectedAt === undefined || !Number.isFinite(Date.parse(s.collectedAt))) return false;
    const fallback = s.source === 'mailbox-audit' && s.query?.['fallback'] !== undefined && s.query?.['fallback'] !== null;
    return store === 'mailbox-audit' ? s.source === 'mailbox-audit' && !fallback : UNIFIED_LOG_SOURCES.has(s.source) || fallback;
  });
  const newest = reads.reduce<LedgerSlice | null>((a, b) => (a === null || Date.parse(b.collectedAt!) > Date.parse(a.collectedAt!) ? b : a), null);
  if (newest) {
    const ms = Date.parse(newest.collectedAt!);
    return {
      ms,
      basis: store === 'mailbox-audit'
        ? `seen from ${iso(ms)}, when the acquisition read this mailbox's audit history from the store (Search-MailboxAuditLog, acquisition ledger)`
        : `seen from ${iso(ms)}, when the acquisition last read the unified audit log (${newest.source}, acquisition ledger)`,
      evidence: newest.id !== undefined ? [`ledger:${newest.id}`] : [],
    };
  }
  const notAcquired = store === 'mailbox-audit' ? 'the store\'s own history was not acquired' : 'the acquisition ledger has no read of the unified log';
  if (store === 'mailbox-audit' && mailboxCfg) {
    return { ms: mailboxCfg.asOfMs, basis: `seen from ${iso(mailboxCfg.asOfMs)}, when the mailbox configuration (Get-Mailbox) was read (${notAcquired})`, evidence: [row(mailboxCfg)] };
  }
  if (newestSnapshot) {
    return { ms: newestSnapshot.asOfMs, basis: `seen from ${iso(newestSnapshot.asOfMs)}, the as-of time of the newest configuration snapshot in the case (${notAcquired})`, evidence: [row(newestSnapshot)] };
  }
  return { ms: range.endMs, basis: `seen from ${iso(range.endMs)}, the end of the case range: neither an acquisition of the store nor a configuration snapshot says when it was read`, evidence: [] };
}

function splitByOrg(w: RawWindow, org: Segment<boolean>[], range: CaseRange): { org: boolean | null; window: RawWindow }[] {
  if (org.length === 0) return [{ org: null, window: w }];
  const out: { org: boolean | null; window: RawWindow }[] = [];
  for (const s of org) {
    const start = Math.max(w.startMs, s.startMs, range.startMs);
    const endCandidates = [w.endMs, s.endMs].filter((x): x is number => x !== null);
    const end = endCandidates.length ? Math.min(...endCandidates) : null;
    if (end !== null && end <= start) continue;
    out.push({ org: s.value ? true : false, window: { ...w, startMs: start, endMs: end } });
  }
  return out;
}

/** [start, end) less the given intervals. */
function subtractIntervals(start: number, end: number, cut: readonly (readonly [number, number])[]): [number, number][] {
  let parts: [number, number][] = [[start, end]];
  for (const [a, b] of cut) {
    if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
    parts = parts.flatMap(([x, y]): [number, number][] => {
      if (b <= x || a >= y) return [[x, y]];
      const out: [number, number][] = [];
      if (a > x) out.push([x, a]);
      if (b < y) out.push([b, y]);
      return out;
    });
  }
  return parts;
}

/** Low confidence: a mailbox with a median of ≥ 20 events a day silent for 3 or more whole days. */
function silenceWindows(key: string, act: MailboxActivity, range: CaseRange): RawWindow[] {
  const firstDay = Math.floor(Math.max(act.firstMs, range.startMs) / DAY_MS);
  const lastDay = Math.floor(Math.min(act.lastMs, range.endMs) / DAY_MS);
  const days = lastDay - firstDay + 1;
  if (days < 14) return [];
  const counts: number[] = [];
  for (let d = firstDay; d <= lastDay; d++) counts.push(act.daily.get(d) ?? 0);
  const sorted = [...counts].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  if (median < 20) return [];
  const out: RawWindow[] = [];
  let runStart = -1;
  for (let i = 0; i <= counts.length; i++) {
    const zero = i < counts.length && counts[i] === 0;
    if (zero && runStart < 0) runStart = i;
    if (!zero && runStart >= 0) {
      const len = i - runStart;
      if (len >= 3 && i < counts.length) {
        out.push({
          mailbox: key, kind: 'silence', startMs: (firstDay + runStart) * DAY_MS, endMs: (firstDay + i) * DAY_MS,
          scope: ALL_ACTIONS, confidence: 'inferred',
          reason: `no events for ${len} days on a mailbox with a median of ${median} events a day (low confidence: may be leave or an outage)`,
          evidence: [],
        });
      }
      runStart = -1;
    }
  }
  return out;
}
