import { describe, expect, it } from 'vitest';
import { computeCoverage } from './coverage.ts';
import { detectThrottle } from './mailboxWindows.ts';
import { ualLostBefore } from './retention.ts';
import { licenceVerdict } from './licences.ts';
import type { CoverageInput } from './coverage.ts';
import { D, H, T0, adminAudit, adminRecord, bypass, emptyInput, licence, mailbox, mailboxRecord, obs, org } from './testkit.ts';
import type { BlindWindow, WindowKind } from './types.ts';

const END = T0 + 30 * D;
const iso = (ms: number) => new Date(ms).toISOString();
const MEG = 'Megan.Bowen@contoso.com';
const meg = 'megan.bowen@contoso.com';

function run(mut: (i: CoverageInput) => void, opts = {}) {
  const input = emptyInput(T0, END);
  input.mailboxes.push(obs(mailbox(MEG), END));
  input.organization.push(obs(org(false), END));
  input.adminAuditLog.push(obs(adminAudit(true), END));
  mut(input);
  return computeCoverage(input, opts);
}
function windowsOf(res: ReturnType<typeof computeCoverage>, kind: WindowKind, mbx = meg): BlindWindow[] {
  return (res.mailboxes.find((m) => m.mailbox === mbx)?.windows ?? []).filter((w) => w.kind === kind);
}
const span = (w: BlindWindow) => [w.start, w.end, w.confidence];

describe('bypass windows', () => {
  const cases: { name: string; mut: (i: CoverageInput) => void; want: (string | null)[][] }[] = [
    {
      name: 'True then False records, target named by bare alias',
      mut: (i) => {
        i.changes.push(adminRecord('Set-MailboxAuditBypassAssociation', T0 + 2 * D, [['Identity', 'megan.bowen'], ['AuditBypassEnabled', 'True']]));
        i.changes.push(adminRecord('Set-MailboxAuditBypassAssociation', T0 + 5 * D, [['Identity', 'megan.bowen'], ['AuditBypassEnabled', 'False']]));
        i.bypass.push(obs(bypass('megan.bowen', false), END));
      },
      want: [[iso(T0 + 2 * D), iso(T0 + 5 * D), 'certain']],
    },
    {
      name: 'snapshot shows bypass, no record: the whole range, still open',
      mut: (i) => { i.bypass.push(obs(bypass('MEGAN.BOWEN', true), END)); },
      want: [[iso(T0), null, 'certain']],
    },
    {
      name: 'True record, never turned off: open window',
      mut: (i) => { i.changes.push(adminRecord('Set-MailboxAuditBypassAssociation', T0 + 3 * D, [['Identity', MEG.toUpperCase()], ['AuditBypassEnabled', '$true']])); },
      want: [[iso(T0 + 3 * D), null, 'certain']],
    },
    {
      name: 'only a False record: bypass was on before it (inferred)',
      mut: (i) => { i.changes.push(adminRecord('Set-MailboxAuditBypassAssociation', T0 + 4 * D, [['Identity', 'megan.bowen'], ['AuditBypassEnabled', 'False']])); },
      want: [[iso(T0), iso(T0 + 4 * D), 'inferred']],
    },
    {
      name: 'a failed command changes nothing',
      mut: (i) => { i.changes.push(adminRecord('Set-MailboxAuditBypassAssociation', T0 + 3 * D, [['Identity', 'megan.bowen'], ['AuditBypassEnabled', 'True']], { ResultStatus: 'False' })); },
      want: [],
    },
    {
      name: 'a record without AuditBypassEnabled is not read as a change (the public rule that fires on every command)',
      mut: (i) => { i.changes.push(adminRecord('Set-MailboxAuditBypassAssociation', T0 + 3 * D, [['Identity', 'megan.bowen']])); },
      want: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const res = run(c.mut);
      expect(windowsOf(res, 'bypass').map(span)).toEqual(c.want);
    });
  }

  it('bypass scope is every action and every logon type, with the records as evidence', () => {
    const on = adminRecord('Set-MailboxAuditBypassAssociation', T0 + 2 * D, [['Identity', 'megan.bowen'], ['AuditBypassEnabled', 'True']]);
    const res = run((i) => { i.changes.push(on); });
    const [w] = windowsOf(res, 'bypass');
    expect(w?.scope).toEqual({ actions: ['*'], logonTypes: ['Owner', 'Delegate', 'Admin'] });
    expect(w?.evidence).toContain(`event:${on.recordId}`);
  });

  it('cites the record that ended the window as well as the one that began it', () => {
    const on = adminRecord('Set-MailboxAuditBypassAssociation', T0 + 2 * D, [['Identity', 'megan.bowen'], ['AuditBypassEnabled', 'True']]);
    const off = adminRecord('Set-MailboxAuditBypassAssociation', T0 + 5 * D, [['Identity', 'megan.bowen'], ['AuditBypassEnabled', 'False']]);
    const [w] = windowsOf(run((i) => { i.changes.push(on, off); }), 'bypass');
    expect(w?.end).toBe(iso(T0 + 5 * D));
    expect(w?.evidence).toEqual([`event:${on.recordId}`, `event:${off.recordId}`]);
  });
});

