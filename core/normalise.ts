// Normalisation of one classic unified-audit-log record (the PascalCase `AuditData` object) into an
// AuditEvent. Every source ends here: Management API blobs, SUAL, Purview CSV, Graph (its nested
// auditData), Sentinel rows and log-pipeline envelopes are first reduced to the classic record by their
// format adapter (core/formats), then this function reads it. Pure; the hot path of a large import, so it
// does one pass over known keys, no regexes per record and no re-serialisation.
import { createHash } from 'node:crypto';
import type { AccessItem, AccessType, AuditEvent } from './model.ts';
import { recordTypeCode, recordTypeName } from './recordTypes.ts';
import { normaliseIp } from './ip.ts';
import { parseTimeMs } from './time.ts';
import type { DateReading } from './time.ts';

export type RecordErrorCode = 'not-object' | 'no-time' | 'bad-time';

/** Thrown when a record cannot become an event; `message` says why in words a person can act on. */
export class RecordError extends Error {
  readonly code: RecordErrorCode;
  constructor(code: RecordErrorCode, message: string) {
    super(message);
    this.name = 'RecordError';
    this.code = code;
  }
}

/** Values a format adapter knows from the envelope, used when the classic record lacks them. */
export interface EnvelopeHints {
  /** Time from the envelope (Graph createdDateTime, SUAL CreationDate, Sentinel TimeGenerated). */
  time?: unknown;
  /** Name of the field `time` came from, for error messages. */
  timeField?: string;
  /** How the file's dates are read (a date written with slashes may be month or day first); month first when absent. */
  dates?: DateReading;
  recordType?: unknown;
  operation?: unknown;
  userId?: unknown;
  userKey?: unknown;
  clientIp?: unknown;
  workload?: unknown;
  recordId?: unknown;
}

/** Keys whose values arrive as JSON text in some exports (Sentinel, SIEM pipelines) and are decoded. */
const JSON_STRING_FIELDS = ['OperationProperties', 'Folders', 'Parameters', 'ExtendedProperties', 'ModifiedProperties', 'AffectedItems', 'Item', 'AppAccessContext', 'Messages'];

const USER_TYPES: ReadonlyMap<string, number> = new Map([
  ['regular', 0], ['reserved', 1], ['admin', 2], ['dcadmin', 3], ['system', 4], ['application', 5],
  ['serviceprincipal', 6], ['custompolicy', 7], ['systempolicy', 8], ['partnertechnician', 9], ['guest', 10],
]);

const LOGON_TYPE_NAMES: ReadonlyMap<string, number> = new Map([
  ['owner', 0], ['admin', 1], ['delegate', 2], ['delegated', 2], ['transport', 3], ['systemservice', 4],
  ['bestaccess', 5], ['delegatedadmin', 6],
]);

/** Bound on `searchText` so one odd record cannot bloat the full-text index. */
export const SEARCH_TEXT_MAX = 4096;

type Obj = Record<string, unknown>;
type Getter = (o: unknown, key: string) => unknown;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const exactGet: Getter = (o, key) => (isObj(o) ? o[key] : undefined);

/** Case-insensitive read for exports that lower-cased every key (e.g. some SIEM pipelines). */
const ciGet: Getter = (o, key) => {
  if (!isObj(o)) return undefined;
  const v = o[key];
  if (v !== undefined) return v;
  const lk = key.toLowerCase();
  for (const k in o) {
    if (k.length === lk.length && k.toLowerCase() === lk) return o[k];
  }
  return undefined;
};

/** A record uses the canonical PascalCase names when any of the always-present keys is spelt that way. */
function pickGetter(rec: Obj): Getter {
  return rec.CreationTime !== undefined || rec.Operation !== undefined || rec.RecordType !== undefined || rec.Id !== undefined
    ? exactGet
    : ciGet;
}

/**
 * The app a record was made by or through: its AppId, else AppAccessContext.APIId, else ApplicationId
 * (Entra sign-ins carry only that). Migration 0013 derives it again with this for older cases.
 */
export function appIdOf(rec: Obj, get: Getter = pickGetter(rec)): string | null {
  return str(get(rec, 'AppId')) ?? str(get(get(rec, 'AppAccessContext'), 'APIId')) ?? str(get(rec, 'ApplicationId'));
}

