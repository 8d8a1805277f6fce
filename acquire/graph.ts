// Microsoft Graph audit log query (§2): create a query per slice, poll until it succeeds, then page its
// records. A query over the record-count limit is split. Also the directory reads for licences.
import { setTimeout as sleepMs } from 'node:timers/promises';
import type { ApiClient } from './api.ts';
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

export async function graphSlice(t: GraphTarget, job: SliceJob, sink: PageSink, o: { canSplit: boolean; signal?: AbortSignal; top?: number }): Promise<SliceResult> {
  const base = `${t.endpoints.graphBase}/${t.version}/security/auditLog/queries`;
  const what = `Graph audit query ${iso(job.startMs)} to ${iso(job.endMs)}`;
  let retries = 0;
  const created = await t.api.call('graph', { method: 'POST', url: base, body: JSON.stringify(queryBody(job)), what }, o.signal);
  retries += created.retries;
  const id = (created.json as { id?: unknown } | null)?.id;
  if (typeof id !== 'string' || id === '') return { kind: 'failed', reason: `${what}: the service created no query id`, retries };
  // The query as the service recorded it, and (below) the status its reported count comes from, are
  // evidence of the slice beside its records.
  const answer = (r: typeof created) => sink(pageOf(job, r, 'api-answer', 0));
  await answer(created);
  const started = Date.now();
  let q: Record<string, unknown> = created.json as Record<string, unknown>;
  let last = created;
  while (q.status !== 'succeeded') {
    if (q.status === 'failed' || q.status === 'cancelled') return { kind: 'failed', reason: `${what}: the query ${id} ended ${String(q.status)}`, retries };
    if (Date.now() - started > t.maxWaitMs) return { kind: 'failed', reason: `${what}: the query ${id} had not finished after ${Math.round(t.maxWaitMs / 1000)} s (status ${String(q.status)})`, retries };
    if (t.pollMs > 0) await sleepMs(t.pollMs, undefined, o.signal ? { signal: o.signal } : {});
    const r = await t.api.call('graph', { method: 'GET', url: `${base}/${encodeURIComponent(id)}`, what }, o.signal);
    retries += r.retries;
    q = r.json as Record<string, unknown>;
    last = r;
  }
  if (last !== created) await answer(last);
  const reported = typeof q.approximateReturnedRecordCount === 'number' ? q.approximateReturnedRecordCount : null;
  const queryInfo = { ...job.query, graphQueryId: id, graphVersion: t.version };
  if (q.isRecordCountLimitExceeded === true) {
    const reason = `the Graph query ${id} exceeded its record count limit (${reported ?? 'unknown'} returned)`;
    if (o.canSplit) return { kind: 'split', reported, reason, retries, parts: 2 };
    return { kind: 'over-cap', reported, reason: `${reason}, and a one-second slice cannot be cut further`, retries };
  }
  let url: string | null = `${base}/${encodeURIComponent(id)}/records?$top=${o.top ?? 1000}`;
  while (url) {
    const r = await t.api.call('graph', { method: 'GET', url, what }, o.signal);
    retries += r.retries;
    const { value, next } = envelopeValue(r.json, what);
    await sink(pageOf(job, r, 'graph-json', value.length));
    url = next;
  }
  return { kind: 'done', reported, retries, query: queryInfo, note: 'Graph reports an approximate count (approximateReturnedRecordCount)' };
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
