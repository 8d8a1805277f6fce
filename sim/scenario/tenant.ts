// The simulated tenant: people, mailboxes, licences and audit configuration, in the shapes Exchange
// Online and Graph serialise them (protocol reference §4.10, §2; field notes "why audit goes blind").
// Everything here depends only on the seed and the mailbox count, never on the day being generated.
import type { AccountKind, SimLicence, SimTenant, SimUser } from './types.ts';
import { Rng, hash32, hex8, stableGuid } from './rng.ts';

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
export const MIN_MS = 60_000;

// Default mailbox actions per logon type (A1 table, as listed in protocol reference §4.10).
export const DEFAULT_AUDIT_ADMIN = ['Update', 'MoveToDeletedItems', 'SoftDelete', 'HardDelete', 'SendAs', 'SendOnBehalf', 'Create', 'UpdateFolderPermissions', 'UpdateInboxRules', 'UpdateCalendarDelegation', 'ApplyRecord', 'MailItemsAccessed', 'Send'];
export const DEFAULT_AUDIT_DELEGATE = ['Update', 'MoveToDeletedItems', 'SoftDelete', 'HardDelete', 'SendAs', 'SendOnBehalf', 'Create', 'UpdateFolderPermissions', 'UpdateInboxRules', 'ApplyRecord', 'MailItemsAccessed'];
export const DEFAULT_AUDIT_OWNER = ['Update', 'MoveToDeletedItems', 'SoftDelete', 'HardDelete', 'UpdateFolderPermissions', 'UpdateInboxRules', 'UpdateCalendarDelegation', 'ApplyRecord', 'MailItemsAccessed', 'Send'];
/** An owner list an admin customised years ago: MailItemsAccessed was never added to it. */
const CUSTOM_AUDIT_OWNER = ['Update', 'MoveToDeletedItems', 'SoftDelete', 'HardDelete'];

// Licensing (Graph subscribedSkus / licenseDetails). Ids are Microsoft's published product and
// service-plan identifiers.
export const SKU_E5 = { skuId: '06ebc4ee-1bb5-47dd-8120-11324bc54e06', skuPartNumber: 'SPE_E5' };
export const SKU_E3 = { skuId: '05e9a617-0261-4cee-bb44-138d3ef5d965', skuPartNumber: 'SPE_E3' };
export const PLAN_ADVANCED_AUDITING = { servicePlanId: '2f442157-a11c-46b9-ae5b-6e39ff4e5849', servicePlanName: 'M365_ADVANCED_AUDITING' };
const PLANS_COMMON = [
  { servicePlanId: 'efb87545-963c-4e0d-99df-69c6916d9eb0', servicePlanName: 'EXCHANGE_S_ENTERPRISE' },
  { servicePlanId: '5dbe027f-2339-4123-9542-606e4d348a72', servicePlanName: 'SHAREPOINTENTERPRISE' },
  { servicePlanId: '57ff2da0-773e-42df-b2af-ffb7a2317929', servicePlanName: 'TEAMS1' },
  { servicePlanId: '43de0ff5-c92c-492b-9116-175376d08c38', servicePlanName: 'OFFICESUBSCRIPTION' },
];
const PLANS_E5_EXTRA = [
  PLAN_ADVANCED_AUDITING,
  { servicePlanId: '4de31727-a228-4ec3-a5bf-8e45b5ca48cc', servicePlanName: 'EQUIVIO_ANALYTICS' },
];

export type LicenceKind = 'E5' | 'E3' | 'E5-group-failed' | 'none';

/** Generator-side view of one mailbox (not served; the served shapes are in SimTenant). */
export interface MailboxProfile {
  index: number;
  user: SimUser;
  upn: string;              // lower case
  kind: AccountKind;
  licence: LicenceKind;
  /** Advanced Auditing in effect: an Active licence whose M365_ADVANCED_AUDITING plan is Success. */
  advancedAuditing: boolean;
  auditEnabled: boolean;
  auditOwner: string[];
  auditDelegate: string[];
  auditAdmin: string[];
  ageLimitDays: number;
  /** Bypass association enabled before the range began (no record of it in range). */
  bypassFromStart: boolean;
  /** Indices of people with FullAccess to this mailbox (shared mailboxes). */
  delegates: number[];
  officeIp: string;
  homeIp: string;
  mobileIp: string;
  server: string;
}