describe('throttled windows', () => {
  it('24 hours from each IsThrottled=True marker; overlapping markers merge', () => {
    const res = run((i) => {
      i.throttleMarkers.push({ recordId: 'm1', timeMs: T0 + 1 * D, mailbox: meg }, { recordId: 'm2', timeMs: T0 + 1 * D + 10 * H, mailbox: MEG }, { recordId: 'm3', timeMs: T0 + 10 * D, mailbox: meg });
    });
    expect(windowsOf(res, 'throttled').map(span)).toEqual([
      [iso(T0 + D), iso(T0 + 2 * D + 10 * H), 'certain'],
      [iso(T0 + 10 * D), iso(T0 + 11 * D), 'certain'],
    ]);
    expect(windowsOf(res, 'throttled')[0]?.scope.actions).toEqual(['MailItemsAccessed']);
  });

  it('a throttle wholly outside the analysed range is not a window of it; one reaching into it is', () => {
    const res = run((i) => {
      i.range = { startMs: T0, endMs: T0 + 5 * D };
      i.throttleMarkers.push({ recordId: 'before', timeMs: T0 - 12 * H, mailbox: meg }, { recordId: 'after', timeMs: T0 + 8 * D, mailbox: meg });
    });
    expect(windowsOf(res, 'throttled').map((w) => w.evidence)).toEqual([['event:before']]);
  });

  it('an inferred throttle near a marker is dropped; a distant one is kept as inferred', () => {
    const res = run((i) => {
      i.throttleMarkers.push({ recordId: 'm1', timeMs: T0 + 1 * D, mailbox: meg });
      i.inferredThrottles.push({ mailbox: meg, startMs: T0 + 1 * D - H, count: 1001 }, { mailbox: meg, startMs: T0 + 20 * D, count: 1500 });
    });
    expect(windowsOf(res, 'throttled').map(span)).toEqual([
      [iso(T0 + D), iso(T0 + 2 * D), 'certain'],
      [iso(T0 + 20 * D), iso(T0 + 21 * D), 'inferred'],
    ]);
  });

  it.each([
    { n: 1000, spacing: 60_000, want: 0 },
    { n: 1001, spacing: 60_000, want: 1 },
    { n: 1001, spacing: 90_000, want: 0 }, // 1001 records over 25 h: never more than 1,000 in 24 h
    { n: 2500, spacing: 1_000, want: 1 }, // all in 42 minutes: one throttle, counting stops for 24 h
  ])('detectThrottle: $n records every $spacing ms → $want', ({ n, spacing, want }) => {
    const times = Array.from({ length: n }, (_, k) => T0 + k * spacing);
    const got = detectThrottle(times);
    expect(got).toHaveLength(want);
    if (want) expect(got[0]).toEqual({ startMs: T0 + 1000 * spacing, count: 1001 });
  });
});

