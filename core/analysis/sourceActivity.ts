// The other activity of a finding's source: every record of the case from one IP or app, counted, and
// the first records other than mail access described from their AuditData (a sign-in's app and agent, a
// Send's subject and recipients, a cmdlet's parameters). The records are read by db/analysis.ts; the
// finding that presents them is built in findings.ts. Pure.
import { clip } from '../text.ts';
import { nameValueMap, param, parseAuditData } from './records.ts';
import { iso } from './timeline.ts';

/** A record from a finding's source (AuditData is read to describe it). */
export interface SourceRecord {
  recordId: string;
  timeMs: number;
  operation: string | null;
  recordType: number | null;
  userId: string | null;
  mailbox: string | null;
  appId: string | null;
  /** The record's AuditData text; null when it could not be read. */
  auditData: string | null;
}

/** Every record of the case from one IP or app, counted, with the first records other than MailItemsAccessed. */
export interface SourceActivity {
  dim: 'IP' | 'app';
  value: string;
  total: number;
  firstMs: number;
  lastMs: number;
  /** Distinct acting accounts (UserId). */
  accounts: number;
  /** Records per operation, most first (then by name). */
  operations: { operation: string | null; count: number }[];
  /** Records per (operation, account, mailbox), first seen first: at most the number asked for, of `groupCount`. */
  groups: { operation: string | null; userId: string | null; mailbox: string | null; count: number; firstMs: number; lastMs: number }[];
  groupCount: number;
  /** Records other than MailItemsAccessed and not excluded, in time order (then record id): the first ones. */
  records: SourceRecord[];
  /** How many records other than MailItemsAccessed and not excluded there are (`records` lists the first). */
  otherCount: number;
}

/** Records from one source listed in its source-activity finding. */
export const SOURCE_RECORDS = 20;
/** (operation, account, mailbox) groups of one source's records read and described. */
export const SOURCE_GROUPS = 30;

const SIGN_IN_OPERATIONS = ['userloggedin', 'userloginfailed'];
const SEND_OPERATIONS = ['send', 'sendas', 'sendonbehalf'];

type Kind = 'sign-in' | 'send' | 'admin' | 'mail access' | 'other';

/** What kind of action an operation is, for counting a source's records. */
export function operationKind(operation: string | null, recordType: number | null = null): Kind {
  const o = (operation ?? '').toLowerCase();
  if (SIGN_IN_OPERATIONS.includes(o)) return 'sign-in';
  if (SEND_OPERATIONS.includes(o)) return 'send';
  if (o === 'mailitemsaccessed') return 'mail access';
  if (recordType === 1 || recordType === 18 || /^[a-z]+-[a-z]/.test(o)) return 'admin';
  return 'other';
}

const ONE: Record<Kind, string> = { 'sign-in': 'sign-in', send: 'send', admin: 'admin command', 'mail access': 'mail access (MailItemsAccessed)', other: 'other record' };
const MANY: Record<Kind, string> = { 'sign-in': 'sign-ins', send: 'sends', admin: 'admin commands', 'mail access': 'mail accesses (MailItemsAccessed)', other: 'other records' };

/** "5 sign-ins, 1 send, 3 admin commands, 1005 mail accesses (MailItemsAccessed)" from the per-operation counts. */
export function kindCounts(ops: { operation: string | null; count: number }[]): string {
  const order: Kind[] = ['sign-in', 'send', 'admin', 'mail access', 'other'];
  const by = new Map<Kind, number>();
  for (const o of ops) {
    const k = operationKind(o.operation);
    by.set(k, (by.get(k) ?? 0) + o.count);
  }
  return order.filter((k) => by.has(k)).map((k) => `${by.get(k)} ${by.get(k) === 1 ? ONE[k] : MANY[k]}`).join(', ');
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);

function recipients(data: Record<string, unknown>): string[] {
  const list = data['recipientList'] ?? data['RecipientList'];
  if (!Array.isArray(list)) return [];
  return list.map((r) => (r && typeof r === 'object' ? str((r as Record<string, unknown>)['Address']) ?? str((r as Record<string, unknown>)['Name']) : str(r))).filter((x): x is string => x !== null);
}

/** A domain the tenant does not own (by the mailboxes' UPN domains). */
export function isExternal(address: string, tenantDomains: ReadonlySet<string>): boolean {
  const d = address.split('@')[1]?.toLowerCase();
  return d !== undefined && !tenantDomains.has(d);
}


/**
 * One line describing a record from a source: when, what, who, and what the AuditData says that matters to
 * a reviewer (the app and agent of a sign-in, the subject and recipients of a Send, a cmdlet's target and
 * parameters).
 */
export function describeSourceRecord(r: SourceRecord, tenantDomains: ReadonlySet<string>): string {
  const data = parseAuditData(r.auditData) ?? {};
  const op = r.operation ?? str(data['Operation']) ?? '(no operation)';
  const who = r.userId ?? 'unknown actor';
  const kind = operationKind(op, r.recordType);
  const head = `${iso(r.timeMs)} ${op}`;
  if (kind === 'sign-in') {
    const ext = nameValueMap(data['ExtendedProperties']);
    const app = str(data['ApplicationId']) ?? r.appId;
    const agent = param(ext, 'UserAgent');
    const status = str(data['ResultStatus']);
    return `${head} as ${who}${app ? `, app ${app}` : ''}${agent ? `, agent ${clip(agent, 80)}` : ''}${status ? ` (${status})` : ''}`;
  }
  if (kind === 'send') {
    const item = data['Item'] && typeof data['Item'] === 'object' ? (data['Item'] as Record<string, unknown>) : {};
    const subject = str(item['Subject']);
    const to = recipients(data).map((a) => `${a}${isExternal(a, tenantDomains) ? ' (outside the tenant)' : ''}`);
    const owner = r.mailbox && r.mailbox.toLowerCase() !== (r.userId ?? '').toLowerCase() ? ` from the mailbox ${r.mailbox}` : '';
    return `${head} by ${who}${owner}${subject ? `: "${clip(subject, 80)}"` : ''}${to.length ? ` to ${to.slice(0, 10).join(', ')}${to.length > 10 ? `, and ${to.length - 10} more` : ''}` : ''}`;
  }
  if (kind === 'admin') {
    const p = data['Parameters'];
    const params = typeof p === 'string' ? p : [...nameValueMap(p)].map(([k, v]) => `-${k}${v === null ? '' : ` ${v}`}`).join(' ');
    const target = str(data['ObjectId']);
    return `${head} by ${who}${target ? ` on ${clip(target, 80)}` : ''}${params ? `: ${clip(params, 160)}` : ''}`;
  }
  return `${head} by ${who}${r.mailbox ? ` in ${r.mailbox}` : ''}`;
}
