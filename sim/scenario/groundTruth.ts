// Ground truth of a scenario: what an analyst must be able to derive from the served records plus
// the configuration snapshot taken at range.end. core/analysis matches these definitions exactly.
//
// Notation: S = range.start, E = range.end (ISO UTC with 'Z', millisecond precision as
// Date.toISOString()). Every window is half-open [start, end). `end: null` means "still in effect at
// E" (no record ending it). `mailbox` is the mailbox's UserPrincipalName in lower case.
//
// blindWindows, one entry per (mailbox, kind, occurrence):
//  - bypass: for a Set-MailboxAuditBypassAssociation record (RecordType 1) with Parameters
//    AuditBypassEnabled = "True", the window starts at its CreationTime and ends at the CreationTime
//    of the next such record for the same Identity with AuditBypassEnabled = "False" (null if none).
//    `mailbox` is the mailbox whose alias is that Identity (resolve the alias against Get-Mailbox).
//    An association that is AuditBypassEnabled true at E with no such record in range gives
//    [S, null).
//  - throttled: for each MailItemsAccessed record whose OperationProperties has IsThrottled = "True",
//    [CreationTime, CreationTime + 24 h) on its MailboxOwnerUPN.
//  - unlicensed: [S, null) for each mailbox whose owner has no licence with state "Active" (or
//    "ActiveWithError") containing service plan M365_ADVANCED_AUDITING with provisioningStatus
//    "Success" (a group-assigned E5 in state "Error" does not count). Shared mailboxes and rooms with
//    no licence are unlicensed. Effect: no MailItemsAccessed records.
//  - actions-not-audited: [S, null) for each mailbox whose AuditOwner, AuditDelegate or AuditAdmin
//    list lacks "MailItemsAccessed" (a customised set).
//  - audit-disabled: [S, null) for each mailbox with AuditEnabled false.
//  - org-audit-disabled: [S, null) for every mailbox when Get-OrganizationConfig AuditDisabled is true.
//  - ual-ingestion-disabled: [S, null) for every mailbox when Get-AdminAuditLogConfig
//    UnifiedAuditLogIngestionEnabled is false.
//  - retention: [S, E - AuditLogAgeLimit) for each mailbox whose AuditLogAgeLimit ("d.hh:mm:ss", whole
//    days) is shorter than E - S: its own audit log (Search-MailboxAuditLog) no longer holds that span.
// No configuration changes audit settings in range (no Set-Mailbox touches Audit* parameters), so
// the whole-range kinds need no history. The unified log's own retention (tenant.ualRetentionDays)
// is applied by the server and is not a blind window here.
//
// exposedMessages: the distinct (MailboxOwnerUPN, InternetMessageId) pairs in Folders[].FolderItems[]
// of MailItemsAccessed records with MailAccessType "Bind" whose SessionId is one of the attacker's
// session ids (only what was actually recorded; reads hidden by bypass or throttling are absent).
// Sorted by mailbox then id.
// syncedFolders: the attacker's MailItemsAccessed records with MailAccessType "Sync": folder name
// (Item.ParentFolder.Name for RecordType 2, or the last segment of Folders[0].Path for RecordType 50),
// time = CreationTime as ISO with 'Z'. Sorted by time.
// attacker: the IPs, SessionIds (Exchange SessionId values and Entra DeviceProperties SessionId values)
// and AppIds the attacker used.
// records: total = number of records in [S, E); bySource = counts per Workload.
// contentSearches: one per search name (case as written), from the Security & Compliance records
// (RecordType 18): New-ComplianceSearch (ObjectId = name; -ExchangeLocation "X" in its Parameters string
// gives locations), Start-ComplianceSearch (ObjectId = name), New-ComplianceSearchAction (ObjectId =
// name + "_Export" etc.; -Export makes `exported`). actor/ip are those of the New-ComplianceSearch record;
// recordIds in time order. Every mailbox is reached by a search whose locations are ["All"].
// attackerActions: every record whose ClientIP/ClientIPAddress is an attacker IP and whose Operation is
// not MailItemsAccessed (sign-ins, sends, admin and compliance cmdlets), in time order: what the findings
// must surface beyond the mail read (which exposure measures).

import type { GroundTruth, ScenarioName, UalRecord } from './types.ts';
import type { MailboxProfile } from './tenant.ts';
import { DAY_MS } from './tenant.ts';

export interface TruthInputs {
  scenario: ScenarioName;
  seed: number;
  start: number;
  end: number;
  profiles: MailboxProfile[];
  orgAuditDisabled: boolean;
  ualIngestionEnabled: boolean;
  bypassSpans: { mailbox: string; start: number; end: number | null }[];
  throttles: { mailbox: string; at: number }[];
  attacker: { ips: string[]; sessionIds: string[]; appIds: string[] };
  records: Iterable<UalRecord>;
}

const isoZ = (ms: number): string => new Date(ms).toISOString();

export function accessType(rec: UalRecord): string | null {
  const props = rec.OperationProperties;
  if (!Array.isArray(props)) return null;
  for (const p of props as { Name?: unknown; Value?: unknown }[]) if (p.Name === 'MailAccessType') return typeof p.Value === 'string' ? p.Value : null;
  return null;
}