describe('unlicensed windows', () => {
  it.each([
    { name: 'E5 direct', rows: [licence(MEG, ['EXCHANGE_S_ENTERPRISE', 'M365_ADVANCED_AUDITING'])], want: 0, group: false },
    { name: 'E3 only', rows: [licence(MEG, ['EXCHANGE_S_ENTERPRISE'])], want: 1, group: false },
    { name: 'E5 through a group in error', rows: [licence(MEG, ['M365_ADVANCED_AUDITING'], { assignedVia: 'group', groupId: 'g-1', state: 'Error', error: 'CountViolation' })], want: 1, group: true },
    { name: 'E5 plan disabled', rows: [licence(MEG, ['M365_ADVANCED_AUDITING'], { servicePlans: [{ name: 'M365_ADVANCED_AUDITING', status: 'Disabled' }] })], want: 1, group: false },
    { name: 'no licence row for the account', rows: [licence('other@contoso.com', ['M365_ADVANCED_AUDITING'])], want: 1, group: false },
  ])('$name', ({ rows, want, group }) => {
    const res = run((i) => { i.licences = rows.map((r) => obs(r, END)); });
    const w = windowsOf(res, 'unlicensed');
    expect(w).toHaveLength(want);
    if (want) {
      expect(span(w[0]!)).toEqual([iso(T0), null, 'certain']);
      expect(w[0]!.scope.actions).toEqual(['MailItemsAccessed']);
      expect(w[0]!.reason.includes('group g-1')).toBe(group);
    }
  });

  // Only MailItemsAccessed is certain without the licence; Send and SearchQueryInitiated are Premium in
  // older documentation only, and where the case holds them they were recorded.
  it('states MailItemsAccessed as certain, Send and SearchQueryInitiated as uncertain, or as recorded with their count', () => {
    const lic = (i: CoverageInput) => { i.licences = [obs(licence(MEG, ['EXCHANGE_S_ENTERPRISE']), END)]; };
    const none = windowsOf(run((i) => { lic(i); i.premiumActions = []; }), 'unlicensed');
    expect(none.map((w) => [w.scope.actions, w.confidence])).toEqual([[['MailItemsAccessed'], 'certain']]);
    expect(none[0]!.reason).toBe('no M365_ADVANCED_AUDITING service plan in the assigned licences (SPE_E3): MailItemsAccessed is not recorded without Audit (Premium); older documentation also lists Send and SearchQueryInitiated as Audit (Premium) only, so whether they were recorded is uncertain (the case holds no such record for this mailbox in the case range)');
    const sent = windowsOf(run((i) => {
      lic(i);
      i.premiumActions = [{ mailbox: meg, operation: 'Send', count: 53 }, { mailbox: 'other@contoso.com', operation: 'SearchQueryInitiated', count: 4 }];
    }), 'unlicensed');
    expect(sent.map((w) => [w.scope.actions, w.confidence])).toEqual([[['MailItemsAccessed'], 'certain']]);
    expect(sent[0]!.reason).toContain('MailItemsAccessed is not recorded without Audit (Premium); Send was recorded nonetheless: the case holds 53 Send records for this mailbox in the case range; older documentation also lists SearchQueryInitiated as Audit (Premium) only, so whether it was recorded is uncertain');
    expect(sent[0]!.reason).not.toMatch(/Send[^;]* (are|is) not recorded/);
    const both = windowsOf(run((i) => {
      lic(i);
      i.premiumActions = [{ mailbox: MEG, operation: 'Send', count: 1 }, { mailbox: meg, operation: 'SearchQueryInitiated', count: 2 }];
    }), 'unlicensed');
    expect(both[0]!.reason).toContain('Send and SearchQueryInitiated were recorded nonetheless: the case holds 1 Send record and 2 SearchQueryInitiated records for this mailbox in the case range');
    expect(both[0]!.reason).not.toContain('uncertain');
  });

  it('plans missing from the row are read from the raw Graph user (licenseDetails); unknown plans make it inferred', () => {
    const row = licence(MEG, [], { skuId: '06ebc4ee-1bb5-47dd-8120-11324bc54e06' });
    const raw = { licenseDetails: [{ skuId: '06EBC4EE-1bb5-47dd-8120-11324bc54e06', skuPartNumber: 'SPE_E5', servicePlans: [{ servicePlanName: 'M365_ADVANCED_AUDITING', provisioningStatus: 'Success' }] }] };
    expect(windowsOf(run((i) => { i.licences = [obs(row, END, raw)]; }), 'unlicensed')).toEqual([]);
    const unknown = windowsOf(run((i) => { i.licences = [obs(row, END, {})]; }), 'unlicensed');
    expect(unknown.map(span)).toEqual([[iso(T0), null, 'inferred']]);
    expect(unknown[0]!.reason).toContain('not in the licence export');
  });

  it('Graph gives a licence in two halves, minutes apart: assignment rows by UPN and plans by the user\'s object id; they are joined', () => {
    const sku = '06ebc4ee-1bb5-47dd-8120-11324bc54e06';
    const oid = '5fc7cd61-f244-4398-84a7-b9a9087b42a7';
    const assignment = licence(MEG, [], { skuId: sku, skuPartNumber: null, assignedVia: 'direct', state: 'Active' });
    const plans = licence(oid, ['EXCHANGE_S_ENTERPRISE', 'M365_ADVANCED_AUDITING'], { skuId: sku, assignedVia: null, state: null });
    const res = run((i) => {
      i.mailboxes = [obs(mailbox(MEG, { externalDirectoryObjectId: oid }), END)];
      i.licences = [obs(assignment, END - 3 * 60_000), obs(plans, END)];
    });
    expect(windowsOf(res, 'unlicensed')).toEqual([]);
    expect(res.mailboxes.map((m) => m.mailbox)).toEqual([MEG.toLowerCase()]);
    // The same join shows a group assignment in error even though the plans came from licenseDetails.
    const inError = run((i) => {
      i.mailboxes = [obs(mailbox(MEG, { externalDirectoryObjectId: oid }), END)];
      i.licences = [obs({ ...assignment, assignedVia: 'group', groupId: 'g-7', state: 'Error' }, END - 60_000), obs(plans, END)];
    });
    expect(windowsOf(inError, 'unlicensed')[0]?.reason).toContain('group g-7');
  });

  it('no licence export collected: nothing is stated', () => {
    expect(windowsOf(run(() => {}), 'unlicensed')).toEqual([]);
  });

  it('licenceVerdict calls out a group assignment that did not take effect', () => {
    const v = licenceVerdict([licence(MEG, ['M365_ADVANCED_AUDITING'], { assignedVia: 'group', groupId: 'g-9', state: 'Error' })]);
    expect(v).toMatchObject({ advancedAuditing: false, groupNotEffective: true });
    // ActiveWithError: the assignment is applied (the simulator's ground truth counts it too).
    expect(licenceVerdict([licence(MEG, ['M365_ADVANCED_AUDITING'], { assignedVia: 'group', groupId: 'g-9', state: 'ActiveWithError' })]).advancedAuditing).toBe(true);
  });
});

