// Format adapters for audit events: each reduces one raw record of its format to the classic audit
// record and hands it to the normaliser. Shared by file import and API acquisition.
import type { AuditEvent, ParsedItem, SourceLocation } from '../model.ts';
import { normaliseWithHints, RecordError, maybeJson, syntheticId } from '../normalise.ts';
import type { EnvelopeHints } from '../normalise.ts';
import type { DateReading } from '../time.ts';
import { rejectAt } from './containers.ts';
import type { ByteRange } from './containers.ts';

type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hasKeyCi(o: Obj, lowerKey: string): boolean {
  if (o[lowerKey] !== undefined) return true;
  for (const k in o) if (k.toLowerCase() === lowerKey) return true;
  return false;
}

/** A classic audit record: a creation time plus at least one of the identifying fields. */
export function looksLikeAuditRecord(o: unknown): o is Obj {
  if (!isObj(o)) return false;
  if (o.CreationTime !== undefined) return o.Operation !== undefined || o.RecordType !== undefined || o.Workload !== undefined || o.Id !== undefined;
  return hasKeyCi(o, 'creationtime') && (hasKeyCi(o, 'operation') || hasKeyCi(o, 'recordtype') || hasKeyCi(o, 'workload'));
}

function eventOrReject(loc: SourceLocation, text: string, make: () => AuditEvent): ParsedItem {
  try {
    return { kind: 'event', event: make(), loc };
  } catch (e) {
    if (e instanceof RecordError) return rejectAt(loc, e.message, text);
    throw e;
  }
}

// ---- ual-json: raw records, with log-pipeline envelopes unwrapped -------------------------------

interface Candidate { path: string; record: Obj; text?: string }

/** Nested audit records inside a pipeline envelope, searched a few levels deep (objects and JSON text). */
function findNested(o: Obj, path: string, depth: number, out: Candidate[]): void {
  if (depth > 3) return;
  for (const k in o) {
    const v = o[k];
    const p = path ? `${path}.${k}` : k;
    if (isObj(v)) {
      if (looksLikeAuditRecord(v)) out.push({ path: p, record: v });
      else findNested(v, p, depth + 1, out);
    } else if (typeof v === 'string' && v.length > 2 && v.charCodeAt(0) === 123) {
      const parsed = maybeJson(v);
      if (looksLikeAuditRecord(parsed)) out.push({ path: p, record: parsed, text: v });
    }
  }
}

/**
 * A raw record, or one unwrapped from a pipeline envelope. `bytes`: where `text` lies in the file; a
 * record that is the whole text keeps it as `auditDataBytes` (its AuditData is those bytes).
 */
export function ualItem(value: unknown, text: string, loc: SourceLocation, bytes?: ByteRange): ParsedItem {
  if (!isObj(value)) {
    return rejectAt(loc, `expected a JSON object, found ${Array.isArray(value) ? 'an array' : JSON.stringify(value)?.slice(0, 40)}`, text);
  }
  const whole = (): AuditEvent => {
    const e = normaliseWithHints(value, text, undefined);
    if (bytes) e.auditDataBytes = bytes;
    return e;
  };
  // hot path: the record itself
  if (value.CreationTime !== undefined || looksLikeAuditRecord(value)) return eventOrReject(loc, text, whole);
  const found: Candidate[] = [];
  findNested(value, '', 0, found);
  if (found.length === 1) {
    const c = found[0] as Candidate;
    return eventOrReject(loc, text, () => normaliseWithHints(c.record, c.text, undefined));
  }
  if (found.length > 1) {
    return rejectAt(loc, `ambiguous envelope: ${found.length} nested objects look like audit records (${found.map((c) => c.path).join(', ')}); none imported`, text);
  }
  // nothing recognisable: let the normaliser say what is missing (e.g. "no CreationTime")
  return eventOrReject(loc, text, whole);
}

// ---- Graph auditLogRecord ----------------------------------------------------------------------

export function graphItems(value: unknown, text: string, loc: SourceLocation): ParsedItem[] {
  if (isObj(value) && Array.isArray(value.value)) {
    // a page envelope {"@odata.context":…, "value":[…]}
    return value.value.map((v, i) => graphItem(v, { ...loc, offset: i }));
  }
  return [graphItem(value, loc, text)];
}

