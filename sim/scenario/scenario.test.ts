import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createScenario } from './index.ts';
import type { Scenario, UalRecord } from './types.ts';

const NOW = new Date('2026-11-20T12:00:00Z');
const DAY = 86_400_000;
const MAILBOX_TYPES = new Set([2, 3, 50]);

const all = (s: Scenario): UalRecord[] => [...s.recordsBetween(s.range.start.getTime(), s.range.end.getTime())];
const tms = (r: UalRecord): number => Date.parse(`${r.CreationTime}Z`);
const prop = (r: UalRecord, name: string): string | undefined =>
  (r.OperationProperties as { Name: string; Value?: string }[] | undefined)?.find((p) => p.Name === name)?.Value;
const param = (r: UalRecord, name: string): string | undefined =>
  (r.Parameters as { Name: string; Value: string }[]).find((p) => p.Name === name)?.Value;
const digest = (recs: UalRecord[]): string => createHash('sha256').update(recs.map((r) => JSON.stringify(r)).join('\n')).digest('hex');

const bec = createScenario({ scenario: 'bec', seed: 42, now: NOW });
const becRecords = all(bec);

describe('determinism', () => {
  it('gives byte-identical records for the same options and different ones for another seed', () => {
    const again = all(createScenario({ scenario: 'bec', seed: 42, now: NOW }));
    expect(again.length).toBe(becRecords.length);
    expect(digest(again)).toBe(digest(becRecords));
    const other = all(createScenario({ scenario: 'bec', seed: 43, now: NOW }));
    expect(digest(other)).not.toBe(digest(becRecords));
    expect(new Set(other.map((r) => r.Id)).size).toBe(other.length);
    expect(other.some((r) => becRecords[0]!.Id === r.Id)).toBe(false);
  });

  it('generates any day alone exactly as in a full run (including days after the throttle and bypass)', () => {
    const fresh = createScenario({ scenario: 'bec', seed: 42, now: NOW });
    for (const d of [5, bec.dayCount - 7, bec.dayCount - 6, bec.dayCount - 5]) {
      const start = bec.range.start.getTime() + d * DAY;
      const fromFull = becRecords.filter((r) => tms(r) >= start && tms(r) < start + DAY);
      expect(fromFull.length).toBeGreaterThan(0);
      expect(digest(fresh.recordsForDay(d))).toBe(digest(fromFull));
    }
  });

  it('defaults now to the current hour and rejects bad options with a clear message', () => {
    const s = createScenario({ scenario: 'quiet', seed: 1 });
    expect(s.range.end.getTime() % 3_600_000).toBe(0);
    expect(Date.now() - s.range.end.getTime()).toBeLessThan(3_600_000 + 1);
    expect(() => createScenario({ scenario: 'bec', seed: 1, days: 5, now: NOW })).toThrow(/at least 10 days/);
    expect(() => createScenario({ scenario: 'quiet', seed: 1, mailboxes: 3, now: NOW })).toThrow(/at least 12/);
    expect(() => createScenario({ scenario: 'nope' as 'bec', seed: 1, now: NOW })).toThrow(/Unknown scenario/);
  });
});