describe('actions-not-audited windows', () => {
  const custom = mailbox(MEG, { auditOwner: ['Update', 'HardDelete', 'SoftDelete', 'MoveToDeletedItems'], defaultAuditSet: ['Admin', 'Delegate'] });
  it('a customised owner set without MailItemsAccessed: the whole range', () => {
    const res = run((i) => { i.mailboxes = [obs(custom, END)]; });
    const [w, more] = windowsOf(res, 'actions-not-audited');
    expect(more).toBeUndefined();
    expect(span(w!)).toEqual([iso(T0), null, 'certain']);
    expect(w!.scope.logonTypes).toEqual(['Owner']);
    expect(w!.scope.actions).toEqual(['ApplyRecord', 'MailItemsAccessed', 'Send', 'UpdateCalendarDelegation', 'UpdateFolderPermissions', 'UpdateInboxRules']);
    expect(w!.reason).toContain('missing from DefaultAuditSet');
  });

  it('Set-Mailbox -AuditOwner during the range starts the window; the earlier state is the snapshot before it', () => {
    const res = run((i) => {
      i.mailboxes = [obs(mailbox(MEG), T0 - D), obs(custom, END)];
      i.changes.push(adminRecord('Set-Mailbox', T0 + 6 * D, [['Identity', 'megan.bowen'], ['AuditOwner', 'Update, HardDelete, SoftDelete, MoveToDeletedItems']]));
    });
    expect(windowsOf(res, 'actions-not-audited').map(span)).toEqual([[iso(T0 + 6 * D), null, 'certain']]);
  });

  it('Set-Mailbox -DefaultAuditSet Admin,Delegate,Owner restores the defaults and closes it', () => {
    const res = run((i) => {
      i.mailboxes = [obs(custom, T0)];
      i.changes.push(adminRecord('Set-Mailbox', T0 + 8 * D, [['Identity', MEG], ['DefaultAuditSet', 'Admin,Delegate,Owner']]));
    });
    expect(windowsOf(res, 'actions-not-audited').map(span)).toEqual([[iso(T0), iso(T0 + 8 * D), 'certain']]);
  });

  it('@{Remove=...} edits a set', () => {
    const res = run((i) => {
      i.changes.push(adminRecord('Set-Mailbox', T0 + 2 * D, [['Identity', MEG], ['AuditDelegate', '@{Remove="MailItemsAccessed"}']]));
    });
    const [w] = windowsOf(res, 'actions-not-audited');
    expect(w!.scope).toEqual({ actions: ['MailItemsAccessed'], logonTypes: ['Delegate'] });
    expect(w!.start).toBe(iso(T0 + 2 * D));
  });
});

describe('audit-disabled windows', () => {
  it.each([
    { name: 'org default on (AuditDisabled False): kept, but inferred (Microsoft says the default overrides it)', orgv: false as boolean | null, rtd: 'UserMailbox', want: [[iso(T0), null, 'inferred']] as (string | null)[][], ignored: 1 },
    { name: 'org setting unknown: inferred', orgv: null, rtd: 'UserMailbox', want: [[iso(T0), null, 'inferred']], ignored: 0 },
    { name: 'room mailbox is not covered by the default', orgv: false, rtd: 'RoomMailbox', want: [[iso(T0), null, 'certain']], ignored: 0 },
    { name: 'org auditing disabled too', orgv: true, rtd: 'UserMailbox', want: [[iso(T0), null, 'certain']], ignored: 0 },
  ])('$name', ({ orgv, rtd, want, ignored }) => {
    const res = run((i) => {
      i.mailboxes = [obs(mailbox(MEG, { auditEnabled: false, recipientTypeDetails: rtd }), END)];
      i.organization = orgv === null ? [] : [obs(org(orgv), END)];
    });
    expect(windowsOf(res, 'audit-disabled').map(span)).toEqual(want);
    expect(res.auditEnabledIgnored).toHaveLength(ignored);
  });

  it('says whether the case holds records of the mailbox while AuditEnabled was False (which reading held)', () => {
    const silent = run((i) => {
      i.mailboxes = [obs(mailbox(MEG, { auditEnabled: false }), END)];
      i.organization = [obs(org(false), END)];
    });
    expect(windowsOf(silent, 'audit-disabled')[0]!.reason).toMatch(/the case holds no record acting on this mailbox in this window, which agrees with auditing having been off$/);
    expect(silent.auditEnabledIgnored).toEqual([expect.objectContaining({ records: 0 })]);
    const day = Math.floor((T0 + 3 * D) / D);
    const written = run((i) => {
      i.mailboxes = [obs(mailbox(MEG, { auditEnabled: false }), END)];
      i.organization = [obs(org(false), END)];
      i.activity = [{ mailbox: MEG.toLowerCase(), count: 7, firstMs: T0 + 3 * D, lastMs: T0 + 4 * D, daily: new Map([[day, 5], [day + 1, 2]]), mailItemsAccessed: 0 }];
    });
    expect(windowsOf(written, 'audit-disabled')[0]!.reason).toMatch(/the case holds about 7 records acting on this mailbox in this window \(counted by UTC day\), so actions were recorded/);
    expect(written.auditEnabledIgnored).toEqual([expect.objectContaining({ records: 7 })]);
  });

  it('Set-Mailbox -AuditEnabled $true ends it (org setting unknown)', () => {
    const res = run((i) => {
      i.organization = [];
      i.mailboxes = [obs(mailbox(MEG, { auditEnabled: false }), T0)];
      i.changes.push(adminRecord('Set-Mailbox', T0 + 3 * D, [['Identity', MEG], ['AuditEnabled', 'True']]));
    });
    expect(windowsOf(res, 'audit-disabled').map(span)).toEqual([[iso(T0), iso(T0 + 3 * D), 'inferred']]);
  });
});