function graphItem(value: unknown, loc: SourceLocation, text?: string): ParsedItem {
  const t = text ?? '';
  if (!isObj(value)) return rejectAt(loc, 'expected a Graph auditLogRecord object', t || undefined);
  const ad = maybeJson(value.auditData);
  if (!isObj(ad)) {
    return rejectAt(loc, 'Graph record has no auditData object (the classic record); not imported', t || JSON.stringify(value));
  }
  // the user fields are crossed on the wire: userId holds the UserKey, userPrincipalName the classic UserId (§2.4)
  const hints: EnvelopeHints = {
    time: value.createdDateTime, timeField: 'createdDateTime', recordType: value.auditLogRecordType,
    operation: value.operation, userId: value.userPrincipalName, userKey: value.userId,
    clientIp: value.clientIp, workload: value.service, recordId: value.id,
  };
  return eventOrReject(loc, t, () => normaliseWithHints(ad, typeof value.auditData === 'string' ? value.auditData : undefined, hints));
}

// ---- Search-UnifiedAuditLog / Purview rows ----------------------------------------------------

const SUAL_ENVELOPE = new Set(['CreationDate', 'UserIds', 'Operations', 'ResultIndex', 'ResultCount', 'IsValid', 'ObjectState', 'AssociatedAdminUnits', 'AssociatedAdminUnitsNames', 'RecordId']);

/** Rebuilds nested values from flattened column names: `Parameters[0].Name`, `AppAccessContext.APIId`. */
export function unflatten(row: Record<string, string>): Obj {
  const out: Obj = {};
  for (const key in row) {
    const value = row[key] as string;
    if (!key.includes('.') && !key.includes('[')) { out[key] = value; continue; }
    const path: (string | number)[] = [];
    for (const part of key.split('.')) {
      const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
      if (!m) { path.push(part); continue; }
      if (m[1]) path.push(m[1]);
      for (const idx of (m[2] ?? '').matchAll(/\[(\d+)\]/g)) path.push(Number(idx[1]));
    }
    let cur: Obj | unknown[] = out;
    for (let i = 0; i < path.length; i++) {
      const p = path[i] as string | number;
      const last = i === path.length - 1;
      const nextIsIndex = typeof path[i + 1] === 'number';
      const container = cur as Record<string | number, unknown>;
      if (last) { container[p] = value; break; }
      if (container[p] === undefined || typeof container[p] !== 'object' || container[p] === null) container[p] = nextIsIndex ? [] : {};
      cur = container[p] as Obj | unknown[];
    }
  }
  // drop array entries whose cells are all empty (exports pad to the widest record)
  const prune = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      const arr = v.map(prune).filter((e) => e !== undefined && !(isObj(e) && Object.values(e).every((x) => x === '' || x === undefined)));
      return arr;
    }
    if (isObj(v)) { for (const k in v) v[k] = prune(v[k]); }
    return v;
  };
  return prune(out) as Obj;
}

/** The most characters an Excel cell holds; a CSV saved by Excel has every longer cell cut to this. */
const EXCEL_CELL_MAX = 32767;

/**
 * A SUAL row (JSON or CSV) or a Purview CSV row: AuditData as JSON text or a nested object; or, for a
 * flattened CSV export, the record spread over columns.
 */
export function sualItem(value: unknown, text: string, loc: SourceLocation, fromCsv: boolean, dates?: DateReading): ParsedItem {
  if (!isObj(value)) return rejectAt(loc, 'expected an object with an AuditData field', text);
  const hints: EnvelopeHints = {
    time: value.CreationDate, timeField: 'CreationDate', ...(dates ? { dates } : {}), recordType: value.RecordType,
    operation: value.Operations ?? value.Operation, userId: value.UserIds ?? value.UserId,
    recordId: value.RecordId ?? value.Identity,
  };
  const ad = value.AuditData;
  if (typeof ad === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(ad);
    } catch (e) {
      if (fromCsv && ad.length === EXCEL_CELL_MAX) {
        return rejectAt(loc, `AuditData is cut at ${EXCEL_CELL_MAX} characters, the most an Excel cell holds: the file was probably opened and saved in Excel, which cuts longer cells. Import the export as it was downloaded`, text);
      }
      const m = e instanceof Error ? e.message : String(e);
      return rejectAt(loc, `AuditData is not valid JSON (${m.length > 160 ? m.slice(0, 160) + '…' : m})`, text);
    }
    if (!isObj(parsed)) return rejectAt(loc, 'AuditData is JSON but not an object', text);
    return eventOrReject(loc, text, () => normaliseWithHints(parsed as Obj, ad, hints));
  }
  if (isObj(ad)) return eventOrReject(loc, text, () => normaliseWithHints(ad, undefined, hints));
  if (ad !== undefined && ad !== null) return rejectAt(loc, 'AuditData is neither JSON text nor an object', text);
  // flattened export: the record's own fields are columns
  const rec: Obj = fromCsv ? unflatten(value as Record<string, string>) : { ...value };
  for (const k of SUAL_ENVELOPE) delete rec[k];
  if (rec.CreationTime === undefined && rec.Id === undefined && rec.Operation === undefined) {
    return rejectAt(loc, 'no AuditData and no CreationTime/Id/Operation columns: not an audit record', text);
  }
  return eventOrReject(loc, text, () => normaliseWithHints(rec, undefined, hints));
}

