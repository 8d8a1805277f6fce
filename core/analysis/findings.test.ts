import { describe, expect, it } from 'vitest';
import { computeCoverage } from './coverage.ts';
import type { CoverageInput } from './coverage.ts';
import { buildFindings, isObscureFolder, psq } from './findings.ts';
import type { AccessSource, FindingsOptions } from './findings.ts';
import { D, T0, adminAudit, adminRecord, bypass, emptyInput, licence, mailbox, mailboxRecord, obs, org } from './testkit.ts';
import { toChangeRecord } from './records.ts';
import type { ChangeRecord } from './types.ts';

const END = T0 + 30 * D;
const MEG = 'megan.bowen@contoso.com';

function findings(mut: (i: CoverageInput) => void, extra: { changes?: ChangeRecord[]; sources?: AccessSource[] } = {}, opts: FindingsOptions & { serviceAccounts?: string[] } = {}) {
  const input = emptyInput(T0, END);
  input.mailboxes.push(obs(mailbox(MEG), END), obs(mailbox('adele.vance@contoso.com'), END));
  input.organization.push(obs(org(false), END));
  input.adminAuditLog.push(obs(adminAudit(true), END));
  mut(input);
  const coverage = computeCoverage(input, { serviceAccounts: opts.serviceAccounts ?? [] });
  return buildFindings({ coverage, changes: [...input.changes, ...(extra.changes ?? [])], accessSources: extra.sources ?? [], licences: input.licences?.map((o) => o.value) ?? null }, opts);
}

describe('bypass severity follows the account kind', () => {
  it.each([
    { upn: MEG, rtd: 'UserMailbox', service: [] as string[], want: 'critical', says: 'This is a human account: ' },
    { upn: 'finance@contoso.com', rtd: 'SharedMailbox', service: [], want: 'critical', says: 'This is a shared account: ' },
    { upn: 'adm.patti@contoso.com', rtd: 'UserMailbox', service: [], want: 'critical', says: 'This is an admin account: ' },
    { upn: 'room.rainier@contoso.com', rtd: 'RoomMailbox', service: [], want: 'high', says: 'This is a room account: ' },
    { upn: 'svc-archive@contoso.com', rtd: 'UserMailbox', service: [], want: 'medium', says: 'This is a service account: ' },
    { upn: 'svc-archive@contoso.com', rtd: 'UserMailbox', service: ['svc-archive'], want: 'info', says: 'This is a service (documented) account: ' },
  ])('$upn ($rtd, documented: $service) → $want', ({ upn, rtd, service, want, says }) => {
    const fs = findings((i) => {
      i.mailboxes.push(obs(mailbox(upn, { recipientTypeDetails: rtd }), END));
      i.bypass.push(obs(bypass(upn.split('@')[0]!, true), END));
    }, {}, { serviceAccounts: service });
    const f = fs.filter((x) => x.kind === 'bypass');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: want, mailbox: upn, remediation: `Set-MailboxAuditBypassAssociation -Identity '${upn}' -AuditBypassEnabled $false` });
    expect(f[0]!.window?.kind).toBe('bypass');
    expect(f[0]!.detail).toContain(says);
  });
});