describe('organisation switches', () => {
  it('Set-OrganizationConfig AuditDisabled True/False gives every mailbox a window', () => {
    const res = run((i) => {
      i.mailboxes.push(obs(mailbox('adele@contoso.com'), END));
      i.changes.push(adminRecord('Set-OrganizationConfig', T0 + 2 * D, [['AuditDisabled', 'True']]));
      i.changes.push(adminRecord('Set-OrganizationConfig', T0 + 4 * D, [['AuditDisabled', 'False']]));
    });
    for (const m of [meg, 'adele@contoso.com']) expect(windowsOf(res, 'org-audit-disabled', m).map(span)).toEqual([[iso(T0 + 2 * D), iso(T0 + 4 * D), 'certain']]);
  });

  it('UnifiedAuditLogIngestionEnabled False in the snapshot: the whole range, open', () => {
    const res = run((i) => { i.adminAuditLog = [obs(adminAudit(false), END)]; });
    expect(windowsOf(res, 'ual-ingestion-disabled').map(span)).toEqual([[iso(T0), null, 'certain']]);
  });

  it('Set-AdminAuditLogConfig turning ingestion off then a snapshot showing it on again: the end is inferred', () => {
    const res = run((i) => {
      i.changes.push(adminRecord('Set-AdminAuditLogConfig', T0 + 2 * D, [['UnifiedAuditLogIngestionEnabled', 'False']]));
    });
    expect(windowsOf(res, 'ual-ingestion-disabled').map(span)).toEqual([[iso(T0 + 2 * D), iso(END), 'inferred']]);
  });
});

