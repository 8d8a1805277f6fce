// One day of the simulated tenant: what people (and the attacker) did, passed through the auditing
// rules that decide what Exchange and Entra record. Each day has its own PRNG seeded by (seed, day),
// sessions never span midnight and 2-minute aggregation buckets never straddle it, so a day can be
// generated alone and equals the same day of a full run.
//
// Recording rules implemented here (protocol reference §5.7, field notes "why audit goes blind"):
//  - UnifiedAuditLogIngestionEnabled false: nothing is recorded.
//  - Organisation AuditDisabled true, or mailbox AuditEnabled false: no mailbox records (2, 3, 50).
//  - An action missing from the mailbox's AuditOwner/AuditDelegate/AuditAdmin list for the logon type
//    is not recorded.
//  - MailItemsAccessed needs Advanced Auditing in effect for the mailbox owner (licence Active and
//    plan M365_ADVANCED_AUDITING provisioned Success).
//  - An actor with an audit bypass association in effect produces no mailbox records.
//  - Bind: same item by the same (mailbox, user, session, IP, client, logon type, folder) within
//    1 hour is dropped; remaining binds aggregate per (mailbox, user, session, IP, client, logon type,
//    folder) into 2-minute buckets aligned to the epoch, one record per bucket with OperationCount.
//  - Sync: one record per folder, de-duplicated hourly on the same key.
//  - Throttle: the scenario computes, from the records themselves, the first Bind that is the
//    1,001st MailItemsAccessed record of a mailbox in a rolling 24 h; that record carries
//    IsThrottled=True and every later Bind of that mailbox for 24 h is dropped (Sync unaffected).
//  - Simplification: background activity is capped at BACKGROUND_MIA_CAP MailItemsAccessed records
//    per mailbox per day, so only the scripted incident can cross the throttle threshold.
import type { UalRecord } from './types.ts';
import type { MailboxProfile } from './tenant.ts';
import type { Client, RecordContext } from './records.ts';
import type { MailStore } from './mailstore.ts';
import { DAY_MS, HOUR_MS, MIN_MS } from './tenant.ts';
import { Rng } from './rng.ts';
import { FOLDERS, F_DELETED, F_INBOX, F_SENT, PER_DAY } from './mailstore.ts';
import {
  CLIENTS, LOGON_DELEGATE, LOGON_OWNER, RT_EXCHANGE_ITEM, RT_EXCHANGE_ITEM_AGGREGATED, RT_EXCHANGE_ITEM_GROUP,
  adminBase, complianceRecord, mailboxBase, signInRecord,
} from './records.ts';

export const BACKGROUND_MIA_CAP = 400;
const BUCKET_MS = 2 * MIN_MS;

export interface BypassSpan { actor: number; start: number; end: number }
export interface ThrottleMark { mailbox: number; at: number; recordId: string }

export interface World {
  seed: number;
  ctx: RecordContext;
  profiles: MailboxProfile[];
  store: MailStore;
  orgAuditDisabled: boolean;
  ualIngestionEnabled: boolean;
  rangeStart: number;
  rangeEnd: number;
  bypass: BypassSpan[];
  /** Expected sessions per person per working day (scales the volume). */
  sessionRate: number;
  /** Existing inbox rule ids per mailbox (for background ModifyMailboxRule records). */
  ruleIds: Map<number, string>;
}

interface RawBind { t: number; seq: number; owner: number; actor: number; logon: number; client: Client; ip: string; session: string; folder: number; n: number; scripted: boolean }
interface Out { t: number; rec: UalRecord; miaOwner: number; bind: boolean; scripted: boolean }


export class DayGen {
  readonly world: World;
  readonly day: number;
  readonly dayStart: number;
  readonly absDay: number;
  readonly rng: Rng;
  private readonly out: Out[] = [];
  private readonly binds: RawBind[] = [];
  private readonly syncSeen = new Map<string, number>();
  private seq = 0;

  constructor(world: World, day: number, dayStart: number) {
    this.world = world;
    this.day = day;
    this.dayStart = dayStart;
    this.absDay = Math.floor(dayStart / DAY_MS);
    this.rng = new Rng(world.seed, 'day', this.absDay);
  }

  private p(i: number): MailboxProfile {
    const p = this.world.profiles[i];
    if (!p) throw new Error(`no mailbox ${i}`);
    return p;
  }

