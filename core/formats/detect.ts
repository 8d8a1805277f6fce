// Format detection by content: the keys of the first records (JSON) or the header row (CSV). The file
// name is used only in messages; an extension never decides the format.
import type { Detection, FormatId } from './types.ts';
import { IMPORT_FORMAT_IDS } from './catalogue.ts';
import { createRawSource, csvHeader, sniffContainer } from './containers.ts';
import { PORTAL_TIME_ZONE, isObj, looksLikeAuditRecord } from './records.ts';
import { maybeJson } from '../normalise.ts';

type Kind = 'ual' | 'sual' | 'purview' | 'graph' | 'mailbox-audit' | 'sentinel' | 'config-mailbox' | 'config-bypass' | 'config-organization' | 'config-adminauditlog' | 'config-licence' | 'config-inboxrule';

/** Classifies by a set of lower-cased key names (JSON keys or CSV header cells; annotation keys ignored). */
export function classifyKeys(keys: Iterable<string>): Kind | null {
  const k = new Set<string>();
  for (const key of keys) if (!key.includes('@')) k.add(key.replace(PORTAL_TIME_ZONE, '').toLowerCase());
  const has = (n: string): boolean => k.has(n);
  if (has('auditlogrecordtype') || (has('createddatetime') && has('auditdata'))) return 'graph';
  if (has('auditdata') && has('recordid') && has('creationdate')) return 'purview';
  if (has('auditdata') && (has('creationdate') || has('userids') || has('operations') || has('resultindex'))) return 'sual';
  if (has('timegenerated') && (has('officeworkload') || has('officeid') || has('client_ipaddress') || has('officeobjectid'))) return 'sentinel';
  if (has('lastaccessed') && has('operation') && !has('creationtime') && (has('mailboxownerupn') || has('logontype') || has('mailboxresolvedownername') || has('operationresult'))) return 'mailbox-audit';
  if (has('auditbypassenabled')) return 'config-bypass';
  if (has('ruleidentity') || (has('mailboxownerid') && (has('forwardto') || has('redirectto') || has('movetofolder') || has('deletemessage')))) return 'config-inboxrule';
  if (has('unifiedauditlogingestionenabled') || (has('adminauditlogenabled') && has('adminauditlogagelimit'))) return 'config-adminauditlog';
  if (has('auditlogagelimit') || (has('auditenabled') && (has('recipienttypedetails') || has('userprincipalname') || has('primarysmtpaddress')))) return 'config-mailbox';
  if (has('auditdisabled')) return 'config-organization';
  if (has('serviceplans') || has('assignedlicenses') || has('licenseassignmentstates') || (has('skupartnumber') && (has('userprincipalname') || has('upn')))) return 'config-licence';
  if (has('creationtime') && (has('operation') || has('recordtype') || has('workload') || has('id'))) return 'ual';
  return null;
}

function kindToFormat(kind: Kind, csv: boolean): FormatId {
  switch (kind) {
    case 'ual': return csv ? 'sual-csv' : 'ual-json'; // a CSV of flattened raw records reads like a flattened SUAL export
    case 'sual': return csv ? 'sual-csv' : 'sual-json';
    case 'purview': return csv ? 'purview-csv' : 'sual-json';
    case 'graph': return 'graph-json';
    case 'mailbox-audit': return csv ? 'mailbox-audit-csv' : 'mailbox-audit-json';
    case 'sentinel': return csv ? 'sentinel-csv' : 'sentinel-json';
    default: return kind;
  }
}

/** Envelope keys of log pipelines that wrap a raw record (`{"event":{…}}`, Elastic `event.original`, …). */
function wrapsAuditRecord(o: Record<string, unknown>, depth: number): boolean {
  if (depth > 3) return false;
  for (const key in o) {
    const v = o[key];
    if (isObj(v)) {
      if (looksLikeAuditRecord(v) || wrapsAuditRecord(v, depth + 1)) return true;
    } else if (typeof v === 'string' && v.charCodeAt(0) === 123 && looksLikeAuditRecord(maybeJson(v))) {
      return true;
    }
  }
  return false;
}