describe('record faithfulness', () => {
  it('uses zone-less CreationTime, numeric enums, Name/Value arrays and the right ResultStatus', () => {
    for (const r of becRecords) {
      expect(r.CreationTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
      expect(typeof r.RecordType).toBe('number');
      expect(typeof r.UserType).toBe('number');
      expect(r.Id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      if (MAILBOX_TYPES.has(r.RecordType)) {
        expect(r.ResultStatus).toBe('Succeeded');
        expect(typeof r.LogonType).toBe('number');
        expect(String(r.OriginatingServer)).toMatch(/\)\r\n$/);
      }
      if (r.RecordType === 1) {
        expect(r.ResultStatus).toBe('True');
        for (const p of r.Parameters as unknown[]) expect(p).toEqual({ Name: expect.any(String), Value: expect.any(String) });
      }
      if (r.Operation === 'MailItemsAccessed') {
        expect(['Bind', 'Sync']).toContain(prop(r, 'MailAccessType'));
        expect(['True', 'False']).toContain(prop(r, 'IsThrottled'));
      }
      if (r.RecordType === 15) expect(r.Operation).toBe('UserLoggedIn');
    }
    // records are in time order
    for (let i = 1; i < becRecords.length; i++) expect(tms(becRecords[i]!)).toBeGreaterThanOrEqual(tms(becRecords[i - 1]!));
  });

  it('aggregates Binds per (session, IP, client, logon type, folder) in 2-minute buckets and drops re-binds within an hour', () => {
    const binds = becRecords.filter((r) => r.Operation === 'MailItemsAccessed' && prop(r, 'MailAccessType') === 'Bind');
    expect(binds.length).toBeGreaterThan(1000);
    const buckets = new Set<string>();
    const lastSeen = new Map<string, number>();
    let multiItem = 0;
    for (const r of binds) {
      const folders = r.Folders as { Path: string; FolderItems: { InternetMessageId: string }[] }[];
      expect(folders).toHaveLength(1);
      const f = folders[0]!;
      expect(r.OperationCount).toBe(f.FolderItems.length);
      if (f.FolderItems.length > 1) multiItem++;
      const key = [r.MailboxOwnerUPN, r.UserId, r.SessionId, r.ClientIPAddress, r.ClientInfoString, r.AppId, r.LogonType, f.Path].join('|');
      const bucket = `${key}|${Math.floor(tms(r) / 120_000)}`;
      expect(buckets.has(bucket)).toBe(false);
      buckets.add(bucket);
      for (const it of f.FolderItems) {
        const k = `${key}|${it.InternetMessageId}`;
        const prev = lastSeen.get(k);
        if (prev !== undefined) expect(tms(r) - prev).toBeGreaterThanOrEqual(3_600_000 - 120_000);
        lastSeen.set(k, tms(r));
      }
    }
    expect(multiItem).toBeGreaterThan(0);
  });

  it('carries no hidden marker of the truth', () => {
    const text = becRecords.map((r) => JSON.stringify(r)).join('\n');
    expect(text).not.toMatch(/"(attacker|scripted|isAttack|groundTruth|malicious)"/i);
  });
});

describe('bec incident facts', () => {
  const t = bec.tenant;
  const adminAlias = 'adm.patti';
  const adminUpn = `${adminAlias}@${t.domain}`;
  const victimUpn = `megan.bowen@${t.domain}`;

  it('enables then removes audit bypass on the admin, with no mailbox records by that account in between', () => {
    const bypass = becRecords.filter((r) => r.Operation === 'Set-MailboxAuditBypassAssociation');
    expect(bypass.map((r) => param(r, 'AuditBypassEnabled'))).toEqual(['True', 'False']);
    expect(bypass.map((r) => param(r, 'Identity'))).toEqual([adminAlias, adminAlias]);
    const [on, off] = bypass.map(tms) as [number, number];
    expect(off - on).toBeGreaterThan(DAY);
    const byAdmin = becRecords.filter((r) => MAILBOX_TYPES.has(r.RecordType) && r.UserId === adminUpn);
    expect(byAdmin.filter((r) => tms(r) < on).length).toBeGreaterThan(0); // recorded before
    expect(byAdmin.filter((r) => tms(r) >= on && tms(r) < off)).toEqual([]);
    // the association itself is still listed at range.end, now disabled
    const assoc = t.bypassAssociations.find((a) => a.Identity === adminAlias)!;
    expect(assoc.AuditBypassEnabled).toBe(false);
    expect(assoc.WhenChangedUTC).toBe(`${bypass[1]!.CreationTime}Z`);
  });

  it('throttles the victim: one IsThrottled=True record, then no Bind for 24 h while Sync continues', () => {
    const throttled = becRecords.filter((r) => prop(r, 'IsThrottled') === 'True');
    expect(throttled).toHaveLength(1);
    const th = throttled[0]!;
    expect(th.MailboxOwnerUPN).toBe(victimUpn);
    const T = tms(th);
    const victimMia = becRecords.filter((r) => r.Operation === 'MailItemsAccessed' && r.MailboxOwnerUPN === victimUpn);
    // more than 1,000 MailItemsAccessed records in the 24 h up to and including the marker
    const upTo = victimMia.indexOf(th);
    expect(victimMia.slice(0, upTo + 1).filter((r) => tms(r) > T - DAY).length).toBeGreaterThan(1000);
    const during = victimMia.slice(upTo + 1).filter((r) => tms(r) < T + DAY);
    expect(during.filter((r) => prop(r, 'MailAccessType') === 'Bind')).toEqual([]);
    expect(during.filter((r) => prop(r, 'MailAccessType') === 'Sync').length).toBeGreaterThan(0);
    // Binds resume after the 24 hours
    expect(victimMia.some((r) => tms(r) >= T + DAY && prop(r, 'MailAccessType') === 'Bind')).toBe(true);
  });

  it('records no MailItemsAccessed for unlicensed, customised-set or audit-disabled mailboxes', () => {
    const active = new Set(t.licences.filter((l) => l.state === 'Active' && l.servicePlans.some((p) => p.servicePlanName === 'M365_ADVANCED_AUDITING' && p.provisioningStatus === 'Success')).map((l) => l.userPrincipalName));
    const blind = new Set<string>();
    for (const m of t.mailboxes) {
      const upn = String(m.UserPrincipalName);
      const lists = [m.AuditOwner, m.AuditDelegate, m.AuditAdmin] as string[][];
      if (!active.has(upn) || m.AuditEnabled === false || lists.some((l) => !l.includes('MailItemsAccessed'))) blind.add(upn);
    }
    // the configuration mix the issue asks for
    expect([...blind].sort()).toEqual(['alex.wilber', 'diego.siciliani', 'finance', 'lynne.robbins', 'nestor.wilke', 'room.rainier', 'svc-archive'].map((a) => `${a}@${t.domain}`));
    const group = t.licences.find((l) => l.assignedByGroup !== null)!;
    expect(group.skuPartNumber).toBe('SPE_E5');
    expect(group.state).not.toBe('Active');
    const mia = becRecords.filter((r) => r.Operation === 'MailItemsAccessed');
    expect(mia.filter((r) => blind.has(String(r.MailboxOwnerUPN)))).toEqual([]);
    // but those mailboxes do have other recorded activity (so the absence is the rule, not silence)
    expect(becRecords.some((r) => r.Operation === 'Send' && r.MailboxOwnerUPN === `alex.wilber@${t.domain}`)).toBe(true);
    // audit-disabled mailbox: no mailbox records at all
    expect(becRecords.filter((r) => MAILBOX_TYPES.has(r.RecordType) && r.MailboxOwnerUPN === `nestor.wilke@${t.domain}`)).toEqual([]);
    const ageLimits = new Set(t.mailboxes.map((m) => m.AuditLogAgeLimit));
    expect(ageLimits.size).toBeGreaterThanOrEqual(3);
  });

  it('creates a forwarding rule to an external address and one that deletes replies, and sends externally', () => {
    const rules = becRecords.filter((r) => r.Operation === 'New-InboxRule');
    expect(rules).toHaveLength(2);
    expect(param(rules[0]!, 'ForwardTo')).toMatch(/@fabrikam-billing\.example$/);
    expect(param(rules[0]!, 'MoveToFolder')).toBeTruthy();
    expect(param(rules[0]!, 'MarkAsRead')).toBe('True');
    expect(param(rules[1]!, 'DeleteMessage')).toBe('True');
    expect(t.inboxRules[victimUpn]!.some((r) => JSON.stringify(r.ForwardTo).includes('fabrikam-billing.example'))).toBe(true);
    const external = becRecords.filter((r) => r.Operation === 'Send' && (r.recipientList as { Address: string }[]).some((x) => !x.Address.endsWith(t.domain)));
    expect(external).toHaveLength(1);
    expect(external[0]!.ClientIPAddress).toBe(rules[0]!.ClientIP);
    const ediscovery = becRecords.filter((r) => r.Workload === 'SecurityComplianceCenter').map((r) => r.Operation);
    expect(ediscovery).toEqual(['New-ComplianceSearch', 'Start-ComplianceSearch', 'New-ComplianceSearchAction']);
  });

  it('quiet has background activity only', () => {
    const q = all(createScenario({ scenario: 'quiet', seed: 42, now: NOW }));
    expect(q.length).toBeGreaterThan(1500);
    expect(q.some((r) => r.Operation === 'Set-MailboxAuditBypassAssociation' || r.Operation === 'New-InboxRule' || prop(r, 'IsThrottled') === 'True')).toBe(false);
    expect(q.some((r) => String(r.ClientIP ?? r.ClientIPAddress).startsWith('203.0.113.'))).toBe(false);
  });
});

describe('mailboxAuditRecords', () => {
  it('returns only that mailbox, only within its AuditLogAgeLimit', () => {
    const upn = `grady.archie@${bec.tenant.domain}`;
    const recs = [...bec.mailboxAuditRecords(upn, bec.range.start.getTime(), bec.range.end.getTime())];
    expect(recs.length).toBeGreaterThan(0);
    const horizon = bec.range.end.getTime() - 7 * DAY;
    for (const r of recs) {
      expect(r.MailboxOwnerUPN).toBe(upn);
      expect(tms(r)).toBeGreaterThanOrEqual(horizon);
    }
    const inUal = becRecords.filter((r) => r.MailboxOwnerUPN === upn && MAILBOX_TYPES.has(r.RecordType));
    expect(inUal.some((r) => tms(r) < horizon)).toBe(true); // the unified log still holds older ones
    expect(recs.length).toBe(inUal.filter((r) => tms(r) >= horizon).length);
    expect(() => bec.mailboxAuditRecords('nobody@x', 0, 1)).toThrow(/No mailbox/);
  });
});