  bypassed(actor: number, t: number): boolean {
    if (this.p(actor).bypassFromStart) return true;
    for (const b of this.world.bypass) if (b.actor === actor && t >= b.start && t < b.end) return true;
    return false;
  }

  /** Would Exchange record `action` on `owner`'s mailbox by `actor` at time t? */
  audited(owner: number, actor: number, logon: number, action: string, t: number): boolean {
    const w = this.world;
    if (!w.ualIngestionEnabled || w.orgAuditDisabled) return false;
    const o = this.p(owner);
    if (!o.auditEnabled) return false;
    const list = logon === LOGON_OWNER ? o.auditOwner : logon === LOGON_DELEGATE ? o.auditDelegate : o.auditAdmin;
    if (!list.includes(action)) return false;
    if (action === 'MailItemsAccessed' && !o.advancedAuditing) return false;
    if (this.bypassed(actor, t)) return false;
    return true;
  }

  private inRange(t: number): boolean {
    return t >= this.world.rangeStart && t < this.world.rangeEnd && t >= this.dayStart && t < this.dayStart + DAY_MS;
  }

  private push(t: number, rec: UalRecord, miaOwner = -1, bind = false, scripted = false): void {
    this.out.push({ t, rec, miaOwner, bind, scripted });
  }

  signIn(t: number, actor: number, client: Client, ip: string, aadSession: string): void {
    const id = this.rng.guid();
    const corr = this.rng.guid();
    if (!this.inRange(t) || !this.world.ualIngestionEnabled) return;
    this.push(t, signInRecord(this.world.ctx, id, t, this.p(actor), client, ip, aadSession, corr));
  }

  bind(t: number, owner: number, actor: number, logon: number, client: Client, ip: string, session: string, folder: number, n: number, scripted = false): void {
    if (!this.inRange(t) || !this.audited(owner, actor, logon, 'MailItemsAccessed', t)) return;
    this.binds.push({ t, seq: this.seq++, owner, actor, logon, client, ip, session, folder, n, scripted });
  }

  sync(t: number, owner: number, actor: number, logon: number, client: Client, ip: string, session: string, folder: number, scripted = false): void {
    const id = this.rng.guid();
    if (!this.inRange(t) || !this.audited(owner, actor, logon, 'MailItemsAccessed', t)) return;
    const key = `${owner}|${actor}|${session}|${ip}|${client.key}|${logon}|${folder}`;
    const last = this.syncSeen.get(key);
    if (last !== undefined && t - last < HOUR_MS) return;
    this.syncSeen.set(key, t);
    const o = this.p(owner);
    const name = FOLDERS[folder] ?? 'Inbox';
    const folderId = this.world.store.folderId(owner, folder);
    const aggregated = client.syncAggregated === true;
    const rec = mailboxBase(this.world.ctx, id, t, 'MailItemsAccessed', aggregated ? RT_EXCHANGE_ITEM_AGGREGATED : RT_EXCHANGE_ITEM, o, this.p(actor), logon, client, ip, session);
    rec.OperationProperties = [{ Name: 'MailAccessType', Value: 'Sync' }, { Name: 'IsThrottled', Value: 'False' }];
    if (aggregated) {
      rec.Folders = [{ Id: folderId, Path: `\\${name}` }];
      rec.OperationCount = 1;
    } else {
      rec.Item = { Id: folderId, ParentFolder: { Id: folderId, Name: name, Path: 'Not Available' } };
    }
    this.push(t, rec, owner, false, scripted);
  }

  send(t: number, owner: number, actor: number, logon: number, client: Client, ip: string, session: string, recipients: { Address: string; Name: string }[]): void {
    const id = this.rng.guid();
    const n = this.absDay * PER_DAY + 500 + this.rng.int(0, 499);
    if (!this.inRange(t) || !this.audited(owner, actor, logon, 'Send', t)) return;
    const o = this.p(owner);
    const st = this.world.store;
    const rec = mailboxBase(this.world.ctx, id, t, 'Send', RT_EXCHANGE_ITEM, o, this.p(actor), logon, client, ip, session);
    rec.ClientIP = ip;
    rec.Item = {
      Id: 'Unknown',
      InternetMessageId: st.messageId(owner, F_SENT, n, o.server),
      ParentFolder: { Id: st.folderId(owner, 2), Path: '\\Drafts' },
      SizeInBytes: st.size(owner, F_SENT, n),
      Subject: st.subject(owner, F_SENT, n),
    };
    rec.recipientCount = recipients.length;
    rec.recipientList = recipients;
    this.push(t, rec);
  }

