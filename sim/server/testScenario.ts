// A small, deterministic Scenario for the emulator's own tests and benchmark: a few mailboxes and a
// configurable number of records per day in §5 shapes (MailItemsAccessed Bind, Send, SoftDelete,
// New-InboxRule, Set-MailboxAuditBypassAssociation, UserLoggedIn, FileAccessed). Record i of day d has a
// predictable time, so tests can compute exactly what a window must contain.
import { createHash } from 'node:crypto';
import type { GroundTruth, Scenario, SimTenant, SimUser, UalRecord } from '../scenario/types.ts';

const DAY = 86_400_000;

export interface TestScenarioOptions {
  seed?: number;
  days?: number;
  eventsPerDay?: number;
  /** Tenant "now" (range end). Default 2026-11-10T12:00:00Z so tests are reproducible. */
  now?: Date;
  ualRetentionDays?: number;
  mailboxAuditLogRetired?: boolean;
}

export const TEST_TENANT_ID = '4b8c18bd-1c2d-4e5f-8a9b-9f1061cf9c32';
export const TEST_DOMAIN = 'contoso.onmicrosoft.com';

/** The kinds cycled through, one per record index (index mod KINDS.length). */
export const TEST_RECORD_KINDS = ['mia', 'send', 'softdelete', 'logon', 'mia', 'file', 'inboxrule', 'bypass'] as const;

