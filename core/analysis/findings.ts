// Findings: what an investigator must read first, each with evidence and the PowerShell that undoes it.
// Built from the coverage result (one finding per blind window, organisation-wide windows grouped), the
// configuration and mailbox records (audit changes, inbox rules, forwarding, permissions) and the
// per-mailbox access sources (IPs, apps, clients not seen before).
import { differingCopyFindings } from './differingCopies.ts';
import type { DifferingCopy } from './differingCopies.ts';
import { NOT_IN_MAILBOX_AUDIT, contentSearches, recordWords, scopeWords, searchActions } from './contentSearch.ts';
import type { ContentSearch } from './contentSearch.ts';
import type { CoverageResult } from './coverage.ts';
import { SOURCE_RECORDS, describeSourceRecord, isExternal, kindCounts, operationKind } from './sourceActivity.ts';
import type { SourceActivity } from './sourceActivity.ts';
import { licenceVerdict, mergeLicenceRows } from './licences.ts';
import type { IdentityResolver } from './identity.ts';
import { cmdletTarget, param, parseBool, parseMultiValue, ranWords } from './records.ts';
import { distinct, iso } from './timeline.ts';
import type { AccountClass, BlindWindow, ChangeRecord, Finding, FindingKind, FindingSource, Severity } from './types.ts';
import { SEVERITIES } from './types.ts';
import type { LicenceAssignment } from '../model.ts';

export interface AccessSource {
  mailbox: string;
  ip: string | null;
  appId: string | null;
  clientInfo: string | null;
  firstMs: number;
  lastMs: number;
  count: number;
  /** The record id of the first access from this combination. */
  firstRecordId: string | null;
}

export interface FindingsInput {
  coverage: CoverageResult;
  /** Configuration, rule, forwarding and permission records (admin and mailbox). */
  changes: ChangeRecord[];
  /** MailItemsAccessed grouped by (mailbox, IP, app, client). */
  accessSources: AccessSource[];
  /** Licence rows per account (for the direct-assignment remediation). */
  licences: LicenceAssignment[] | null;
  /** Records received again under their Id saying otherwise (core/analysis/differingCopies.ts): the copies of the first listed, and how many records have such copies. */
  differing?: { copies: DifferingCopy[]; records: number };
}

export interface FindingsOptions {
  minSeverity?: Severity;
  /** The suspected incident; changes to auditing inside it are raised. */
  incident?: { startMs: number; endMs: number };
  /** Include low-confidence `silence` findings (default false). */
  includeSilence?: boolean;
  /** Days of history a mailbox needs before a source counts as "new" (default 7). */
  baselineDays?: number;
  /** Finds the record that first used a source, when the access sources carry no record id (a database look-up). */
  firstRecord?: (mailbox: string, dim: 'IP' | 'app' | 'client', value: string, firstMs: number) => string | null;
  /**
   * Every record of the case from an IP or app (a database look-up): the other activity of the source of a
   * high or critical finding, raised as a finding of its own. Records in `exclude` (cited by the findings
   * that named the source) are left out of the records listed; at most `limit` are listed.
   */
  sourceActivity?: (dim: 'IP' | 'app', value: string, exclude: ReadonlySet<string>, limit: number) => SourceActivity | null;
}

const DAY_MS = 86_400_000;
/** New sources of one kind on one mailbox reported one by one (outside an incident window). */
const MAX_SEPARATE = 5;
/** The severity of every source-activity finding. */
const SOURCE_ACTIVITY_SEVERITY: Severity = 'high';
const rank = (s: Severity): number => SEVERITIES.indexOf(s);
export function atLeast(s: Severity, min: Severity): boolean {
  return rank(s) <= rank(min);
}

