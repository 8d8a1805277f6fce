// The audit-posture snapshot and the preflight check of which sources answer.
import { groupByKey } from '../core/analysis/coverage.ts';
import { IdentityResolver } from '../core/analysis/identity.ts';
import { newestSnapshotRows, premiumHistory, snapshotsOf } from '../core/analysis/licences.ts';
import { MANAGEMENT_API_DAYS, retentionOutlook } from '../core/analysis/retention.ts';
import type { RetentionFacts, RetentionOutlook } from '../core/analysis/retention.ts';
import type { FormatId } from '../core/formats/types.ts';
import { readConfigObservations } from '../db/analysis.ts';
import type { ReadableDB } from '../db/database.ts';
import { invokePages, probeMailboxAuditLog } from '../acquire/exchange.ts';
import { graphPages } from '../acquire/graph.ts';
import { listSubscriptions } from '../acquire/manage.ts';
import { responsePage } from '../acquire/collect.ts';
import type { CallResult } from '../acquire/api.ts';
import { exoTime } from '../acquire/slicing.ts';
import type { SourceId } from '../db/ledger.ts';
import type { CaseHandle } from './caseFolder.ts';
import { BlindspotError } from './errors.ts';
import { exoTarget, graphTarget, manageTarget, storePage } from './tenantSession.ts';
import type { Session } from './tenantSession.ts';

// ---- posture ------------------------------------------------------------------------------------------

export interface PostureSummary {
  tenant: string;
  asOf: string;
  pages: number;
  configRows: number;
  parts: { what: string; ok: boolean; rows: number; error?: string }[];
}

/**
 * The audit-posture snapshot: organisation config, admin audit log config, every mailbox's audit
 * settings, bypass associations, licences (with service plans and how each was assigned) and the inbox
 * rules of the mailboxes in scope, each page stored as evidence and in the snapshot tables.
 */
export async function takePosture(h: CaseHandle, s: Session, o: { users?: string[]; signal?: AbortSignal } = {}): Promise<PostureSummary> {
  const asOf = new Date().toISOString();
  const summary: PostureSummary = { tenant: s.profile.name, asOf, pages: 0, configRows: 0, parts: [] };
  h.logCustody('posture-started', { tenant: s.profile.name, tenantId: s.profile.tenant, users: o.users ?? null });
  const exo = exoTarget(s);
  const part = async (what: string, run: () => Promise<number>): Promise<void> => {
    try {
      summary.parts.push({ what, ok: true, rows: await run() });
    } catch (e) {
      if (o.signal?.aborted) throw e;
      if (!(e instanceof BlindspotError)) throw e;
      summary.parts.push({ what, ok: false, rows: 0, error: `${e.message}${e.hint ? ` (${e.hint})` : ''}` });
    }
  };
  /** Stores one answer page as evidence and in the snapshot tables; returns its configuration rows. */
  const store = async (r: CallResult & { value: unknown[] }, format: FormatId, details: Record<string, unknown>): Promise<number> => {
    const { configRows } = await storePage(h, responsePage(r, format, r.value.length), details);
    summary.pages++;
    summary.configRows += configRows;
    return configRows;
  };
  const exoConfig = (cmdlet: string, params: Record<string, unknown>, format: FormatId) => async (): Promise<number> => {
    let rows = 0;
    for await (const r of invokePages(exo, cmdlet, params, cmdlet, o.signal)) rows += await store(r, format, { posture: cmdlet });
    return rows;
  };
  await part('Get-OrganizationConfig (AuditDisabled)', exoConfig('Get-OrganizationConfig', {}, 'config-organization'));
  await part('Get-AdminAuditLogConfig (UnifiedAuditLogIngestionEnabled)', exoConfig('Get-AdminAuditLogConfig', {}, 'config-adminauditlog'));
  await part('Get-Mailbox (audit settings of every mailbox)', exoConfig('Get-Mailbox', { ResultSize: 'Unlimited' }, 'config-mailbox'));
  await part('Get-MailboxAuditBypassAssociation', exoConfig('Get-MailboxAuditBypassAssociation', { ResultSize: 'Unlimited' }, 'config-bypass'));
  const g = graphTarget(s, 0);
  const userIds: { id: string; upn: string }[] = [];
  await part('Graph users (licence assignments: direct or through a group)', async () => {
    let rows = 0;
    for await (const r of graphPages(g, 'users?$select=id,userPrincipalName,assignedLicenses,licenseAssignmentStates&$top=999', 'list users and their licences', o.signal)) {
      for (const u of r.value) if (typeof u.id === 'string') userIds.push({ id: u.id, upn: String(u.userPrincipalName ?? '') });
      rows += await store(r, 'config-licence', { posture: 'users' });
    }
    return rows;
  });
  const scope = o.users?.map((u) => u.toLowerCase());
  await part('Graph licenseDetails (service plans per user)', async () => {
    let rows = 0;
    for (const u of userIds) {
      if (scope && !scope.includes(u.upn.toLowerCase())) continue;
      // Addressed by UPN: the page's @odata.context then names the user, which is what ties each licence
      // row to its mailbox when the page is parsed.
      for await (const r of graphPages(g, `users/${encodeURIComponent(u.upn)}/licenseDetails`, `licence details of ${u.upn}`, o.signal)) {
        rows += await store(r, 'config-licence', { posture: 'licenseDetails', user: u.upn });
      }
    }
    return rows;
  });
  await part('Get-InboxRule (mailboxes in scope)', async () => {
    let rows = 0;
    const mailboxes = o.users ?? await mailboxUpns(h);
    for (const m of mailboxes) rows += await exoConfig('Get-InboxRule', { Mailbox: m }, 'config-inboxrule')();
    return rows;
  });
  h.logCustody('posture-finished', { ...summary });
  return summary;
}