function str(v: unknown): string | null {
  if (typeof v === 'string') return v.length === 0 ? null : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

function intOrName(v: unknown, names: ReadonlyMap<string, number>): number | null {
  if (typeof v === 'number') return Number.isInteger(v) ? v : null;
  if (typeof v !== 'string') return null;
  const t = v.trim();
  if (t.length === 0) return null;
  const c = t.charCodeAt(0);
  if ((c >= 48 && c <= 57) || c === 45) {
    const n = Number(t);
    return Number.isInteger(n) ? n : null;
  }
  return names.get(t.toLowerCase()) ?? null;
}

function sizeOf(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? Math.round(n) : null;
}

/** Decodes a value that may be JSON text; returns the input unchanged when it is not JSON text. */
export function maybeJson(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const c = v.charCodeAt(0);
  if (c !== 91 && c !== 123) return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/** Canonical JSON (sorted keys, no whitespace) used for synthetic ids. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return '[' + v.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',') + ']';
  if (isObj(v)) {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort();
    return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson(v[k])).join(',') + '}';
  }
  return JSON.stringify(v) ?? 'null';
}

export function syntheticId(v: unknown): string {
  return 'sha256:' + createHash('sha256').update(canonicalJson(v)).digest('hex');
}

/**
 * The mailbox in the identity of an object inside a mailbox, which is what the cmdlets that act on such
 * objects name: an inbox rule is `mailbox\rule` (New-, Set-, Enable-, Disable-, Remove-InboxRule: the
 * ObjectId of New-InboxRule, the Identity of the others), a folder `mailbox:\folder`
 * (*-MailboxFolderPermission, *-MailboxFolder, *-MailboxCalendarFolder). Any other identity is kept
 * whole: elsewhere `\` may separate a domain from an account. The record keeps the identity itself in
 * ObjectId and Parameters. Migration 0014 applies the same rule to the rows of older cases.
 */
export function mailboxPart(operation: string | null, identity: string | null): string | null {
  if (identity === null || operation === null) return identity;
  const separator = INBOX_RULE_CMDLET.test(operation) ? '\\' : FOLDER_CMDLET.test(operation) ? ':\\' : null;
  const cut = separator === null ? -1 : identity.indexOf(separator);
  return cut > 0 ? identity.slice(0, cut) : identity;
}
const INBOX_RULE_CMDLET = /-InboxRule$/i;
const FOLDER_CMDLET = /-Mailbox(?:Folder|FolderPermission|CalendarFolder)$/i;

/** `[{Name, Value}]` lookup (case-insensitive name); entries without a Value key are tolerated. */
function nameValue(list: unknown, name: string, get: Getter): string | null {
  if (!Array.isArray(list)) return null;
  const ln = name.toLowerCase();
  for (const e of list) {
    const n = get(e, 'Name');
    if (typeof n === 'string' && n.toLowerCase() === ln) return str(get(e, 'Value'));
  }
  return null;
}

function accessTypeOf(v: string | null): AccessType | null {
  if (v === null) return null;
  const l = v.toLowerCase();
  return l === 'bind' ? 'Bind' : l === 'sync' ? 'Sync' : null;
}

function folderPathOf(folder: unknown, get: Getter): string | null {
  const path = str(get(folder, 'Path'));
  if (path !== null && path !== 'Not Available') return path;
  return str(get(folder, 'Name')) ?? path;
}

function accessItems(rec: Obj, get: Getter, recordType: number | null, operation: string | null, opProps: unknown): AccessItem[] {
  const items: AccessItem[] = [];
  const declared = accessTypeOf(nameValue(opProps, 'MailAccessType', get) ?? nameValue(opProps, 'AttachmentAccessType', get));
  if (recordType === 50) {
    const folders = get(rec, 'Folders');
    if (Array.isArray(folders)) {
      for (const f of folders) {
        const folderPath = folderPathOf(f, get);
        const folderId = str(get(f, 'Id'));
        const fi = get(f, 'FolderItems');
        if (Array.isArray(fi) && fi.length > 0) {
          for (const it of fi) {
            items.push({
              folderPath, folderId,
              internetMessageId: str(get(it, 'InternetMessageId')),
              sizeBytes: sizeOf(get(it, 'SizeInBytes')),
              accessType: declared ?? 'Bind',
              subject: str(get(it, 'Subject')),
            });
          }
        } else if (declared === 'Sync') {
          items.push({ folderPath, folderId, internetMessageId: null, sizeBytes: null, accessType: 'Sync', subject: null });
        }
      }
    }
    const messages = get(rec, 'Messages');
    if (Array.isArray(messages)) {
      for (const m of messages) {
        const folderPath = folderPathOf(m, get);
        const folderId = str(get(m, 'FolderId')) ?? str(get(m, 'Id'));
        const mi = get(m, 'MessageItems');
        if (!Array.isArray(mi)) continue;
        for (const it of mi) {
          items.push({
            folderPath, folderId,
            internetMessageId: str(get(it, 'InternetMessageId')),
            sizeBytes: sizeOf(get(it, 'SizeInBytes')),
            accessType: declared,
            subject: str(get(it, 'Subject')),
          });
        }
      }
    }
  } else if (recordType === 2 && operation === 'MailItemsAccessed') {
    const item = get(rec, 'Item');
    const parent = get(item, 'ParentFolder');
    const imid = str(get(item, 'InternetMessageId'));
    if (declared === 'Sync' || (imid === null && isObj(parent))) {
      if (isObj(parent)) {
        items.push({ folderPath: folderPathOf(parent, get), folderId: str(get(parent, 'Id')), internetMessageId: null, sizeBytes: null, accessType: 'Sync', subject: null });
      }
    } else if (isObj(item)) {
      items.push({
        folderPath: isObj(parent) ? folderPathOf(parent, get) : null,
        folderId: isObj(parent) ? str(get(parent, 'Id')) : null,
        internetMessageId: imid,
        sizeBytes: sizeOf(get(item, 'SizeInBytes')),
        accessType: declared ?? 'Bind',
        subject: str(get(item, 'Subject')),
      });
    }
  }
  return items;
}

/** Collects searchable text; stops adding once the bound is reached. */
class TextBag {
  parts: string[] = [];
  len = 0;
  add(v: unknown): void {
    if (this.len >= SEARCH_TEXT_MAX) return;
    const s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null;
    if (s === null || s.length === 0) return;
    this.parts.push(s);
    this.len += s.length + 1;
  }
  text(): string {
    const t = this.parts.join(' ');
    return t.length > SEARCH_TEXT_MAX ? t.slice(0, SEARCH_TEXT_MAX) : t;
  }
}

const SEARCH_OPERATION_PROPS = new Set(['rulename', 'rulecondition', 'ruleactions', 'ruleoperation']);

function searchText(rec: Obj, get: Getter, items: AccessItem[], params: unknown, opProps: unknown): string {
  const bag = new TextBag();
  const item = get(rec, 'Item');
  if (isObj(item)) {
    bag.add(get(item, 'Subject'));
    const parent = get(item, 'ParentFolder');
    if (isObj(parent)) bag.add(folderPathOf(parent, get));
    bag.add(get(item, 'Attachments'));
  }
  bag.add(folderPathOf(get(rec, 'Folder'), get));
  bag.add(folderPathOf(get(rec, 'DestFolder'), get));
  const seenFolders = new Set<string>();
  for (const it of items) {
    if (it.folderPath !== null && !seenFolders.has(it.folderPath)) { seenFolders.add(it.folderPath); bag.add(it.folderPath); }
    bag.add(it.subject);
  }
  const affected = get(rec, 'AffectedItems');
  if (Array.isArray(affected)) for (const a of affected) bag.add(get(a, 'Subject'));
  if (Array.isArray(params)) {
    for (const p of params) { bag.add(get(p, 'Name')); bag.add(get(p, 'Value')); }
  } else if (typeof params === 'string') {
    // Security & Compliance cmdlets (RecordType 18) write their parameters as one command-line string.
    bag.add(params);
  }
  if (Array.isArray(opProps)) {
    for (const p of opProps) {
      const n = get(p, 'Name');
      if (typeof n === 'string' && SEARCH_OPERATION_PROPS.has(n.toLowerCase())) bag.add(get(p, 'Value'));
    }
  }
  const recipients = get(rec, 'recipientList') ?? get(rec, 'RecipientList');
  if (Array.isArray(recipients)) for (const r of recipients) bag.add(isObj(r) ? (get(r, 'Address') ?? get(r, 'Name')) : r);
  return bag.text();
}

function firstIp(...vals: unknown[]): string | null {
  for (const v of vals) {
    const ip = normaliseIp(v);
    if (ip !== null) return ip;
  }
  return null;
}

/** Normalises a classic audit record. Throws RecordError when it cannot become an event. */
export function normaliseRecord(rec: Record<string, unknown>, rawText?: string): AuditEvent {
  return normaliseWithHints(rec, rawText, undefined);
}

/** As normaliseRecord, with envelope values used where the classic record lacks them. */
export function normaliseWithHints(rec: Record<string, unknown>, rawText: string | undefined, hints: EnvelopeHints | undefined): AuditEvent {
  if (!isObj(rec)) {
    throw new RecordError('not-object', `record is ${Array.isArray(rec) ? 'an array' : rec === null ? 'null' : `a ${typeof rec}`}, not a JSON object`);
  }
  const get = pickGetter(rec);

  // time
  const rawTime = get(rec, 'CreationTime');
  const readTime = (v: unknown): number | null => (hints?.dates ? hints.dates.parse(v) : parseTimeMs(v));
  let timeMs = readTime(rawTime);
  if (timeMs === null && hints?.time !== undefined) timeMs = readTime(hints.time);
  if (timeMs === null) {
    if (rawTime !== undefined && rawTime !== null && rawTime !== '') {
      throw new RecordError('bad-time', `CreationTime ${JSON.stringify(rawTime)} is not a date-time this tool can read`);
    }
    if (hints?.time !== undefined && hints.time !== null && hints.time !== '') {
      throw new RecordError('bad-time', `${hints.timeField ?? 'time'} ${JSON.stringify(hints.time)} is not a date-time this tool can read`);
    }
    throw new RecordError('no-time', hints?.timeField ? `no CreationTime and no ${hints.timeField}` : 'no CreationTime');
  }

  // decode JSON-text fields (shallow copy only when something changes; the caller's object is not mutated)
  let data: Obj = rec;
  for (const key of JSON_STRING_FIELDS) {
    const v = get(rec, key);
    if (typeof v === 'string') {
      const parsed = maybeJson(v);
      if (parsed !== v) {
        if (data === rec) data = { ...rec };
        data[key] = parsed;
      }
    }
  }

  const rawId = str(get(data, 'Id')) ?? str(hints?.recordId);
  const recordId = rawId ?? syntheticId(rec);
  const rt = get(data, 'RecordType') ?? hints?.recordType;
  const recordType = recordTypeCode(rt);
  const rtName = recordTypeName(recordType) ?? (recordType === null && typeof rt === 'string' && rt.trim() !== '' ? rt.trim() : null);
  const operation = str(get(data, 'Operation')) ?? str(hints?.operation);
  const opProps = get(data, 'OperationProperties');
  const params = get(data, 'Parameters');
  const objectId = str(get(data, 'ObjectId'));

  let mailbox = str(get(data, 'MailboxOwnerUPN'));
  if (mailbox === null && (recordType === 1 || (recordType === null && operation !== null && operation.includes('-') && Array.isArray(params)))) {
    mailbox = mailboxPart(operation, nameValue(params, 'Mailbox', get) ?? nameValue(params, 'Identity', get) ?? objectId);
  }

  const appCtx = get(data, 'AppAccessContext');
  const items = accessItems(data, get, recordType, operation, opProps);

  const ev: AuditEvent = {
    recordId,
    idSynthetic: rawId === null,
    timeMs,
    recordType,
    recordTypeName: rtName,
    operation,
    workload: str(get(data, 'Workload')) ?? str(hints?.workload),
    userId: str(get(data, 'UserId')) ?? str(hints?.userId),
    userKey: str(get(data, 'UserKey')) ?? str(hints?.userKey),
    userType: intOrName(get(data, 'UserType'), USER_TYPES),
    mailbox,
    objectId,
    clientIp: firstIp(get(data, 'ClientIP'), get(data, 'ClientIPAddress'), get(data, 'ActorIpAddress'), hints?.clientIp),
    sessionId: str(get(data, 'SessionId'))?.toLowerCase() ?? null, // one form for a GUID written in either case (0012)
    appId: appIdOf(data, get),
    clientAppId: str(get(data, 'ClientAppId')) ?? str(get(appCtx, 'ClientAppId')),
    logonType: intOrName(get(data, 'LogonType'), LOGON_TYPE_NAMES),
    resultStatus: str(get(data, 'ResultStatus')),
    clientInfo: str(get(data, 'ClientInfoString')),
    auditData: data,
    items,
    searchText: searchText(data, get, items, params, opProps),
  };
  if (rawText !== undefined) ev.auditDataText = rawText;
  return ev;
}
