// The contract between the scenario generator (sim/scenario) and the HTTPS emulator (sim/server).
// A scenario is deterministic from its seed and generated a day at a time, so any time window can be
// served without holding the tenant's whole history in memory.

export type ScenarioName = 'bec' | 'quiet' | 'large';
export type FaultMode = 'none' | 'flaky' | 'hostile';

export interface ScenarioOptions {
  scenario: ScenarioName;
  seed: number;
  mailboxes?: number;
  days?: number;
  eventsPerDay?: number;
  /** End of the simulated range (the tenant's "now"); defaults to the current time rounded down to the hour. */
  now?: Date;
}

export type AccountKind = 'human' | 'admin' | 'shared' | 'room' | 'equipment' | 'service';

export interface SimUser {
  id: string;                 // Entra object id (GUID)
  userPrincipalName: string;
  displayName: string;
  alias: string;
  kind: AccountKind;
  userKey: string;            // classic PUID-style UserKey, e.g. 10032000A1B2C3D4
  sid: string;                // S-1-5-21-...
  mailboxGuid: string;
}

/** One licence of one user, in Graph licenseDetails shape plus how it was assigned. */
export interface SimLicence {
  userId: string;
  userPrincipalName: string;
  skuId: string;
  skuPartNumber: string;
  servicePlans: { servicePlanId: string; servicePlanName: string; provisioningStatus: string; appliesTo: string }[];
  /** null = direct; otherwise the group it was inherited through. */
  assignedByGroup: string | null;
  /** Graph licenseAssignmentStates state: Active | ActiveWithError | Error | Disabled. */
  state: string;
  error: string | null;
}

export interface SimTenant {
  tenantId: string;
  domain: string;             // contoso.onmicrosoft.com style
  organizationName: string;
  users: SimUser[];
  /** Get-Mailbox objects as Exchange serialises them (with @odata annotations). */
  mailboxes: Record<string, unknown>[];
  /** Get-MailboxAuditBypassAssociation objects (current state at `range.end`). */
  bypassAssociations: Record<string, unknown>[];
  organizationConfig: Record<string, unknown>;
  adminAuditLogConfig: Record<string, unknown>;
  licences: SimLicence[];
  subscribedSkus: Record<string, unknown>[];
  /** Get-InboxRule objects keyed by mailbox UPN (lower case). */
  inboxRules: Record<string, Record<string, unknown>[]>;
  /** Unified audit log retention in days for this tenant (what Search-UnifiedAuditLog / Graph still return). */
  ualRetentionDays: number;
  /** Search-MailboxAuditLog behaviour for this scenario. */
  mailboxAuditLogRetired: boolean;
}

/** A classic unified-audit-log record (the AuditData object, PascalCase, CreationTime without zone). */
export type UalRecord = Record<string, unknown> & { Id: string; CreationTime: string; RecordType: number; Operation: string };

export interface GroundTruth {
  scenario: ScenarioName;
  seed: number;
  range: { start: string; end: string };
  records: { total: number; bySource: Record<string, number> };
  mailboxes: { upn: string; kind: AccountKind }[];
  blindWindows: { mailbox: string; kind: string; start: string; end: string | null }[];
  exposedMessages: { mailbox: string; internetMessageId: string }[];
  syncedFolders: { mailbox: string; folder: string; time: string }[];
  attacker: { ips: string[]; sessionIds: string[]; appIds: string[] };
  /** eDiscovery content searches: one per search name, with its ExchangeLocation values and its records. */
  contentSearches: { name: string; actor: string; ip: string; locations: string[]; exported: boolean; recordIds: string[] }[];
  /** Every record from an attacker IP other than MailItemsAccessed (sign-ins, sends, cmdlets), in time order. */
  attackerActions: { recordId: string; time: string; operation: string; user: string; ip: string }[];
}

export interface Scenario {
  options: Required<Omit<ScenarioOptions, 'now'>> & { now: Date };
  tenant: SimTenant;
  /** Start (inclusive) and end (exclusive) of the generated activity. */
  range: { start: Date; end: Date };
  dayCount: number;
  /** All records created on day `i` (0 = the day containing range.start), sorted by CreationTime. Deterministic. */
  recordsForDay(dayIndex: number): UalRecord[];
  /** Records with startMs <= CreationTime < endMs, in time order, generated lazily day by day. */
  recordsBetween(startMs: number, endMs: number): Generator<UalRecord>;
  /** Records Search-MailboxAuditLog would return for one mailbox (respects AuditLogAgeLimit). */
  mailboxAuditRecords(upn: string, startMs: number, endMs: number): Generator<UalRecord>;
  groundTruth(): GroundTruth;
}