/** UPNs of the user and shared mailboxes in the case's latest Get-Mailbox snapshot. */
function mailboxUpns(h: CaseHandle): Promise<string[]> {
  const rows = h.db.prepare(
    `SELECT DISTINCT r.identity AS upn, json_extract(r.value_json, '$.recipientTypeDetails') AS rtd FROM config_rows r
     WHERE r.kind = 'mailbox' AND r.snapshot_id = (SELECT MAX(id) FROM config_snapshots WHERE kind = 'mailbox')`,
  ).all() as { upn: string | null; rtd: string | null }[];
  return Promise.resolve(rows.filter((r) => r.upn && (r.rtd === null || /User|Shared/i.test(r.rtd))).map((r) => r.upn!));
}

// ---- preflight ------------------------------------------------------------------------------------------

export interface PreflightSource {
  source: SourceId;
  answers: boolean;
  detail: string;
  /** Records the source reports for the range (Search-UnifiedAuditLog ResultCount), when it says. */
  estimate?: number | null;
}

export interface Preflight {
  sources: PreflightSource[];
  /** What each source can still return of the range (from the case's licence and mailbox snapshots). */
  retention: RetentionOutlook;
}

/** What the case's latest licence and mailbox snapshots say about retention (posture takes them). */
export function retentionFacts(db: ReadableDB): RetentionFacts {
  // Graph gives a user's licences in two halves (assignments under the UPN, service plans under the
  // user id): the mailbox inventory joins them, as in the coverage model.
  const mbx = readConfigObservations(db, 'mailbox');
  const mailboxes = newestSnapshotRows(mbx);
  const resolver = new IdentityResolver();
  for (const o of mailboxes) resolver.addMailbox(o.value, o.raw);
  const lic = readConfigObservations(db, 'licence');
  let licences: RetentionFacts['licences'] = null;
  if (lic.length > 0) {
    const byUser = groupByKey(lic, (o) => resolver.resolveOrSelf(o.value.userPrincipalName));
    // Premium retention only for users who held it in every snapshot (core/analysis/licences.ts), as in the blind spots.
    const snapshots = snapshotsOf(lic);
    const premium = [...byUser.values()].filter((rows) => premiumHistory(rows, snapshots) === 'throughout').length;
    licences = { premium, standard: byUser.size - premium };
  }
  return { licences, mailboxAgeLimitDays: mbx.length === 0 ? null : mailboxes.map((o) => o.value.auditLogAgeLimitDays) };
}

