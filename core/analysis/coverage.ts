// The coverage model: for each mailbox and each moment of the case range, which actions by which
// logon types could have been recorded, and where not, why. Pure: everything arrives as arguments
// (configuration observations, change records, throttle markers, activity counts, the ledger).
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
// Windows of one (mailbox, kind, confidence, store) are merged where they overlap or touch.
import type { AdminAuditLogConfig, BypassAssociation, LicenceAssignment, MailboxConfig, OrganizationConfig } from '../model.ts';
import { classifyAccount } from './classify.ts';
import { licenceVerdictOf, mergeLicenceRows, newestSnapshotRows, premiumHistory, snapshotsOf, withPlansFromRaw } from './licences.ts';
import { IdentityResolver } from './identity.ts';
import { cmdletTarget, param, parseBool, parseMultiValue } from './records.ts';
import { DAY_MS, buildTimeline, iso, isoOrNull } from './timeline.ts';
import { MAILBOX_AUDIT_DEFAULT_DAYS, ualLostBefore } from './retention.ts';
import type { Observation, Segment } from './timeline.ts';
import type {
  AccountClass, AuditStore, BlindWindow, CaseRange, ChangeRecord, Confidence, ConfigObservation, LedgerSlice, LogonTypeName,
  MailboxActivity, PremiumActionCount, WindowKind, WindowScope,
} from './types.ts';
import { LOGON_TYPE_NAMES } from './types.ts';

// Default mailbox actions per logon type (protocol reference §4.10, A1 table).
export const DEFAULT_ACTIONS: Readonly<Record<LogonTypeName, readonly string[]>> = {
  Admin: ['ApplyRecord', 'Create', 'HardDelete', 'MailItemsAccessed', 'MoveToDeletedItems', 'Send', 'SendAs', 'SendOnBehalf', 'SoftDelete', 'Update', 'UpdateCalendarDelegation', 'UpdateFolderPermissions', 'UpdateInboxRules'],
  Delegate: ['ApplyRecord', 'Create', 'HardDelete', 'MailItemsAccessed', 'MoveToDeletedItems', 'SendAs', 'SendOnBehalf', 'SoftDelete', 'Update', 'UpdateFolderPermissions', 'UpdateInboxRules'],
  Owner: ['ApplyRecord', 'HardDelete', 'MailItemsAccessed', 'MoveToDeletedItems', 'Send', 'SoftDelete', 'Update', 'UpdateCalendarDelegation', 'UpdateFolderPermissions', 'UpdateInboxRules'],
};
/**
 * Older documentation lists these, with MailItemsAccessed, as needing the Advanced Auditing service plan (Audit
 * Premium) [A1, A2]: without the licence, whether they are recorded is uncertain.
 */
const UNCERTAIN_PREMIUM_ACTIONS = ['Send', 'SearchQueryInitiated'] as const;
export const THROTTLE_LIMIT = 1000;
export const MAILBOX_AUDIT_CAPACITY = 3_000_000;

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

export interface CoverageInput {
  range: CaseRange;
  mailboxes: ConfigObservation<MailboxConfig>[];
  bypass: ConfigObservation<BypassAssociation>[];
  organization: ConfigObservation<OrganizationConfig>[];
  adminAuditLog: ConfigObservation<AdminAuditLogConfig>[];
  /** Null when no licence export was collected (then no unlicensed windows can be stated). */
  licences: ConfigObservation<LicenceAssignment>[] | null;
  /** Configuration-relevant records: Set-Mailbox, Set-MailboxAuditBypassAssociation, Set-OrganizationConfig, Set-AdminAuditLogConfig (others are ignored here). */
  changes: ChangeRecord[];
  throttleMarkers: ThrottleMarker[];
  inferredThrottles: InferredThrottle[];
  activity: MailboxActivity[];
  /** Null when the case has no completeness ledger. */
  ledger: LedgerSlice[] | null;
  /** Extra identifier → UPN pairs learnt from records (MailboxOwnerSid, MailboxGuid). */
  aliases?: { name: string; upn: string }[];
  /** Send and SearchQueryInitiated records per mailbox in the case range (absent: not counted, nothing is said of them). */
  premiumActions?: PremiumActionCount[];
}

export interface CoverageOptions {
  /**
   * Time the retention horizons are measured from, overriding the default: when each store was read
   * (ledger), else the configuration snapshot's as-of time, else the range end.
   */
  retentionReferenceMs?: number;
  /** Unified audit log retention in days, when the tenant's policy is known (overrides the licence rule). */
  ualRetentionDays?: number;
  /** Include low-confidence `silence` windows (default false). */
  includeSilence?: boolean;
  /** Accounts the investigator documents as service accounts (any identifier). */
  serviceAccounts?: string[];
  /** Only these mailboxes (any identifier). */
  mailboxFilter?: string[];
}