interface RosterEntry {
  alias: string;
  displayName: string;
  kind: AccountKind;
  licence: LicenceKind;
  auditEnabled?: boolean;
  customOwner?: boolean;
  ageLimitDays?: number;
  bypass?: boolean;
}

/** The core twelve mailboxes every scenario has; indices are referred to by the incident script. */
const CORE_ROSTER: RosterEntry[] = [
  { alias: 'megan.bowen', displayName: 'Megan Bowen', kind: 'human', licence: 'E5' },                       // 0: BEC victim
  { alias: 'adele.vance', displayName: 'Adele Vance', kind: 'human', licence: 'E5', ageLimitDays: 180 },    // 1
  { alias: 'alex.wilber', displayName: 'Alex Wilber', kind: 'human', licence: 'E3' },                       // 2: no Advanced Auditing
  { alias: 'diego.siciliani', displayName: 'Diego Siciliani', kind: 'human', licence: 'E5-group-failed' },  // 3: group licence not in effect
  { alias: 'lynne.robbins', displayName: 'Lynne Robbins', kind: 'human', licence: 'E5', customOwner: true }, // 4: customised owner set
  { alias: 'nestor.wilke', displayName: 'Nestor Wilke', kind: 'human', licence: 'E5', auditEnabled: false, ageLimitDays: 14 }, // 5
  { alias: 'adm.patti', displayName: 'Patti Fernandez (Admin)', kind: 'admin', licence: 'E5' },             // 6: compromised admin
  { alias: 'grady.archie', displayName: 'Grady Archie', kind: 'human', licence: 'E5', ageLimitDays: 7 },    // 7: short age limit
  { alias: 'finance', displayName: 'Finance', kind: 'shared', licence: 'none' },                            // 8: shared, delegates 0 and 1
  { alias: 'room.rainier', displayName: 'Rainier Conference Room', kind: 'room', licence: 'none' },         // 9
  { alias: 'svc-archive', displayName: 'Archive Service', kind: 'service', licence: 'E3', bypass: true },   // 10: legitimate bypass
  { alias: 'johanna.lorenz', displayName: 'Johanna Lorenz', kind: 'human', licence: 'E5' },                 // 11
];

export const VICTIM = 0;
export const COMPROMISED_ADMIN = 6;
export const SHARED_FINANCE = 8;

