// The coverage model: for each mailbox and each moment of the case range, which actions by which
// logon types could have been recorded, and where not, why. Pure: everything arrives as arguments
// (configuration observations, change records, throttle markers, activity counts, the ledger).
// Windows of one (mailbox, kind, confidence, store) are merged where they overlap or touch.
// The windows are built mailbox by mailbox in mailboxWindows.ts (where each kind is defined); this
// resolves identities, gathers each mailbox's evidence under one key, merges the windows and classifies
// the accounts.
import type { AdminAuditLogConfig, BypassAssociation, LicenceAssignment, MailboxConfig, OrganizationConfig } from '../model.ts';
import { classifyAccount } from './classify.ts';
import { mergeLicenceRows, snapshotsOf, withPlansFromRaw } from './licences.ts';
import { IdentityResolver } from './identity.ts';
import { ev, mailboxWindows, tenantSwitches } from './mailboxWindows.ts';
import type { AuditEnabledIgnored, InferredThrottle, RawWindow, TenantEvidence, ThrottleMarker, WindowOptions } from './mailboxWindows.ts';
import { cmdletTarget, param, parseBool } from './records.ts';
import { iso, isoOrNull } from './timeline.ts';
import type { AccountClass, BlindWindow, CaseRange, ChangeRecord, ConfigObservation, LedgerSlice, MailboxActivity, PremiumActionCount, WindowScope } from './types.ts';
import { LOGON_TYPE_NAMES } from './types.ts';

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

export interface CoverageOptions extends WindowOptions {
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
  /** Mailboxes whose AuditEnabled False the organisation default may override, with the records the case holds on each while it was False. */
  auditEnabledIgnored: AuditEnabledIgnored[];
}

/** Items grouped by a key (in their given order); those without a key are left out. */
export function groupByKey<T>(items: readonly T[], keyOf: (x: T) => string | null): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of items) {
    const k = keyOf(x);
    if (!k) continue;
    const list = out.get(k);
    if (list) list.push(x);
    else out.set(k, [x]);
  }
  return out;
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

  const switches = tenantSwitches(input.organization, input.adminAuditLog, changes, range);

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
  const markersBy = groupByKey(input.throttleMarkers, (m) => resolver.resolveOrSelf(m.mailbox));
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

  const inferredBy = groupByKey(input.inferredThrottles, (t) => resolver.resolveOrSelf(t.mailbox));
  const tenant: TenantEvidence = { range, ...switches, licenceSnapshots, newestSnapshot, premiumCounted: input.premiumActions !== undefined };
  for (const key of [...allKeys].sort()) {
    const configs = mailboxCfg.get(key) ?? [];
    // acquisition ledger slices that concern this mailbox (unscoped ones concern every mailbox)
    const appliesTo = (s: LedgerSlice) => {
      const scoped = ledgerMailboxes(s).map((x) => resolver.resolveOrSelf(x));
      return scoped.length === 0 || scoped.includes(key);
    };
    const m = mailboxWindows({
      key, configs,
      latestConfig: configs.reduce<ConfigObservation<MailboxConfig> | null>((a, b) => (a === null || b.asOfMs >= a.asOfMs ? b : a), null),
      setMailbox: setMailbox.get(key) ?? [],
      bypassRecords: bypassRecs.get(key) ?? [],
      bypassConfigs: bypassCfg.get(key) ?? [],
      licences: licencesByUser === null ? null : licencesByUser.get(key) ?? [],
      throttleMarkers: markersBy.get(key) ?? [],
      inferredThrottles: inferredBy.get(key) ?? [],
      activity: activityBy.get(key),
      premiumCounts: premiumBy.get(key),
      ledger: (input.ledger ?? []).filter(appliesTo),
    }, tenant, opts);
    windows.push(...m.windows);
    auditEnabledIgnored.push(...m.auditEnabledIgnored);
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

/**
 * The windows that touch the analysed range: one wholly outside it is left out (a throttle a week after
 * the range is not a blind spot of the range). One that runs past the range keeps its own end, which
 * says how far the loss reaches.
 */
function windowsInRange(windows: RawWindow[], range: CaseRange): RawWindow[] {
  return windows.filter((w) => w.startMs < range.endMs && (w.endMs === null || w.endMs > range.startMs));
}

/** Merges windows of the same (mailbox, kind, confidence, store) that overlap or touch. */
function mergeWindows(windows: RawWindow[]): BlindWindow[] {
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