export interface MailboxCoverage {
  mailbox: string;
  upn: string | null;
  accountKind: AccountClass['kind'];
  account: AccountClass;
  windows: BlindWindow[];
}

export interface CoverageResult {
  range: CaseRange;
  resolver: IdentityResolver;
  mailboxes: MailboxCoverage[];
  /** Records that name a mailbox the inventory does not know (reported, not dropped). */
  unresolved: { recordId: string; identifier: string }[];
  /** `Set-Mailbox -AuditEnabled $false` states that the organisation default overrides (informational). */
  /** Mailboxes whose AuditEnabled False the organisation default may override, with the records the case holds on each while it was False. */
  auditEnabledIgnored: { mailbox: string; evidence: string[]; records: number }[];
}

interface RawWindow {
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

const eqPrim = <T,>(a: T, b: T): boolean => a === b;

function ev(recordId: string): string {
  return `event:${recordId}`;
}
function row(o: ConfigObservation<unknown>): string {
  return `config-row:${o.rowId}`;
}

/** Observations grouped by a key (in their given order); those without a key are left out. */
export function groupByKey<T>(obs: ConfigObservation<T>[], keyOf: (o: ConfigObservation<T>) => string | null): Map<string, ConfigObservation<T>[]> {
  const out = new Map<string, ConfigObservation<T>[]>();
  for (const o of obs) {
    const k = keyOf(o);
    if (!k) continue;
    const list = out.get(k) ?? [];
    list.push(o);
    out.set(k, list);
  }
  return out;
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

// ---- audit sets ----------------------------------------------------------------------------------

interface AuditSets {
  Owner: string[] | null;
  Delegate: string[] | null;
  Admin: string[] | null;
  defaultSet: string[] | null;
}

const setKey = (s: string[] | null): string => (s === null ? '∅' : [...new Set(s.map((x) => x.toLowerCase()))].sort().join(','));
const auditSetsEqual = (a: AuditSets, b: AuditSets): boolean =>
  setKey(a.Owner) === setKey(b.Owner) && setKey(a.Delegate) === setKey(b.Delegate) && setKey(a.Admin) === setKey(b.Admin) && setKey(a.defaultSet) === setKey(b.defaultSet);

function defaultAuditSets(): AuditSets {
  return { Owner: [...DEFAULT_ACTIONS.Owner], Delegate: [...DEFAULT_ACTIONS.Delegate], Admin: [...DEFAULT_ACTIONS.Admin], defaultSet: ['Admin', 'Delegate', 'Owner'] };
}

function applySetMailboxAudit(rec: ChangeRecord): ((prev: AuditSets) => AuditSets) | null {
  const params: [LogonTypeName, string][] = [['Owner', 'AuditOwner'], ['Delegate', 'AuditDelegate'], ['Admin', 'AuditAdmin']];
  const edits = params.map(([lt, p]) => [lt, parseMultiValue(param(rec.parameters, p))] as const).filter(([, mv]) => mv !== null);
  const dset = parseMultiValue(param(rec.parameters, 'DefaultAuditSet'));
  if (edits.length === 0 && !dset) return null;
  return (prev) => {
    const next: AuditSets = { Owner: prev.Owner, Delegate: prev.Delegate, Admin: prev.Admin, defaultSet: prev.defaultSet ? [...prev.defaultSet] : null };
    if (dset && dset.mode === 'replace') {
      // Setting DefaultAuditSet restores the default actions for the logon types listed.
      const listed = new Set(dset.values.map((v) => v.toLowerCase()));
      for (const lt of LOGON_TYPE_NAMES) if (listed.has(lt.toLowerCase())) next[lt] = [...DEFAULT_ACTIONS[lt]];
      next.defaultSet = LOGON_TYPE_NAMES.filter((lt) => listed.has(lt.toLowerCase()));
    }
    for (const [lt, mv] of edits) {
      if (!mv) continue;
      const base = next[lt] ?? [...DEFAULT_ACTIONS[lt]];
      if (mv.mode === 'replace') next[lt] = mv.values;
      else {
        const lower = new Set(mv.remove.map((x) => x.toLowerCase()));
        next[lt] = [...base.filter((x) => !lower.has(x.toLowerCase())), ...mv.add];
      }
      // Customising a logon type's actions takes it out of DefaultAuditSet [A1].
      next.defaultSet = (next.defaultSet ?? ['Admin', 'Delegate', 'Owner']).filter((x) => x.toLowerCase() !== lt.toLowerCase());
    }
    return next;
  };
}

function missingActions(sets: AuditSets): { lt: LogonTypeName; missing: string[]; customised: boolean }[] {
  const out: { lt: LogonTypeName; missing: string[]; customised: boolean }[] = [];
  for (const lt of LOGON_TYPE_NAMES) {
    const configured = sets[lt];
    if (configured === null) continue; // not known: nothing can be stated
    const have = new Set(configured.map((x) => x.toLowerCase()));
    const missing = DEFAULT_ACTIONS[lt].filter((a) => !have.has(a.toLowerCase()));
    const customised = sets.defaultSet !== null && !sets.defaultSet.some((x) => x.toLowerCase() === lt.toLowerCase());
    if (missing.length > 0) out.push({ lt, missing, customised });
  }
  return out;
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

// ---- main ----------------------------------------------------------------------------------------

/** The records acting on a mailbox on the UTC days that [fromMs, toMs) touches (whole days: the activity is counted per day). */
function recordsByDay(act: MailboxActivity | undefined, fromMs: number, toMs: number): number {
  if (!act || toMs <= fromMs) return 0;
  let n = 0;
  for (const [day, count] of act.daily) if (day >= Math.floor(fromMs / DAY_MS) && day <= Math.floor((toMs - 1) / DAY_MS)) n += count;
  return n;
}

export function computeCoverage(input: CoverageInput, opts: CoverageOptions = {}): CoverageResult {
  const { range } = input;
  const resolver = new IdentityResolver();
  const mailboxCfg = new Map<string, ConfigObservation<MailboxConfig>[]>();
  for (const o of input.mailboxes) {
    const key = resolver.addMailbox(o.value, o.raw);
    if (!key) continue;
    const list = mailboxCfg.get(key) ?? [];
    list.push(o);
    mailboxCfg.set(key, list);
  }
  for (const o of input.licences ?? []) resolver.addUpn(o.value.userPrincipalName);
  for (const a of input.aliases ?? []) resolver.addAlias(a.name, resolver.resolve(a.upn) ?? resolver.addUpn(a.upn));
  // UPNs first: a bare name among the mailboxes of the records (an admin record's ObjectId `adm.patti`)
  // then resolves to the one UPN whose local part it is, instead of becoming a mailbox of its own.
  const upnFirst = [...input.activity].sort((a, b) => Number(!a.mailbox.includes('@')) - Number(!b.mailbox.includes('@')));
  for (const a of upnFirst) if (resolver.resolve(a.mailbox) === null) resolver.addUpn(a.mailbox);
  const unresolved: { recordId: string; identifier: string }[] = [];
  /** Records whose target was resolved only by the local part of a UPN: the name they carry. */
  const byLocalPart = new Map<string, string>();
  const target = (rec: ChangeRecord): string | null => {
    const t = cmdletTarget(rec);
    if (!t) return null;
    const r = resolver.resolveDetail(t);
    if (r) {
      if (r.byLocalPart) byLocalPart.set(ev(rec.recordId), t);
      return r.key;
    }
    unresolved.push({ recordId: rec.recordId, identifier: t });
    return resolver.addUpn(t);
  };
  const hasInventory = input.mailboxes.length > 0;

  const windows: RawWindow[] = [];
  const auditEnabledIgnored: CoverageResult['auditEnabledIgnored'] = [];
  const changes = input.changes.filter((c) => !c.failed).sort((a, b) => a.timeMs - b.timeMs);
  const op = (c: ChangeRecord) => c.operation.toLowerCase();

  // -- organisation-wide timelines
  const orgObs: Observation<boolean>[] = [
    ...input.organization.filter((o) => o.value.auditDisabled !== null).map((o): Observation<boolean> => ({ timeMs: o.asOfMs, source: 'snapshot', value: o.value.auditDisabled === true, evidence: row(o) })),
    ...changes.filter((c) => op(c) === 'set-organizationconfig' && parseBool(param(c.parameters, 'AuditDisabled')) !== null).map((c): Observation<boolean> => {
      const v = parseBool(param(c.parameters, 'AuditDisabled')) === true;
      return { timeMs: c.timeMs, source: 'record', apply: () => v, evidence: ev(c.recordId) };
    }),
  ];
  const orgTimeline = buildTimeline(orgObs, range.startMs, { equals: eqPrim, prior: boolPrior(false, 'organisation mailbox auditing') });
  const ualObs: Observation<boolean>[] = [
    ...input.adminAuditLog.filter((o) => o.value.unifiedAuditLogIngestionEnabled !== null).map((o): Observation<boolean> => ({ timeMs: o.asOfMs, source: 'snapshot', value: o.value.unifiedAuditLogIngestionEnabled === true, evidence: row(o) })),
    ...changes.filter((c) => op(c) === 'set-adminauditlogconfig' && parseBool(param(c.parameters, 'UnifiedAuditLogIngestionEnabled')) !== null).map((c): Observation<boolean> => {
      const v = parseBool(param(c.parameters, 'UnifiedAuditLogIngestionEnabled')) === true;
      return { timeMs: c.timeMs, source: 'record', apply: () => v, evidence: ev(c.recordId) };
    }),
  ];
  const ualTimeline = buildTimeline(ualObs, range.startMs, { equals: eqPrim, prior: boolPrior(true, 'unified audit log ingestion') });

  // -- per-mailbox configuration records
  const setMailbox = new Map<string, ChangeRecord[]>();
  const bypassRecs = new Map<string, ChangeRecord[]>();
  const adminEvidence = new Map<string, string[]>();
  for (const c of changes) {
    const o = op(c);
    if (c.userId && c.recordType === 1 && !o.endsWith('-inboxrule') && c.userType === 2) {
      const k = resolver.resolve(c.userId);
      if (k) {
        const list = adminEvidence.get(k) ?? [];
        if (list.length === 0) list.push(`ran Exchange admin cmdlets as an administrator (UserType 2), e.g. ${c.operation} at ${iso(c.timeMs)}`);
        adminEvidence.set(k, list);
      }
    }
    if (o === 'set-mailbox') {
      const k = target(c);
      if (k) setMailbox.set(k, [...(setMailbox.get(k) ?? []), c]);
    } else if (o === 'set-mailboxauditbypassassociation') {
      if (parseBool(param(c.parameters, 'AuditBypassEnabled')) === null) continue;
      const k = target(c);
      if (k) bypassRecs.set(k, [...(bypassRecs.get(k) ?? []), c]);
    }
  }
  const bypassCfg = groupByKey(input.bypass, (o) => {
    const id = o.value.identity ?? o.value.name;
    return id ? resolver.resolveOrSelf(id) : null;
  });
  const licencesByUser = input.licences === null ? null : groupByKey(input.licences, (o) => resolver.resolveOrSelf(o.value.userPrincipalName));
  const licenceSnapshots = input.licences === null ? [] : snapshotsOf(input.licences);
  const markersBy = new Map<string, ThrottleMarker[]>();
  for (const m of input.throttleMarkers) {
    const k = resolver.resolveOrSelf(m.mailbox);
    markersBy.set(k, [...(markersBy.get(k) ?? []), m]);
  }
  const activityBy = new Map<string, MailboxActivity>();
  for (const a of input.activity) {
    const k = resolver.resolveOrSelf(a.mailbox);
    const prev = activityBy.get(k);
    if (!prev) activityBy.set(k, { ...a, mailbox: k, daily: new Map(a.daily) });
    else {
      prev.count += a.count;
      prev.mailItemsAccessed += a.mailItemsAccessed;
      prev.firstMs = Math.min(prev.firstMs, a.firstMs);
      prev.lastMs = Math.max(prev.lastMs, a.lastMs);
      for (const [d, n] of a.daily) prev.daily.set(d, (prev.daily.get(d) ?? 0) + n);
    }
  }
  const documented = new Set((opts.serviceAccounts ?? []).map((s) => resolver.resolveOrSelf(s)));
  const filter = opts.mailboxFilter ? new Set(opts.mailboxFilter.map((s) => resolver.resolveOrSelf(s))) : null;

  const allKeys = new Set<string>([...resolver.keys(), ...setMailbox.keys(), ...bypassRecs.keys(), ...bypassCfg.keys(), ...markersBy.keys(), ...activityBy.keys()]);
  const premiumBy = new Map<string, Map<string, number>>();
  for (const p of input.premiumActions ?? []) {
    const k = resolver.resolveOrSelf(p.mailbox);
    const m = premiumBy.get(k) ?? new Map<string, number>();
    m.set(p.operation, (m.get(p.operation) ?? 0) + p.count);
    premiumBy.set(k, m);
  }
  const newestSnapshot = [input.mailboxes, input.bypass, input.organization, input.adminAuditLog, input.licences ?? []]
    .flat().reduce<ConfigObservation<unknown> | null>((a, b) => (a === null || b.asOfMs > a.asOfMs ? b : a), null);

  for (const key of [...allKeys].sort()) {
    const cfgs = mailboxCfg.get(key) ?? [];
    const latestCfg = cfgs.reduce<ConfigObservation<MailboxConfig> | null>((a, b) => (a === null || b.asOfMs >= a.asOfMs ? b : a), null);
    const recs = setMailbox.get(key) ?? [];

    // bypass
    const bObs: Observation<boolean>[] = [
      ...(bypassCfg.get(key) ?? []).map((o): Observation<boolean> => ({ timeMs: o.asOfMs, source: 'snapshot', value: o.value.auditBypassEnabled, evidence: row(o) })),
      ...(bypassRecs.get(key) ?? []).map((c): Observation<boolean> => {
        const v = parseBool(param(c.parameters, 'AuditBypassEnabled')) === true;
        return { timeMs: c.timeMs, source: 'record', apply: () => v, evidence: ev(c.recordId) };
      }),
    ];
    windows.push(...segmentsToWindows(buildTimeline(bObs, range.startMs, { equals: eqPrim, prior: boolPrior(false, 'audit bypass') }), range, (v) => v, () => ({
      mailbox: key, kind: 'bypass', scope: ALL_ACTIONS,
      reason: 'mailbox audit bypass is enabled for this account: no mailbox action it performs, on any mailbox, is recorded',
    })));

    // org-wide and unified-log switches, replicated per mailbox
    windows.push(...segmentsToWindows(orgTimeline, range, (v) => v, () => ({
      mailbox: key, kind: 'org-audit-disabled', scope: ALL_ACTIONS,
      reason: 'Set-OrganizationConfig AuditDisabled is True: mailbox auditing is off for the whole organisation',
    })));
    windows.push(...segmentsToWindows(ualTimeline, range, (v) => !v, () => ({
      mailbox: key, kind: 'ual-ingestion-disabled', scope: ALL_ACTIONS,
      reason: 'UnifiedAuditLogIngestionEnabled is False: nothing is written to the unified audit log',
    })));

    // audit-disabled (mailbox AuditEnabled false), unless the organisation default overrides it
    const aeObs: Observation<boolean>[] = [
      ...cfgs.filter((o) => o.value.auditEnabled !== null).map((o): Observation<boolean> => ({ timeMs: o.asOfMs, source: 'snapshot', value: o.value.auditEnabled === true, evidence: row(o) })),
      ...recs.filter((c) => parseBool(param(c.parameters, 'AuditEnabled')) !== null).map((c): Observation<boolean> => {
        const v = parseBool(param(c.parameters, 'AuditEnabled')) === true;
        return { timeMs: c.timeMs, source: 'record', apply: () => v, evidence: ev(c.recordId) };
      }),
    ];
    const aeSegs = buildTimeline(aeObs, range.startMs, { equals: eqPrim, prior: boolPrior(true, 'mailbox auditing') });
    const rtd = (latestCfg?.value.recipientTypeDetails ?? '').toLowerCase();
    // Auditing on by default covers user, shared and group mailboxes, not resource mailboxes [A1].
    const coveredByDefault = rtd === '' || rtd === 'usermailbox' || rtd === 'sharedmailbox' || rtd === 'groupmailbox';
    for (const w of segmentsToWindows(aeSegs, range, (v) => !v, () => ({
      mailbox: key, kind: 'audit-disabled', scope: ALL_ACTIONS, reason: 'mailbox AuditEnabled is False',
    }))) {
      // Split the window by the organisation state: where org auditing-on-by-default is known active
      // (AuditDisabled False) and the mailbox type is covered by it, AuditEnabled is ignored [A1].
      for (const piece of splitByOrg(w, orgTimeline, range)) {
        if (piece.org === false && coveredByDefault) {
          // Microsoft documents that auditing on by default ignores AuditEnabled [A1], but the field
          // reports and the simulator treat it as blind. Claiming coverage that may not exist is the
          // worse error in testimony, so the window is kept, marked inferred, with both readings.
          // The case's own records tell which reading held: any record acting on the mailbox in the window
          // was written despite AuditEnabled False.
          const records = recordsByDay(activityBy.get(key), piece.window.startMs, piece.window.endMs ?? range.endMs);
          auditEnabledIgnored.push({ mailbox: key, evidence: w.evidence, records });
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
            : piece.org === false ? `${piece.window.reason}; auditing on by default does not cover a ${latestCfg?.value.recipientTypeDetails ?? 'mailbox of this type'}`
              : `${piece.window.reason}; organisation auditing is also disabled`,
        });
      }
    }

    // actions-not-audited
    const asObs: Observation<AuditSets>[] = [
      ...cfgs.map((o): Observation<AuditSets> => ({
        timeMs: o.asOfMs, source: 'snapshot', evidence: row(o),
        value: { Owner: o.value.auditOwner, Delegate: o.value.auditDelegate, Admin: o.value.auditAdmin, defaultSet: o.value.defaultAuditSet },
      })),
      ...recs.flatMap((c): Observation<AuditSets>[] => {
        const f = applySetMailboxAudit(c);
        return f ? [{ timeMs: c.timeMs, source: 'record', apply: f, evidence: ev(c.recordId) }] : [];
      }),
    ];
    const asSegs = buildTimeline(asObs, range.startMs, {
      equals: auditSetsEqual,
      prior: () => ({ value: defaultAuditSets(), confidence: 'inferred', note: 'the audit sets before the first Set-Mailbox record are not known; defaults assumed' }),
    });
    windows.push(...segmentsToWindows(asSegs, range, (v) => missingActions(v).length > 0, (s) => {
      const m = missingActions(s.value);
      return {
        mailbox: key, kind: 'actions-not-audited',
        scope: { actions: [...new Set(m.flatMap((x) => x.missing))].sort(), logonTypes: m.map((x) => x.lt) },
        reason: m.map((x) => `${x.lt}: ${x.missing.join(', ')} not audited${x.customised ? ` (Audit${x.lt} customised; ${x.lt} is missing from DefaultAuditSet, so new default actions are not added)` : ''}`).join('; '),
      };
    }));

    // unlicensed
    if (licencesByUser !== null) {
      const rows = licencesByUser.get(key) ?? [];
      const current = newestSnapshotRows(rows); // the rows the verdict rests on, cited as evidence
      const verdict = licenceVerdictOf(current);
      const hasActivity = (activityBy.get(key)?.mailItemsAccessed ?? 0) > 0 || verdict.plansUnknown === true;
      if (!verdict.advancedAuditing) {
        windows.push({
          mailbox: key, kind: 'unlicensed', startMs: range.startMs, endMs: null,
          scope: { actions: ['MailItemsAccessed'], logonTypes: [...LOGON_TYPE_NAMES] },
          confidence: hasActivity ? 'inferred' : 'certain',
          reason: `${verdict.reason}: MailItemsAccessed is not recorded without Audit (Premium)`
            + ((activityBy.get(key)?.mailItemsAccessed ?? 0) > 0 ? '; yet MailItemsAccessed records exist for this mailbox (Microsoft extended them to Audit Standard in 2023-24), so the window may not hold' : '')
            + (input.premiumActions ? `; ${uncertainPremiumNote(premiumBy.get(key))}` : ''),
          evidence: current.length > 0 ? current.map(row) : ['licence-export: no licence row for this account'],
        });
      }
    }

    // throttled: markers (certain) then inference (only where no marker is near)
    const marks = (markersBy.get(key) ?? []).sort((a, b) => a.timeMs - b.timeMs);
    for (const m of marks) {
      windows.push({
        mailbox: key, kind: 'throttled', startMs: m.timeMs, endMs: m.timeMs + DAY_MS,
        scope: { actions: ['MailItemsAccessed'], logonTypes: [...LOGON_TYPE_NAMES] }, confidence: 'certain',
        reason: 'a MailItemsAccessed record has IsThrottled=True: Bind access is not recorded for the next 24 hours (Sync still is)',
        evidence: [ev(m.recordId)],
      });
    }
    for (const t of input.inferredThrottles) {
      if (resolver.resolveOrSelf(t.mailbox) !== key) continue;
      if (marks.some((m) => Math.abs(m.timeMs - t.startMs) <= DAY_MS)) continue;
      windows.push({
        mailbox: key, kind: 'throttled', startMs: t.startMs, endMs: t.startMs + DAY_MS,
        scope: { actions: ['MailItemsAccessed'], logonTypes: [...LOGON_TYPE_NAMES] }, confidence: 'inferred',
        reason: `${t.count} MailItemsAccessed records within 24 hours (limit ${THROTTLE_LIMIT}) and no IsThrottled marker collected: Bind access was probably not recorded for 24 hours`,
        evidence: [],
      });
    }

    // acquisition ledger slices that concern this mailbox (unscoped ones concern every mailbox)
    const appliesTo = (s: LedgerSlice) => {
      const scoped = ledgerMailboxes(s).map((x) => resolver.resolveOrSelf(x));
      return scoped.length === 0 || scoped.includes(key);
    };
    const ledger = (input.ledger ?? []).filter(appliesTo);

    // retention, each store seen from when it was read
    const ageDays = latestCfg?.value.auditLogAgeLimitDays ?? null;
    const mbxRef = retentionReference('mailbox-audit', ledger, latestCfg, newestSnapshot, range, opts.retentionReferenceMs);
    const mbxLost = mbxRef.ms - (ageDays ?? MAILBOX_AUDIT_DEFAULT_DAYS) * DAY_MS;
    if (mbxLost > range.startMs) {
      windows.push({
        mailbox: key, kind: 'retention', startMs: range.startMs, endMs: mbxLost, scope: ALL_ACTIONS, confidence: ageDays === null ? 'inferred' : 'certain',
        reason: `mailbox audit store keeps ${ageDays ?? MAILBOX_AUDIT_DEFAULT_DAYS} days (AuditLogAgeLimit${ageDays === null ? ' not collected; default assumed' : ''}): records before ${iso(mbxLost)} no longer exist there, ${mbxRef.basis}`
          + '; the unified audit log may still hold them',
        evidence: [...new Set([...(latestCfg ? [row(latestCfg)] : []), ...mbxRef.evidence])],
        store: 'mailbox-audit',
      });
    }
    const history = licencesByUser === null ? 'never' : premiumHistory(licencesByUser.get(key) ?? [], licenceSnapshots);
    const premium = history === 'throughout';
    const ualRef = retentionReference('unified-audit-log', ledger, null, newestSnapshot, range, opts.retentionReferenceMs);
    const ualLost = ualLostBefore(ualRef.ms, premium, opts.ualRetentionDays);
    if (ualLost > range.startMs) {
      const tier = premium ? 'Audit Premium, 1 year'
        : `Audit Standard, 180 days (90 before 2023-10-17)${history === 'partly' ? '; Audit Premium shown in some licence snapshots of the case but not in every one (the licence changed, the account is missing from one, or its service plans were not listed), so the shorter retention is assumed' : ''}`;
      windows.push({
        mailbox: key, kind: 'retention', startMs: range.startMs, endMs: ualLost, scope: ALL_ACTIONS,
        confidence: opts.ualRetentionDays !== undefined ? 'certain' : 'inferred',
        reason: `unified audit log retention (${opts.ualRetentionDays !== undefined ? `${opts.ualRetentionDays} days, as configured` : tier}): records before ${iso(ualLost)} no longer exist there, ${ualRef.basis}`,
        evidence: ualRef.evidence,
        store: 'unified-audit-log',
      });
    }

    // acquisition completeness: slices not complete, less what a complete slice of the same source
    // (a later run, or another plan) covers for this mailbox
    for (const s of ledger) {
      if (s.status === 'complete') continue;
      const startMs = Date.parse(s.start);
      const endMs = Date.parse(s.end);
      if (!Number.isFinite(startMs) || !Number.isFinite(endMs)) continue;
      const covered = ledger.filter((c) => c.status === 'complete' && c.source === s.source).map((c) => [Date.parse(c.start), Date.parse(c.end)] as const);
      for (const [a, b] of subtractIntervals(startMs, endMs, covered)) {
        windows.push({
          mailbox: key, kind: 'acquisition-incomplete', startMs: a, endMs: b, scope: ALL_ACTIONS, confidence: 'certain',
          reason: `acquisition from ${s.source} is ${s.status} for this slice${s.reason ? `: ${s.reason}` : ''}`,
          evidence: s.id !== undefined ? [`ledger:${s.id}`] : [],
        });
      }
    }

    // capacity
    const act = activityBy.get(key);
    if (act && act.count >= MAILBOX_AUDIT_CAPACITY && act.firstMs > range.startMs) {
      windows.push({
        mailbox: key, kind: 'capacity', startMs: range.startMs, endMs: act.firstMs, scope: ALL_ACTIONS, confidence: 'inferred',
        reason: `${act.count} audit records for this mailbox: the mailbox audit store holds at most ${MAILBOX_AUDIT_CAPACITY}, so older records were purged`,
        evidence: [],
        store: 'mailbox-audit',
      });
    }

    // silence
    if (opts.includeSilence && act) windows.push(...silenceWindows(key, act, range));
  }

  // A window resting on a record whose target was matched by name only says so.
  for (const w of windows) {
    const named = w.evidence.map((e) => byLocalPart.get(e)).filter((n): n is string => n !== undefined);
    if (named.length === 0) continue;
    // One name however its records spell it (adm.patti, ADM.PATTI).
    const names = named.filter((n, k) => named.findIndex((m) => m.toLowerCase() === n.toLowerCase()) === k);
    const upn = resolver.get(w.mailbox)?.upn ?? w.mailbox;
    w.reason += `; ${named.length > 1 ? 'its records name' : 'its record names'} the mailbox ${names.map((n) => `"${n}"`).join(', ')}, resolved to ${upn} by name only (the one UPN in the case with that local part)`
      + (hasInventory ? ', as the mailbox inventory (Get-Mailbox) does not list it' : ', as the case has no mailbox inventory (Get-Mailbox) to confirm it');
  }

  const merged = mergeWindows(windowsInRange(windows, range));
  const byMailbox = new Map<string, BlindWindow[]>();
  for (const w of merged) byMailbox.set(w.mailbox, [...(byMailbox.get(w.mailbox) ?? []), w]);

  const mailboxes: MailboxCoverage[] = [];
  for (const key of [...allKeys].sort()) {
    if (filter && !filter.has(key)) continue;
    const known = resolver.get(key);
    const lic = licencesByUser === null ? null : mergeLicenceRows((licencesByUser.get(key) ?? []).map(withPlansFromRaw));
    const account = classifyAccount({
      upn: known?.upn ?? key, config: known?.config ?? null, licences: lic,
      adminEvidence: adminEvidence.get(key) ?? [], documentedService: documented.has(key),
    });
    mailboxes.push({ mailbox: key, upn: known?.upn ?? null, accountKind: account.kind, account, windows: byMailbox.get(key) ?? [] });
  }
  return { range, resolver, mailboxes, unresolved, auditEnabledIgnored };
}

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
export function subtractIntervals(start: number, end: number, cut: readonly (readonly [number, number])[]): [number, number][] {
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

function ledgerMailboxes(s: LedgerSlice): string[] {
  const q = s.query ?? {};
  const out: string[] = [];
  for (const k of ['mailbox', 'Mailbox', 'identity', 'Identity', 'userPrincipalName', 'upn']) {
    const v = q[k];
    if (typeof v === 'string' && v) out.push(v);
  }
  for (const k of ['userIds', 'UserIds', 'mailboxes', 'userPrincipalNames']) {
    const v = q[k];
    if (Array.isArray(v)) out.push(...v.filter((x): x is string => typeof x === 'string'));
    else if (typeof v === 'string' && v) out.push(...v.split(',').map((x) => x.trim()).filter(Boolean));
  }
  return out;
}

/** Low confidence: a mailbox with a median of ≥ 20 events a day silent for 3 or more whole days. */
export function silenceWindows(key: string, act: MailboxActivity, range: CaseRange): RawWindow[] {
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

/**
 * The windows that touch the analysed range: one wholly outside it is left out (a throttle a week after
 * the range is not a blind spot of the range). One that runs past the range keeps its own end, which
 * says how far the loss reaches.
 */
function windowsInRange(windows: RawWindow[], range: CaseRange): RawWindow[] {
  return windows.filter((w) => w.startMs < range.endMs && (w.endMs === null || w.endMs > range.startMs));
}

/** Merges windows of the same (mailbox, kind, confidence, store) that overlap or touch. */
export function mergeWindows(windows: RawWindow[]): BlindWindow[] {
  const groups = new Map<string, RawWindow[]>();
  for (const w of windows) {
    const k = `${w.mailbox}\u0000${w.kind}\u0000${w.confidence}\u0000${w.store ?? ''}`;
    const list = groups.get(k);
    if (list) list.push(w);
    else groups.set(k, [w]);
  }
  const out: RawWindow[] = [];
  for (const list of groups.values()) {
    list.sort((a, b) => a.startMs - b.startMs);
    let cur: RawWindow | null = null;
    for (const w of list) {
      if (cur && (cur.endMs === null || w.startMs <= cur.endMs)) {
        cur.endMs = cur.endMs === null || w.endMs === null ? null : Math.max(cur.endMs, w.endMs);
        cur.scope = unionScope(cur.scope, w.scope);
        if (!cur.reason.split('; also ').includes(w.reason)) cur.reason = `${cur.reason}; also ${w.reason}`;
        for (const e of w.evidence) if (!cur.evidence.includes(e)) cur.evidence.push(e);
      } else {
        if (cur) out.push(cur);
        cur = { ...w, evidence: [...w.evidence], scope: { actions: [...w.scope.actions], logonTypes: [...w.scope.logonTypes] } };
      }
    }
    if (cur) out.push(cur);
  }
  out.sort((a, b) => a.mailbox.localeCompare(b.mailbox) || a.startMs - b.startMs || a.kind.localeCompare(b.kind));
  return out.map((w) => ({
    mailbox: w.mailbox, kind: w.kind, start: iso(w.startMs), end: isoOrNull(w.endMs), scope: w.scope,
    confidence: w.confidence, reason: w.reason, evidence: w.evidence, ...(w.store ? { store: w.store } : {}),
  }));
}

function unionScope(a: WindowScope, b: WindowScope): WindowScope {
  const actions = a.actions.includes('*') || b.actions.includes('*') ? ['*'] : [...new Set([...a.actions, ...b.actions])].sort();
  const lts = LOGON_TYPE_NAMES.filter((lt) => a.logonTypes.includes(lt) || b.logonTypes.includes(lt));
  return { actions, logonTypes: lts };
}

