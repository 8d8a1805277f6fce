// Microsoft Graph audit log query (§2): create a query per slice, poll until it succeeds, then page its
// records. A query over the record-count limit is split. A slice collected again after an earlier attempt
// created its query first looks that query up (GET queries/{id}, §2.1) and carries on with it while the
// service still has it: a query takes minutes to hours to run (§2.3). Also the directory reads for licences.
import { setTimeout as sleepMs } from 'node:timers/promises';
import type { ApiClient, CallResult } from './api.ts';
import type { Endpoints } from './clouds.ts';
import type { PageSink, SliceJob, SliceResult } from './collect.ts';
import { envelopeValue, pageOf, strings } from './collect.ts';
import { iso } from './slicing.ts';

export interface GraphTarget {
  api: ApiClient;
  endpoints: Endpoints;
  version: 'beta' | 'v1.0';
  /** Wait between polls of a running query (real service: 15-60 s). */
  pollMs: number;
  /** Give up on a query that has not finished after this long. */
  maxWaitMs: number;
}

/** Classic RecordType names (ExchangeItem) to the Graph enum (exchangeItem). */
export function graphRecordType(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

export function queryBody(job: SliceJob): Record<string, unknown> {
  const b: Record<string, unknown> = {
    '@odata.type': '#microsoft.graph.security.auditLogQuery',
    displayName: `Blindspot ${iso(job.startMs)} to ${iso(job.endMs)}`,
    filterStartDateTime: iso(job.startMs).replace('.000Z', 'Z'),
    filterEndDateTime: iso(job.endMs).replace('.000Z', 'Z'),
  };
  const rts = strings(job.query.recordTypeFilters);
  if (rts.length) b.recordTypeFilters = rts;
  const ops = strings(job.query.operationFilters);
  if (ops.length) b.operationFilters = ops;
  const users = strings(job.query.userPrincipalNameFilters);
  if (users.length) b.userPrincipalNameFilters = users;
  return b;
}

/**
 * The id of the audit log query an answer kept as evidence describes: the answer to the create (POST
 * queries) or to a get (GET queries/{id}) that succeeded, whose body is an auditLogQuery. Null for any
 * other answer (a records page, an error body, another API's answer).
 */
export function auditQueryIdOf(request: { method: string; url: string }, status: number, body: unknown): string | null {
  if (status < 200 || status >= 300) return null;
  let path: string;
  try { path = new URL(request.url).pathname; } catch { return null; }
  const m = /\/security\/auditLog\/queries(?:\/([^/]+))?$/.exec(path);
  if (!m || (request.method === 'POST') !== (m[1] === undefined)) return null;
  const id = (body as { id?: unknown } | null)?.id;
  if (typeof id !== 'string' || id === '') return null;
  return m[1] === undefined || decodeURIComponent(m[1]) === id ? id : null;
}

/** Why a query the service returned is not the slice's query as queryBody(job) would create it, or null. */
export function queryMismatch(q: Record<string, unknown>, job: SliceJob): string | null {
  const want = queryBody(job);
  for (const k of ['filterStartDateTime', 'filterEndDateTime'] as const) {
    if (Date.parse(String(q[k])) !== Date.parse(String(want[k]))) return `its ${k} is ${String(q[k])}, the slice's is ${String(want[k])}`;
  }
  // A filter left out of the create body is an empty one; the service may echo it as [] or omit it.
  const set = (v: unknown): string => JSON.stringify(strings(v).map((x) => x.toLowerCase()).sort());
  for (const k of ['recordTypeFilters', 'operationFilters', 'userPrincipalNameFilters'] as const) {
    if (set(q[k]) !== set(want[k])) return `its ${k} ${set(q[k])} differ from the slice's ${set(want[k])}`;
  }
  for (const k of ['keywordFilter', 'serviceFilter', 'serviceFilters', 'ipAddressFilters', 'objectIdFilters', 'administrativeUnitIdFilters'] as const) {
    const v = q[k];
    if (v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && strings(v).length === 0)) return `it has a ${k} the slice does not`;
  }
  return null;
}

type Lookup = { reuse: true; answer: CallResult } | { reuse: false; answer: CallResult; why: string };

/**
 * Looks up a query an earlier attempt created for this slice. The service keeps a query for some time
 * after it is created and answers 404 for one it no longer has (§2.1, §2.5). How an expired query answers is
 * not documented: any refusal other than a permission one (those are thrown) means "not usable".
 */
async function lookUp(t: GraphTarget, base: string, id: string, job: SliceJob, what: string, signal?: AbortSignal): Promise<Lookup> {
  const r = await t.api.call('graph', { method: 'GET', url: `${base}/${encodeURIComponent(id)}`, what: `${what}: look up the query ${id} an earlier attempt created`, accept: [400, 404, 410] }, signal);
  if (r.res.status !== 200) return { reuse: false, answer: r, why: `the service no longer has it (${r.res.status})` };
  const q = r.json as Record<string, unknown> | null;
  if (!q || typeof q !== 'object' || q.id !== id) return { reuse: false, answer: r, why: 'the service answered with another query' };
  if (q.status === 'failed' || q.status === 'cancelled') return { reuse: false, answer: r, why: `it ended ${String(q.status)}` };
  const differs = queryMismatch(q, job);
  if (differs) return { reuse: false, answer: r, why: `it is not this slice's query: ${differs}` };
  return { reuse: true, answer: r };
}