describe('retention windows', () => {
  it('mailbox AuditLogAgeLimit inside the range: [start, end − limit)', () => {
    const res = run((i) => { i.mailboxes = [obs(mailbox(MEG, { auditLogAgeLimitDays: 14 }), END)]; });
    expect(windowsOf(res, 'retention').map(span)).toEqual([[iso(T0), iso(END - 14 * D), 'certain']]);
  });
  it('a limit longer than the range: none', () => {
    expect(windowsOf(run(() => {}), 'retention')).toEqual([]);
  });

  // The store loses records as time passes, so its horizon is seen from when it was read, not from the
  // case's last event: a snapshot read 3 days after the range ends moves the horizon 3 days on.
  it('measured from the mailbox configuration snapshot when the store itself was not acquired', () => {
    const res = run((i) => { i.mailboxes = [obs(mailbox(MEG, { auditLogAgeLimitDays: 14 }), END + 3 * D)]; });
    const [w] = windowsOf(res, 'retention');
    expect(span(w!)).toEqual([iso(T0), iso(END + 3 * D - 14 * D), 'certain']);
    expect(w!.store).toBe('mailbox-audit');
    expect(w!.reason).toBe(`mailbox audit store keeps 14 days (AuditLogAgeLimit): records before ${iso(END - 11 * D)} no longer exist there, seen from ${iso(END + 3 * D)}, when the mailbox configuration (Get-Mailbox) was read (the store's own history was not acquired); the unified audit log may still hold them`);
  });

  it('measured from when the acquisition read the store (Search-MailboxAuditLog in the ledger), not the snapshot', () => {
    const res = run((i) => {
      i.mailboxes = [obs(mailbox(MEG, { auditLogAgeLimitDays: 14 }), END + 3 * D)];
      i.ledger = [
        { id: 7, source: 'mailbox-audit', start: iso(T0), end: iso(END), status: 'complete', query: { cmdlet: 'Search-MailboxAuditLog', mailbox: meg }, collectedAt: iso(END + 5 * D) },
        { id: 8, source: 'mailbox-audit', start: iso(T0), end: iso(END), status: 'complete', query: { cmdlet: 'Search-MailboxAuditLog', mailbox: 'adele@contoso.com' }, collectedAt: iso(END + 9 * D) },
        // The fallback reads the unified log, not the store: it says nothing of when the store was read.
        { id: 9, source: 'mailbox-audit', start: iso(T0), end: iso(END), status: 'complete', query: { cmdlet: 'Search-UnifiedAuditLog', fallback: 'unified-log' }, collectedAt: iso(END + 8 * D) },
      ];
    });
    const [w] = windowsOf(res, 'retention').filter((x) => x.store === 'mailbox-audit');
    expect(span(w!)).toEqual([iso(T0), iso(END + 5 * D - 14 * D), 'certain']);
    expect(w!.evidence).toContain('ledger:7');
    expect(w!.reason).toContain(`seen from ${iso(END + 5 * D)}, when the acquisition read this mailbox's audit history from the store (Search-MailboxAuditLog, acquisition ledger)`);
  });

  it('without an acquisition or a snapshot, the range end, and it says so', () => {
    const input = emptyInput(T0, END);
    input.activity = [{ mailbox: meg, count: 10, firstMs: T0, lastMs: END, daily: new Map(), mailItemsAccessed: 0 }];
    const w = windowsOf(computeCoverage(input, { ualRetentionDays: 20 }), 'retention');
    expect(w.map((x) => [x.store, x.end])).toEqual([['unified-audit-log', iso(END - 20 * D)]]);
    expect(w[0]!.reason).toContain(`seen from ${iso(END)}, the end of the case range: neither an acquisition of the store nor a configuration snapshot says when it was read`);
  });

  it('a range that ends long before the store was read is lost from the store as a whole', () => {
    // The range is the first 10 days; the store keeps 14 days and was read at the end of day 30.
    const input = emptyInput(T0, T0 + 10 * D);
    input.mailboxes = [obs(mailbox(MEG, { auditLogAgeLimitDays: 14 }), END)];
    const w = windowsOf(computeCoverage(input), 'retention');
    expect(w.map(span)).toEqual([[iso(T0), iso(END - 14 * D), 'certain']]);
  });

  it('the unified log is seen from its newest read in the ledger; the two stores stay apart', () => {
    const res = run((i) => {
      i.mailboxes = [obs(mailbox(MEG, { auditLogAgeLimitDays: 14 }), END)];
      i.ledger = [
        { id: 1, source: 'ual', start: iso(T0), end: iso(END), status: 'complete', query: null, collectedAt: iso(END + D) },
        { id: 2, source: 'graph', start: iso(T0), end: iso(END), status: 'complete', query: null, collectedAt: iso(END + 2 * D) },
        { id: 3, source: 'graph', start: iso(T0), end: iso(END), status: 'not-collected', query: null, collectedAt: iso(END + 6 * D) },
      ];
    }, { ualRetentionDays: 20 });
    const w = windowsOf(res, 'retention');
    expect(w.map((x) => [x.store, x.end, x.evidence.map((e) => e.replace(/^config-row:\d+$/, 'config-row'))])).toEqual([
      ['mailbox-audit', iso(END - 14 * D), ['config-row']],
      ['unified-audit-log', iso(END + 2 * D - 20 * D), ['ledger:2']],
    ]);
    expect(w[1]!.reason).toContain('when the acquisition last read the unified audit log (graph, acquisition ledger)');
  });
  it.each([
    { name: 'Premium in the one snapshot', snaps: [true], tier: null },
    { name: 'Premium in both snapshots', snaps: [true, true], tier: null },
    { name: 'Standard in the one snapshot', snaps: [false], tier: 'Audit Standard, 180 days (90 before 2023-10-17))' },
    { name: 'Premium, then Standard in the newest', snaps: [true, false], tier: 'Audit Standard, 180 days (90 before 2023-10-17); Audit Premium shown in some licence snapshots of the case but not in every one (the licence changed, the account is missing from one, or its service plans were not listed), so the shorter retention is assumed)' },
    { name: 'Standard, then Premium in the newest', snaps: [false, true], tier: 'Audit Standard, 180 days (90 before 2023-10-17); Audit Premium shown in some licence snapshots of the case but not in every one (the licence changed, the account is missing from one, or its service plans were not listed), so the shorter retention is assumed)' },
  ])('unified log retention is Premium only where every licence snapshot shows it: $name', ({ snaps, tier }) => {
    // 200 days after the range: Standard's 180 days reach into it, Premium's year does not.
    const res = run((i) => {
      i.licences = snaps.map((premium, k) => obs(licence(MEG, premium ? ['EXCHANGE_S_ENTERPRISE', 'M365_ADVANCED_AUDITING'] : ['EXCHANGE_S_ENTERPRISE']), END - (snaps.length - 1 - k) * 20 * D));
    }, { retentionReferenceMs: END + 200 * D });
    const ual = windowsOf(res, 'retention').filter((w) => w.reason.startsWith('unified audit log retention'));
    if (tier === null) expect(ual).toEqual([]);
    else expect(ual.map((w) => [w.start, w.reason])).toEqual([[iso(T0), `unified audit log retention (${tier}: records before ${iso(END + 20 * D)} no longer exist there, seen from ${iso(END + 200 * D)}, the reference time given`]]);
  });
  it('an account missing from the newest licence snapshot (unlicensed since) is not given Premium retention', () => {
    const E5 = ['EXCHANGE_S_ENTERPRISE', 'M365_ADVANCED_AUDITING'];
    const res = run((i) => {
      // Megan held E5 20 days before the end; the newest snapshot lists another account and none of hers.
      i.licences = [obs(licence(MEG, E5), END - 20 * D), obs(licence('alex.wilber@contoso.com', E5), END - 20 * D), obs(licence('alex.wilber@contoso.com', E5), END)];
    }, { retentionReferenceMs: END + 200 * D });
    const ual = windowsOf(res, 'retention').filter((w) => w.reason.startsWith('unified audit log retention'));
    expect(ual.map((w) => [w.start, w.reason])).toEqual([[iso(T0), `unified audit log retention (Audit Standard, 180 days (90 before 2023-10-17); Audit Premium shown in some licence snapshots of the case but not in every one (the licence changed, the account is missing from one, or its service plans were not listed), so the shorter retention is assumed): records before ${iso(END + 20 * D)} no longer exist there, seen from ${iso(END + 200 * D)}, the reference time given`]]);
  });
  it.each([
    { ref: Date.UTC(2025, 0, 1), premium: false, want: Date.UTC(2025, 0, 1) - 180 * D },
    { ref: Date.UTC(2023, 11, 1), premium: false, want: Date.UTC(2023, 11, 1) - 90 * D }, // 90 days back is still before 2023-10-17
    { ref: Date.UTC(2024, 2, 1), premium: false, want: Date.UTC(2023, 9, 17) }, // 180-day rule began on 2023-10-17
    { ref: Date.UTC(2025, 0, 1), premium: true, want: Date.UTC(2025, 0, 1) - 365 * D },
  ])('unified log horizon $ref premium=$premium', ({ ref, premium, want }) => {
    expect(ualLostBefore(ref, premium)).toBe(want);
  });
});

