// What the blind-window analysis cannot know because the case holds no configuration evidence of a kind.
// Each kind of blind window is found from one kind of configuration export: without it the analysis
// finds no window of that kind, which must not read as "there was none". The report states these.
import type { ConfigKind } from '../model.ts';

/** The configuration kinds the blind windows are found from, with what is unknown without each. */
const NEEDED: readonly { kind: ConfigKind; statement: string }[] = [
  { kind: 'mailbox', statement: 'No mailbox configuration (Get-Mailbox): whether each mailbox audited at all, which actions it audited and how long it kept its audit log are unknown.' },
  { kind: 'bypass', statement: 'No audit bypass associations (Get-MailboxAuditBypassAssociation): an account whose mailbox access was never audited cannot be shown.' },
  { kind: 'licence', statement: 'No licence assignments: which accounts had Audit (Premium), and so MailItemsAccessed, Send and a year of retention, is unknown.' },
  { kind: 'organization', statement: 'No organisation configuration (Get-OrganizationConfig): whether mailbox auditing was off for the whole organisation is unknown.' },
  { kind: 'adminAuditLog', statement: 'No admin audit log configuration (Get-AdminAuditLogConfig): whether the unified audit log was recording at all is unknown.' },
];

/** One statement per configuration kind the case lacks, in the order a report gives them. */
export function unseenConfiguration(present: ReadonlySet<ConfigKind>): string[] {
  return NEEDED.filter((n) => !present.has(n.kind)).map((n) => n.statement);
}
