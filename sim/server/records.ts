// Record selection and rendering shared by the APIs: filters, a resumable cursor over a scenario's
// time-ordered records (one page in memory at a time), and the per-transport record shapes
// (Graph auditLogRecord §2.4, Search-UnifiedAuditLog row §4.8).
import { recordTypeName } from '../../core/recordTypes.ts';
import type { UalRecord } from '../scenario/types.ts';
import { GRAPH_COLLECTION_ANNOTATION, GRAPH_INT64_ANNOTATION } from './assumptions.ts';

export interface RecordFilter {
  recordTypes?: ReadonlySet<number>;
  /** lower-case */
  operations?: ReadonlySet<string>;
  /** lower-case; matched against the classic UserId (UPN or system identity) and UserKey */
  userIds?: ReadonlySet<string>;
  /** lower-case; substring of the record's JSON text */
  freeText?: string;
  ipAddresses?: ReadonlySet<string>;
  /** lower-case */
  objectIds?: ReadonlySet<string>;
  /** lower-case Workload names */
  workloads?: ReadonlySet<string>;
  /** any further condition (e.g. Search-MailboxAuditLog logon types) */
  predicate?: (r: UalRecord) => boolean;
}

const lower = (v: unknown): string => (typeof v === 'string' ? v.toLowerCase() : '');

export function recordMatches(r: UalRecord, f: RecordFilter): boolean {
  if (f.recordTypes && f.recordTypes.size > 0 && !f.recordTypes.has(Number(r.RecordType))) return false;
  if (f.operations && f.operations.size > 0 && !f.operations.has(lower(r.Operation))) return false;
  if (f.userIds && f.userIds.size > 0 && !f.userIds.has(lower(r.UserId)) && !f.userIds.has(lower(r.UserKey))) return false;
  if (f.workloads && f.workloads.size > 0 && !f.workloads.has(lower(r.Workload))) return false;
  if (f.ipAddresses && f.ipAddresses.size > 0) {
    const ip = String(r.ClientIP ?? r.ClientIPAddress ?? '');
    if (!f.ipAddresses.has(ip)) return false;
  }
  if (f.objectIds && f.objectIds.size > 0 && !f.objectIds.has(lower(r.ObjectId))) return false;
  if (f.freeText && !JSON.stringify(r).toLowerCase().includes(f.freeText)) return false;
  if (f.predicate && !f.predicate(r)) return false;
  return true;
}

/** CreationTime in ms; the classic form has no zone and is UTC. */
export function recordTimeMs(r: UalRecord): number {
  const t = r.CreationTime;
  return Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(t) ? t : `${t}Z`);
}

interface Live {
  it: Iterator<UalRecord>;
  pos: number;
  lastMs: number;
  sameMs: number;
}

/**
 * Positions over the records matching a filter in [startMs, endMs), in time order. `page(pos, n)` is
 * cheap when called in sequence (a live generator continues) and correct when called out of order
 * (it resumes from the checkpoint stored at each page boundary: the time of the last record and how
 * many matching records shared that time).
 */
export class RecordCursor {
  private live: Live | null = null;
  private readonly checkpoints = new Map<number, { ms: number; k: number }>();
  private readonly source: (fromMs: number) => Iterator<UalRecord>;
  private readonly filter: RecordFilter;
  private readonly startMs: number;
  readonly limit: number;
  private counted: number | null = null;

  constructor(source: (fromMs: number) => Iterator<UalRecord>, startMs: number, filter: RecordFilter, limit = Number.POSITIVE_INFINITY) {
    this.source = source;
    this.startMs = startMs;
    this.filter = filter;
    this.limit = limit;
    this.checkpoints.set(0, { ms: startMs, k: 0 });
  }

  private nextMatch(live: Live): UalRecord | null {
    for (;;) {
      const n = live.it.next();
      if (n.done) return null;
      const r = n.value;
      if (!recordMatches(r, this.filter)) continue;
      const ms = recordTimeMs(r);
      if (ms === live.lastMs) live.sameMs += 1;
      else { live.lastMs = ms; live.sameMs = 1; }
      live.pos += 1;
      return r;
    }
  }

  private seek(pos: number): Live {
    let best = 0;
    for (const p of this.checkpoints.keys()) if (p <= pos && p > best) best = p;
    const cp = this.checkpoints.get(best) ?? { ms: this.startMs, k: 0 };
    const live: Live = { it: this.source(cp.ms), pos: 0, lastMs: Number.NaN, sameMs: 0 };
    // Skip the k records at the checkpoint's time that were already counted, then walk to pos.
    for (let i = 0; i < cp.k; i++) if (!this.nextMatch(live)) break;
    live.pos = best;
    live.lastMs = cp.ms;
    live.sameMs = cp.k;
    while (live.pos < pos) if (!this.nextMatch(live)) break;
    return live;
  }