describe('ledger, capacity and silence', () => {
  it('incomplete, failed and not-collected slices become windows; a slice for another mailbox does not', () => {
    const res = run((i) => {
      i.ledger = [
        { id: 1, source: 'graph', start: iso(T0 + D), end: iso(T0 + 2 * D), status: 'incomplete', query: null, reason: '50,000 cap' },
        { id: 2, source: 'graph', start: iso(T0 + 2 * D), end: iso(T0 + 3 * D), status: 'complete', query: null },
        { id: 3, source: 'mailbox', start: iso(T0 + 5 * D), end: iso(T0 + 6 * D), status: 'failed', query: { mailbox: 'adele@contoso.com' } },
        { id: 4, source: 'mailbox', start: iso(T0 + 7 * D), end: iso(T0 + 8 * D), status: 'not-collected', query: { mailbox: 'megan.bowen' } },
      ];
    });
    expect(windowsOf(res, 'acquisition-incomplete').map((w) => [w.start, w.end, w.evidence])).toEqual([
      [iso(T0 + D), iso(T0 + 2 * D), ['ledger:1']],
      [iso(T0 + 7 * D), iso(T0 + 8 * D), ['ledger:4']],
    ]);
  });

  it('a complete slice of the same source (a later re-run) removes what it covers', () => {
    const res = run((i) => {
      i.ledger = [
        { id: 1, source: 'graph', start: iso(T0), end: iso(T0 + 4 * D), status: 'failed', query: null },
        { id: 2, source: 'graph', start: iso(T0 + D), end: iso(T0 + 2 * D), status: 'complete', query: null },
        { id: 3, source: 'ual', start: iso(T0 + 2 * D), end: iso(T0 + 3 * D), status: 'complete', query: null },
      ];
    });
    expect(windowsOf(res, 'acquisition-incomplete').map((w) => [w.start, w.end])).toEqual([[iso(T0), iso(T0 + D)], [iso(T0 + 2 * D), iso(T0 + 4 * D)]]);
  });

  it('capacity: 3,000,000 records means older records were purged', () => {
    const res = run((i) => { i.activity = [{ mailbox: meg, count: 3_000_000, firstMs: T0 + 2 * D, lastMs: END, daily: new Map(), mailItemsAccessed: 0 }]; });
    expect(windowsOf(res, 'capacity').map(span)).toEqual([[iso(T0), iso(T0 + 2 * D), 'inferred']]);
    const res2 = run((i) => { i.activity = [{ mailbox: meg, count: 2_999_999, firstMs: T0 + 2 * D, lastMs: END, daily: new Map(), mailItemsAccessed: 0 }]; });
    expect(windowsOf(res2, 'capacity')).toEqual([]);
  });

  it('silence only when asked, on a busy mailbox, for 3+ empty days', () => {
    const daily = new Map<number, number>();
    const d0 = T0 / D;
    for (let d = 0; d < 30; d++) if (d < 10 || d > 13) daily.set(d0 + d, 50);
    const act = { mailbox: meg, count: 1300, firstMs: T0, lastMs: END - 1, daily, mailItemsAccessed: 0 };
    expect(windowsOf(run((i) => { i.activity = [act]; }), 'silence')).toEqual([]);
    const got = windowsOf(run((i) => { i.activity = [act]; }, { includeSilence: true }), 'silence');
    expect(got.map(span)).toEqual([[iso(T0 + 10 * D), iso(T0 + 14 * D), 'inferred']]);
  });
});

