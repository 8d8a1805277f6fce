// Reading the parts of a classic AuditData record the analysis needs: Exchange admin `Parameters`,
// mailbox `OperationProperties` (both arrays of {Name, Value}, where Value may be missing), booleans
// rendered as strings, and PowerShell multi-value renderings.
import { iso } from './timeline.ts';
import type { ChangeRecord } from './types.ts';

/** [{Name, Value}] → Map (name as received; a missing Value becomes null). Tolerates junk. */
export function nameValueMap(list: unknown): Map<string, string | null> {
  const out = new Map<string, string | null>();
  if (!Array.isArray(list)) return out;
  for (const entry of list) {
    if (entry === null || typeof entry !== 'object') continue;
    const e = entry as Record<string, unknown>;
    const name = e['Name'] ?? e['name'];
    if (typeof name !== 'string') continue;
    const value = e['Value'] ?? e['value'];
    out.set(name, value === undefined || value === null ? null : typeof value === 'string' ? value : JSON.stringify(value));
  }
  return out;
}

/** Case-insensitive look-up in a parameter map; `undefined` when the parameter is absent. */
export function param(map: Map<string, string | null>, name: string): string | null | undefined {
  if (map.has(name)) return map.get(name);
  const lower = name.toLowerCase();
  for (const [k, v] of map) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** "True"/"$true"/"1" → true, "False"/"$false"/"0" → false, anything else → null. */
export function parseBool(v: string | null | undefined): boolean | null {
  if (v === null || v === undefined) return null;
  const t = v.trim().replace(/^\$/, '').toLowerCase();
  if (t === 'true' || t === '1' || t === 'yes') return true;
  if (t === 'false' || t === '0' || t === 'no') return false;
  return null;
}

/**
 * A multi-valued parameter as PowerShell or the audit pipeline may render it:
 * `Update, SoftDelete`, `Update;SoftDelete`, `{Update, SoftDelete}`, `["Update","SoftDelete"]`,
 * or `@{Add="MailboxLogin"}` / `@{Remove=Update}`. Returns a replace list, or add/remove lists.
 */
export type MultiValue = { mode: 'replace'; values: string[] } | { mode: 'edit'; add: string[]; remove: string[] };

export function parseMultiValue(v: string | null | undefined): MultiValue | null {
  if (v === null || v === undefined) return null;
  const t = v.trim();
  const edit = /^@\{(.*)\}$/s.exec(t);
  if (edit) {
    const add: string[] = [];
    const remove: string[] = [];
    for (const part of (edit[1] ?? '').split(/;(?=\s*(?:add|remove)\s*=)/i)) {
      const m = /^\s*(add|remove)\s*=\s*(.*)$/is.exec(part);
      if (!m) continue;
      const vals = splitList(m[2] ?? '');
      (m[1]!.toLowerCase() === 'add' ? add : remove).push(...vals);
    }
    return { mode: 'edit', add, remove };
  }
  if (t.startsWith('[')) {
    try {
      const arr: unknown = JSON.parse(t);
      if (Array.isArray(arr)) return { mode: 'replace', values: arr.filter((x): x is string => typeof x === 'string').map((s) => s.trim()).filter(Boolean) };
    } catch {
      // fall through to the plain list reading
    }
  }
  return { mode: 'replace', values: splitList(t) };
}

function splitList(s: string): string[] {
  return s
    .replace(/^[{(]|[})]$/g, '')
    .split(/[,;]/)
    .map((x) => x.trim().replace(/^["']|["']$/g, '').trim())
    .filter((x) => x.length > 0);
}

/** Whether an Exchange admin or mailbox record reports failure (`ResultStatus` False/Failed). */
export function recordFailed(resultStatus: unknown): boolean {
  if (typeof resultStatus !== 'string') return false;
  const t = resultStatus.trim().toLowerCase();
  return t === 'false' || t === 'failed' || t === 'failure';
}

export interface RawChangeRow {
  recordId: string;
  timeMs: number;
  operation: string | null;
  recordType: number | null;
  userId: string | null;
  userType: number | null;
  mailbox: string | null;
  objectId: string | null;
  clientIp: string | null;
  resultStatus: string | null;
  auditData: string;
}

/** AuditData text as an object; null when there is no text, it is not JSON, or it is not an object. */
export function parseAuditData(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** "adm.patti@contoso.com ran New-InboxRule at 2024-05-01T09:00:00.000Z from 203.0.113.9" (the IP when known). */
export function ranWords(actor: string | null, operation: string, timeMs: number, ip: string | null): string {
  return `${actor ?? 'unknown actor'} ran ${operation} at ${iso(timeMs)}${ip ? ` from ${ip}` : ''}`;
}

/** Parses a stored event row (audit_data text) into a ChangeRecord; a row whose JSON is broken keeps empty maps. */
export function toChangeRecord(r: RawChangeRow): ChangeRecord {
  // Empty when broken: the importer stored the text verbatim; a broken record yields no parameters.
  const data = parseAuditData(r.auditData) ?? {};
  const item = data['Item'];
  return {
    recordId: r.recordId,
    timeMs: r.timeMs,
    operation: r.operation ?? String(data['Operation'] ?? ''),
    recordType: r.recordType,
    userId: r.userId,
    userType: r.userType,
    mailbox: r.mailbox,
    objectId: r.objectId,
    failed: recordFailed(r.resultStatus ?? data['ResultStatus']),
    // Exchange admin records carry [{Name, Value}]; Security & Compliance cmdlet records (RecordType 18,
    // eDiscovery) carry the command line's parameters as one string.
    parameters: typeof data['Parameters'] === 'string' ? parseParameterString(data['Parameters']) : nameValueMap(data['Parameters']),
    operationProperties: nameValueMap(data['OperationProperties']),
    clientIp: r.clientIp,
    item: item && typeof item === 'object' && !Array.isArray(item) ? (item as Record<string, unknown>) : null,
  };
}

/** The target identity an admin cmdlet names: its `Identity` parameter, else the record's ObjectId. */
export function cmdletTarget(rec: ChangeRecord): string | null {
  const id = param(rec.parameters, 'Identity');
  if (id) return id;
  return rec.objectId ?? rec.mailbox;
}

/**
 * A cmdlet's parameters as one string, the way Security & Compliance records (RecordType 18) carry them:
 * `-Name "Search 1" -ExchangeLocation "All" -ContentMatchQuery "a OR \"b c\"" -Export`. A value is a
 * double- or single-quoted string (quotes inside escaped with a backslash, a backtick or doubled), a
 * comma-joined list of such strings or bare words (joined with ","), or a bare word; a parameter with no
 * value (a switch) reads "True"; `-Confirm:$false` reads "$false". Text before the first parameter is ignored.
 */
export function parseParameterString(s: string): Map<string, string | null> {
  const out = new Map<string, string | null>();
  let i = 0;
  const n = s.length;
  const ws = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
  const skipWs = () => { while (i < n && ws(s[i])) i++; };
  // A parameter name is "-" and a letter at the start or after white space (a "-" before a digit is a
  // negative number; one inside a word, as in New-ComplianceSearch, is part of it).
  const atName = () => s[i] === '-' && /[A-Za-z]/.test(s[i + 1] ?? '') && (i === 0 || ws(s[i - 1]));
  const readItem = (): string => {
    const q = s[i];
    if (q === '"' || q === "'") {
      i++;
      let v = '';
      while (i < n) {
        const c = s[i]!;
        if ((c === '\\' || c === '`') && (s[i + 1] === q || s[i + 1] === '\\' || s[i + 1] === '`')) { v += s[i + 1]; i += 2; continue; }
        if (c === q) {
          if (s[i + 1] === q) { v += q; i += 2; continue; }
          i++;
          break;
        }
        v += c;
        i++;
      }
      return v;
    }
    const start = i;
    while (i < n && !ws(s[i]) && s[i] !== ',') i++;
    return s.slice(start, i);
  };
  while (i < n && !atName()) i++;
  while (i < n) {
    i++; // the "-"
    const start = i;
    while (i < n && /[A-Za-z0-9_]/.test(s[i]!)) i++;
    const name = s.slice(start, i);
    let value: string | null = 'True';
    if (s[i] === ':') {
      i++;
      value = readItem();
    } else {
      skipWs();
      if (i < n && !atName()) {
        const items = [readItem()];
        for (;;) {
          let j = i;
          while (j < n && ws(s[j])) j++;
          if (s[j] !== ',') break;
          i = j + 1;
          skipWs();
          items.push(readItem());
        }
        value = items.join(',');
      }
    }
    if (name) out.set(name, value);
    while (i < n && !atName()) i++;
  }
  return out;
}
