// Account classification: human, admin, shared, room, equipment or service, with the reasons.
// The kind decides how serious a blind spot is: bypass on a documented service account is routine,
// on a person's, an administrator's or a shared mailbox it is an anti-forensics red flag.
import type { LicenceAssignment, MailboxConfig } from '../model.ts';
import type { AccountClass } from './types.ts';

export interface ClassifyInput {
  upn: string | null;
  config: MailboxConfig | null;
  /** Licence rows for the account; null when no licence export was collected. */
  licences: LicenceAssignment[] | null;
  /** Reasons the account is known to act as an administrator (admin cmdlets run, UserType 2). */
  adminEvidence: string[];
  /** The investigator declared this a documented service account. */
  documentedService: boolean;
}

const SERVICE_NAME = /^(svc|service|sa|app|bot|noreply|no-reply|donotreply|scan(ner)?|sync|backup|archive|migration|journal|automation|api)([-_.]|\d|$)|[-_.](svc|service|bot)([-_.@]|$)/i;
const ADMIN_NAME = /^(admin|adm|administrator|ga|globaladmin)([-_.]|\d|@|$)|[-_.](admin|adm)(\d*)(@|$)/i;

export function classifyAccount(input: ClassifyInput): AccountClass {
  const reasons: string[] = [];
  const rtd = input.config?.recipientTypeDetails ?? null;
  const local = (input.upn ?? input.config?.alias ?? '').split('@')[0] ?? '';

  if (input.documentedService) {
    return { kind: 'service', documented: true, reasons: ['declared a documented service account by the investigator'] };
  }
  if (rtd) {
    const t = rtd.toLowerCase();
    if (t === 'sharedmailbox') return { kind: 'shared', documented: false, reasons: [`RecipientTypeDetails is ${rtd}`] };
    if (t === 'roommailbox') return { kind: 'room', documented: false, reasons: [`RecipientTypeDetails is ${rtd}`] };
    if (t === 'equipmentmailbox') return { kind: 'equipment', documented: false, reasons: [`RecipientTypeDetails is ${rtd}`] };
    if (t === 'discoverymailbox' || t === 'schedulingmailbox' || t === 'auditlogmailbox' || t === 'arbitrationmailbox') {
      return { kind: 'service', documented: false, reasons: [`RecipientTypeDetails is ${rtd} (a system mailbox)`] };
    }
    reasons.push(`RecipientTypeDetails is ${rtd}`);
  }
  if (input.adminEvidence.length > 0 || ADMIN_NAME.test(local)) {
    if (ADMIN_NAME.test(local)) reasons.push(`the name "${local}" follows an administrator naming pattern`);
    reasons.push(...input.adminEvidence);
    return { kind: 'admin', documented: false, reasons };
  }
  if (SERVICE_NAME.test(local)) {
    reasons.push(`the name "${local}" follows a service-account naming pattern (not documented by the investigator)`);
    if (input.licences !== null && input.licences.length === 0) reasons.push('no licence is assigned');
    return { kind: 'service', documented: false, reasons };
  }
  if (input.licences !== null && input.licences.length === 0) reasons.push('no licence is assigned');
  reasons.push('no sign of a shared, resource, administrator or service account');
  return { kind: 'human', documented: false, reasons };
}