  deleteItems(t: number, owner: number, actor: number, logon: number, client: Client, ip: string, session: string, op: 'MoveToDeletedItems' | 'SoftDelete' | 'HardDelete', count: number): void {
    const id = this.rng.guid();
    const src = op === 'MoveToDeletedItems' ? F_INBOX : F_DELETED;
    const ns: number[] = [];
    for (let i = 0; i < count; i++) ns.push((this.absDay - this.rng.int(0, 5)) * PER_DAY + this.rng.int(0, 39));
    if (!this.inRange(t) || !this.audited(owner, actor, logon, op, t)) return;
    const o = this.p(owner);
    const st = this.world.store;
    const rec = mailboxBase(this.world.ctx, id, t, op, RT_EXCHANGE_ITEM_GROUP, o, this.p(actor), logon, client, ip, session);
    rec.CrossMailboxOperation = false;
    const srcPath = `\\${FOLDERS[src] ?? 'Inbox'}`;
    rec.Folder = op === 'HardDelete'
      ? { Id: st.folderId(owner, 40), Path: '\\Recoverable Items\\Deletions' }
      : { Id: st.folderId(owner, src), Path: srcPath };
    if (op === 'MoveToDeletedItems') rec.DestFolder = { Id: st.folderId(owner, F_DELETED), Path: '\\Deleted Items' };
    rec.AffectedItems = ns.map((n) => ({
      Id: st.itemId(owner, src, n),
      InternetMessageId: st.messageId(owner, src, n, o.server),
      Subject: st.subject(owner, src, n),
      ParentFolder: { Id: st.folderId(owner, src), Path: srcPath },
    }));
    this.push(t, rec);
  }

  /** Client-side rule change from Outlook (UpdateInboxRules, RecordType 2): modifies an existing rule. */
  updateInboxRules(t: number, owner: number, actor: number, logon: number, client: Client, ip: string, session: string, ruleId: string): void {
    const id = this.rng.guid();
    if (!this.inRange(t) || !this.audited(owner, actor, logon, 'UpdateInboxRules', t)) return;
    const o = this.p(owner);
    const rec = mailboxBase(this.world.ctx, id, t, 'UpdateInboxRules', RT_EXCHANGE_ITEM, o, this.p(actor), logon, client, ip, session);
    // On ModifyMailboxRule most values are empty and some entries have no Value at all (§5.6).
    rec.OperationProperties = [
      { Name: 'RuleOperation', Value: 'ModifyMailboxRule' },
      { Name: 'RuleId', Value: ruleId },
      { Name: 'RuleState' },
      { Name: 'RuleCondition', Value: '' },
      { Name: 'RuleName', Value: '' },
      { Name: 'RuleProvider', Value: 'RuleOrganizer' },
      { Name: 'RuleActions', Value: '' },
    ];
    rec.Item = { ParentFolder: { Name: 'Inbox', Path: '\\Inbox' } };
    this.push(t, rec);
  }

  admin(t: number, actor: number, ip: string, op: string, objectId: string, params: { Name: string; Value: string }[], session: string): void {
    const id = this.rng.guid();
    if (!this.inRange(t) || !this.world.ualIngestionEnabled) return;
    this.push(t, adminBase(this.world.ctx, id, t, op, this.p(actor), ip, objectId, params, session, this.p(actor).user.id));
  }

  compliance(t: number, actor: number, ip: string, op: string, objectId: string, params: string): void {
    const id = this.rng.guid();
    if (!this.inRange(t) || !this.world.ualIngestionEnabled) return;
    this.push(t, complianceRecord(this.world.ctx, id, t, op, this.p(actor), ip, objectId, params));
  }

