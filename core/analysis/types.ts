// Types of the coverage (blind-window) analysis, findings and MailItemsAccessed exposure. Pure types.
// Times crossing this boundary are ISO 8601 UTC strings (`2024-05-01T10:15:22.000Z`); inside the
// computation they are milliseconds since the epoch.

// 1.1.0: retention seen from when each store was read, unlicensed windows scoped to MailItemsAccessed,
// bare aliases resolved by UPN; content-search findings, source-activity findings (and a finding's
// source and related findings), content searches in exposure.
// 1.2.0: sign-ins carry their app (ApplicationId), so an app's other activity counts the sign-ins through
// it; each content-search action once in exposure; no source look-up under a critical-only minimum; an
// account's kind said as one sentence.
// 1.3.0: a record received again under its Id saying otherwise is a finding (differing-copy).
export const ANALYSIS_VERSION = '1.3.0';

/** Window kinds, spelled exactly so in JSON. */
export const WINDOW_KINDS = [
  'bypass',
  'throttled',
  'unlicensed',
  'actions-not-audited',
  'audit-disabled',
  'org-audit-disabled',
  'ual-ingestion-disabled',
  'retention',
  'acquisition-incomplete',
  'capacity',
  'silence',
] as const;
export type WindowKind = (typeof WINDOW_KINDS)[number];

export type LogonTypeName = 'Owner' | 'Delegate' | 'Admin';
export const LOGON_TYPE_NAMES: readonly LogonTypeName[] = ['Owner', 'Delegate', 'Admin'];

export type Confidence = 'certain' | 'inferred';

export interface WindowScope {
  /** Mailbox actions that could not have been recorded; `['*']` means every action. */
  actions: string[];
  logonTypes: LogonTypeName[];
}

/**
 * A period during which some actions on a mailbox could not have been recorded.
 * `start` is inclusive, `end` exclusive; `end` is null while the condition still held at the end of what
 * the case knows (the last event or the latest snapshot, whichever is later).
 * Evidence entries are `event:<record id>`, `config-row:<row id>` or `ledger:<slice id>`.
 */
export interface BlindWindow {
  mailbox: string;
  kind: WindowKind;
  start: string;
  end: string | null;
  scope: WindowScope;
  confidence: Confidence;
  reason: string;
  evidence: string[];
  /**
   * Set when the window concerns one audit store only (retention, capacity): records lost from the
   * mailbox audit store (what Search-MailboxAuditLog reads) may still be in the unified audit log, and
   * the reverse. Absent when the records could not have been written at all.
   */
  store?: AuditStore;
}

/** Where audit records are kept: the mailbox's own audit store, or the unified audit log. */
export type AuditStore = 'mailbox-audit' | 'unified-audit-log';

export type AccountKind = 'human' | 'admin' | 'shared' | 'room' | 'equipment' | 'service';

export interface AccountClass {
  kind: AccountKind;
  /** True when the investigator declared it (for example a documented service account). */
  documented: boolean;
  reasons: string[];
}

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

export type FindingKind =
  | WindowKind
  | 'audit-config-changed'
  | 'audit-enabled-ignored'
  | 'inbox-rule'
  | 'mail-forwarding'
  | 'permission-added'
  | 'new-access-source'
  | 'content-search'
  | 'source-activity'
  | 'differing-copy';

/** Where the records a finding cites came from: client IPs, apps and acting accounts (each sorted, distinct). */
export interface FindingSource {
  ips: string[];
  apps: string[];
  actors: string[];
}

export interface Finding {
  /** Stable for the same inputs: kind, mailbox and a discriminator, hashed-free and readable. */
  id: string;
  severity: Severity;
  kind: FindingKind;
  /** Null for organisation-wide findings. */
  mailbox: string | null;
  title: string;
  detail: string;
  window?: BlindWindow;
  evidence: string[];
  /** PowerShell the tenant's administrator can run; empty when there is nothing to undo. */
  remediation: string;
  /** Where the finding's records came from, when they say. */
  source?: FindingSource;
  /** Ids of other findings that hold related evidence (the other activity of this finding's source, or the findings that named it). */
  related?: string[];
}

/** One slice of the acquisition completeness ledger (written by acquisition, read here). */
export interface LedgerSlice {
  id?: number;
  source: string;
  /** ISO UTC. */
  start: string;
  end: string;
  status: 'complete' | 'incomplete' | 'failed' | 'not-collected';
  query: Record<string, unknown> | null;
  reason?: string;
  /** When the slice was last worked on (ISO UTC; for a collected slice, when its records had been read). */
  collectedAt?: string;
}

// ---- inputs read from the case ------------------------------------------------------------------

/** A configuration row with the time its snapshot describes. */
export interface ConfigObservation<T> {
  rowId: number;
  snapshotId: number;
  asOfMs: number;
  value: T;
  raw: Record<string, unknown>;
}

/** An admin or mailbox record relevant to configuration, with its parameters parsed. */
export interface ChangeRecord {
  recordId: string;
  timeMs: number;
  operation: string;
  recordType: number | null;
  /** Actor. */
  userId: string | null;
  userType: number | null;
  /** Normalised target mailbox from the importer (may be null or an alias). */
  mailbox: string | null;
  objectId: string | null;
  /** True when the record says the command failed (`ResultStatus` False / Failed). */
  failed: boolean;
  /** Exchange admin `Parameters` as name → value (names as received; look-ups are case-insensitive). */
  parameters: Map<string, string | null>;
  /** Mailbox record `OperationProperties` as name → value. */
  operationProperties: Map<string, string | null>;
  clientIp: string | null;
  /** For mailbox records (UpdateFolderPermissions): the Item.ParentFolder object, if any. */
  item: Record<string, unknown> | null;
}

export interface CaseRange {
  startMs: number;
  endMs: number;
}

export interface MailboxActivity {
  /** As stored in events.mailbox (lower-cased by the query). */
  mailbox: string;
  count: number;
  firstMs: number;
  lastMs: number;
  /** Events per UTC day number (ms / 86 400 000). */
  daily: Map<number, number>;
  /** MailItemsAccessed records for the mailbox. */
  mailItemsAccessed: number;
}

/** How many records of an action older documentation lists as Audit Premium only a mailbox has in the case range. */
export interface PremiumActionCount {
  mailbox: string;
  operation: 'Send' | 'SearchQueryInitiated';
  count: number;
}