describe('window findings', () => {
  it('organisation-wide windows become one finding, not one per mailbox', () => {
    const fs = findings((i) => { i.organization = [obs(org(true), END)]; });
    const org1 = fs.filter((f) => f.kind === 'org-audit-disabled');
    expect(org1).toHaveLength(1);
    expect(org1[0]).toMatchObject({ severity: 'critical', mailbox: null, remediation: 'Set-OrganizationConfig -AuditDisabled $false' });
    expect(org1[0]!.detail).toContain('Affects 2 mailbox(es)');
  });

  it('unlicensed through a failed group assignment: direct assignment remediation with the SKU', () => {
    const fs = findings((i) => {
      i.licences = [
        obs(licence(MEG, ['M365_ADVANCED_AUDITING'], { assignedVia: 'group', groupId: 'g1', state: 'Error', skuId: '06ebc4ee-1bb5-47dd-8120-11324bc54e06' }), END),
        obs(licence('adele.vance@contoso.com', ['M365_ADVANCED_AUDITING']), END),
      ];
    });
    const f = fs.filter((x) => x.kind === 'unlicensed');
    expect(f.map((x) => x.mailbox)).toEqual([MEG]);
    expect(f[0]!.title).toContain('group-based licence not in effect');
    expect(f[0]!.remediation).toBe(`Set-MgUserLicense -UserId '${MEG}' -AddLicenses @(@{SkuId = '06ebc4ee-1bb5-47dd-8120-11324bc54e06'}) -RemoveLicenses @()`);
  });

  it('AuditEnabled False under the organisation default: a medium inferred window plus an info note', () => {
    const fs = findings((i) => { i.mailboxes[0] = obs(mailbox(MEG, { auditEnabled: false }), END); });
    expect(fs.find((x) => x.kind === 'audit-disabled')).toMatchObject({ severity: 'medium', mailbox: MEG, remediation: `Set-Mailbox -Identity '${MEG}' -AuditEnabled $true` });
    // The case holds no record of the mailbox: the note does not claim that records were still written.
    const silent = fs.find((x) => x.kind === 'audit-enabled-ignored')!;
    expect(silent).toMatchObject({ severity: 'info', mailbox: MEG, title: expect.stringContaining('the case holds no record of the mailbox while it was') });
    expect(silent.detail).not.toContain('records were still written');
    const day = Math.floor((T0 + 2 * D) / D);
    const written = findings((i) => {
      i.mailboxes[0] = obs(mailbox(MEG, { auditEnabled: false }), END);
      i.activity = [{ mailbox: MEG.toLowerCase(), count: 4, firstMs: T0 + 2 * D, lastMs: T0 + 2 * D, daily: new Map([[day, 4]]), mailItemsAccessed: 0 }];
    }).find((x) => x.kind === 'audit-enabled-ignored')!;
    expect(written.title).toContain('but auditing on by default overrides it');
    expect(written.detail).toContain('the case holds about 4 records acting on this mailbox while it was False: records were still written');
  });

  it('actions-not-audited without MailItemsAccessed is high, with DefaultAuditSet remediation', () => {
    const fs = findings((i) => { i.mailboxes[0] = obs(mailbox(MEG, { auditOwner: ['Update'], defaultAuditSet: ['Admin', 'Delegate'] }), END); });
    const f = fs.find((x) => x.kind === 'actions-not-audited');
    expect(f).toMatchObject({ severity: 'high', remediation: `Set-Mailbox -Identity '${MEG}' -DefaultAuditSet Admin,Delegate,Owner` });
  });

  it('silence stays out unless asked; minSeverity filters', () => {
    const daily = new Map<number, number>();
    for (let d = 0; d < 30; d++) if (d < 10 || d > 13) daily.set(T0 / D + d, 40);
    const mut = (i: CoverageInput) => { i.activity = [{ mailbox: MEG, count: 1000, firstMs: T0, lastMs: END - 1, daily, mailItemsAccessed: 0 }]; };
    const input = emptyInput(T0, END);
    mut(input);
    const cov = computeCoverage(input, { includeSilence: true });
    expect(buildFindings({ coverage: cov, changes: [], accessSources: [], licences: null }).some((f) => f.kind === 'silence')).toBe(false);
    expect(buildFindings({ coverage: cov, changes: [], accessSources: [], licences: null }, { includeSilence: true }).some((f) => f.kind === 'silence')).toBe(true);
    const high = findings((i) => { i.organization = [obs(org(true), END)]; i.mailboxes[0] = obs(mailbox(MEG, { auditLogAgeLimitDays: 7 }), END); }, {}, { minSeverity: 'high' });
    expect(high.every((f) => f.severity === 'critical' || f.severity === 'high')).toBe(true);
    expect(high.some((f) => f.kind === 'org-audit-disabled')).toBe(true);
    expect(findings((i) => { i.mailboxes[0] = obs(mailbox(MEG, { auditLogAgeLimitDays: 7 }), END); }).some((f) => f.kind === 'retention' && f.severity === 'low')).toBe(true);
  });
});