  /** Matching records at positions [pos, pos + n), capped at the limit. */
  page(pos: number, n: number): UalRecord[] {
    const want = Math.min(n, this.limit - pos);
    if (want <= 0 || pos < 0) return [];
    if (!this.live || this.live.pos !== pos) this.live = this.seek(pos);
    const out: UalRecord[] = [];
    while (out.length < want) {
      const r = this.nextMatch(this.live);
      if (!r) break;
      out.push(r);
    }
    if (this.checkpoints.size < 100_000) this.checkpoints.set(this.live.pos, { ms: this.live.lastMs, k: this.live.sameMs });
    return out;
  }

  /** Number of matching records (a scan from the start, done once), not capped by the limit; stops at `max`. */
  count(max = Number.POSITIVE_INFINITY): number {
    if (this.counted !== null) return Math.min(this.counted, max);
    const it = this.source(this.startMs);
    let n = 0;
    for (let x = it.next(); !x.done && n < max; x = it.next()) if (recordMatches(x.value, this.filter)) n++;
    if (n < max) this.counted = n;
    return n;
  }
}

export const USER_TYPE_NAMES = ['Regular', 'Reserved', 'Admin', 'DcAdmin', 'System', 'Application', 'ServicePrincipal', 'CustomPolicy', 'SystemPolicy', 'PartnerTechnician', 'Guest'];

function zTime(t: unknown): unknown {
  return typeof t === 'string' && !/[zZ]|[+-]\d\d:\d\d$/.test(t) ? `${t}Z` : t;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Adds Graph's OData annotations: #Int64 before integers, a collection type before arrays of objects. */
function annotate(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v === 'number' && Number.isInteger(v)) {
      out[`${k}@odata.type`] = GRAPH_INT64_ANNOTATION;
      out[k] = v;
    } else if (Array.isArray(v) && v.some(isPlainObject)) {
      out[`${k}@odata.type`] = GRAPH_COLLECTION_ANNOTATION;
      out[k] = v.map((e) => (isPlainObject(e) ? annotate(e) : e));
    } else if (isPlainObject(v)) {
      out[k] = annotate(v);
    } else {
      out[k] = v;
    }
  }
  return out;
}

/** §2.4 live shape: PascalCase enums, crossed userId/userPrincipalName, clientIp null, annotated auditData. */
export function toGraphRecord(r: UalRecord): Record<string, unknown> {
  const auditData = { '@odata.type': '#microsoft.graph.security.defaultAuditData', ...annotate({ ...r, CreationTime: zTime(r.CreationTime) }) };
  const code = Number(r.RecordType);
  return {
    id: r.Id,
    createdDateTime: zTime(r.CreationTime),
    auditLogRecordType: recordTypeName(code) ?? String(code),
    operation: r.Operation,
    organizationId: r.OrganizationId ?? null,
    userType: USER_TYPE_NAMES[Number(r.UserType)] ?? 'Regular',
    userId: r.UserKey ?? null,
    service: r.Workload ?? null,
    objectId: r.ObjectId ?? null,
    userPrincipalName: r.UserId ?? null,
    clientIp: null,
    administrativeUnits: [''],
    auditData,
  };
}

/** §4.8 row: AuditData as a JSON string, ResultIndex/ResultCount with Exchange's data.type annotations. */
export function toSualRow(r: UalRecord, resultIndex: number, resultCount: number): Record<string, unknown> {
  const code = Number(r.RecordType);
  return {
    RecordType: recordTypeName(code) ?? String(code),
    'CreationDate@data.type': 'System.DateTime',
    CreationDate: String(r.CreationTime).replace(/Z$/, ''),
    UserIds: r.UserId ?? '',
    Operations: r.Operation,
    AuditData: JSON.stringify(r),
    'ResultIndex@data.type': 'System.Int32',
    ResultIndex: resultIndex,
    'ResultCount@data.type': 'System.Int32',
    ResultCount: resultCount,
    Identity: r.Id,
    IsValid: true,
    ObjectState: 'Unchanged',
  };
}

/** Deterministic permutation of a page (ReturnLargeSet is unsorted, §4.8). */
export function shufflePage<T>(items: T[], seed: number): T[] {
  const a = items.slice();
  let s = seed >>> 0 || 1;
  for (let i = a.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}