export function computeGroundTruth(x: TruthInputs): GroundTruth {
  const windows: GroundTruth['blindWindows'] = [];
  const S = isoZ(x.start);
  for (const b of x.bypassSpans) windows.push({ mailbox: b.mailbox, kind: 'bypass', start: isoZ(b.start), end: b.end === null ? null : isoZ(b.end) });
  for (const t of x.throttles) windows.push({ mailbox: t.mailbox, kind: 'throttled', start: isoZ(t.at), end: isoZ(t.at + DAY_MS) });
  for (const p of x.profiles) {
    if (!p.advancedAuditing) windows.push({ mailbox: p.upn, kind: 'unlicensed', start: S, end: null });
    if (![p.auditOwner, p.auditDelegate, p.auditAdmin].every((l) => l.includes('MailItemsAccessed'))) windows.push({ mailbox: p.upn, kind: 'actions-not-audited', start: S, end: null });
    if (!p.auditEnabled) windows.push({ mailbox: p.upn, kind: 'audit-disabled', start: S, end: null });
    if (x.orgAuditDisabled) windows.push({ mailbox: p.upn, kind: 'org-audit-disabled', start: S, end: null });
    if (!x.ualIngestionEnabled) windows.push({ mailbox: p.upn, kind: 'ual-ingestion-disabled', start: S, end: null });
    const horizon = x.end - p.ageLimitDays * DAY_MS;
    if (horizon > x.start) windows.push({ mailbox: p.upn, kind: 'retention', start: S, end: isoZ(horizon) });
  }
  windows.sort((a, b) => (a.mailbox < b.mailbox ? -1 : a.mailbox > b.mailbox ? 1 : a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.start < b.start ? -1 : a.start > b.start ? 1 : 0));

  const sessions = new Set(x.attacker.sessionIds);
  const attackerIps = new Set(x.attacker.ips);
  const attackerActions: GroundTruth['attackerActions'] = [];
  const searches = new Map<string, GroundTruth['contentSearches'][number]>();
  const exposed = new Map<string, { mailbox: string; internetMessageId: string }>();
  const synced: GroundTruth['syncedFolders'] = [];
  const bySource: Record<string, number> = {};
  let total = 0;
  for (const r of x.records) {
    total++;
    const w = typeof r.Workload === 'string' ? r.Workload : 'Unknown';
    bySource[w] = (bySource[w] ?? 0) + 1;
    const ip = String(r.ClientIP ?? r.ClientIPAddress ?? '');
    if (attackerIps.has(ip) && r.Operation !== 'MailItemsAccessed') {
      attackerActions.push({ recordId: r.Id, time: isoZ(Date.parse(`${r.CreationTime}Z`)), operation: r.Operation, user: String(r.UserId).toLowerCase(), ip });
    }
    if (r.RecordType === 18 && /ComplianceSearch/.test(r.Operation)) {
      const params = typeof r.Parameters === 'string' ? r.Parameters : '';
      const name = String(r.ObjectId).replace(/_(Export|Preview|Purge)$/, '');
      let s = searches.get(name);
      if (!s) searches.set(name, (s = { name, actor: String(r.UserId).toLowerCase(), ip, locations: [], exported: false, recordIds: [] }));
      s.recordIds.push(r.Id);
      const loc = /-ExchangeLocation "([^"]*)"/.exec(params);
      if (r.Operation === 'New-ComplianceSearch' && loc) s.locations = loc[1]!.split(',');
      if (r.Operation === 'New-ComplianceSearchAction' && /(^| )-Export( |$)/.test(params)) s.exported = true;
    }
    if (r.Operation !== 'MailItemsAccessed' || typeof r.SessionId !== 'string' || !sessions.has(r.SessionId)) continue;
    const mailbox = String(r.MailboxOwnerUPN).toLowerCase();
    const at = accessType(r);
    if (at === 'Bind') {
      for (const f of (r.Folders as { FolderItems?: { InternetMessageId?: string }[] }[] | undefined) ?? []) {
        for (const it of f.FolderItems ?? []) {
          if (!it.InternetMessageId) continue;
          exposed.set(`${mailbox}\n${it.InternetMessageId}`, { mailbox, internetMessageId: it.InternetMessageId });
        }
      }
    } else if (at === 'Sync') {
      const item = r.Item as { ParentFolder?: { Name?: string } } | undefined;
      const folders = r.Folders as { Path?: string }[] | undefined;
      const folder = item?.ParentFolder?.Name ?? folders?.[0]?.Path?.split('\\').pop() ?? '';
      synced.push({ mailbox, folder, time: isoZ(Date.parse(`${r.CreationTime}Z`)) });
    }
  }
  const exposedMessages = [...exposed.values()].sort((a, b) => (a.mailbox < b.mailbox ? -1 : a.mailbox > b.mailbox ? 1 : a.internetMessageId < b.internetMessageId ? -1 : a.internetMessageId > b.internetMessageId ? 1 : 0));
  synced.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  return {
    scenario: x.scenario,
    seed: x.seed,
    range: { start: S, end: isoZ(x.end) },
    records: { total, bySource },
    mailboxes: x.profiles.map((p) => ({ upn: p.upn, kind: p.kind })),
    blindWindows: windows,
    exposedMessages,
    syncedFolders: synced,
    attacker: x.attacker,
    contentSearches: [...searches.values()],
    attackerActions,
  };
}