describe('retention findings name the store that lost the records', () => {
  it('the mailbox store: raise AuditLogAgeLimit; the unified log: a retention policy, kept apart even over the same span', () => {
    const input = emptyInput(T0, END);
    input.mailboxes.push(obs(mailbox(MEG, { auditLogAgeLimitDays: 20 }), END));
    const coverage = computeCoverage(input, { ualRetentionDays: 20 });
    const f = buildFindings({ coverage, changes: [], accessSources: [], licences: null }).filter((x) => x.kind === 'retention');
    expect(f.map((x) => [x.window?.store, x.remediation.split('\n').at(-1)])).toEqual(expect.arrayContaining([
      ['mailbox-audit', `Set-Mailbox -Identity '${MEG}' -AuditLogAgeLimit 365.00:00:00`],
      ['unified-audit-log', expect.stringMatching(/^New-UnifiedAuditLogRetentionPolicy .*-RetentionDuration TwelveMonths/)],
    ]));
    expect(f).toHaveLength(2);
  });
});

describe('audit configuration changed during the incident', () => {
  const rec = () => adminRecord('Set-MailboxAuditBypassAssociation', T0 + 5 * D, [['Identity', 'megan.bowen'], ['AuditBypassEnabled', 'True']]);
  it.each([
    { incident: { startMs: T0 + 4 * D, endMs: T0 + 6 * D }, want: 'critical', during: true },
    { incident: { startMs: T0 + 10 * D, endMs: T0 + 12 * D }, want: 'medium', during: false },
    { incident: undefined, want: 'medium', during: false },
  ])('incident $incident → $want', ({ incident, want, during }) => {
    const r = rec();
    const fs = findings((i) => { i.changes.push(r); }, {}, incident ? { incident } : {});
    const f = fs.find((x) => x.kind === 'audit-config-changed');
    expect(f).toMatchObject({ severity: want, mailbox: MEG, evidence: [`event:${r.recordId}`] });
    expect(f!.title.includes('during the suspected incident')).toBe(during);
  });
  it('Set-Mailbox without audit parameters is not an audit change', () => {
    const fs = findings(() => {}, { changes: [adminRecord('Set-Mailbox', T0 + D, [['Identity', MEG], ['RecoverableItemsQuota', '30 GB']])] });
    expect(fs.filter((f) => f.kind === 'audit-config-changed')).toEqual([]);
  });
});

