// What a blind window's kind and store, and a configuration export, are called where people read them:
// the UI's blind spots and findings and the case report say the same words.
import type { ConfigKind } from '../model.ts';
import type { AuditStore, WindowKind } from './types.ts';

export const WINDOW_KIND_LABEL: Record<WindowKind, string> = {
  bypass: 'Audit bypass', throttled: 'MailItemsAccessed throttled', unlicensed: 'No Audit (Premium) licence',
  'actions-not-audited': 'Actions not audited', 'audit-disabled': 'Mailbox auditing off', 'org-audit-disabled': 'Organisation auditing off',
  'ual-ingestion-disabled': 'Unified audit log off', retention: 'Beyond retention', 'acquisition-incomplete': 'Not fully acquired',
  capacity: 'Audit store full', silence: 'Unexpected silence',
};

/** A window about one store only (retention, capacity): the other store may still hold those records. */
export const STORE_LABEL: Record<AuditStore, string> = { 'mailbox-audit': 'mailbox audit store', 'unified-audit-log': 'unified audit log' };

/** The export a configuration row came from, as the administrator who ran it knows it. */
export const CONFIG_KIND_LABEL: Record<ConfigKind, string> = {
  mailbox: 'Get-Mailbox', bypass: 'Get-MailboxAuditBypassAssociation', organization: 'Get-OrganizationConfig',
  adminAuditLog: 'Get-AdminAuditLogConfig', licence: 'licence assignments', inboxRule: 'Get-InboxRule',
};