  /** Aggregate binds, apply the background cap and any throttle, return the day's records in order. */
  finish(throttles: ThrottleMark[]): UalRecord[] {
    const idRng = new Rng(this.world.seed, 'agg', this.absDay);
    const binds = this.binds.sort((a, b) => a.t - b.t || a.seq - b.seq);
    const lastBind = new Map<string, number>();
    const groups = new Map<string, { first: RawBind; items: number[] }>();
    for (const b of binds) {
      const k = `${b.owner}|${b.actor}|${b.session}|${b.ip}|${b.client.key}|${b.logon}|${b.folder}`;
      const dk = `${k}|${b.n}`;
      const last = lastBind.get(dk);
      if (last !== undefined && b.t - last < HOUR_MS) continue;
      lastBind.set(dk, b.t);
      const gk = `${k}|${Math.floor(b.t / BUCKET_MS)}`;
      const g = groups.get(gk);
      if (g) {
        if (!g.items.includes(b.n)) g.items.push(b.n);
      } else groups.set(gk, { first: b, items: [b.n] });
    }
    const st = this.world.store;
    for (const { first: b, items } of groups.values()) {
      const o = this.p(b.owner);
      const rec = mailboxBase(this.world.ctx, idRng.guid(), b.t, 'MailItemsAccessed', RT_EXCHANGE_ITEM_AGGREGATED, o, this.p(b.actor), b.logon, b.client, b.ip, b.session);
      rec.OperationProperties = [{ Name: 'MailAccessType', Value: 'Bind' }, { Name: 'IsThrottled', Value: 'False' }];
      rec.Folders = [{
        FolderItems: items.map((n) => ({ Id: st.itemId(b.owner, b.folder, n), InternetMessageId: st.messageId(b.owner, b.folder, n, o.server), SizeInBytes: st.size(b.owner, b.folder, n) })),
        Id: st.folderId(b.owner, b.folder),
        Path: `\\${FOLDERS[b.folder] ?? 'Inbox'}`,
      }];
      rec.OperationCount = items.length;
      this.push(b.t, rec, b.owner, true, b.scripted);
    }
    this.out.sort((a, b) => a.t - b.t || (a.rec.Id < b.rec.Id ? -1 : a.rec.Id > b.rec.Id ? 1 : 0));
    const mia = new Map<number, number>();
    const result: UalRecord[] = [];
    for (const o of this.out) {
      if (o.miaOwner >= 0) {
        if (!o.scripted) {
          const c = mia.get(o.miaOwner) ?? 0;
          if (c >= BACKGROUND_MIA_CAP) continue;
          mia.set(o.miaOwner, c + 1);
        }
        if (o.bind && throttles.length > 0) {
          let drop = false;
          for (const th of throttles) {
            if (th.mailbox !== o.miaOwner) continue;
            if (o.rec.Id === th.recordId) {
              o.rec.OperationProperties = [{ Name: 'MailAccessType', Value: 'Bind' }, { Name: 'IsThrottled', Value: 'True' }];
            } else if (o.t < th.at + DAY_MS && (o.t > th.at || (o.t === th.at && o.rec.Id > th.recordId))) {
              drop = true;
            }
          }
          if (drop) continue;
        }
      }
      result.push(o.rec);
    }
    return result;
  }
}

const BENIGN_SET_MAILBOX: { Name: string; Value: string }[][] = [
  [{ Name: 'ProhibitSendReceiveQuota', Value: '100 GB (107,374,182,400 bytes)' }],
  [{ Name: 'MailTip', Value: 'Out of office until Monday' }],
  [{ Name: 'RetainDeletedItemsFor', Value: '30.00:00:00' }],
  [{ Name: 'LitigationHoldEnabled', Value: 'True' }],
  [{ Name: 'CustomAttribute1', Value: 'Finance' }],
];

