// Format detection by content: the keys of the first records (JSON) or the header row (CSV). The file
// name is used only in messages; an extension never decides the format.
import type { Detection, FormatId } from './types.ts';
import { IMPORT_FORMAT_IDS } from './catalogue.ts';
import { createRawSource, csvHeader, sniffContainer } from './containers.ts';
import { isObj, looksLikeAuditRecord } from './records.ts';
import { maybeJson } from '../normalise.ts';

type Kind = 'ual' | 'sual' | 'purview' | 'graph' | 'mailbox-audit' | 'sentinel' | 'config-mailbox' | 'config-bypass' | 'config-organization' | 'config-adminauditlog' | 'config-licence' | 'config-inboxrule';

/** Classifies by a set of lower-cased key names (JSON keys or CSV header cells; annotation keys ignored). */
export function classifyKeys(keys: Iterable<string>): Kind | null {
  const k = new Set<string>();
  for (const key of keys) if (!key.includes('@')) k.add(key.toLowerCase());
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
  const src = createRawSource(container);
  const raws = src.push(sample);
  if (raws.length === 0 || sample.length < 262_144) raws.push(...src.end());
  let firstKeys: string[] | null = null;
  let objects = 0;
  for (const r of raws) {
    if (r.kind !== 'value' || !isObj(r.value)) continue;
    objects++;
    firstKeys ??= Object.keys(r.value);
    const kind = classifyObject(r.value);
    if (kind) return { ok: true, format: kindToFormat(kind, false), container };
    if (objects >= 50) break;
  }
  if (firstKeys === null) {
    return { ok: false, tried, reason: `${name} starts like JSON but holds no readable JSON object in its first ${Math.round(sample.length / 1024)} KiB` };
  }
  return { ok: false, tried, reason: `${name}: JSON objects with keys ${keysPreview(firstKeys)} match no known audit or configuration export` };
}