describe('inbox rules and forwarding', () => {
  const cases: { name: string; rec: () => ChangeRecord; want: { severity: string; text: string } | null }[] = [
    {
      name: 'New-InboxRule moving to RSS Feeds and marking read (reference §5.6 shape)',
      rec: () => adminRecord('New-InboxRule', T0 + D, [['AlwaysDeleteOutlookRulesBlob', 'False'], ['Force', 'False'], ['MoveToFolder', 'RSS Feeds'], ['Name', '.'], ['SubjectOrBodyContainsWords', 'invoice;payment'], ['MarkAsRead', 'True'], ['StopProcessingRules', 'True']], { ObjectId: 'megan.bowen\\.', UserId: MEG, UserType: 0 }),
      want: { severity: 'high', text: 'MoveToFolder "RSS Feeds" (an obscure folder)' },
    },
    {
      name: 'New-InboxRule forwarding outside the tenant',
      rec: () => adminRecord('New-InboxRule', T0 + D, [['Name', 'x'], ['ForwardTo', 'drop@evil.example']], { ObjectId: 'megan.bowen\\x' }),
      want: { severity: 'critical', text: 'ForwardTo drop@evil.example (external)' },
    },
    {
      name: 'Set-InboxRule with DeleteMessage',
      rec: () => adminRecord('Set-InboxRule', T0 + D, [['Identity', 'megan.bowen\\y'], ['DeleteMessage', 'True'], ['Mailbox', 'megan.bowen']]),
      want: { severity: 'high', text: 'DeleteMessage' },
    },
    {
      name: 'an ordinary filing rule is not a finding',
      rec: () => adminRecord('New-InboxRule', T0 + D, [['Name', 'projects'], ['MoveToFolder', 'Projects'], ['From', 'pm@contoso.com']], { ObjectId: 'megan.bowen\\projects' }),
      want: null,
    },
    {
      name: 'UpdateInboxRules with a Forward RuleAction to an external address',
      rec: () => mailboxRecord('UpdateInboxRules', T0 + D, MEG, [['RuleOperation', 'AddMailboxRule'], ['RuleName', 'sync'], ['RuleState', 'Enabled'], ['RuleActions', JSON.stringify([{ ActionType: 'Forward', Recipients: ['x@evil.example'] }])]]),
      want: { severity: 'critical', text: 'Forward to x@evil.example (external)' },
    },
    {
      name: 'UpdateInboxRules removing a rule is not a finding',
      rec: () => mailboxRecord('UpdateInboxRules', T0 + D, MEG, [['RuleOperation', 'RemoveMailboxRule'], ['RuleName', 'sync'], ['RuleActions', '[{"ActionType":"Delete"}]']]),
      want: null,
    },
    {
      name: 'Set-Mailbox -ForwardingSmtpAddress outside',
      rec: () => adminRecord('Set-Mailbox', T0 + D, [['Identity', 'megan.bowen'], ['ForwardingSmtpAddress', 'smtp:out@evil.example'], ['DeliverToMailboxAndForward', 'True']]),
      want: { severity: 'critical', text: 'forwarding set' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = c.rec();
      const fs = findings(() => {}, { changes: [r] }).filter((f) => f.kind === 'inbox-rule' || f.kind === 'mail-forwarding');
      if (!c.want) {
        expect(fs).toEqual([]);
        return;
      }
      expect(fs).toHaveLength(1);
      expect(fs[0]).toMatchObject({ severity: c.want.severity, mailbox: MEG, evidence: [`event:${r.recordId}`] });
      expect(fs[0]!.title).toContain(c.want.text);
      expect(fs[0]!.remediation).not.toBe('');
    });
  }
  it.each([['RSS Feeds', true], ['\\Conversation History', true], ['.', true], ['Projects', false], ['Inbox\\Clients', false]])('isObscureFolder(%s) = %s', (name, want) => {
    expect(isObscureFolder(name as string)).toBe(want);
  });
});

describe('permissions added', () => {
  it.each([
    { rec: () => adminRecord('Add-MailboxPermission', T0 + D, [['Identity', 'megan.bowen'], ['User', 'adm.patti@contoso.com'], ['AccessRights', 'FullAccess']]), severity: 'high', remediation: `Remove-MailboxPermission -Identity '${MEG}' -User 'adm.patti@contoso.com' -AccessRights FullAccess -Confirm:$false` },
    { rec: () => adminRecord('Add-RecipientPermission', T0 + D, [['Identity', MEG], ['Trustee', 'x@contoso.com'], ['AccessRights', 'SendAs']]), severity: 'high', remediation: `Remove-RecipientPermission -Identity '${MEG}' -Trustee 'x@contoso.com' -AccessRights SendAs -Confirm:$false` },
    { rec: () => adminRecord('Add-MailboxFolderPermission', T0 + D, [['Identity', 'megan.bowen:\\Inbox'], ['User', 'Default'], ['AccessRights', 'Reviewer']]), severity: 'high', remediation: `Set-MailboxFolderPermission -Identity 'megan.bowen:\\Inbox' -User Default -AccessRights None` },
    { rec: () => mailboxRecord('UpdateFolderPermissions', T0 + D, MEG, [], { Item: { ParentFolder: { Path: '\\Calendar', MemberUpn: 'x@contoso.com', MemberRights: 'ReadItems' } } }), severity: 'medium', remediation: `Remove-MailboxFolderPermission -Identity '${MEG}:\\Calendar' -User 'x@contoso.com' -Confirm:$false` },
  ])('$severity: $remediation', ({ rec, severity, remediation }) => {
    const fs = findings(() => {}, { changes: [rec()] }).filter((f) => f.kind === 'permission-added');
    expect(fs).toHaveLength(1);
    expect(fs[0]).toMatchObject({ severity, mailbox: MEG, remediation });
  });
});