/** Background activity of one day: sign-ins, reads, syncs, sends, deletes, rule edits, admin changes. */
export function generateBackground(g: DayGen): void {
  const w = g.world;
  const rng = g.rng;
  const dow = new Date(g.dayStart).getUTCDay();
  const workday = dow !== 0 && dow !== 6;
  const rate = w.sessionRate * (workday ? 1 : 0.2);
  const people = w.profiles.filter((p) => p.kind === 'human' || p.kind === 'admin');
  for (const p of people) {
    const sessions = rng.poisson(rate);
    for (let s = 0; s < sessions; s++) {
      const r = rng.next();
      const client = r < 0.4 ? CLIENTS.outlook! : r < 0.5 ? CLIENTS.macoutlook! : r < 0.82 ? CLIENTS.owa! : CLIENTS.mobile!;
      const ip = client.key === 'mobile' ? p.mobileIp : rng.chance(0.8) ? p.officeIp : p.homeIp;
      const start = g.dayStart + rng.int(7 * 60, 18 * 60) * MIN_MS + rng.int(0, 59) * 1000;
      const dur = rng.int(15, 150) * MIN_MS;
      const session = rng.guid();
      const aad = rng.guid();
      g.signIn(start, p.index, client, ip, aad);
      let t = start + rng.int(3, 20) * 1000;
      if (client.syncs) {
        g.sync(t, p.index, p.index, LOGON_OWNER, client, ip, session, F_INBOX);
        if (rng.chance(0.5)) g.sync(t + rng.int(1, 9) * 1000, p.index, p.index, LOGON_OWNER, client, ip, session, F_SENT);
      }
      const reads = rng.poisson(client.syncs ? 3 : 7);
      for (let i = 0; i < reads; i++) {
        t = start + Math.floor(rng.next() * dur);
        const folder = rng.chance(0.8) ? F_INBOX : rng.pick([F_SENT, 4, 5, 6, 7]);
        // recent mail, with repeats so the 1-hour de-duplication is exercised
        const n = (g.absDay - rng.int(0, 3)) * PER_DAY + rng.int(0, 39);
        g.bind(t, p.index, p.index, LOGON_OWNER, client, ip, session, folder, n);
      }
      const sends = rng.poisson(0.8);
      for (let i = 0; i < sends; i++) {
        const to = rng.pick(w.profiles);
        g.send(start + Math.floor(rng.next() * dur), p.index, p.index, LOGON_OWNER, client, ip, session, [{ Address: to.user.userPrincipalName, Name: to.user.displayName }]);
      }
      if (rng.chance(0.35)) {
        const op = rng.pick(['MoveToDeletedItems', 'MoveToDeletedItems', 'SoftDelete', 'HardDelete'] as const);
        g.deleteItems(start + Math.floor(rng.next() * dur), p.index, p.index, LOGON_OWNER, client, ip, session, op, rng.int(1, 4));
      }
      const ruleId = w.ruleIds.get(p.index);
      if (ruleId !== undefined && client.key === 'outlook' && rng.chance(0.2)) {
        g.updateInboxRules(start + Math.floor(rng.next() * dur), p.index, p.index, LOGON_OWNER, client, ip, session, ruleId);
      }
      if (p.kind === 'admin' && rng.chance(0.4)) {
        const target = rng.pick(w.profiles);
        const params = [{ Name: 'Identity', Value: target.user.alias }, ...rng.pick(BENIGN_SET_MAILBOX)];
        g.admin(start + Math.floor(rng.next() * dur), p.index, ip, 'Set-Mailbox', target.user.alias, params, session);
      }
    }
  }
  // Delegates open the shared mailboxes they have FullAccess to.
  for (const sh of w.profiles) {
    if (sh.kind !== 'shared') continue;
    for (const d of sh.delegates) {
      if (!rng.chance(workday ? 0.6 * Math.min(1, w.sessionRate) : 0.05)) continue;
      const dp = w.profiles[d];
      if (!dp) continue;
      const start = g.dayStart + rng.int(8 * 60, 17 * 60) * MIN_MS + rng.int(0, 59) * 1000;
      const session = rng.guid();
      const client = CLIENTS.owa!;
      const reads = rng.poisson(4);
      for (let i = 0; i < reads; i++) {
        const n = (g.absDay - rng.int(0, 2)) * PER_DAY + rng.int(0, 29);
        g.bind(start + rng.int(0, 40) * MIN_MS, sh.index, d, LOGON_DELEGATE, client, dp.officeIp, session, F_INBOX, n);
      }
      if (rng.chance(0.3)) g.deleteItems(start + rng.int(0, 40) * MIN_MS, sh.index, d, LOGON_DELEGATE, client, dp.officeIp, session, 'MoveToDeletedItems', 1);
    }
  }
  // Service accounts: a nightly EWS job reading their own mailbox.
  for (const p of w.profiles) {
    if (p.kind !== 'service') continue;
    const client = CLIENTS.ews!;
    const start = g.dayStart + 2 * HOUR_MS + rng.int(0, 600) * 1000;
    const session = rng.guid();
    g.signIn(start, p.index, client, '198.51.100.200', rng.guid());
    const reads = rng.poisson(20);
    for (let i = 0; i < reads; i++) {
      g.bind(start + rng.int(0, 30) * MIN_MS, p.index, p.index, LOGON_OWNER, client, '198.51.100.200', session, F_INBOX, (g.absDay - 1) * PER_DAY + i);
    }
  }
}