/**
 * Which sources answer and what they allow, a volume estimate, and how much of the range each source
 * still holds (retention); changes nothing in the tenant.
 */
export async function preflight(s: Session, db: ReadableDB, range: { fromMs: number; toMs: number }, signal?: AbortSignal): Promise<Preflight> {
  const out: PreflightSource[] = [];
  const explain = (e: unknown): string => (e instanceof BlindspotError ? `${e.message}${e.hint && !e.message.includes(e.hint) ? ` (${e.hint})` : ''}` : String(e));
  try {
    let estimate: number | null = 0;
    for await (const r of invokePages(exoTarget(s), 'Search-UnifiedAuditLog', { StartDate: exoTime(range.fromMs), EndDate: exoTime(range.toMs), ResultSize: 1, SessionId: `preflight-${Date.now()}`, SessionCommand: 'ReturnLargeSet' }, 'Search-UnifiedAuditLog estimate', signal)) {
      const rc = Number(r.value[0]?.ResultCount);
      estimate = r.value.length === 0 ? 0 : Number.isFinite(rc) ? rc : null;
      break;
    }
    out.push({ source: 'ual', answers: true, detail: 'Search-UnifiedAuditLog answers (Exchange role present)', estimate });
  } catch (e) {
    out.push({ source: 'ual', answers: false, detail: explain(e) });
  }
  if (!s.cloud.graphAuditQuery && !s.profile.endpoints) {
    out.push({ source: 'graph', answers: false, detail: `the Graph audit log query is documented for the global cloud only, not ${s.cloud.title}` });
  } else {
    try {
      await s.api.call('graph', { method: 'GET', url: `${s.endpoints.graphBase}/${s.profile.graphVersion}/security/auditLog/queries`, what: 'Graph audit log queries' }, signal);
      out.push({ source: 'graph', answers: true, detail: `the Graph audit log query answers (${s.profile.graphVersion}; AuditLogsQuery permission present)` });
    } catch (e) {
      out.push({ source: 'graph', answers: false, detail: explain(e) });
    }
  }
  try {
    const subs = await listSubscriptions(await manageTarget(s), signal);
    const enabled = subs.filter((x) => x.status.toLowerCase() === 'enabled').map((x) => x.contentType);
    out.push({ source: 'mgmt', answers: true, detail: `the Management Activity API answers; subscriptions enabled: ${enabled.length ? enabled.join(', ') : 'none (acquisition starts them, a change to the tenant)'}; it reaches back ${MANAGEMENT_API_DAYS} days only` });
  } catch (e) {
    out.push({ source: 'mgmt', answers: false, detail: explain(e) });
  }
  try {
    const exo = exoTarget(s);
    let upn: string | undefined;
    for await (const r of invokePages(exo, 'Get-Mailbox', { ResultSize: 1 }, 'a mailbox to probe Search-MailboxAuditLog with', signal)) {
      const first = r.value[0]?.UserPrincipalName;
      if (typeof first === 'string') upn = first;
      break;
    }
    const probe = await probeMailboxAuditLog(exo, upn, signal);
    out.push(probe.available
      ? { source: 'mailbox-audit', answers: true, detail: 'Search-MailboxAuditLog answers (mailbox audit history beyond the unified log)' }
      : { source: 'mailbox-audit', answers: false, detail: `${probe.reason}; acquisition falls back to the unified log's mailbox item records` });
  } catch (e) {
    out.push({ source: 'mailbox-audit', answers: false, detail: explain(e) });
  }
  return { sources: out, retention: retentionOutlook(Date.now(), range, retentionFacts(db)) };
}