describe('new access sources', () => {
  const src = (ip: string, firstMs: number, app = 'owa', client = 'Client=OWA'): AccessSource => ({ mailbox: MEG, ip, appId: app, clientInfo: client, firstMs, lastMs: firstMs + 1000, count: 3, firstRecordId: `r-${ip}` });
  it('an IP first seen after the baseline is flagged; baseline ones are not', () => {
    const fs = findings(() => {}, { sources: [src('198.51.100.7', T0), src('203.0.113.9', T0 + 12 * D)] }).filter((f) => f.kind === 'new-access-source');
    expect(fs.map((f) => f.id)).toEqual([`new-access-source:${MEG}:IP:203.0.113.9`]);
    expect(fs[0]).toMatchObject({ severity: 'medium', evidence: ['event:r-203.0.113.9'] });
  });
  it('with an incident, sources first seen inside it are high; new app and client too', () => {
    const fs = findings(() => {}, { sources: [src('198.51.100.7', T0), src('203.0.113.9', T0 + 12 * D, 'evil-app', 'Client=REST')] }, { incident: { startMs: T0 + 10 * D, endMs: T0 + 14 * D } })
      .filter((f) => f.kind === 'new-access-source');
    expect(fs.map((f) => [f.id.split(':').slice(2).join(':'), f.severity]).sort()).toEqual([['IP:203.0.113.9', 'high'], ['app:evil-app', 'high'], ['client:Client=REST', 'high']]);
  });
  it('a mailbox with no baseline source gives nothing', () => {
    expect(findings(() => {}, { sources: [src('203.0.113.9', T0 + 12 * D)] }).filter((f) => f.kind === 'new-access-source')).toEqual([]);
  });
});

it('psq escapes single quotes for PowerShell', () => {
  expect(psq("o'brien@contoso.com")).toBe("'o''brien@contoso.com'");
});

describe('new access sources on a mailbox with many changing sources', () => {
  const src = (ip: string, firstMs: number): AccessSource => ({ mailbox: MEG, ip, appId: 'owa', clientInfo: 'Client=OWA', firstMs, lastMs: firstMs, count: 1, firstRecordId: `r-${ip}` });
  const many = [src('198.51.100.7', T0), ...Array.from({ length: 12 }, (_, k) => src(`203.0.113.${k}`, T0 + (16 + k) * D / 2))]; // days 8 to 13.5, after the 7-day baseline
  it('more than five new IPs without an incident: one grouped low finding', () => {
    const fs = findings(() => {}, { sources: many }).filter((f) => f.kind === 'new-access-source');
    expect(fs.map((f) => [f.id, f.severity])).toEqual([[`new-access-source:${MEG}:IP:*`, 'low']]);
    expect(fs[0]!.title).toContain('12 new IPs');
    expect(fs[0]!.evidence).toEqual(['event:r-203.0.113.0', 'event:r-203.0.113.1', 'event:r-203.0.113.2']);
  });
  it('with an incident, the ones first seen inside it are still singled out', () => {
    const fs = findings(() => {}, { sources: many }, { incident: { startMs: T0 + 8 * D, endMs: T0 + 9 * D } }).filter((f) => f.kind === 'new-access-source');
    // 203.0.113.0 (day 8) and .1 (day 8.5) fall inside; the other ten are grouped.
    expect(fs.map((f) => [f.id.split(':').slice(2).join(':'), f.severity]).sort()).toEqual([['IP:*', 'low'], ['IP:203.0.113.0', 'high'], ['IP:203.0.113.1', 'high']]);
  });
});

// ---- content searches, sources and the other activity of a source ---------------------------------

const EVIL = '203.0.113.66';
/** A Security & Compliance cmdlet record (RecordType 18, Parameters as one string). */
function scc(operation: string, timeMs: number, objectId: string, parameters: string): ChangeRecord {
  const id = `scc-${operation}-${timeMs}`;
  const data = { CreationTime: new Date(timeMs).toISOString().slice(0, 19), Id: id, Operation: operation, RecordType: 18, ResultStatus: 'True', UserId: 'adm.patti@contoso.com', ObjectId: objectId, ClientIP: '203.0.113.91', Parameters: parameters };
  return toChangeRecord({ recordId: id, timeMs, operation, recordType: 18, userId: 'adm.patti@contoso.com', userType: 2, mailbox: null, objectId, clientIp: '203.0.113.91', resultStatus: 'True', auditData: JSON.stringify(data) });
}

