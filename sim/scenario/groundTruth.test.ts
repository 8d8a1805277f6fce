// Recomputes the ground truth independently, the way an analyst would: from the served records plus
// the configuration snapshot (Get-Mailbox, bypass associations, licences, org and admin-audit config),
// and checks that groundTruth() says exactly the same.
import { describe, expect, it } from 'vitest';
import { createScenario } from './index.ts';
import type { GroundTruth, Scenario, UalRecord } from './types.ts';

const DAY = 86_400_000;
const NOW = new Date('2026-11-20T12:00:00Z');
const tms = (r: UalRecord): number => Date.parse(`${r.CreationTime}Z`);
const z = (ms: number): string => new Date(ms).toISOString();
const nv = (arr: unknown, name: string): string | undefined => (arr as { Name: string; Value?: string }[] | undefined)?.find((p) => p.Name === name)?.Value;

function analyse(s: Scenario, attackerIps: string[]): Omit<GroundTruth, 'attacker' | 'scenario' | 'seed'> & { sessions: string[] } {
  const recs = [...s.recordsBetween(s.range.start.getTime(), s.range.end.getTime())];
  const S = s.range.start.getTime();
  const E = s.range.end.getTime();
  const t = s.tenant;
  const aliasToUpn = new Map(t.mailboxes.map((m) => [String(m.Identity), String(m.UserPrincipalName).toLowerCase()]));
  const windows: GroundTruth['blindWindows'] = [];
  // bypass from the history records
  const open = new Map<string, number>();
  const seenInRange = new Set<string>();
  for (const r of recs.filter((x) => x.Operation === 'Set-MailboxAuditBypassAssociation')) {
    const id = nv(r.Parameters, 'Identity')!;
    const upn = aliasToUpn.get(id)!;
    seenInRange.add(id);
    if (nv(r.Parameters, 'AuditBypassEnabled') === 'True') open.set(upn, tms(r));
    else if (open.has(upn)) {
      windows.push({ mailbox: upn, kind: 'bypass', start: z(open.get(upn)!), end: z(tms(r)) });
      open.delete(upn);
    }
  }
  for (const [upn, st] of open) windows.push({ mailbox: upn, kind: 'bypass', start: z(st), end: null });
  for (const a of t.bypassAssociations) {
    if (a.AuditBypassEnabled === true && !seenInRange.has(String(a.Identity))) windows.push({ mailbox: aliasToUpn.get(String(a.Identity))!, kind: 'bypass', start: z(S), end: null });
  }
  for (const r of recs) {
    if (nv(r.OperationProperties, 'IsThrottled') === 'True') windows.push({ mailbox: String(r.MailboxOwnerUPN).toLowerCase(), kind: 'throttled', start: z(tms(r)), end: z(tms(r) + DAY) });
  }
  const licensed = new Set(t.licences.filter((l) => (l.state === 'Active' || l.state === 'ActiveWithError')
    && l.servicePlans.some((p) => p.servicePlanName === 'M365_ADVANCED_AUDITING' && p.provisioningStatus === 'Success')).map((l) => l.userPrincipalName.toLowerCase()));
  for (const m of t.mailboxes) {
    const upn = String(m.UserPrincipalName).toLowerCase();
    if (!licensed.has(upn)) windows.push({ mailbox: upn, kind: 'unlicensed', start: z(S), end: null });
    if ([m.AuditOwner, m.AuditDelegate, m.AuditAdmin].some((l) => !(l as string[]).includes('MailItemsAccessed'))) windows.push({ mailbox: upn, kind: 'actions-not-audited', start: z(S), end: null });
    if (m.AuditEnabled === false) windows.push({ mailbox: upn, kind: 'audit-disabled', start: z(S), end: null });
    if (t.organizationConfig.AuditDisabled === true) windows.push({ mailbox: upn, kind: 'org-audit-disabled', start: z(S), end: null });
    if (t.adminAuditLogConfig.UnifiedAuditLogIngestionEnabled === false) windows.push({ mailbox: upn, kind: 'ual-ingestion-disabled', start: z(S), end: null });
    const days = Number(/^(\d+)\./.exec(String(m.AuditLogAgeLimit))![1]);
    if (E - days * DAY > S) windows.push({ mailbox: upn, kind: 'retention', start: z(S), end: z(E - days * DAY) });
  }
  const key = (w: GroundTruth['blindWindows'][number]): string => `${w.mailbox}|${w.kind}|${w.start}`;
  windows.sort((a, b) => (key(a) < key(b) ? -1 : 1));

  // attacker sessions: every SessionId seen on a record from an attacker IP
  const ips = new Set(attackerIps);
  const sessions = new Set<string>();
  for (const r of recs) {
    const ip = String(r.ClientIPAddress ?? r.ClientIP ?? '');
    if (!ips.has(ip)) continue;
    if (typeof r.SessionId === 'string') sessions.add(r.SessionId);
    const aad = nv(r.DeviceProperties, 'SessionId');
    if (aad) sessions.add(aad);
  }
  const exposed = new Map<string, { mailbox: string; internetMessageId: string }>();
  const synced: GroundTruth['syncedFolders'] = [];
  const bySource: Record<string, number> = {};
  for (const r of recs) {
    bySource[String(r.Workload)] = (bySource[String(r.Workload)] ?? 0) + 1;
    if (r.Operation !== 'MailItemsAccessed' || !sessions.has(String(r.SessionId))) continue;
    const mailbox = String(r.MailboxOwnerUPN).toLowerCase();
    if (nv(r.OperationProperties, 'MailAccessType') === 'Bind') {
      for (const f of r.Folders as { FolderItems: { InternetMessageId: string }[] }[]) for (const it of f.FolderItems) exposed.set(`${mailbox} ${it.InternetMessageId}`, { mailbox, internetMessageId: it.InternetMessageId });
    } else {
      const folder = (r.Item as { ParentFolder: { Name: string } } | undefined)?.ParentFolder.Name ?? (r.Folders as { Path: string }[])[0]!.Path.replace(/^\\/, '');
      synced.push({ mailbox, folder, time: z(tms(r)) });
    }
  }
  // what the attacker did besides reading mail, and the eDiscovery searches (named by -Name / -Identity / -SearchName)
  const attackerActions = recs.filter((r) => ips.has(String(r.ClientIP ?? r.ClientIPAddress ?? '')) && r.Operation !== 'MailItemsAccessed')
    .map((r) => ({ recordId: r.Id, time: z(tms(r)), operation: r.Operation, user: String(r.UserId).toLowerCase(), ip: String(r.ClientIP ?? r.ClientIPAddress) }));
  const contentSearches: GroundTruth['contentSearches'] = [];
  for (const r of recs.filter((x) => x.Workload === 'SecurityComplianceCenter')) {
    const p = String(r.Parameters);
    const name = /-(?:Name|Identity|SearchName) "([^"]+)"/.exec(p)![1]!;
    let c = contentSearches.find((x) => x.name === name);
    if (!c) contentSearches.push(c = { name, actor: String(r.UserId).toLowerCase(), ip: String(r.ClientIP), locations: [], exported: false, recordIds: [] });
    c.recordIds.push(r.Id);
    const loc = /-ExchangeLocation "([^"]+)"/.exec(p);
    if (loc) c.locations = loc[1]!.split(',');
    if (p.includes(' -Export ')) c.exported = true;
  }
  return {
    contentSearches,
    attackerActions,
    range: { start: z(S), end: z(E) },
    records: { total: recs.length, bySource },
    mailboxes: t.mailboxes.map((m) => ({ upn: String(m.UserPrincipalName).toLowerCase(), kind: t.users.find((u) => u.userPrincipalName === m.UserPrincipalName)!.kind })),
    blindWindows: windows,
    exposedMessages: [...exposed.values()].sort((a, b) => (`${a.mailbox} ${a.internetMessageId}` < `${b.mailbox} ${b.internetMessageId}` ? -1 : 1)),
    syncedFolders: synced.sort((a, b) => (a.time < b.time ? -1 : 1)),
    sessions: [...sessions].sort(),
  };
}