function classifyObject(o: Record<string, unknown>): Kind | null {
  if (Array.isArray(o.value) && (o['@odata.context'] !== undefined || o.value.length > 0)) {
    const first = o.value.find(isObj);
    return first ? classifyObject(first) : null;
  }
  const kind = classifyKeys(Object.keys(o));
  if (kind) return kind;
  if (Array.isArray(o.servicePlans) || Array.isArray(o.assignedLicenses)) return 'config-licence';
  if (wrapsAuditRecord(o, 0)) return 'ual';
  return null;
}

function keysPreview(keys: string[]): string {
  const shown = keys.slice(0, 12).join(', ');
  return keys.length > 12 ? `${shown}, … (${keys.length} keys)` : shown;
}

/**
 * services/import.ts reads a head of 256 KiB to tell the format: a sample this long was cut there, and
 * may end inside its first record (a Graph or admin API page is one JSON value holding all its records).
 */
const SAMPLE_CUT = 262_144;

/**
 * The first JSON value of a text, completed where the text ends inside it, so that its keys can be read:
 * a member whose value is cut off keeps its key (with null), a key or array element cut off is dropped,
 * and the open objects and arrays are closed. The scan only tracks strings, keys and nesting to find
 * where to cut; JSON.parse still checks the grammar of what is kept. Undefined when the text does not
 * start with "{" or "[" or what it holds is not JSON. Written by hand: JSON.parse refuses a value cut off,
 * and streaming JSON parsers wait for its end; neither says what the part that arrived holds.
 */
export function firstJsonValue(text: string): unknown {
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (start < text.length && /\s/.test(text[start] as string)) start++;
  const opening = text.charCodeAt(start);
  if (opening !== 123 && opening !== 91) return undefined;
  // per open object or array: `kept`, where the text may be cut to close it (after its opener or its last
  // complete member); `keyEnd`, in an object, the end of a key whose value is not complete yet (else -1)
  interface Frame { obj: boolean; kept: number; keyEnd: number; wantKey: boolean }
  const stack: Frame[] = [];
  const parse = (json: string): unknown => {
    try {
      return JSON.parse(json);
    } catch {
      return undefined;
    }
  };
  const completed = (end: number): void => {
    const f = stack.at(-1) as Frame;
    f.kept = end;
    f.keyEnd = -1;
  };
  let i = start;
  scan: while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      let q = i + 1;
      for (;;) {
        q = text.indexOf('"', q);
        if (q < 0) break scan; // cut inside a string
        let bs = 0;
        for (let k = q - 1; text.charCodeAt(k) === 92; k--) bs++;
        if (bs % 2 === 0) break;
        q++;
      }
      const f = stack.at(-1) as Frame;
      if (f.obj && f.wantKey) {
        f.wantKey = false;
        f.keyEnd = q + 1;
      } else {
        completed(q + 1);
      }
      i = q + 1;
    } else if (c === 123 || c === 91) {
      stack.push({ obj: c === 123, kept: i + 1, keyEnd: -1, wantKey: c === 123 });
      i++;
    } else if (c === 125 || c === 93) {
      stack.pop();
      if (stack.length === 0) return parse(text.slice(start, i + 1)); // the whole value is in the text
      completed(i + 1);
      i++;
    } else if (c === 44) {
      const f = stack.at(-1) as Frame;
      if (f.obj) f.wantKey = true;
      i++;
    } else if (c === 58 || c === 32 || c === 9 || c === 10 || c === 13) {
      i++;
    } else {
      // a number, true, false or null: complete only once something follows it
      let e = i + 1;
      while (e < text.length && !/[\s,\]}]/.test(text[e] as string)) e++;
      if (e >= text.length) break;
      completed(e);
      i = e;
    }
  }
  const inner = stack.at(-1);
  if (inner === undefined) return undefined;
  let json = inner.keyEnd >= 0 ? text.slice(start, inner.keyEnd) + ':null' : text.slice(start, inner.kept);
  for (let k = stack.length - 1; k >= 0; k--) json += (stack[k] as Frame).obj ? '}' : ']';
  return parse(json);
}