describe('content searches (eDiscovery)', () => {
  it.each([
    { name: 'All, exported', recs: () => [scc('New-ComplianceSearch', T0 + D, 'S', '-Name "S" -ExchangeLocation "All" -ContentMatchQuery "wire"'), scc('Start-ComplianceSearch', T0 + D + 60_000, 'S', '-Identity "S"'), scc('New-ComplianceSearchAction', T0 + D + 3_600_000, 'S_Export', '-SearchName "S" -Export')], severity: 'high', mailbox: null, title: 'Content search "S" over every mailbox, exported by adm.patti@contoso.com', actions: ['S_Export'] },
    { name: 'All, not exported', recs: () => [scc('New-ComplianceSearch', T0 + D, 'S', '-Name "S" -ExchangeLocation All')], severity: 'high', mailbox: null, title: 'Content search "S" over every mailbox by adm.patti@contoso.com', actions: [] },
    { name: 'one named mailbox, previewed', recs: () => [scc('New-ComplianceSearch', T0 + D, 'S', '-Name "S" -ExchangeLocation "megan.bowen"'), scc('New-ComplianceSearchAction', T0 + 2 * D, 'S_Preview', '-SearchName "S" -Preview')], severity: 'high', mailbox: MEG, title: `Content search "S" over ${MEG}, previewed by adm.patti@contoso.com`, actions: ['S_Preview'] },
    { name: 'one named mailbox, searched only', recs: () => [scc('New-ComplianceSearch', T0 + D, 'S', '-Name "S" -ExchangeLocation "megan.bowen"'), scc('Start-ComplianceSearch', T0 + 2 * D, 'S', '-Identity "S"')], severity: 'medium', mailbox: MEG, title: `Content search "S" over ${MEG} by adm.patti@contoso.com`, actions: [] },
  ])('$name → $severity', ({ recs, severity, mailbox: mbx, title, actions }) => {
    const rs = recs();
    const fs = findings(() => {}, { changes: rs }).filter((f) => f.kind === 'content-search');
    expect(fs).toHaveLength(1);
    expect(fs[0]).toMatchObject({ id: 'content-search:s', severity, mailbox: mbx, title, evidence: rs.map((r) => `event:${r.recordId}`), source: { ips: ['203.0.113.91'], apps: [], actors: ['adm.patti@contoso.com'] } });
    expect(fs[0]!.detail).toContain('Mailbox audit (MailItemsAccessed) does not record content read through a content search');
    expect(fs[0]!.detail).toContain(mbx ? `1 named mailbox(es): ${MEG}` : 'every mailbox (ExchangeLocation All)');
    expect(fs[0]!.remediation).toContain("Get-ComplianceSearch -Identity 'S'");
    expect(fs[0]!.remediation).toContain("Remove-ComplianceSearch -Identity 'S' -Confirm:$false");
    // Each action taken on the search's results is shown, then removed, by its name (<search>_<Action>).
    expect(fs[0]!.remediation.split('\n').filter((l) => l.includes('ComplianceSearchAction'))).toEqual([
      ...actions.map((a) => `Get-ComplianceSearchAction -Identity '${a}' | Format-List Name,Action,Status,Results,CreatedBy`),
      ...actions.map((a) => `Remove-ComplianceSearchAction -Identity '${a}' -Confirm:$false`),
    ]);
  });
});