const FIRST = ['Aiko', 'Bruno', 'Chloe', 'Dmitri', 'Elena', 'Farid', 'Greta', 'Hiro', 'Ines', 'Jonas', 'Kemal', 'Lena', 'Mateo', 'Nora', 'Omar', 'Priya', 'Quinn', 'Rosa', 'Sven', 'Tara', 'Umar', 'Vera', 'Wes', 'Yara', 'Zoltan'];
const LAST = ['Adams', 'Berg', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Haddad', 'Ivanova', 'Jensen', 'Kowalski', 'Larsen', 'Moreau', 'Novak', 'Okafor', 'Petrov', 'Rossi', 'Silva', 'Tanaka', 'Weber'];
const SERVERS = ['CY5PR05MB9143', 'SA2PR06MB7369', 'AM0PR04MB1234', 'DM6PR11MB4105', 'PH0PR19MB5372', 'BN9PR12MB5210', 'DB9PR08MB6591', 'LO2P265MB2911'];

function rosterEntry(i: number, rng: Rng): RosterEntry {
  const core = CORE_ROSTER[i];
  if (core) return core;
  const first = rng.pick(FIRST);
  const last = rng.pick(LAST);
  const alias = `${first}.${last}${i}`.toLowerCase();
  const r = rng.next();
  // Extra mailboxes (the `large` scenario): mostly E5 humans with a realistic tail of gaps.
  if (r < 0.04) return { alias: `shared${i}`, displayName: `Shared ${i}`, kind: 'shared', licence: 'none' };
  if (r < 0.06) return { alias: `room${i}`, displayName: `Room ${i}`, kind: 'room', licence: 'none' };
  if (r < 0.08) return { alias: `svc${i}`, displayName: `Service ${i}`, kind: 'service', licence: 'E3' };
  if (r < 0.1) return { alias, displayName: `${first} ${last} (Admin)`, kind: 'admin', licence: 'E5' };
  const lic: LicenceKind = r < 0.25 ? 'E3' : r < 0.28 ? 'E5-group-failed' : 'E5';
  return {
    alias, displayName: `${first} ${last}`, kind: 'human', licence: lic,
    auditEnabled: !(r > 0.28 && r < 0.3), customOwner: r > 0.3 && r < 0.32, ageLimitDays: r > 0.97 ? 30 : 90,
  };
}

export interface TenantModel {
  tenant: SimTenant;
  profiles: MailboxProfile[];
  orgId: string;
  /** Id of the group whose E5 assignment did not take effect. */
  licenceGroupId: string;
}

function timeSpan(days: number): string {
  return `${days}.00:00:00`;
}

export function buildTenant(seed: number, mailboxes: number, mailboxAuditLogRetired: boolean, ualRetentionDays: number, nowMs: number): TenantModel {
  const rng = new Rng(seed, 'tenant');
  const tenantId = stableGuid(seed, 'tenant');
  const domain = 'contoso.onmicrosoft.com';
  const licenceGroupId = stableGuid(seed, 'group-e5');
  const sidBase = `S-1-5-21-${hash32(seed, 'sid1') % 4000000000}-${hash32(seed, 'sid2') % 4000000000}-${hash32(seed, 'sid3') % 4000000000}`;
  const profiles: MailboxProfile[] = [];
  const users: SimUser[] = [];
  for (let i = 0; i < mailboxes; i++) {
    const e = rosterEntry(i, rng);
    const upn = `${e.alias}@${domain}`;
    const user: SimUser = {
      id: stableGuid(seed, 'user', i),
      userPrincipalName: upn,
      displayName: e.displayName,
      alias: e.alias,
      kind: e.kind,
      userKey: `1003${hex8(hash32(seed, 'puid', i)).toUpperCase()}${hex8(hash32(seed, 'puid2', i)).toUpperCase().slice(0, 4)}`,
      sid: `${sidBase}-${1100 + i * 7}`,
      mailboxGuid: stableGuid(seed, 'mailbox', i),
    };
    users.push(user);
    const advancedAuditing = e.licence === 'E5';
    profiles.push({
      index: i, user, upn: upn.toLowerCase(), kind: e.kind, licence: e.licence, advancedAuditing,
      auditEnabled: e.auditEnabled ?? true,
      auditOwner: e.customOwner ? CUSTOM_AUDIT_OWNER : DEFAULT_AUDIT_OWNER,
      auditDelegate: DEFAULT_AUDIT_DELEGATE,
      auditAdmin: DEFAULT_AUDIT_ADMIN,
      ageLimitDays: e.ageLimitDays ?? 90,
      bypassFromStart: e.bypass ?? false,
      delegates: [],
      officeIp: `198.51.100.${10 + (i % 8)}`,
      homeIp: `192.0.2.${20 + (i % 200)}`,
      mobileIp: `2001:db8:${(0x100 + i).toString(16)}::${(hash32(seed, 'm', i) & 0xfff).toString(16)}`,
      server: SERVERS[hash32(seed, 'srv', i) % SERVERS.length] ?? 'CY5PR05MB9143',
    });
  }
  // Shared mailboxes are opened by two or three people.
  const humans = profiles.filter((p) => p.kind === 'human' || p.kind === 'admin').map((p) => p.index);
  for (const p of profiles) {
    if (p.kind !== 'shared') continue;
    if (p.index === SHARED_FINANCE) p.delegates = [0, 1];
    else p.delegates = [rng.pick(humans), rng.pick(humans)].filter((v, k, a) => a.indexOf(v) === k);
  }

  const mailboxObjects = profiles.map((p) => getMailboxObject(p, tenantId));
  const licences: SimLicence[] = [];
  for (const p of profiles) {
    if (p.licence === 'none') continue;
    const sku = p.licence === 'E3' ? SKU_E3 : SKU_E5;
    const groupFailed = p.licence === 'E5-group-failed';
    const plans = p.licence === 'E3' ? PLANS_COMMON : [...PLANS_COMMON, ...PLANS_E5_EXTRA];
    licences.push({
      userId: p.user.id,
      userPrincipalName: p.user.userPrincipalName,
      skuId: sku.skuId,
      skuPartNumber: sku.skuPartNumber,
      servicePlans: plans.map((pl) => ({ ...pl, provisioningStatus: groupFailed ? 'PendingProvisioning' : 'Success', appliesTo: 'User' })),
      assignedByGroup: groupFailed ? licenceGroupId : null,
      state: groupFailed ? 'Error' : 'Active',
      error: groupFailed ? 'CountViolation' : null,
    });
  }
  const countOf = (skuId: string) => licences.filter((l) => l.skuId === skuId && l.state === 'Active').length;
  const subscribedSkus = [SKU_E5, SKU_E3].map((s) => ({
    id: `${tenantId}_${s.skuId}`,
    accountId: tenantId,
    accountName: 'contoso',
    appliesTo: 'User',
    capabilityStatus: 'Enabled',
    // E5 seats are exhausted: that is why the group-based assignment failed with CountViolation.
    consumedUnits: countOf(s.skuId),
    prepaidUnits: { enabled: countOf(s.skuId), suspended: 0, warning: 0, lockedOut: 0 },
    skuId: s.skuId,
    skuPartNumber: s.skuPartNumber,
    servicePlans: (s === SKU_E5 ? [...PLANS_COMMON, ...PLANS_E5_EXTRA] : PLANS_COMMON).map((pl) => ({ ...pl, provisioningStatus: 'Success', appliesTo: 'User' })),
  }));

  const bypassAssociations = profiles.map((p) => bypassObject(p, tenantId, p.bypassFromStart, nowMs - 400 * DAY_MS));
  const tenant: SimTenant = {
    tenantId,
    domain,
    organizationName: domain,
    users,
    mailboxes: mailboxObjects,
    bypassAssociations,
    organizationConfig: {
      Name: 'contoso',
      DisplayName: 'Contoso',
      Identity: 'contoso.onmicrosoft.com',
      'Guid@data.type': 'System.Guid',
      Guid: tenantId,
      AuditDisabled: false,
      IsDehydrated: false,
      'WhenChangedUTC@data.type': 'System.DateTime',
      WhenChangedUTC: iso(nowMs - 200 * DAY_MS) + 'Z',
    },
    adminAuditLogConfig: {
      Identity: 'Admin Audit Log Settings',
      Name: 'Admin Audit Log Settings',
      AdminAuditLogEnabled: true,
      'AdminAuditLogCmdlets@odata.type': '#Collection(String)',
      AdminAuditLogCmdlets: ['*'],
      'AdminAuditLogParameters@odata.type': '#Collection(String)',
      AdminAuditLogParameters: ['*'],
      'AdminAuditLogExcludedCmdlets@odata.type': '#Collection(String)',
      AdminAuditLogExcludedCmdlets: [],
      AdminAuditLogAgeLimit: '90.00:00:00',
      LogLevel: 'None',
      UnifiedAuditLogIngestionEnabled: true,
      'UnifiedAuditLogFirstOptInDate@data.type': 'System.DateTime',
      UnifiedAuditLogFirstOptInDate: iso(nowMs - 3 * 365 * DAY_MS) + 'Z',
    },
    licences,
    subscribedSkus,
    inboxRules: {},
    ualRetentionDays,
    mailboxAuditLogRetired,
  };
  return { tenant, profiles, orgId: tenantId, licenceGroupId };
}

export function iso(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

function recipientTypeDetails(kind: AccountKind): string {
  switch (kind) {
    case 'shared': return 'SharedMailbox';
    case 'room': return 'RoomMailbox';
    case 'equipment': return 'EquipmentMailbox';
    default: return 'UserMailbox';
  }
}

function getMailboxObject(p: MailboxProfile, tenantId: string): Record<string, unknown> {
  const defaultSet = ['Admin', 'Delegate', ...(p.auditOwner === DEFAULT_AUDIT_OWNER ? ['Owner'] : [])];
  const caps = p.licence === 'E5' ? ['BPOS_S_Enterprise', 'M365Auditing', 'BPOS_S_EquivioAnalytics', 'M365AuditPlatform']
    : p.licence === 'E3' ? ['BPOS_S_Enterprise', 'M365AuditPlatform']
    : p.licence === 'E5-group-failed' ? [] : [];
  return {
    Identity: p.user.alias,
    Name: p.user.alias,
    Alias: p.user.alias,
    DisplayName: p.user.displayName,
    UserPrincipalName: p.user.userPrincipalName,
    PrimarySmtpAddress: p.user.userPrincipalName,
    RecipientTypeDetails: recipientTypeDetails(p.kind),
    'ExchangeGuid@data.type': 'System.Guid',
    ExchangeGuid: p.user.mailboxGuid,
    ExternalDirectoryObjectId: p.user.id,
    'Guid@data.type': 'System.Guid',
    Guid: stableGuid('mbxobj', p.user.mailboxGuid),
    OrganizationId: tenantId,
    AuditEnabled: p.auditEnabled,
    AuditLogAgeLimit: timeSpan(p.ageLimitDays),
    'AuditAdmin@odata.type': '#Collection(String)',
    AuditAdmin: p.auditAdmin,
    'AuditDelegate@odata.type': '#Collection(String)',
    AuditDelegate: p.auditDelegate,
    'AuditOwner@odata.type': '#Collection(String)',
    AuditOwner: p.auditOwner,
    'DefaultAuditSet@odata.type': '#Collection(String)',
    DefaultAuditSet: defaultSet,
    'PersistedCapabilities@odata.type': '#Collection(String)',
    PersistedCapabilities: caps,
    IsValid: true,
    ObjectState: 'Unchanged',
  };
}

export function bypassObject(p: MailboxProfile, tenantId: string, enabled: boolean, whenChangedMs: number): Record<string, unknown> {
  const dn = `CN=${p.user.alias},OU=contoso.onmicrosoft.com,OU=Microsoft Exchange Hosted Organizations,DC=EURPR01A002,DC=PROD,DC=OUTLOOK,DC=COM`;
  return {
    Name: p.user.alias,
    Identity: p.user.alias,
    'Id@data.type': 'Microsoft.Exchange.Data.Directory.ADObjectId',
    Id: p.user.alias,
    'Guid@data.type': 'System.Guid',
    Guid: stableGuid('bypass', p.user.mailboxGuid),
    'ExchangeObjectId@data.type': 'System.Guid',
    ExchangeObjectId: stableGuid('exo', p.user.mailboxGuid),
    AuditBypassEnabled: enabled,
    DistinguishedName: dn,
    ObjectCategory: 'EURPR01A002.PROD.OUTLOOK.COM/Configuration/Schema/Person',
    'ObjectClass@odata.type': '#Collection(String)',
    ObjectClass: ['top', 'person', 'organizationalPerson', 'user'],
    OrganizationId: tenantId,
    OriginatingServer: 'AM0PR04A02DC001.EURPR04A002.PROD.OUTLOOK.COM',
    ExchangeVersion: '0.20 (15.0.0.0)',
    IsValid: true,
    'WhenChanged@data.type': 'System.DateTime',
    WhenChanged: iso(whenChangedMs),
    'WhenChangedUTC@data.type': 'System.DateTime',
    WhenChangedUTC: iso(whenChangedMs) + 'Z',
    'WhenCreated@data.type': 'System.DateTime',
    WhenCreated: iso(whenChangedMs - 30 * DAY_MS),
    'WhenCreatedUTC@data.type': 'System.DateTime',
    WhenCreatedUTC: iso(whenChangedMs - 30 * DAY_MS) + 'Z',
  };
}