/** The keys a message names for an object: an OData page's are those of its first record. */
function shownKeys(o: Record<string, unknown>): string[] {
  const first = Array.isArray(o.value) ? o.value.find(isObj) : undefined;
  return Object.keys(first ?? o);
}

/** The first object of a JSON value: itself, or an array's first object element. */
function firstObject(v: unknown): Record<string, unknown> | null {
  if (isObj(v)) return v;
  return Array.isArray(v) ? (v.find(isObj) ?? null) : null;
}

export function detectFormat(sample: string, fileName: string): Detection {
  const tried = [...IMPORT_FORMAT_IDS];
  const name = fileName || 'the file';
  const container = sniffContainer(sample, true);
  if (container === null) return { ok: false, tried, reason: `${name} is empty` };
  if (container === 'csv') {
    const header = csvHeader(sample);
    if (!header || header.length < 2) {
      return { ok: false, tried, reason: `${name} is neither JSON nor a CSV file with a header row` };
    }
    const kind = classifyKeys(header);
    if (!kind) return { ok: false, tried, reason: `${name}: CSV header (${keysPreview(header)}) matches no known export` };
    return { ok: true, format: kindToFormat(kind, true), container: 'csv' };
  }
  if (sample.replace(/^\uFEFF/, '').trim() === '') return { ok: false, tried, reason: `${name} is empty` };
  // read the complete records in the sample (it may end mid-record); classify the first recognisable ones
  const cut = sample.length >= SAMPLE_CUT;
  const src = createRawSource(container);
  const raws = src.push(sample);
  const ended = raws.length === 0 || !cut ? src.end() : [];
  // a cut sample ends inside a record because of the cut: what the end says of that record is not its fault
  const rejects = (cut ? raws : [...raws, ...ended]).filter((r) => r.kind === 'reject');
  raws.push(...ended);
  let firstKeys: string[] | null = null;
  let objects = 0;
  let emptyPage = false;
  for (const r of raws) {
    if (r.kind !== 'value' || !isObj(r.value)) continue;
    objects++;
    if (Array.isArray(r.value.value) && r.value.value.length === 0 && objects === 1) emptyPage = true;
    firstKeys ??= shownKeys(r.value);
    const kind = classifyObject(r.value);
    if (kind) return { ok: true, format: kindToFormat(kind, false), container };
    if (objects >= 50) break;
  }
  if (firstKeys === null) {
    // No complete record: the first one is larger than the sample, or is not valid JSON as a whole (a
    // line ending in a NUL). What it holds up to there tells the format; the parser then reads the file
    // to its end, and names a record it cannot read.
    const first = firstObject(firstJsonValue(sample));
    if (first !== null) {
      const kind = classifyObject(first);
      if (kind) return { ok: true, format: kindToFormat(kind, false), container };
      firstKeys = shownKeys(first);
    }
  }
  if (firstKeys === null) {
    const bad = rejects[0];
    return {
      ok: false, tried,
      reason: bad !== undefined ? `${name} starts like JSON but its first record is not readable (${bad.reason})`
        : `${name} starts like JSON but holds no readable JSON object${cut ? ` in its first ${Math.round(sample.length / 1024)} KiB` : ''}`,
    };
  }
  if (emptyPage && objects === 1) {
    // An API answer with nothing in it ("no inbox rules", a slice with no records) is evidence too, but
    // an Exchange admin API page does not name its cmdlet: only the examiner knows which export it is.
    return { ok: false, tried, reason: `${name} is an API page whose "value" holds no record, so nothing in it tells which export it is; name it with --format (and --as-of for a configuration export) to keep it as evidence of the empty answer` };
  }
  return { ok: false, tried, reason: `${name}: JSON objects with keys ${keysPreview(firstKeys)} match no known audit or configuration export` };
}