function guid(...parts: (string | number)[]): string {
  const h = createHash('sha1').update(parts.join('|')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Zone-less UTC ISO time as the classic record carries it. */
function isoNoZone(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

function makeUsers(seed: number): SimUser[] {
  const rows: [string, string, SimUser['kind']][] = [
    ['alex', 'Alex Wilber', 'human'],
    ['megan', 'Megan Bowen', 'human'],
    ['admin', 'Tenant Admin', 'admin'],
    ['finance', 'Finance Shared', 'shared'],
    ['svc-archive', 'Archive Service', 'service'],
  ];
  return rows.map(([alias, displayName, kind], i) => ({
    id: guid(seed, 'user', alias),
    userPrincipalName: `${alias}@${TEST_DOMAIN}`,
    displayName,
    alias,
    kind,
    userKey: `10032000${(0xa1b2c3d0 + i).toString(16).toUpperCase()}`,
    sid: `S-1-5-21-3007612343-326144747-4028531239-${4420870 + i}`,
    mailboxGuid: guid(seed, 'mbx', alias),
  }));
}

const AUDIT_ADMIN = ['Update', 'MoveToDeletedItems', 'SoftDelete', 'HardDelete', 'SendAs', 'SendOnBehalf', 'Create', 'UpdateFolderPermissions', 'UpdateInboxRules', 'UpdateCalendarDelegation', 'ApplyRecord', 'MailItemsAccessed', 'Send'];
const AUDIT_DELEGATE = ['Update', 'MoveToDeletedItems', 'SoftDelete', 'HardDelete', 'SendAs', 'SendOnBehalf', 'Create', 'UpdateFolderPermissions', 'UpdateInboxRules', 'ApplyRecord', 'MailItemsAccessed'];
const AUDIT_OWNER = ['Update', 'MoveToDeletedItems', 'SoftDelete', 'HardDelete', 'UpdateFolderPermissions', 'UpdateInboxRules', 'UpdateCalendarDelegation', 'ApplyRecord', 'MailItemsAccessed', 'Send'];

const E5_SKU = '06ebc4ee-1bb5-47dd-8120-11324bc54e06';
const E3_SKU = '05e9a617-0261-4cee-bb44-138d3ef5d965';
const ADV_AUDIT_PLAN = '2f442157-a11c-46b9-ae5b-6e39ff4e5849';

function makeTenant(users: SimUser[], opts: Required<Pick<TestScenarioOptions, 'ualRetentionDays' | 'mailboxAuditLogRetired'>>): SimTenant {
  const mailboxes = users.map((u) => ({
    Identity: u.alias,
    Name: u.alias,
    Alias: u.alias,
    DisplayName: u.displayName,
    UserPrincipalName: u.userPrincipalName,
    PrimarySmtpAddress: u.userPrincipalName,
    RecipientTypeDetails: u.kind === 'shared' ? 'SharedMailbox' : 'UserMailbox',
    'ExchangeGuid@data.type': 'System.Guid',
    ExchangeGuid: u.mailboxGuid,
    ExternalDirectoryObjectId: u.id,
    'Guid@data.type': 'System.Guid',
    Guid: u.mailboxGuid,
    AuditEnabled: u.alias !== 'megan',
    AuditLogAgeLimit: '90.00:00:00',
    'AuditAdmin@odata.type': '#Collection(String)',
    AuditAdmin: AUDIT_ADMIN,
    'AuditDelegate@odata.type': '#Collection(String)',
    AuditDelegate: AUDIT_DELEGATE,
    'AuditOwner@odata.type': '#Collection(String)',
    AuditOwner: AUDIT_OWNER,
    'DefaultAuditSet@odata.type': '#Collection(String)',
    DefaultAuditSet: ['Admin', 'Delegate', 'Owner'],
    'PersistedCapabilities@odata.type': '#Collection(String)',
    PersistedCapabilities: u.alias === 'megan' ? ['BPOS_S_Enterprise'] : ['BPOS_S_Enterprise', 'M365Auditing'],
    'WhenCreated@data.type': 'System.DateTime',
    WhenCreated: '2023-01-10T09:00:00',
  }));
  return {
    tenantId: TEST_TENANT_ID,
    domain: TEST_DOMAIN,
    organizationName: TEST_DOMAIN,
    users,
    mailboxes,
    bypassAssociations: users.map((u) => ({
      Name: u.alias,
      Identity: u.alias,
      Id: u.alias,
      'Guid@data.type': 'System.Guid',
      Guid: u.mailboxGuid,
      ExchangeObjectId: u.mailboxGuid,
      AuditBypassEnabled: u.alias === 'svc-archive',
      IsValid: true,
      'WhenChangedUTC@data.type': 'System.DateTime',
      WhenChangedUTC: '2026-10-28T09:12:00Z',
    })),
    organizationConfig: { Identity: TEST_DOMAIN, Name: TEST_DOMAIN, AuditDisabled: false, IsValid: true },
    adminAuditLogConfig: {
      Identity: 'Admin Audit Log Settings',
      UnifiedAuditLogIngestionEnabled: true,
      AdminAuditLogEnabled: true,
      AdminAuditLogAgeLimit: '90.00:00:00',
      'AdminAuditLogCmdlets@odata.type': '#Collection(String)',
      AdminAuditLogCmdlets: ['*'],
      LogLevel: 'None',
      'UnifiedAuditLogFirstOptInDate@data.type': 'System.DateTime',
      UnifiedAuditLogFirstOptInDate: '2023-01-10T09:00:00',
    },
    licences: users.filter((u) => u.kind !== 'shared' && u.kind !== 'service').map((u) => {
      const e5 = u.alias !== 'megan';
      return {
        userId: u.id,
        userPrincipalName: u.userPrincipalName,
        skuId: e5 ? E5_SKU : E3_SKU,
        skuPartNumber: e5 ? 'SPE_E5' : 'SPE_E3',
        servicePlans: e5
          ? [{ servicePlanId: ADV_AUDIT_PLAN, servicePlanName: 'M365_ADVANCED_AUDITING', provisioningStatus: 'Success', appliesTo: 'User' }]
          : [{ servicePlanId: '9aaf7827-d63c-4b61-89c3-182f06f82e5c', servicePlanName: 'EXCHANGE_S_ENTERPRISE', provisioningStatus: 'Success', appliesTo: 'User' }],
        assignedByGroup: u.alias === 'alex' ? guid('group', 'e5-users') : null,
        state: 'Active',
        error: null,
      };
    }),
    subscribedSkus: [
      { id: `${TEST_TENANT_ID}_${E5_SKU}`, skuId: E5_SKU, skuPartNumber: 'SPE_E5', capabilityStatus: 'Enabled', consumedUnits: 3, prepaidUnits: { enabled: 10, suspended: 0, warning: 0 }, servicePlans: [{ servicePlanId: ADV_AUDIT_PLAN, servicePlanName: 'M365_ADVANCED_AUDITING', provisioningStatus: 'Success', appliesTo: 'User' }] },
      { id: `${TEST_TENANT_ID}_${E3_SKU}`, skuId: E3_SKU, skuPartNumber: 'SPE_E3', capabilityStatus: 'Enabled', consumedUnits: 1, prepaidUnits: { enabled: 5, suspended: 0, warning: 0 }, servicePlans: [] },
    ],
    inboxRules: {
      [`alex@${TEST_DOMAIN}`]: [
        { Identity: 'alex\\1234567890123456789', Name: '.', Enabled: true, MoveToFolder: 'RSS Feeds', MarkAsRead: true, StopProcessingRules: true, 'SubjectOrBodyContainsWords@odata.type': '#Collection(String)', SubjectOrBodyContainsWords: ['invoice', 'payment'], MailboxOwnerId: 'alex', RuleIdentity: '1234567890123456789' },
      ],
    },
    ualRetentionDays: opts.ualRetentionDays,
    mailboxAuditLogRetired: opts.mailboxAuditLogRetired,
  };
}

function makeRecord(users: SimUser[], seed: number, ms: number, idx: number, dayIndex: number): UalRecord {
  const kind = TEST_RECORD_KINDS[idx % TEST_RECORD_KINDS.length] ?? 'mia';
  const u = users[(idx >> 3) % users.length] ?? users[0]!;
  const base = {
    CreationTime: isoNoZone(ms),
    Id: guid(seed, 'rec', dayIndex, idx),
    OrganizationId: TEST_TENANT_ID,
    UserKey: u.userKey,
    UserType: 0,
    Version: 1,
    UserId: u.userPrincipalName,
  };
  const mbx = {
    ClientIPAddress: idx % 5 === 0 ? '203.0.113.154' : '198.51.100.7',
    ClientInfoString: 'Client=OWA;Action=ViaProxy',
    ExternalAccess: false,
    InternalLogonType: 0,
    LogonType: 0,
    LogonUserSid: u.sid,
    MailboxGuid: u.mailboxGuid,
    MailboxOwnerSid: u.sid,
    MailboxOwnerUPN: u.userPrincipalName,
    OrganizationName: TEST_DOMAIN,
    OriginatingServer: 'CY5PR05MB9143 (15.20.4200.000)\r\n',
    SessionId: guid(seed, 'session', u.alias, dayIndex),
    Workload: 'Exchange',
    ResultStatus: 'Succeeded',
  };
  switch (kind) {
    case 'mia':
      return {
        ...base, ...mbx, Operation: 'MailItemsAccessed', RecordType: 50, AppId: '00000002-0000-0ff1-ce00-000000000000',
        OperationProperties: [{ Name: 'MailAccessType', Value: 'Bind' }, { Name: 'IsThrottled', Value: 'False' }],
        Folders: [{ Id: 'LgAAAAALcWhVmnTeRJS8qp8HxA25AQC', Path: '\\Inbox', FolderItems: [{ InternetMessageId: `<m${dayIndex}.${idx}@contoso.com>`, SizeInBytes: 15380 + idx }] }],
        OperationCount: 1,
      };
    case 'send':
      return { ...base, ...mbx, Operation: 'Send', RecordType: 2, ClientIP: mbx.ClientIPAddress, Item: { Id: 'Unknown', InternetMessageId: `<s${dayIndex}.${idx}@contoso.com>`, ParentFolder: { Id: 'LgAAAAALcWhV', Path: '\\Drafts' }, SizeInBytes: 3991, Subject: `Invoice ${idx}` } };
    case 'softdelete':
      return { ...base, ...mbx, Operation: 'SoftDelete', RecordType: 3, CrossMailboxOperation: false, Folder: { Id: 'LgAAAA', Path: '\\Inbox' }, AffectedItems: [{ Id: 'RgAAAA', InternetMessageId: `<d${dayIndex}.${idx}@contoso.com>`, Subject: 'RE: Invoice', ParentFolder: { Id: 'LgAAAA', Path: '\\Inbox' } }] };
    case 'logon':
      return { ...base, Operation: 'UserLoggedIn', RecordType: 15, ResultStatus: 'Success', Workload: 'AzureActiveDirectory', ClientIP: '203.0.113.154', ObjectId: '00000002-0000-0000-c000-000000000000', UserKey: u.id, ExtendedProperties: [{ Name: 'ResultStatusDetail', Value: 'Success' }], Actor: [{ ID: u.id, Type: 0 }, { ID: u.userPrincipalName, Type: 5 }] };
    case 'file':
      return { ...base, Operation: 'FileAccessed', RecordType: 6, ResultStatus: 'Succeeded', Workload: 'SharePoint', ClientIP: '198.51.100.7', ObjectId: `https://contoso.sharepoint.com/sites/fin/doc${idx}.xlsx`, SiteUrl: 'https://contoso.sharepoint.com/sites/fin/', SourceFileName: `doc${idx}.xlsx` };
    case 'inboxrule':
      return { ...base, Operation: 'New-InboxRule', RecordType: 1, ResultStatus: 'True', Workload: 'Exchange', ClientIP: '203.0.113.154', ObjectId: `${u.alias}\\.`, AppId: '', ClientAppId: '', ExternalAccess: false, OrganizationName: TEST_DOMAIN, OriginatingServer: 'AM0PR04MB1234 (15.20.7472.010)', Parameters: [{ Name: 'MoveToFolder', Value: 'RSS Feeds' }, { Name: 'Name', Value: '.' }, { Name: 'SubjectOrBodyContainsWords', Value: 'invoice;payment' }] };
    default:
      return { ...base, Operation: 'Set-MailboxAuditBypassAssociation', RecordType: 1, ResultStatus: 'True', Workload: 'Exchange', UserId: users[2]!.userPrincipalName, UserType: 2, ObjectId: 'svc-archive', ExternalAccess: false, OrganizationName: TEST_DOMAIN, Parameters: [{ Name: 'Identity', Value: 'svc-archive' }, { Name: 'AuditBypassEnabled', Value: idx % 16 === 7 ? 'True' : 'False' }] };
  }
}

export function createTestScenario(options: TestScenarioOptions = {}): Scenario {
  const seed = options.seed ?? 1;
  const days = options.days ?? 3;
  const eventsPerDay = options.eventsPerDay ?? 48;
  const now = options.now ?? new Date('2026-11-10T12:00:00Z');
  const nowMs = now.getTime();
  const firstMidnight = Math.floor((nowMs - 1) / DAY) * DAY - (days - 1) * DAY;
  const range = { start: new Date(firstMidnight), end: new Date(nowMs) };
  const users = makeUsers(seed);
  const tenant = makeTenant(users, { ualRetentionDays: options.ualRetentionDays ?? 180, mailboxAuditLogRetired: options.mailboxAuditLogRetired ?? false });
  const timeOf = (dayIndex: number, i: number): number => firstMidnight + dayIndex * DAY + Math.floor(((i + 0.5) * DAY) / eventsPerDay);

  function recordsForDay(dayIndex: number): UalRecord[] {
    const out: UalRecord[] = [];
    if (dayIndex < 0 || dayIndex >= days) return out;
    for (let i = 0; i < eventsPerDay; i++) {
      const ms = timeOf(dayIndex, i);
      if (ms >= nowMs) break;
      out.push(makeRecord(users, seed, ms, i, dayIndex));
    }
    return out;
  }

  function* recordsBetween(startMs: number, endMs: number): Generator<UalRecord> {
    const first = Math.max(0, Math.floor((startMs - firstMidnight) / DAY));
    for (let d = first; d < days; d++) {
      if (firstMidnight + d * DAY >= endMs) return;
      for (let i = 0; i < eventsPerDay; i++) {
        const ms = timeOf(d, i);
        if (ms >= nowMs || ms >= endMs) return;
        if (ms < startMs) continue;
        yield makeRecord(users, seed, ms, i, d);
      }
    }
  }

  function* mailboxAuditRecords(upn: string, startMs: number, endMs: number): Generator<UalRecord> {
    const limit = nowMs - 90 * DAY; // AuditLogAgeLimit 90 days
    for (const r of recordsBetween(Math.max(startMs, limit), endMs)) {
      if (typeof r.MailboxOwnerUPN === 'string' && r.MailboxOwnerUPN.toLowerCase() === upn.toLowerCase()) yield r;
    }
  }

  const total = (): number => {
    let n = 0;
    for (let d = 0; d < days; d++) for (let i = 0; i < eventsPerDay; i++) if (timeOf(d, i) < nowMs) n++;
    return n;
  };

  function groundTruth(): GroundTruth {
    return {
      scenario: 'quiet',
      seed,
      range: { start: range.start.toISOString(), end: range.end.toISOString() },
      records: { total: total(), bySource: { unifiedAuditLog: total() } },
      mailboxes: users.map((u) => ({ upn: u.userPrincipalName, kind: u.kind })),
      blindWindows: [],
      exposedMessages: [],
      syncedFolders: [],
      attacker: { ips: ['203.0.113.154'], sessionIds: [], appIds: [] },
      contentSearches: [],
      attackerActions: [],
    };
  }

  return {
    options: { scenario: 'quiet', seed, mailboxes: users.length, days, eventsPerDay, now },
    tenant,
    range,
    dayCount: days,
    recordsForDay,
    recordsBetween,
    mailboxAuditRecords,
    groundTruth,
  };
}