describe('identity and classification in the result', () => {
  it('records naming a mailbox by GUID, DN path or mailbox\\rule resolve to one key', () => {
    const res = run((i) => {
      i.mailboxes = [obs(mailbox(MEG, { exchangeGuid: '0F5E0000-0000-4000-8000-000000000001' }), END)];
      i.changes.push(adminRecord('Set-MailboxAuditBypassAssociation', T0 + D, [['Identity', '{0f5e0000-0000-4000-8000-000000000001}'], ['AuditBypassEnabled', 'True']]));
      i.changes.push(adminRecord('Set-MailboxAuditBypassAssociation', T0 + 2 * D, [['Identity', 'EURPR01A002.prod.outlook.com/Microsoft Exchange Hosted Organizations/contoso.onmicrosoft.com/megan.bowen'], ['AuditBypassEnabled', 'False']]));
    });
    expect(res.mailboxes.map((m) => m.mailbox)).toEqual([meg]);
    expect(windowsOf(res, 'bypass').map(span)).toEqual([[iso(T0 + D), iso(T0 + 2 * D), 'certain']]);
    expect(res.unresolved).toEqual([]);
  });

  it('an unknown target is kept under its own name and reported as unresolved', () => {
    const rec = adminRecord('Set-MailboxAuditBypassAssociation', T0 + D, [['Identity', 'ghost'], ['AuditBypassEnabled', 'True']]);
    const res = run((i) => { i.changes.push(rec); });
    expect(res.unresolved).toEqual([{ recordId: rec.recordId, identifier: 'ghost' }]);
    expect(windowsOf(res, 'bypass', 'ghost')).toHaveLength(1);
  });

  // Without a Get-Mailbox export, an admin record's bare alias (Set-MailboxAuditBypassAssociation
  // -Identity adm.patti; the record's mailbox column then holds the alias too) is the one UPN of the case
  // with that local part, and the window says it was matched by name only.
  const act = (mailbox: string) => ({ mailbox, count: 5, firstMs: T0, lastMs: END, daily: new Map<number, number>(), mailItemsAccessed: 0 });
  const patti = 'adm.patti@contoso.onmicrosoft.com';
  const noInventory = (mailboxes: string[]) => {
    const input = emptyInput(T0, END);
    // The bare name sorts (and arrives from the activity query) before the UPN.
    input.activity = mailboxes.map(act);
    input.changes.push(adminRecord('Set-MailboxAuditBypassAssociation', T0 + D, [['Identity', 'adm.patti'], ['AuditBypassEnabled', 'True']]));
    input.changes.push(adminRecord('Set-MailboxAuditBypassAssociation', T0 + 2 * D, [['Identity', 'ADM.PATTI'], ['AuditBypassEnabled', 'False']]));
    return computeCoverage(input);
  };

  it('without an inventory, a bare alias resolves to the single UPN with that local part, and the window says how', () => {
    const res = noInventory(['adm.patti', patti]);
    expect(res.mailboxes.map((m) => m.mailbox)).toEqual([patti]);
    const [w] = windowsOf(res, 'bypass', patti);
    expect(span(w!)).toEqual([iso(T0 + D), iso(T0 + 2 * D), 'certain']);
    // Both records (the one that began the window and the one that ended it) name it, in two spellings.
    expect(w!.reason).toContain(`its records name the mailbox "adm.patti", resolved to ${patti} by name only (the one UPN in the case with that local part), as the case has no mailbox inventory (Get-Mailbox) to confirm it`);
    expect(res.unresolved).toEqual([]);
  });

  it('without an inventory, a bare alias two UPNs share stays unresolved', () => {
    const res = noInventory(['adm.patti', patti, 'adm.patti@fabrikam.example']);
    expect(windowsOf(res, 'bypass', 'adm.patti')).toHaveLength(1);
    expect(windowsOf(res, 'bypass', patti)).toEqual([]);
    expect(windowsOf(res, 'bypass', 'adm.patti@fabrikam.example')).toEqual([]);
    expect(windowsOf(res, 'bypass', 'adm.patti')[0]!.reason).not.toContain('by name only');
  });

  it('a bare alias the inventory lists is resolved without a note', () => {
    const res = run((i) => { i.changes.push(adminRecord('Set-MailboxAuditBypassAssociation', T0 + D, [['Identity', 'megan.bowen'], ['AuditBypassEnabled', 'True']])); });
    expect(windowsOf(res, 'bypass')[0]!.reason).not.toContain('by name only');
  });

  it('mailbox filter and account kinds', () => {
    const res = run((i) => {
      i.mailboxes.push(obs(mailbox('finance@contoso.com', { recipientTypeDetails: 'SharedMailbox' }), END));
      i.mailboxes.push(obs(mailbox('svc-archive@contoso.com'), END));
    }, { mailboxFilter: ['finance', 'SVC-ARCHIVE@contoso.com'] });
    expect(res.mailboxes.map((m) => [m.mailbox, m.accountKind])).toEqual([['finance@contoso.com', 'shared'], ['svc-archive@contoso.com', 'service']]);
  });

  it('the mailbox record builder round-trips OperationProperties without Value', () => {
    const r = mailboxRecord('UpdateInboxRules', T0, MEG, [['RuleState', undefined], ['RuleName', 'x']]);
    expect(r.operationProperties.get('RuleState')).toBeNull();
    expect(r.operationProperties.get('RuleName')).toBe('x');
  });
});