export interface GraphSliceOptions {
  canSplit: boolean;
  signal?: AbortSignal;
  top?: number;
  /** A query an earlier attempt at this slice created: looked up first, and carried on with if usable. */
  earlierQueryId?: string;
}

export async function graphSlice(t: GraphTarget, job: SliceJob, sink: PageSink, o: GraphSliceOptions): Promise<SliceResult> {
  const base = `${t.endpoints.graphBase}/${t.version}/security/auditLog/queries`;
  const what = `Graph audit query ${iso(job.startMs)} to ${iso(job.endMs)}`;
  // The query as the service recorded it (created, or looked up again), and (below) the status its
  // reported count comes from, are evidence of the slice beside its records.
  const answer = (r: CallResult, custody?: Record<string, unknown>) => sink({ ...pageOf(job, r, 'api-answer', 0), ...(custody ? { custody } : {}) });
  let first: CallResult | null = null;
  let id = '';
  let reused = false;
  if (o.earlierQueryId) {
    const l = await lookUp(t, base, o.earlierQueryId, job, what, o.signal);
    // The answer is kept either way: it is what says whether the slice carried on with the earlier query.
    await answer(l.answer, { graphQueryLookup: { id: o.earlierQueryId, reused: l.reuse, ...(l.reuse ? {} : { why: l.why }) } });
    if (l.reuse) {
      first = l.answer;
      id = o.earlierQueryId;
      reused = true;
    }
  }
  if (!first) {
    const created = await t.api.call('graph', { method: 'POST', url: base, body: JSON.stringify(queryBody(job)), what }, o.signal);
    const cid = (created.json as { id?: unknown } | null)?.id;
    if (typeof cid !== 'string' || cid === '') return { kind: 'failed', reason: `${what}: the service created no query id` };
    await answer(created);
    first = created;
    id = cid;
  }
  const started = Date.now();
  let q: Record<string, unknown> = first.json as Record<string, unknown>;
  let last = first;
  while (q.status !== 'succeeded') {
    if (q.status === 'failed' || q.status === 'cancelled') return { kind: 'failed', reason: `${what}: the query ${id} ended ${String(q.status)}` };
    if (Date.now() - started > t.maxWaitMs) return { kind: 'failed', reason: `${what}: the query ${id} had not finished after ${Math.round(t.maxWaitMs / 1000)} s (status ${String(q.status)})` };
    if (t.pollMs > 0) await sleepMs(t.pollMs, undefined, o.signal ? { signal: o.signal } : {});
    const r = await t.api.call('graph', { method: 'GET', url: `${base}/${encodeURIComponent(id)}`, what }, o.signal);
    q = r.json as Record<string, unknown>;
    last = r;
  }
  if (last !== first) await answer(last);
  const reported = typeof q.approximateReturnedRecordCount === 'number' ? q.approximateReturnedRecordCount : null;
  const queryInfo = { ...job.query, graphQueryId: id, graphVersion: t.version, ...(reused ? { graphQueryReused: true } : {}) };
  if (q.isRecordCountLimitExceeded === true) {
    const reason = `the Graph query ${id} exceeded its record count limit (${reported ?? 'unknown'} returned)`;
    if (o.canSplit) return { kind: 'split', reported, reason, parts: 2 };
    return { kind: 'over-cap', reported, reason: `${reason}, and a one-second slice cannot be cut further`, query: queryInfo };
  }
  let url: string | null = `${base}/${encodeURIComponent(id)}/records?$top=${o.top ?? 1000}`;
  while (url) {
    const r = await t.api.call('graph', { method: 'GET', url, what }, o.signal);
    const { value, next } = envelopeValue(r.json, what);
    await sink(pageOf(job, r, 'graph-json', value.length));
    url = next;
  }
  return {
    kind: 'done', reported, query: queryInfo, note: 'Graph reports an approximate count (approximateReturnedRecordCount)',
    ...(reused ? { how: `collected from the Graph query ${id}, which an earlier attempt created: looked up again rather than created anew` } : {}),
  };
}

/** Pages of a Graph collection (users, licenseDetails), each handed to `each` before the next. */
export async function* graphPages(t: GraphTarget, path: string, what: string, signal?: AbortSignal): AsyncGenerator<Awaited<ReturnType<ApiClient['call']>> & { value: Record<string, unknown>[] }> {
  let url: string | null = `${t.endpoints.graphBase}/${t.version === 'beta' ? 'v1.0' : t.version}/${path}`;
  while (url) {
    const r = await t.api.call('graph', { method: 'GET', url, what }, signal);
    const { value, next } = envelopeValue(r.json, what);
    yield { ...r, value };
    url = next;
  }
}