// ---- Sentinel OfficeActivity -------------------------------------------------------------------

/**
 * The time zone that Log Analytics (the Azure portal's "Export to CSV", as Sentinel exports are made)
 * adds to the name of each date-time column it writes: `TimeGenerated [UTC]`, or `[Local Time]`.
 */
export const PORTAL_TIME_ZONE = / \[(?:UTC|Local Time)\]$/i;

export function sentinelItem(value: unknown, text: string, loc: SourceLocation, dates?: DateReading): ParsedItem {
  if (!isObj(value)) return rejectAt(loc, 'expected an OfficeActivity row object', text);
  if (value.TimeGenerated === undefined && value['TimeGenerated [UTC]'] === undefined && value.CreationTime === undefined && value['TimeGenerated [Local Time]'] !== undefined) {
    // the portal wrote the times in the zone of the browser that exported them, which the file does not name
    return rejectAt(loc, 'TimeGenerated [Local Time] is in the time zone of the browser that exported it, which the file does not say; export it again with the portal\'s display time zone set to UTC (TimeGenerated [UTC])', text);
  }
  const rec: Obj = {};
  for (const k in value) {
    const v = value[k];
    if (v === '' || v === null) continue; // Log Analytics exports write every absent column as an empty cell
    rec[k] = v;
  }
  if (rec.Id === undefined && rec.OfficeId !== undefined) rec.Id = rec.OfficeId;
  if (rec.Workload === undefined && rec.OfficeWorkload !== undefined) rec.Workload = rec.OfficeWorkload;
  if (rec.ClientIPAddress === undefined && rec.Client_IPAddress !== undefined) rec.ClientIPAddress = rec.Client_IPAddress;
  if (rec.UserId === undefined && rec.UserId_ !== undefined) rec.UserId = rec.UserId_;
  if (rec.ObjectId === undefined && rec.OfficeObjectId !== undefined) rec.ObjectId = rec.OfficeObjectId;
  const hints: EnvelopeHints = { time: value.TimeGenerated ?? value['TimeGenerated [UTC]'], timeField: 'TimeGenerated', ...(dates ? { dates } : {}) };
  // TimeGenerated is the time Sentinel read the record; the record's own CreationTime (when a column has it) wins
  return eventOrReject(loc, text, () => normaliseWithHints(rec, undefined, hints));
}

// ---- Search-MailboxAuditLog -ShowDetails -------------------------------------------------------

/** `["MailAccessType:Bind","IsThrottled:False"]` or `MailAccessType:Bind, IsThrottled:False` → Name/Value pairs. */
function mbxOperationProperties(v: unknown): { Name: string; Value: string }[] {
  const parsed = maybeJson(v);
  const list: unknown[] = Array.isArray(parsed) ? parsed : typeof parsed === 'string' ? parsed.split(/[\r\n;,]+/) : [];
  const out: { Name: string; Value: string }[] = [];
  for (const e of list) {
    if (isObj(e) && typeof e.Name === 'string') { out.push({ Name: e.Name, Value: String(e.Value ?? '') }); continue; }
    if (typeof e !== 'string') continue;
    const t = e.trim();
    const c = t.indexOf(':');
    if (c > 0) out.push({ Name: t.slice(0, c).trim(), Value: t.slice(c + 1).trim() });
  }
  return out;
}

