// The contract between the file/API edges and the format parsers. The edge (db/ingest) reads bytes,
// decodes UTF-8 and pushes text chunks; a parser returns what it recognised. Parsers hold no file
// handles and never see the database, so the same code parses an imported file and an API page.
import type { ParsedItem } from '../model.ts';

export type FormatId =
  | 'ual-json'          // raw unified audit log records: JSON array, JSON lines or a single object (incl. Management API blobs)
  | 'purview-csv'       // Microsoft Purview audit search CSV export
  | 'sual-csv'          // Search-UnifiedAuditLog output as CSV (incl. flattened Parameters[0].Name columns)
  | 'sual-json'         // Search-UnifiedAuditLog output as JSON (AuditData string or nested object)
  | 'graph-json'        // Graph security/auditLog/queries records (auditLogRecord)
  | 'mailbox-audit-csv' // Search-MailboxAuditLog -ShowDetails as CSV
  | 'mailbox-audit-json'// Search-MailboxAuditLog -ShowDetails as JSON
  | 'sentinel-csv'      // Microsoft Sentinel OfficeActivity export, CSV
  | 'sentinel-json'     // Microsoft Sentinel OfficeActivity export, JSON
  | 'config-mailbox'    // Get-Mailbox (ConvertTo-Json or Export-Csv)
  | 'config-bypass'     // Get-MailboxAuditBypassAssociation
  | 'config-organization' // Get-OrganizationConfig
  | 'config-adminauditlog' // Get-AdminAuditLogConfig
  | 'config-licence'    // licence export (Graph licenseDetails / assigned licences, or a flat CSV)
  | 'config-inboxrule'  // Get-InboxRule
  | 'api-answer';       // an API answer kept as evidence that holds no records (a Graph query and its status, a Management API content listing)

export interface FormatDescription {
  id: FormatId;
  title: string;
}

export type Detection =
  | { ok: true; format: FormatId; container: 'json-array' | 'json-lines' | 'json-object' | 'csv' }
  | { ok: false; tried: FormatId[]; reason: string };

/** Incremental parser: feed decoded text in chunks of any size, in order. */
export interface StreamParser {
  push(chunk: string): ParsedItem[];
  /** Flush what is left; reports a truncated last record as a reject. */
  end(): ParsedItem[];
}
