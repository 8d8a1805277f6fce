// The domain model shared by every layer: what a normalised audit record, a mailbox access item and a
// configuration snapshot look like once parsed. Parsers (core/formats) produce these; db/ stores them;
// analysis (core/coverage, core/exposure) reads them back. Pure types, no I/O.
import type { DatesRead } from './time.ts';

/** Where in an evidence file a record came from. */
export interface SourceLocation {
  /** 1-based line for line-oriented formats (JSONL, CSV physical line where the row starts). */
  line?: number;
  /** 1-based data row for CSV (header excluded). */
  row?: number;
  /** 0-based element index inside a JSON array, or byte offset where neither applies. */
  offset?: number;
}

export type AccessType = 'Bind' | 'Sync';

/** One item in a MailItemsAccessed (or related RecordType 50) record. */
export interface AccessItem {
  folderPath: string | null;
  folderId: string | null;
  /** InternetMessageId; null for a Sync (whole folder) row or an item without one. */
  internetMessageId: string | null;
  sizeBytes: number | null;
  accessType: AccessType | null;
  subject: string | null;
}

/** A unified-audit-log record after normalisation. Every source (file or API) ends up as one of these. */
export interface AuditEvent {
  /** The record's `Id`, or `sha256:<hex>` of its canonical JSON when it has none. */
  recordId: string;
  idSynthetic: boolean;
  /** Milliseconds since the epoch, UTC. */
  timeMs: number;
  recordType: number | null;
  recordTypeName: string | null;
  operation: string | null;
  workload: string | null;
  /** Actor UPN or system identity (classic `UserId`). */
  userId: string | null;
  userKey: string | null;
  userType: number | null;
  /** The mailbox acted on: MailboxOwnerUPN, else the resolved target of an admin cmdlet. */
  mailbox: string | null;
  objectId: string | null;
  /** Client IP with port and brackets removed; IPv6 kept. */
  clientIp: string | null;
  sessionId: string | null;
  appId: string | null;
  clientAppId: string | null;
  logonType: number | null;
  resultStatus: string | null;
  clientInfo: string | null;
  /** The whole AuditData record as a JSON object (the classic PascalCase record). */
  auditData: Record<string, unknown>;
  /** The AuditData JSON exactly as received, when the source carried it as text (stored verbatim). */
  auditDataText?: string;
  /**
   * Where auditDataText lies in the file it was read from, in bytes [start, end), when it is a whole
   * record of that file as written (a JSON line, an element of a JSON array, a top-level JSON object):
   * the case stores the range and reads the text from the evidence file.
   */
  auditDataBytes?: { start: number; end: number };
  /** Access items for MailItemsAccessed and related records (empty otherwise). */
  items: AccessItem[];
  /** Extra text for full-text search: subjects, folder paths, parameters. */
  searchText: string;
}

// ---- configuration snapshots -------------------------------------------------------------------

export interface MailboxConfig {
  identity: string | null;
  userPrincipalName: string | null;
  primarySmtpAddress: string | null;
  displayName: string | null;
  alias: string | null;
  exchangeGuid: string | null;
  externalDirectoryObjectId: string | null;
  recipientTypeDetails: string | null;
  auditEnabled: boolean | null;
  auditLogAgeLimitDays: number | null;
  auditOwner: string[] | null;
  auditDelegate: string[] | null;
  auditAdmin: string[] | null;
  defaultAuditSet: string[] | null;
  persistedCapabilities: string[] | null;
}

export interface BypassAssociation {
  identity: string | null;
  name: string | null;
  auditBypassEnabled: boolean;
  whenChangedUtc: string | null;
}

export interface OrganizationConfig {
  name: string | null;
  auditDisabled: boolean | null;
}

export interface AdminAuditLogConfig {
  unifiedAuditLogIngestionEnabled: boolean | null;
  unifiedAuditLogFirstOptInDate: string | null;
  adminAuditLogEnabled: boolean | null;
  adminAuditLogAgeLimitDays: number | null;
}

export interface ServicePlan {
  name: string;
  /** Success, Disabled, PendingActivation, ... */
  status: string | null;
}

export interface LicenceAssignment {
  userPrincipalName: string;
  skuPartNumber: string | null;
  skuId: string | null;
  servicePlans: ServicePlan[];
  /** `direct`, or `group` when inherited through group-based licensing. */
  assignedVia: 'direct' | 'group' | null;
  groupId: string | null;
  /** Licence assignment state: Active, Error, ActiveWithError, Disabled... (null when unknown). */
  state: string | null;
  error: string | null;
}

/** A server-side inbox rule (Get-InboxRule), the state at the snapshot's time. */
export interface InboxRuleConfig {
  mailbox: string | null;
  identity: string | null;
  name: string | null;
  enabled: boolean | null;
  forwardTo: string[];
  forwardAsAttachmentTo: string[];
  redirectTo: string[];
  moveToFolder: string | null;
  markAsRead: boolean | null;
  deleteMessage: boolean | null;
  stopProcessingRules: boolean | null;
  whenChanged: string | null;
}

export type ConfigRecord =
  | { kind: 'mailbox'; value: MailboxConfig; raw: Record<string, unknown> }
  | { kind: 'bypass'; value: BypassAssociation; raw: Record<string, unknown> }
  | { kind: 'organization'; value: OrganizationConfig; raw: Record<string, unknown> }
  | { kind: 'adminAuditLog'; value: AdminAuditLogConfig; raw: Record<string, unknown> }
  | { kind: 'licence'; value: LicenceAssignment; raw: Record<string, unknown> }
  | { kind: 'inboxRule'; value: InboxRuleConfig; raw: Record<string, unknown> };

export type ConfigKind = ConfigRecord['kind'];

/** What a parser emits for each record it reads. */
/**
 * Why a file is refused whole, --skip-bad or not: it is not of the format asked for ('format'), its dates
 * are written day first and were being read month first ('date-order'), or its CSV header names a column
 * twice, so a row would lose one of its cells ('header').
 */
export type WholeFileRefusal = 'format' | 'date-order' | 'header';

export type ParsedItem =
  | { kind: 'event'; event: AuditEvent; loc: SourceLocation }
  | { kind: 'config'; config: ConfigRecord; loc: SourceLocation }
  /**
   * A record that cannot be read; `wholeFile` when the file itself is refused, even with --skip-bad (see
   * WholeFileRefusal).
   */
  | { kind: 'reject'; loc: SourceLocation; reason: string; text?: string; wholeFile?: WholeFileRefusal }
  /** At the end of a file whose records were timed by dates written with slashes: how they were read. */
  | ({ kind: 'dates'; loc: SourceLocation } & DatesRead);