function idList(v: unknown): string[] {
  const parsed = maybeJson(v);
  if (Array.isArray(parsed)) return parsed.filter((x): x is string => typeof x === 'string' && x.trim() !== '').map((x) => x.trim());
  if (typeof parsed !== 'string' || parsed.trim() === '') return [];
  // Internet message ids are <…>; split on whitespace, commas and semicolons between them
  return parsed.split(/[\s,;]+/).filter((x) => x !== '');
}

export function mailboxAuditItem(value: unknown, text: string, loc: SourceLocation, dates?: DateReading): ParsedItem {
  if (!isObj(value)) return rejectAt(loc, 'expected a Search-MailboxAuditLog row object', text);
  const s = (k: string): unknown => { const v = value[k]; return v === '' ? undefined : v; };
  const opProps = mbxOperationProperties(value.OperationProperties);
  const operation = s('Operation');
  const access = opProps.find((p) => p.Name.toLowerCase() === 'mailaccesstype')?.Value ?? null;
  // Sync rows can carry FolderPathName "Not Available" (as the unified log's Path does); the name is then the folder.
  const pathName = s('FolderPathName');
  const folderPath = (typeof pathName === 'string' && pathName.toLowerCase() === 'not available' ? undefined : pathName) ?? s('FolderName') ?? pathName;
  const folderId = s('FolderId');
  // Build the classic shape so the normaliser reads it like any mailbox record.
  const rec: Obj = {
    CreationTime: s('LastAccessed'),
    Operation: operation,
    ResultStatus: s('OperationResult'),
    LogonType: s('LogonType'),
    InternalLogonType: s('InternalLogonType'),
    MailboxOwnerUPN: s('MailboxOwnerUPN'),
    MailboxGuid: s('MailboxGuid'),
    ClientIPAddress: s('ClientIPAddress') ?? s('ClientIP'),
    ClientInfoString: s('ClientInfoString'),
    SessionId: s('SessionId'),
    AppId: s('AppId'),
    ClientAppId: s('ClientAppId'),
    UserId: s('LogonUserDisplayName'),
    OperationProperties: opProps,
  };
  const ev = eventOrReject(loc, text, () => normaliseWithHints(rec, undefined, { timeField: 'LastAccessed', ...(dates ? { dates } : {}) }));
  if (ev.kind !== 'event') {
    if (ev.kind === 'reject') ev.reason = ev.reason.replace('no CreationTime and no LastAccessed', 'no LastAccessed').replace(/^(.*?: )CreationTime /, '$1LastAccessed ');
    return ev;
  }
  const e = ev.event;
  // id: SHA-256 of the row as received (canonical JSON, sorted keys). Re-importing the same export collapses
  // duplicates; distinct entries never collide. A CSV and a JSON export of the same entry hash differently.
  e.recordId = syntheticId(value);
  e.idSynthetic = true;
  e.recordType = null;
  e.recordTypeName = 'MailboxAuditLog';
  e.auditData = value;
  e.userKey = typeof value.LogonUserSid === 'string' && value.LogonUserSid !== '' ? value.LogonUserSid : null;
  if (operation === 'MailItemsAccessed') {
    const accessType = access?.toLowerCase() === 'sync' ? 'Sync' : 'Bind';
    const fp = typeof folderPath === 'string' ? folderPath : null;
    const fid = typeof folderId === 'string' ? folderId : null;
    const ids = new Set<string>();
    const single = s('ItemInternetMessageId');
    if (typeof single === 'string') ids.add(single.trim());
    for (const id of idList(value.SourceItemInternetMessageIdsList)) ids.add(id);
    const subject = typeof s('ItemSubject') === 'string' ? (s('ItemSubject') as string) : null;
    for (const id of ids) e.items.push({ folderPath: fp, folderId: fid, internetMessageId: id, sizeBytes: null, accessType, subject: ids.size === 1 ? subject : null });
    if (ids.size === 0 && accessType === 'Sync') e.items.push({ folderPath: fp, folderId: fid, internetMessageId: null, sizeBytes: null, accessType: 'Sync', subject: null });
  }
  const extra = [folderPath, s('ItemSubject'), s('SourceItemSubjectsList'), s('DestFolderPathName')].filter((x): x is string => typeof x === 'string');
  if (extra.length > 0) e.searchText = (e.searchText + ' ' + extra.join(' ')).trim().slice(0, 4096);
  return ev;
}