describe('ground truth', () => {
  it('bec: matches an independent analysis of the records and configuration', () => {
    const s = createScenario({ scenario: 'bec', seed: 7, now: NOW });
    const gt = s.groundTruth();
    const mine = analyse(s, gt.attacker.ips);
    expect(gt.scenario).toBe('bec');
    expect(gt.seed).toBe(7);
    expect(gt.range).toEqual(mine.range);
    expect(gt.records).toEqual(mine.records);
    expect(gt.mailboxes).toEqual(mine.mailboxes);
    expect(gt.blindWindows).toEqual(mine.blindWindows);
    expect(gt.exposedMessages).toEqual(mine.exposedMessages);
    expect(gt.syncedFolders).toEqual(mine.syncedFolders);
    expect([...gt.attacker.sessionIds].sort()).toEqual(mine.sessions);
    expect(gt.contentSearches).toEqual(mine.contentSearches);
    expect(gt.attackerActions).toEqual(mine.attackerActions);
    // the scripted eDiscovery export over every mailbox, and what the attacker did besides reading mail
    expect(gt.contentSearches.map((c) => [c.locations, c.exported, c.ip, c.recordIds.length])).toEqual([[['All'], true, '203.0.113.91', 3]]);
    const acts = (ip: string) => gt.attackerActions.filter((a) => a.ip === ip).map((a) => a.operation).sort();
    expect(acts('203.0.113.66')).toEqual(['New-InboxRule', 'New-InboxRule', 'Send', ...Array(5).fill('UserLoggedIn')]);
    expect(acts('203.0.113.91')).toEqual(['New-ComplianceSearch', 'New-ComplianceSearchAction', 'Set-MailboxAuditBypassAssociation', 'Set-MailboxAuditBypassAssociation', 'Start-ComplianceSearch', 'UserLoggedIn', 'UserLoggedIn']);
    // every window kind the tenant is built to exercise is present
    expect(new Set(gt.blindWindows.map((w) => w.kind))).toEqual(new Set(['bypass', 'throttled', 'unlicensed', 'actions-not-audited', 'audit-disabled', 'retention']));
    // the attacker read something that was recorded, and things that were not (bypass, throttle)
    expect(gt.exposedMessages.length).toBeGreaterThan(1000);
    expect(gt.syncedFolders.map((f) => f.folder)).toEqual(['Inbox', 'Sent Items', 'Archive']);
    // the attacker's app appears only on records from the attacker's IPs
    const app = gt.attacker.appIds[0]!;
    for (const r of s.recordsBetween(s.range.start.getTime(), s.range.end.getTime())) {
      if (r.AppId === app || r.ApplicationId === app) expect(gt.attacker.ips).toContain(String(r.ClientIPAddress ?? r.ClientIP));
    }
  });

  it('quiet: only configuration windows, nothing exposed', () => {
    const s = createScenario({ scenario: 'quiet', seed: 7, now: NOW });
    const gt = s.groundTruth();
    const mine = analyse(s, ['203.0.113.66', '203.0.113.91']);
    expect(gt.blindWindows).toEqual(mine.blindWindows);
    expect(gt.records).toEqual(mine.records);
    expect(gt.exposedMessages).toEqual([]);
    expect(gt.syncedFolders).toEqual([]);
    expect(gt.contentSearches).toEqual([]);
    expect(gt.attackerActions).toEqual([]);
    expect(mine.contentSearches).toEqual([]);
    expect(mine.attackerActions).toEqual([]);
    expect(gt.blindWindows.some((w) => w.kind === 'throttled')).toBe(false);
    expect(gt.blindWindows.filter((w) => w.kind === 'bypass').map((w) => w.mailbox)).toEqual([`svc-archive@${s.tenant.domain}`]);
  });
});