describe('a finding says where its records came from', () => {
  it('a rule finding carries the IP and actor of its record', () => {
    const r = { ...adminRecord('New-InboxRule', T0 + D, [['Name', 'x'], ['ForwardTo', 'drop@evil.example']], { ObjectId: 'megan.bowen\\x', UserId: MEG }), clientIp: EVIL };
    expect(findings(() => {}, { changes: [r] }).find((f) => f.kind === 'inbox-rule')!.source).toEqual({ ips: [EVIL], apps: [], actors: [MEG] });
  });
  it('a bypass window names who turned it on and from where', () => {
    const on = { ...adminRecord('Set-MailboxAuditBypassAssociation', T0 + 5 * D, [['Identity', 'megan.bowen'], ['AuditBypassEnabled', 'True']], { UserId: 'adm.patti@contoso.com' }), clientIp: '203.0.113.91' };
    const f = findings((i) => { i.changes.push(on); }).find((x) => x.kind === 'bypass')!;
    expect(f.detail).toContain(`Recorded: adm.patti@contoso.com ran Set-MailboxAuditBypassAssociation at ${new Date(T0 + 5 * D).toISOString()} from 203.0.113.91.`);
    expect(f.source).toEqual({ ips: ['203.0.113.91'], apps: [], actors: ['adm.patti@contoso.com'] });
  });
});