/** PowerShell single-quoted string. */
export function psq(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

const ev = (r: ChangeRecord): string => `event:${r.recordId}`;
/** "X ran OP at T from IP" for a change record. */
const ran = (c: ChangeRecord): string => ranWords(c.userId, c.operation, c.timeMs, c.clientIp);

function sourceOf(recs: { clientIp: string | null; userId: string | null }[]): FindingSource | undefined {
  const src = { ips: distinct(recs.map((r) => r.clientIp)), apps: [], actors: distinct(recs.map((r) => r.userId)) };
  return src.ips.length + src.apps.length + src.actors.length > 0 ? src : undefined;
}

export function buildFindings(input: FindingsInput, opts: FindingsOptions = {}): Finding[] {
  const out: Finding[] = [];
  const { coverage } = input;
  const resolver = coverage.resolver;
  const accounts = new Map(coverage.mailboxes.map((m) => [m.mailbox, m.account] as const));
  const upnOf = (k: string): string => coverage.mailboxes.find((m) => m.mailbox === k)?.upn ?? k;
  const tenantDomains = new Set(coverage.mailboxes.map((m) => (m.upn ?? m.mailbox).split('@')[1]?.toLowerCase()).filter((d): d is string => !!d));

  const changes = input.changes.filter((c) => !c.failed).sort((a, b) => a.timeMs - b.timeMs);
  const changeById = new Map(changes.map((c) => [c.recordId, c] as const));

  // -- windows
  const grouped = new Map<string, BlindWindow[]>();
  for (const m of coverage.mailboxes) {
    for (const w of m.windows) {
      if (w.kind === 'silence' && !opts.includeSilence) continue;
      if (w.kind === 'org-audit-disabled' || w.kind === 'ual-ingestion-disabled' || w.kind === 'retention' || w.kind === 'acquisition-incomplete') {
        const k = `${w.kind}|${w.start}|${w.end}|${w.confidence}|${w.store ?? ''}|${w.kind === 'retention' ? '' : w.reason}`;
        grouped.set(k, [...(grouped.get(k) ?? []), w]);
        continue;
      }
      out.push(withRecordedChanges(windowFinding(w, accounts.get(w.mailbox) ?? null, upnOf(w.mailbox), input.licences?.filter((l) => resolver.resolve(l.userPrincipalName) === w.mailbox) ?? []), changeById));
    }
  }
  for (const ws of grouped.values()) out.push(groupedFinding(ws, upnOf));
  for (const ig of coverage.auditEnabledIgnored) {
    out.push({
      id: `audit-enabled-ignored:${ig.mailbox}`, severity: 'info', kind: 'audit-enabled-ignored', mailbox: ig.mailbox,
      title: ig.records > 0
        ? `AuditEnabled is False on ${upnOf(ig.mailbox)}, but auditing on by default overrides it`
        : `AuditEnabled is False on ${upnOf(ig.mailbox)}, and the case holds no record of the mailbox while it was`,
      detail: ig.records > 0
        ? `The organisation has mailbox auditing on by default (AuditDisabled False), which ignores the mailbox AuditEnabled property [A1], and the case holds about ${ig.records} record${ig.records === 1 ? '' : 's'} acting on this mailbox while it was False: records were still written. Someone may have tried to disable auditing on this mailbox.`
        : 'The organisation has mailbox auditing on by default (AuditDisabled False), which Microsoft documents ignores the mailbox AuditEnabled property [A1], yet the case holds no record acting on this mailbox while AuditEnabled was False: treat the mailbox as unaudited there (its audit-disabled blind window), and establish whether that silence is real (the account\'s sign-ins show whether it was in use). Someone may have disabled auditing on this mailbox.',
      evidence: [...new Set(ig.evidence)], remediation: `Set-Mailbox -Identity ${psq(upnOf(ig.mailbox))} -AuditEnabled $true`,
    });
  }

  // -- records
  for (const c of changes) {
    const f = auditChangeFinding(c, resolver, opts.incident) ?? null;
    if (f) out.push(f);
    out.push(...ruleFindings(c, resolver, tenantDomains));
    out.push(...permissionFindings(c, resolver));
  }

  // -- content searches (eDiscovery)
  for (const s of contentSearches(changes, resolver)) out.push(contentSearchFinding(s));

  // -- new access sources
  out.push(...newSourceFindings(input.accessSources, resolver, opts));

  // -- records received again saying otherwise
  if (input.differing) out.push(...differingCopyFindings(input.differing.copies, input.differing.records));

  const seen = new Set<string>();
  const unique = out.filter((f) => {
    if (seen.has(f.id)) return false;
    seen.add(f.id);
    return true;
  }).map((f) => withChangeSource(f, changeById));

  // -- the other activity of the sources of high and critical findings: under a minimum above their
  // severity they are neither looked up nor linked (`related`) from the findings kept
  const min = opts.minSeverity ?? 'info';
  if (opts.sourceActivity && atLeast(SOURCE_ACTIVITY_SEVERITY, min)) unique.push(...sourceActivityFindings(unique, opts.sourceActivity, resolver, tenantDomains));

  return unique.filter((f) => atLeast(f.severity, min)).sort((a, b) => rank(a.severity) - rank(b.severity) || (a.mailbox ?? '').localeCompare(b.mailbox ?? '') || a.id.localeCompare(b.id));
}

function span(w: BlindWindow): string {
  return `${w.start} to ${w.end ?? 'the end of the case (still in effect)'}`;
}

function windowFinding(w: BlindWindow, account: AccountClass | null, upn: string, licences: LicenceAssignment[]): Finding {
  const base = { id: `${w.kind}:${w.mailbox}:${w.start}`, kind: w.kind as FindingKind, mailbox: w.mailbox, window: w, evidence: w.evidence };
  const who = account
    ? `This is ${/^[aeiou]/.test(account.kind) ? 'an' : 'a'} ${account.kind}${account.documented ? ' (documented)' : ''} account: ${account.reasons.join('; ')}.`
    : 'What kind of account this is could not be told.';
  const id = psq(upn);
  switch (w.kind) {
    case 'bypass': {
      const sev: Severity = !account ? 'critical'
        : account.kind === 'service' ? (account.documented ? 'info' : 'medium')
          : account.kind === 'room' || account.kind === 'equipment' ? 'high' : 'critical';
      return {
        ...base, severity: sev, title: `Mailbox audit bypass on ${upn}`,
        detail: `${w.reason}, ${span(w)} (${w.confidence}). ${who} ${sev === 'info' ? 'Bypass is routine for a documented service account.' : 'On anything but a documented service account this is an anti-forensics red flag: nothing this account did in any mailbox during the window was recorded.'}`,
        remediation: w.end === null
          ? `Set-MailboxAuditBypassAssociation -Identity ${id} -AuditBypassEnabled $false`
          : `# Bypass was already turned off at ${w.end}; confirm:\nGet-MailboxAuditBypassAssociation -Identity ${id} | Format-List Name,AuditBypassEnabled,WhenChangedUTC`,
      };
    }
    case 'throttled':
      return {
        ...base, severity: w.confidence === 'certain' ? 'high' : 'medium', title: `MailItemsAccessed Bind not recorded on ${upn} (throttled)`,
        detail: `${w.reason}, ${span(w)}. Which messages were read in this window cannot be measured; Sync records and other actions are still recorded.`,
        remediation: `# Throttling cannot be undone. Check what was recorded around it:\nSearch-UnifiedAuditLog -StartDate ${psq(w.start)} -EndDate ${psq(w.end ?? w.start)} -UserIds ${id} -Operations MailItemsAccessed -ResultSize 5000`,
      };
    case 'unlicensed': {
      const merged = mergeLicenceRows(licences);
      const group = merged.find((l) => l.assignedVia === 'group' && l.servicePlans.some((p) => p.name.toUpperCase() === 'M365_ADVANCED_AUDITING'));
      const verdict = licenceVerdict(merged);
      return {
        ...base, severity: 'high', title: `No Audit (Premium) for ${upn}${verdict.groupNotEffective ? ': group-based licence not in effect' : ''}`,
        detail: `${w.reason}, ${span(w)}.${verdict.groupNotEffective ? ' The licence is inherited through a group and did not take effect; assign it directly.' : ''}`,
        remediation: `Set-MgUserLicense -UserId ${id} -AddLicenses @(@{SkuId = ${psq(group?.skuId ?? '<Audit Premium (E5) SkuId>')}}) -RemoveLicenses @()`,
      };
    }
    case 'actions-not-audited':
      return {
        ...base, severity: w.scope.actions.includes('MailItemsAccessed') ? 'high' : 'medium', title: `Mailbox actions not audited on ${upn}`,
        detail: `${w.reason}, ${span(w)}.`,
        remediation: `Set-Mailbox -Identity ${id} -DefaultAuditSet Admin,Delegate,Owner`,
      };
    case 'audit-disabled':
      return {
        ...base, severity: w.confidence === 'certain' ? 'high' : 'medium', title: `Mailbox auditing disabled on ${upn}`, detail: `${w.reason}, ${span(w)} (${w.confidence}).`,
        remediation: `Set-Mailbox -Identity ${id} -AuditEnabled $true`,
      };
    case 'capacity':
      return {
        ...base, severity: 'medium', title: `Mailbox audit store of ${upn} at its capacity`, detail: `${w.reason}; records before ${w.end ?? w.start} may be missing.`,
        remediation: `# Preserve what remains now; the store keeps at most 3,000,000 records.\nSet-Mailbox -Identity ${id} -AuditLogAgeLimit 90.00:00:00`,
      };
    case 'silence':
      return { ...base, severity: 'low', title: `Unexpected silence on ${upn}`, detail: `${w.reason}, ${span(w)}.`, remediation: '' };
    default:
      return { ...base, severity: 'medium', title: `${w.kind} on ${upn}`, detail: `${w.reason}, ${span(w)}.`, remediation: '' };
  }
}

function groupedFinding(ws: BlindWindow[], upnOf: (k: string) => string): Finding {
  const w = ws[0]!;
  const mailboxes = [...new Set(ws.map((x) => x.mailbox))].sort();
  const list = mailboxes.length <= 10 ? mailboxes.join(', ') : `${mailboxes.slice(0, 10).join(', ')} and ${mailboxes.length - 10} more`;
  const evidence = [...new Set(ws.flatMap((x) => x.evidence))];
  const base = { id: `${w.kind}:*:${w.start}:${w.end ?? 'open'}${w.store === 'unified-audit-log' ? ':unified-audit-log' : ''}`, kind: w.kind as FindingKind, mailbox: mailboxes.length === 1 ? mailboxes[0]! : null, window: w, evidence };
  const affects = `Affects ${mailboxes.length} mailbox(es): ${list}.`;
  switch (w.kind) {
    case 'org-audit-disabled':
      return { ...base, severity: 'critical', title: 'Mailbox auditing disabled for the whole organisation', detail: `${w.reason}, ${span(w)}. ${affects}`, remediation: 'Set-OrganizationConfig -AuditDisabled $false' };
    case 'ual-ingestion-disabled':
      return { ...base, severity: 'critical', title: 'Unified audit log ingestion disabled', detail: `${w.reason}, ${span(w)}. ${affects}`, remediation: 'Set-AdminAuditLogConfig -UnifiedAuditLogIngestionEnabled $true' };
    case 'acquisition-incomplete':
      return {
        ...base, severity: 'high', title: 'Acquisition incomplete for a time slice', detail: `${w.reason}, ${span(w)}. Absence of events in this slice proves nothing. ${affects}`,
        remediation: `# Acquire the slice again (split it if it holds more than 50,000 records):\nSearch-UnifiedAuditLog -StartDate ${psq(w.start)} -EndDate ${psq(w.end ?? w.start)} -SessionCommand ReturnLargeSet -ResultSize 5000`,
      };
    default: // retention
      return {
        ...base, severity: 'low', title: `Records before ${w.end ?? w.start} are past retention`,
        detail: `${w.reason}. ${affects}`,
        remediation: w.store === 'unified-audit-log'
          ? '# The unified audit log keeps records for its retention policy; what is past it cannot be recovered. To keep more in future:\nNew-UnifiedAuditLogRetentionPolicy -Name \'Keep mailbox audit\' -RecordTypes ExchangeItem,ExchangeItemGroup,ExchangeItemAggregated -RetentionDuration TwelveMonths -Priority 100'
          : mailboxes.slice(0, 50).map((m) => `Set-Mailbox -Identity ${psq(upnOf(m))} -AuditLogAgeLimit 365.00:00:00`).join('\n'),
      };
  }
}

// ---- audit configuration changes ----------------------------------------------------------------

const AUDIT_PARAMS = ['AuditEnabled', 'AuditOwner', 'AuditDelegate', 'AuditAdmin', 'DefaultAuditSet', 'AuditLogAgeLimit'];

function auditChangeFinding(c: ChangeRecord, resolver: IdentityResolver, incident?: { startMs: number; endMs: number }): Finding | null {
  const o = c.operation.toLowerCase();
  let what: string | null = null;
  let reduces = false;
  if (o === 'set-mailboxauditbypassassociation') {
    const v = parseBool(param(c.parameters, 'AuditBypassEnabled'));
    if (v === null) return null;
    what = `audit bypass ${v ? 'enabled' : 'disabled'}`;
    reduces = v;
  } else if (o === 'set-organizationconfig') {
    const v = parseBool(param(c.parameters, 'AuditDisabled'));
    if (v === null) return null;
    what = `organisation AuditDisabled set to ${v}`;
    reduces = v;
  } else if (o === 'set-adminauditlogconfig') {
    const v = parseBool(param(c.parameters, 'UnifiedAuditLogIngestionEnabled'));
    if (v === null) return null;
    what = `UnifiedAuditLogIngestionEnabled set to ${v}`;
    reduces = !v;
  } else if (o === 'set-mailbox') {
    const present = AUDIT_PARAMS.filter((p) => param(c.parameters, p) !== undefined);
    if (present.length === 0) return null;
    what = present.map((p) => `${p}=${param(c.parameters, p) ?? ''}`).join(', ');
    const ae = parseBool(param(c.parameters, 'AuditEnabled'));
    reduces = ae === false || ['AuditOwner', 'AuditDelegate', 'AuditAdmin'].some((p) => {
      const mv = parseMultiValue(param(c.parameters, p));
      return mv !== null && (mv.mode === 'replace' || mv.remove.length > 0);
    }) || param(c.parameters, 'AuditLogAgeLimit') !== undefined;
  } else return null;
  const during = incident !== undefined && c.timeMs >= incident.startMs && c.timeMs < incident.endMs;
  const severity: Severity = during ? (reduces ? 'critical' : 'high') : reduces ? 'medium' : 'low';
  const target = cmdletTarget(c);
  const mailbox = o === 'set-organizationconfig' || o === 'set-adminauditlogconfig' ? null : target ? resolver.resolveOrSelf(target) : null;
  return {
    id: `audit-config-changed:${c.recordId}`, severity, kind: 'audit-config-changed', mailbox,
    title: `Audit configuration changed${during ? ' during the suspected incident' : ''}: ${c.operation}`,
    detail: `${c.userId ?? 'unknown actor'} ran ${c.operation}${target ? ` on ${target}` : ''} at ${iso(c.timeMs)}: ${what}.${reduces ? ' This reduces what is recorded.' : ''}`,
    evidence: [ev(c)],
    remediation: reduces ? `# Review and revert if not authorised; see the matching blind-window finding.\nSearch-UnifiedAuditLog -StartDate ${psq(iso(c.timeMs - DAY_MS))} -EndDate ${psq(iso(c.timeMs + DAY_MS))} -UserIds ${psq(c.userId ?? '')} -RecordType ExchangeAdmin` : '',
  };
}

// ---- inbox rules and forwarding ------------------------------------------------------------------

const OBSCURE_FOLDERS = ['rss feeds', 'rss subscriptions', 'conversation history', 'archive', 'junk email', 'deleted items', 'notes', 'sync issues', 'conflicts', 'outbox', 'scheduled', 'recoverable items'];

export function isObscureFolder(name: string): boolean {
  const n = name.trim().replace(/^\\+/, '').toLowerCase();
  const leaf = n.split('\\').pop() ?? n;
  return OBSCURE_FOLDERS.includes(leaf) || leaf.length <= 2 || /^[\W_]+$/.test(leaf);
}

function externalAddresses(value: string, tenantDomains: Set<string>): { all: string[]; external: string[] } {
  const all = value.match(/[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+/g) ?? [];
  const external = all.filter((a) => isExternal(a, tenantDomains));
  return { all: value.trim() && all.length === 0 ? [value.trim()] : all, external };
}

function ruleFindings(c: ChangeRecord, resolver: IdentityResolver, tenantDomains: Set<string>): Finding[] {
  const o = c.operation.toLowerCase();
  const out: Finding[] = [];
  if (o === 'new-inboxrule' || o === 'set-inboxrule') {
    const mbxParam = param(c.parameters, 'Mailbox');
    const mailbox = resolver.resolveOrSelf(mbxParam ?? c.objectId ?? c.userId ?? 'unknown');
    const name = param(c.parameters, 'Name') ?? (c.objectId?.includes('\\') ? c.objectId.slice(c.objectId.indexOf('\\') + 1) : null) ?? param(c.parameters, 'Identity') ?? '(unnamed)';
    const actions: string[] = [];
    let sev: Severity | null = null;
    const bump = (s: Severity) => { if (sev === null || rank(s) < rank(sev)) sev = s; };
    for (const p of ['ForwardTo', 'ForwardAsAttachmentTo', 'RedirectTo']) {
      const v = param(c.parameters, p);
      if (!v) continue;
      const { all, external } = externalAddresses(v, tenantDomains);
      actions.push(`${p} ${all.join(', ')}${external.length ? ' (external)' : ''}`);
      bump(external.length ? 'critical' : 'high');
    }
    for (const p of ['DeleteMessage', 'SoftDeleteMessage', 'PermanentDelete']) if (parseBool(param(c.parameters, p)) === true) { actions.push(p); bump('high'); }
    if (parseBool(param(c.parameters, 'MarkAsRead')) === true) { actions.push('MarkAsRead'); bump('high'); }
    const move = param(c.parameters, 'MoveToFolder');
    if (move) {
      const obscure = isObscureFolder(move);
      actions.push(`MoveToFolder "${move}"${obscure ? ' (an obscure folder)' : ''}`);
      if (obscure) bump('high');
    }
    if (sev === null) return out;
    const cond = ['SubjectContainsWords', 'SubjectOrBodyContainsWords', 'BodyContainsWords', 'From', 'FromAddressContainsWords'].map((p) => [p, param(c.parameters, p)] as const).filter(([, v]) => v);
    out.push({
      id: `inbox-rule:${c.recordId}`, severity: sev, kind: 'inbox-rule', mailbox,
      title: `Inbox rule "${name}" ${o === 'new-inboxrule' ? 'created' : 'changed'} on ${mailbox}: ${actions.join('; ')}`,
      detail: `${ran(c)}. Actions: ${actions.join('; ')}.${cond.length ? ` Conditions: ${cond.map(([p, v]) => `${p}=${v}`).join('; ')}.` : ''}`,
      evidence: [ev(c)],
      remediation: `Get-InboxRule -Mailbox ${psq(mailbox)} | Format-List Name,Identity,Enabled,Description\nRemove-InboxRule -Mailbox ${psq(mailbox)} -Identity ${psq(name)} -Confirm:$false`,
    });
  } else if (o === 'updateinboxrules') {
    const ruleOp = param(c.operationProperties, 'RuleOperation') ?? '';
    if (/remove/i.test(ruleOp)) return out;
    const mailbox = resolver.resolveOrSelf(c.mailbox ?? c.userId ?? 'unknown');
    const name = param(c.operationProperties, 'RuleName') || '(unnamed)';
    let parsed: unknown = [];
    try { parsed = JSON.parse(param(c.operationProperties, 'RuleActions') ?? '[]'); } catch { parsed = []; }
    const list = Array.isArray(parsed) ? parsed.filter((x): x is Record<string, unknown> => !!x && typeof x === 'object') : [];
    const actions: string[] = [];
    let sev: Severity | null = null;
    const bump = (s: Severity) => { if (sev === null || rank(s) < rank(sev)) sev = s; };
    for (const a of list) {
      const t = String(a['ActionType'] ?? '');
      if (/forward|redirect/i.test(t)) {
        const rec = JSON.stringify(a['Recipients'] ?? a['Recipient'] ?? '');
        const { external } = externalAddresses(rec, tenantDomains);
        actions.push(`${t}${external.length ? ` to ${external.join(', ')} (external)` : ''}`);
        bump(external.length ? 'critical' : 'high');
      } else if (/delete/i.test(t)) { actions.push(t); bump('high'); }
      else if (/markasread|markread/i.test(t)) { actions.push(t); bump('high'); }
      else if (/move|copy/i.test(t)) {
        actions.push(`${t} to folder ${String(a['DestinationFolderId'] ?? a['Folder'] ?? '?')} (folder name not in the record; check it)`);
        bump('medium');
      }
    }
    if (sev === null) return out;
    out.push({
      id: `inbox-rule:${c.recordId}`, severity: sev, kind: 'inbox-rule', mailbox,
      title: `Client-side inbox rule "${name}" (${ruleOp || 'UpdateInboxRules'}) on ${mailbox}: ${actions.join('; ')}`,
      detail: `${c.userId ?? 'unknown actor'} changed rules at ${iso(c.timeMs)}${c.clientIp ? ` from ${c.clientIp}` : ''}. Condition: ${param(c.operationProperties, 'RuleCondition') ?? 'not recorded'}.`,
      evidence: [ev(c)],
      remediation: `Get-InboxRule -Mailbox ${psq(mailbox)} -IncludeHidden | Format-List Name,Identity,Enabled,Description\nRemove-InboxRule -Mailbox ${psq(mailbox)} -Identity ${psq(name)} -Confirm:$false`,
    });
  } else if (o === 'set-mailbox') {
    const fwd = param(c.parameters, 'ForwardingSmtpAddress') ?? param(c.parameters, 'ForwardingAddress');
    if (fwd && fwd.trim() && !/^\$?null$/i.test(fwd.trim())) {
      const mailbox = resolver.resolveOrSelf(cmdletTarget(c) ?? 'unknown');
      const { external } = externalAddresses(fwd.replace(/^smtp:/i, ''), tenantDomains);
      out.push({
        id: `mail-forwarding:${c.recordId}`, severity: external.length ? 'critical' : 'high', kind: 'mail-forwarding', mailbox,
        title: `Mailbox forwarding set on ${mailbox} to ${fwd}`,
        detail: `${c.userId ?? 'unknown actor'} ran Set-Mailbox at ${iso(c.timeMs)}: forwarding to ${fwd}${external.length ? ' (outside the tenant)' : ''}; DeliverToMailboxAndForward=${param(c.parameters, 'DeliverToMailboxAndForward') ?? 'not set'}.`,
        evidence: [ev(c)],
        remediation: `Set-Mailbox -Identity ${psq(mailbox)} -ForwardingSmtpAddress $null -ForwardingAddress $null -DeliverToMailboxAndForward $false`,
      });
    }
  }
  return out;
}

// ---- permissions ---------------------------------------------------------------------------------

function permissionFindings(c: ChangeRecord, resolver: IdentityResolver): Finding[] {
  const o = c.operation.toLowerCase();
  const base = { kind: 'permission-added' as const, evidence: [ev(c)] };
  if (o === 'add-mailboxpermission' || o === 'add-recipientpermission') {
    const target = cmdletTarget(c) ?? 'unknown';
    const mailbox = resolver.resolveOrSelf(target);
    const user = param(c.parameters, 'User') ?? param(c.parameters, 'Trustee') ?? 'unknown';
    const rights = param(c.parameters, 'AccessRights') ?? '';
    const remediation = o === 'add-mailboxpermission'
      ? `Remove-MailboxPermission -Identity ${psq(mailbox)} -User ${psq(user)} -AccessRights ${rights || 'FullAccess'} -Confirm:$false`
      : `Remove-RecipientPermission -Identity ${psq(mailbox)} -Trustee ${psq(user)} -AccessRights ${rights || 'SendAs'} -Confirm:$false`;
    return [{
      ...base, id: `permission-added:${c.recordId}`, severity: /fullaccess|sendas/i.test(rights) ? 'high' : 'medium', mailbox,
      title: `${rights || 'Permission'} on ${mailbox} granted to ${user}`,
      detail: `${ran(c)}.`,
      remediation,
    }];
  }
  if (o === 'add-mailboxfolderpermission' || o === 'set-mailboxfolderpermission') {
    const target = param(c.parameters, 'Identity') ?? c.objectId ?? 'unknown';
    const mbxPart = target.includes(':') ? target.slice(0, target.indexOf(':')) : target;
    const mailbox = resolver.resolveOrSelf(mbxPart);
    const user = param(c.parameters, 'User') ?? 'unknown';
    const rights = param(c.parameters, 'AccessRights') ?? '';
    const broad = /^(default|anonymous)$/i.test(user.trim()) && !/^none$/i.test(rights.trim());
    if (/^none$/i.test(rights.trim())) return [];
    return [{
      ...base, id: `permission-added:${c.recordId}`, severity: broad || /owner|editor|reviewer|publishingeditor/i.test(rights) ? 'high' : 'medium', mailbox,
      title: `Folder permission ${rights} on ${target} for ${user}`,
      detail: `${ran(c)}.${broad ? ' The grant is to Default/Anonymous: everyone in the organisation (or outside it) can read the folder.' : ''}`,
      remediation: /^(default|anonymous)$/i.test(user.trim())
        ? `Set-MailboxFolderPermission -Identity ${psq(target)} -User ${user.trim()} -AccessRights None`
        : `Remove-MailboxFolderPermission -Identity ${psq(target)} -User ${psq(user)} -Confirm:$false`,
    }];
  }
  if (o === 'updatefolderpermissions') {
    const mailbox = resolver.resolveOrSelf(c.mailbox ?? c.userId ?? 'unknown');
    const pf = (c.item?.['ParentFolder'] ?? null) as Record<string, unknown> | null;
    const path = typeof pf?.['Path'] === 'string' ? pf['Path'] : typeof pf?.['Name'] === 'string' ? pf['Name'] : '(folder)';
    const member = typeof pf?.['MemberUpn'] === 'string' ? pf['MemberUpn'] : 'unknown member';
    const rights = typeof pf?.['MemberRights'] === 'string' ? pf['MemberRights'] : 'unknown rights';
    if (/^none$/i.test(rights.trim())) return [];
    const folder = `${mailbox}:${path.startsWith('\\') ? path : `\\${path}`}`;
    return [{
      ...base, id: `permission-added:${c.recordId}`, severity: /^(default|anonymous)$/i.test(member) ? 'high' : 'medium', mailbox,
      title: `Folder permission changed on ${path} of ${mailbox}: ${member} ${rights}`,
      detail: `${c.userId ?? 'unknown actor'} changed folder permissions at ${iso(c.timeMs)}${c.clientIp ? ` from ${c.clientIp}` : ''} (mailbox action UpdateFolderPermissions).`,
      remediation: `Remove-MailboxFolderPermission -Identity ${psq(folder)} -User ${psq(member)} -Confirm:$false`,
    }];
  }
  return [];
}

// ---- who changed the configuration behind a window ------------------------------------------------

/** The change records a finding cites as evidence (`event:` ids), in evidence order. */
function citedChanges(f: Finding, changeById: ReadonlyMap<string, ChangeRecord>): ChangeRecord[] {
  return f.evidence.filter((e) => e.startsWith('event:')).map((e) => changeById.get(e.slice(6))).filter((c): c is ChangeRecord => c !== undefined);
}

/** A window finding that cites change records says who made them and from where. */
function withRecordedChanges(f: Finding, changeById: ReadonlyMap<string, ChangeRecord>): Finding {
  const recs = citedChanges(f, changeById);
  if (recs.length === 0) return f;
  const said = recs.slice(0, 3).map(ran);
  return { ...f, detail: `${f.detail} Recorded: ${said.join('; ')}${recs.length > 3 ? `; and ${recs.length - 3} more` : ''}.` };
}

/**
 * A finding with no source of its own takes the IPs and actors of the change records it cites: every
 * finding made from configuration, rule, permission or content-search records, and every window (per
 * mailbox or organisation-wide) whose evidence names the command that opened it.
 */
function withChangeSource(f: Finding, changeById: ReadonlyMap<string, ChangeRecord>): Finding {
  if (f.source) return f;
  const source = sourceOf(citedChanges(f, changeById));
  return source ? { ...f, source } : f;
}

// ---- content searches (eDiscovery) ---------------------------------------------------------------

function contentSearchFinding(s: ContentSearch): Finding {
  const taken = searchActions(s.records);
  const severity: Severity = s.scope === 'all' || taken.length > 0 ? 'high' : 'medium';
  const actors = distinct(s.records.map((r) => r.actor));
  const what = taken.length > 0 ? `, ${taken.map((a) => (a === 'export' ? 'exported' : a === 'preview' ? 'previewed' : 'purged')).join(' and ')}` : '';
  const over = s.scope === 'all' ? 'over every mailbox' : s.scope === 'named' ? `over ${s.mailboxes.length === 1 ? s.mailboxes[0]! : `${s.mailboxes.length} mailboxes`}` : 'over mailboxes not known';
  const name = psq(s.name);
  const actionNames = taken.map((a) => `${s.name}_${a[0]!.toUpperCase()}${a.slice(1)}`);
  return {
    id: `content-search:${s.name.toLowerCase()}`, severity, kind: 'content-search',
    mailbox: s.scope === 'named' && s.mailboxes.length === 1 ? s.mailboxes[0]! : null,
    title: `Content search "${s.name}" ${over}${what}${actors.length ? ` by ${actors.join(', ')}` : ''}`,
    detail: `eDiscovery content search "${s.name}" could reach ${scopeWords(s)}.${s.query !== null ? ` Query: ${s.query}.` : ''} ${s.records.map(recordWords).join('; ')}.`
      + `${taken.includes('export') ? ' An export copies the matching messages out of the mailboxes for download.' : ''}${taken.includes('purge') ? ' A purge deletes the matching messages.' : ''}`
      + ` ${NOT_IN_MAILBOX_AUDIT} Run exposure for a mailbox to see this search stated there.`,
    evidence: s.records.map((r) => `event:${r.recordId}`),
    remediation: [
      '# In Security & Compliance PowerShell (Connect-IPPSSession): what the search found and what was done with it',
      `Get-ComplianceSearch -Identity ${name} | Format-List Name,ExchangeLocation,ContentMatchQuery,Items,Size,Status,CreatedBy,JobEndTime`,
      ...actionNames.map((a) => `Get-ComplianceSearchAction -Identity ${psq(a)} | Format-List Name,Action,Status,Results,CreatedBy`),
      '# If it was not authorised, remove it (after preserving the output above):',
      ...actionNames.map((a) => `Remove-ComplianceSearchAction -Identity ${psq(a)} -Confirm:$false`),
      `Remove-ComplianceSearch -Identity ${name} -Confirm:$false`,
    ].join('\n'),
  };
}

// ---- the other activity of a finding's source ----------------------------------------------------

/**
 * One finding per IP or app that a high or critical finding names as its source: every record of the case
 * from it, counted by kind and by account, and the first records the naming findings do not already cite
 * (sign-ins, sends, admin commands), described. The naming findings and this one point at each other
 * (`related`). Mail access is counted, not listed: exposure lists what was read.
 */
function sourceActivityFindings(
  findings: Finding[], lookup: NonNullable<FindingsOptions['sourceActivity']>, resolver: IdentityResolver, tenantDomains: ReadonlySet<string>,
): Finding[] {
  const named = new Map<string, { dim: 'IP' | 'app'; value: string; by: Finding[] }>();
  for (const f of findings) {
    if (!f.source || !atLeast(f.severity, 'high')) continue;
    for (const [dim, values] of [['IP', f.source.ips], ['app', f.source.apps]] as const) {
      for (const value of values) {
        const k = `${dim === 'IP' ? 'ip' : 'app'}:${value.toLowerCase()}`;
        const e = named.get(k);
        if (e) e.by.push(f);
        else named.set(k, { dim, value, by: [f] });
      }
    }
  }
  const out: Finding[] = [];
  for (const [k, { dim, value, by }] of [...named].sort((a, b) => a[0].localeCompare(b[0]))) {
    const exclude = new Set(by.flatMap((f) => f.evidence).filter((e) => e.startsWith('event:')).map((e) => e.slice(6)));
    const a = lookup(dim, value, exclude, SOURCE_RECORDS);
    if (!a || a.total === 0) continue;
    const id = `source-activity:${k}`;
    for (const f of by) f.related = [...new Set([...(f.related ?? []), id])].sort();
    const accounts = distinct(a.groups.map((g) => g.userId));
    const single = a.accounts === 1 && accounts.length === 1 ? resolver.resolveOrSelf(accounts[0]!) : null;
    const what = dim === 'IP' ? `IP ${value}` : `app ${value}`;
    const shown = a.records.map((r) => describeSourceRecord(r, tenantDomains));
    const perAccount = a.groups.map((g) => {
      const other = g.mailbox && g.mailbox.toLowerCase() !== (g.userId ?? '').toLowerCase() ? ` ${operationKind(g.operation) === 'admin' ? 'on' : 'in'} ${g.mailbox}` : '';
      return `${g.operation ?? '(no operation)'} ${g.count} by ${g.userId ?? 'unknown'}${other} (${iso(g.firstMs)}${g.lastMs !== g.firstMs ? ` to ${iso(g.lastMs)}` : ''})`;
    });
    const sources = by.map((f) => `[${f.severity}] ${f.title}`);
    out.push({
      id, severity: SOURCE_ACTIVITY_SEVERITY, kind: 'source-activity', mailbox: single,
      title: `Other activity from ${what}, the source of ${by.length} high or critical finding(s): ${kindCounts(a.operations)}`,
      detail: [
        `${what} is the source of: ${sources.slice(0, 5).join('; ')}${sources.length > 5 ? `; and ${sources.length - 5} more` : ''}.`,
        `Every record from it in the case: ${a.total} from ${iso(a.firstMs)} to ${iso(a.lastMs)}, by ${a.accounts} account(s): ${perAccount.join('; ')}${a.groupCount > a.groups.length ? `; and ${a.groupCount - a.groups.length} more (operation, account) groups` : ''}.`,
        a.otherCount === 0
          ? 'It has no record other than mail access besides those the findings above cite.'
          : `Records other than mail access that the findings above do not cite (${a.otherCount}${a.otherCount > shown.length ? `, the first ${shown.length} listed; filter the timeline on this ${dim} for the rest` : ''}):`,
        ...shown.map((x) => `  - ${x}`),
      ].join('\n'),
      evidence: a.records.map((r) => `event:${r.recordId}`),
      remediation: dim === 'IP'
        ? [`# Confirm in the tenant's own log what else came from ${value}:`, `Search-UnifiedAuditLog -StartDate ${psq(iso(a.firstMs))} -EndDate ${psq(iso(a.lastMs + 1000))} -IPAddresses ${psq(value)} -SessionCommand ReturnLargeSet -ResultSize 5000`,
          ...(accounts.length > 0 ? ['# Sign the accounts it used out everywhere (then reset their credentials):', ...accounts.slice(0, 10).map((u) => `Revoke-MgUserSignInSession -UserId ${psq(u)}`)] : [])].join('\n')
        : [`# Review the app and its consents; if it is not sanctioned, disable it:`, `Get-MgServicePrincipal -Filter "appId eq ${psq(value)}" | Format-List DisplayName,AppId,AppOwnerOrganizationId,AccountEnabled`,
          ...(accounts.length > 0 ? accounts.slice(0, 10).map((u) => `Revoke-MgUserSignInSession -UserId ${psq(u)}`) : [])].join('\n'),
      source: { ips: dim === 'IP' ? [value] : [], apps: dim === 'app' ? [value] : [], actors: accounts },
      related: by.map((f) => f.id).sort(),
    });
  }
  return out;
}

// ---- new access sources --------------------------------------------------------------------------

function newSourceFindings(sources: AccessSource[], resolver: IdentityResolver, opts: FindingsOptions): Finding[] {
  const baselineMs = (opts.baselineDays ?? 7) * DAY_MS;
  const byMailbox = new Map<string, AccessSource[]>();
  for (const s of sources) {
    const k = resolver.resolveOrSelf(s.mailbox);
    const list = byMailbox.get(k);
    if (list) list.push(s);
    else byMailbox.set(k, [s]);
  }
  const out: Finding[] = [];
  for (const [mailbox, list] of byMailbox) {
    const firstEver = Math.min(...list.map((s) => s.firstMs));
    const baselineEnd = opts.incident ? Math.max(opts.incident.startMs, firstEver + 1) : firstEver + baselineMs;
    const dims: ['IP' | 'app' | 'client', (s: AccessSource) => string | null][] = [['IP', (s) => s.ip], ['app', (s) => s.appId], ['client', (s) => s.clientInfo]];
    for (const [dim, get] of dims) {
      const first = new Map<string, { firstMs: number; lastMs: number; count: number; recordId: string | null }>();
      for (const s of list) {
        const v = get(s);
        if (!v) continue;
        const cur = first.get(v);
        if (!cur) first.set(v, { firstMs: s.firstMs, lastMs: s.lastMs, count: s.count, recordId: s.firstRecordId });
        else {
          if (s.firstMs < cur.firstMs) { cur.firstMs = s.firstMs; cur.recordId = s.firstRecordId; }
          cur.lastMs = Math.max(cur.lastMs, s.lastMs);
          cur.count += s.count;
        }
      }
      // A mailbox whose every source is new tells nothing: require a baseline with at least one source.
      const baseline = [...first.values()].filter((x) => x.firstMs < baselineEnd);
      if (baseline.length === 0) continue;
      const fresh = [...first].filter(([, x]) => x.firstMs >= baselineEnd).sort((a, b) => a[1].firstMs - b[1].firstMs);
      // Sources first seen inside the incident are always reported one by one; outside it, a mailbox
      // with more than MAX_SEPARATE new sources (mobile networks, roaming) gets one grouped low finding.
      const inIncident = (x: { firstMs: number }) => opts.incident !== undefined && x.firstMs < opts.incident.endMs;
      const separate = fresh.filter(([, x]) => inIncident(x));
      const rest = fresh.filter(([, x]) => !inIncident(x));
      if (rest.length <= MAX_SEPARATE) separate.push(...rest);
      for (const [v, x] of separate) {
        const recordId = x.recordId ?? opts.firstRecord?.(list[0]!.mailbox, dim, v, x.firstMs) ?? null;
        out.push({
          id: `new-access-source:${mailbox}:${dim}:${v}`, severity: inIncident(x) ? 'high' : 'medium', kind: 'new-access-source', mailbox,
          ...(dim === 'client' ? {} : { source: { ips: dim === 'IP' ? [v] : [], apps: dim === 'app' ? [v] : [], actors: [] } }),
          title: `Mail in ${mailbox} accessed from a new ${dim}: ${v}`,
          detail: `First MailItemsAccessed from this ${dim} at ${iso(x.firstMs)} (last ${iso(x.lastMs)}, ${x.count} records); not seen for this mailbox before ${iso(baselineEnd)}.`,
          evidence: recordId ? [`event:${recordId}`] : [],
          remediation: dim === 'IP'
            ? `# If not the owner's: revoke sessions and review sign-ins from ${v}\nRevoke-MgUserSignInSession -UserId ${psq(mailbox)}`
            : `# Review the consent and sessions of this ${dim}\nRevoke-MgUserSignInSession -UserId ${psq(mailbox)}`,
        });
      }
      if (rest.length > MAX_SEPARATE) {
        const shown = rest.slice(0, 20).map(([v, x]) => `${v} (first ${iso(x.firstMs)}, ${x.count} records)`);
        const evidence = rest.slice(0, 3).map(([v, x]) => x.recordId ?? opts.firstRecord?.(list[0]!.mailbox, dim, v, x.firstMs) ?? null).filter((r): r is string => r !== null).map((r) => `event:${r}`);
        out.push({
          id: `new-access-source:${mailbox}:${dim}:*`, severity: 'low', kind: 'new-access-source', mailbox,
          title: `Mail in ${mailbox} accessed from ${rest.length} new ${dim}s (a mailbox with many changing sources)`,
          detail: `${rest.length} ${dim}s first used after ${iso(baselineEnd)}; too many to report one by one without an incident window (pass one to single out those inside it). First ones: ${shown.join('; ')}${rest.length > 20 ? '; …' : ''}.`,
          evidence,
          remediation: `# Review with the sessions view for ${mailbox}; revoke sessions if any source is not the owner's\nRevoke-MgUserSignInSession -UserId ${psq(mailbox)}`,
        });
      }
    }
  }
  return out;
}
