// Every format the importers read, with the title a person sees. The one list: detection, parsing
// and the CLI's --format choices are all derived from it. Keyed by FormatId, so a format added to the
// type and missing here does not compile.
import type { FormatDescription, FormatId } from './types.ts';

const TITLES: Record<FormatId, string> = {
  'ual-json': 'Unified audit log records (JSON array, JSON lines, single object, Management API blobs, SIEM envelopes)',
  'purview-csv': 'Microsoft Purview audit search export (CSV)',
  'sual-csv': 'Search-UnifiedAuditLog output (CSV, incl. flattened columns)',
  'sual-json': 'Search-UnifiedAuditLog output (JSON)',
  'graph-json': 'Microsoft Graph audit log query records (JSON)',
  'mailbox-audit-csv': 'Search-MailboxAuditLog -ShowDetails (CSV)',
  'mailbox-audit-json': 'Search-MailboxAuditLog -ShowDetails (JSON)',
  'sentinel-csv': 'Microsoft Sentinel OfficeActivity export (CSV)',
  'sentinel-json': 'Microsoft Sentinel OfficeActivity export (JSON)',
  'config-mailbox': 'Get-Mailbox audit settings (JSON or CSV)',
  'config-bypass': 'Get-MailboxAuditBypassAssociation (JSON or CSV)',
  'config-organization': 'Get-OrganizationConfig (JSON or CSV)',
  'config-adminauditlog': 'Get-AdminAuditLogConfig (JSON or CSV)',
  'config-inboxrule': 'Get-InboxRule (inbox rules of mailboxes)',
  'config-licence': 'Licence assignments (Graph licenseDetails / users, or a flat CSV)',
  'api-answer': 'An API answer kept as evidence, holding no records (a Graph audit query and its final status, a Management Activity API content listing)',
};

export const FORMATS: readonly FormatDescription[] = Object.entries(TITLES).map(([id, title]) => ({ id: id as FormatId, title }));

/** Formats a file can be imported as (detection's candidates, the CLI's --format choices): every one but
 *  api-answer, which only acquisition writes and which holds no records. */
export const IMPORT_FORMAT_IDS: readonly FormatId[] = FORMATS.map((f) => f.id).filter((id) => id !== 'api-answer');