describe('the other activity of the source of a high or critical finding', () => {
  const rule = () => ({ ...adminRecord('New-InboxRule', T0 + D, [['Name', 'x'], ['ForwardTo', 'drop@evil.example']], { ObjectId: 'megan.bowen\\x' }), clientIp: EVIL });
  const rule2 = () => ({ ...adminRecord('New-InboxRule', T0 + D + 60_000, [['Name', 'y'], ['DeleteMessage', 'True']], { ObjectId: 'megan.bowen\\y' }), clientIp: EVIL });
  const send = { recordId: 'send-1', timeMs: T0 + D + 120_000, operation: 'Send', recordType: 2, userId: MEG, mailbox: MEG, appId: null, auditData: JSON.stringify({ Operation: 'Send', Item: { Subject: 'Updated bank details' }, recipientList: [{ Address: 'payments@evil.example' }, { Address: 'adele.vance@contoso.com' }] }) };
  const signIn = { recordId: 'si-1', timeMs: T0 + D - 60_000, operation: 'UserLoggedIn', recordType: 15, userId: MEG, mailbox: null, appId: null, auditData: JSON.stringify({ ApplicationId: 'evil-app', ResultStatus: 'Success', ExtendedProperties: [{ Name: 'UserAgent', Value: 'python-requests/2.32.3' }] }) };
  const calls: { dim: string; value: string; exclude: string[]; limit: number }[] = [];
  const lookup: NonNullable<FindingsOptions['sourceActivity']> = (dim, value, exclude, limit) => {
    calls.push({ dim, value, exclude: [...exclude].sort(), limit });
    if (value !== EVIL) return null;
    return {
      dim, value, total: 1004, firstMs: T0 + D - 60_000, lastMs: T0 + 2 * D, accounts: 1,
      operations: [{ operation: 'MailItemsAccessed', count: 1000 }, { operation: 'New-InboxRule', count: 2 }, { operation: 'Send', count: 1 }, { operation: 'UserLoggedIn', count: 1 }],
      groups: [{ operation: 'UserLoggedIn', userId: MEG, mailbox: null, count: 1, firstMs: T0 + D - 60_000, lastMs: T0 + D - 60_000 }, { operation: 'MailItemsAccessed', userId: MEG, mailbox: MEG, count: 1000, firstMs: T0 + D, lastMs: T0 + 2 * D }],
      groupCount: 4, records: [signIn, send], otherCount: 2,
    };
  };

  it('one finding per source, citing the records the naming findings do not, with both sides linked', () => {
    calls.length = 0;
    const r1 = rule();
    const r2 = rule2();
    const fs = findings(() => {}, { changes: [r1, r2] }, { sourceActivity: lookup });
    expect(calls).toEqual([{ dim: 'IP', value: EVIL, exclude: [r1.recordId, r2.recordId].sort(), limit: 20 }]);
    const sa = fs.filter((f) => f.kind === 'source-activity');
    expect(sa).toHaveLength(1);
    const rules = fs.filter((f) => f.kind === 'inbox-rule');
    expect(sa[0]).toMatchObject({
      id: `source-activity:ip:${EVIL}`, severity: 'high', mailbox: MEG, evidence: ['event:si-1', 'event:send-1'],
      related: rules.map((f) => f.id).sort(), source: { ips: [EVIL], apps: [], actors: [MEG] },
    });
    for (const f of rules) expect(f.related).toEqual([`source-activity:ip:${EVIL}`]);
    expect(sa[0]!.title).toBe(`Other activity from IP ${EVIL}, the source of 2 high or critical finding(s): 1 sign-in, 1 send, 2 admin commands, 1000 mail accesses (MailItemsAccessed)`);
    expect(sa[0]!.detail).toContain('UserLoggedIn as megan.bowen@contoso.com, app evil-app, agent python-requests/2.32.3 (Success)');
    expect(sa[0]!.detail).toContain('Send by megan.bowen@contoso.com: "Updated bank details" to payments@evil.example (outside the tenant), adele.vance@contoso.com');
    expect(sa[0]!.detail).not.toContain('adele.vance@contoso.com (outside');
    expect(sa[0]!.detail).toContain('and 2 more (operation, account) groups');
    expect(sa[0]!.remediation).toContain(`-IPAddresses '${EVIL}'`);
  });

  it('is kept under --min-severity high and dropped under critical; without the look-up nothing is added', () => {
    expect(findings(() => {}, { changes: [rule()] }, { sourceActivity: lookup, minSeverity: 'high' }).some((f) => f.kind === 'source-activity')).toBe(true);
    calls.length = 0;
    const critical = findings(() => {}, { changes: [rule()] }, { sourceActivity: lookup, minSeverity: 'critical' });
    // The rule forwards outside the tenant (critical) and names the IP, yet its source is not looked up:
    // a source-activity finding (always high) could not be kept, so no kept finding may point at one.
    expect(critical.map((f) => [f.kind, f.severity])).toEqual([['inbox-rule', 'critical']]);
    expect(critical.some((f) => f.kind === 'source-activity' || (f.related ?? []).some((r) => r.startsWith('source-activity:')))).toBe(false);
    expect(calls).toEqual([]);
    expect(findings(() => {}, { changes: [rule()] }).some((f) => f.kind === 'source-activity' || f.related !== undefined)).toBe(false);
  });

  it('an organisation-wide window names the IP of the command that opened it, and that IP is looked up', () => {
    calls.length = 0;
    const off = { ...adminRecord('Set-OrganizationConfig', T0 + 2 * D, [['AuditDisabled', 'True']], { UserId: 'adm.patti@contoso.com' }), clientIp: EVIL };
    const fs = findings((i) => { i.changes.push(off); }, {}, { sourceActivity: lookup });
    const win = fs.find((f) => f.kind === 'org-audit-disabled')!;
    expect(win).toMatchObject({ severity: 'critical', evidence: expect.arrayContaining([`event:${off.recordId}`]), source: { ips: [EVIL], apps: [], actors: ['adm.patti@contoso.com'] } });
    expect(win.related).toEqual([`source-activity:ip:${EVIL}`]);
    expect(calls.map((c) => c.value)).toEqual([EVIL]);
    expect(fs.find((f) => f.kind === 'source-activity')!.related).toContain(win.id);
  });

  it('a medium finding does not make its source a finding (no look-up), nor does a source with no records', () => {
    calls.length = 0;
    const src = (ip: string, firstMs: number): AccessSource => ({ mailbox: MEG, ip, appId: 'owa', clientInfo: 'Client=OWA', firstMs, lastMs: firstMs, count: 1, firstRecordId: `r-${ip}` });
    const fs = findings(() => {}, { sources: [src('198.51.100.7', T0), src(EVIL, T0 + 12 * D)] }, { sourceActivity: lookup });
    expect(fs.find((f) => f.kind === 'new-access-source')).toMatchObject({ severity: 'medium', source: { ips: [EVIL], apps: [], actors: [] } });
    expect(calls).toEqual([]);
    const other = { ...rule(), clientIp: '198.51.100.99' };
    expect(findings(() => {}, { changes: [other] }, { sourceActivity: lookup }).some((f) => f.kind === 'source-activity')).toBe(false);
    expect(calls.map((c) => c.value)).toEqual(['198.51.100.99']);
  });
});
