// Microsoft Graph emulation: the audit log query API (§2) under /beta and /v1.0, and the directory reads
// an investigator needs (users with licence assignment states, licenseDetails, subscribedSkus). A query
// stays retrievable for a while after it is created (GRAPH_QUERY_RETENTION_MS), then answers 404 like an
// id the service never issued.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { recordTypeCode } from '../../core/recordTypes.ts';
import type { SimLicence, SimUser } from '../scenario/types.ts';
import {
  GRAPH_MAX_CONCURRENT_QUERIES, GRAPH_MAX_SUBMISSIONS_PER_DAY, GRAPH_POLLS_PER_STEP, GRAPH_QUERY_CAP_RETRY_AFTER_S,
  GRAPH_QUERY_NOT_FOUND_CODE, GRAPH_QUERY_RETENTION_MS, GRAPH_RECORD_COUNT_LIMIT, GRAPH_RECORDS_DEFAULT_TOP, GRAPH_RECORDS_MAX_TOP, GRAPH_RECORDS_NOT_READY_CODE,
  GRAPH_USERS_DEFAULT_TOP, GRAPH_USERS_MAX_TOP,
} from './assumptions.ts';
import { AuthFailure, authenticate, type Caller } from './auth.ts';
import type { SimContext } from './context.ts';
import { ApiError, parseJsonBody, readBody, sendJson, writeChunks } from './http.ts';
import { RecordCursor, toGraphRecord, type RecordFilter } from './records.ts';

const QUERY_TYPE = '#microsoft.graph.security.auditLogQuery';
const PER_SERVICE_ROLES: Readonly<Record<string, string[]>> = {
  'AuditLogsQuery-Exchange.Read.All': ['exchange'],
  'AuditLogsQuery-SharePoint.Read.All': ['sharepoint'],
  'AuditLogsQuery-OneDrive.Read.All': ['onedrive'],
  'AuditLogsQuery-Entra.Read.All': ['azureactivedirectory'],
  'AuditLogsQuery-CRM.Read.All': ['crm'],
  'AuditLogsQuery-Endpoint.Read.All': ['endpoint'],
};

interface AuditQuery {
  id: string;
  echo: Record<string, unknown>;
  polls: number;
  createdAt: number;
  clientId: string;
  cursor: RecordCursor;
  /** matching records, capped at limit + 1; computed when the query succeeds */
  found: number | null;
  limit: number;
  /** Set when the service gave up on the query (test hook): it never succeeds then. */
  ended: 'failed' | 'cancelled' | null;
}

/** A query as it was created (kept after the service has forgotten the query itself). */
export interface CreatedQuery {
  id: string;
  filterStartDateTime: unknown;
  filterEndDateTime: unknown;
}

export interface GraphControl {
  /** Marks every query succeeded (tests that do not want to poll). */
  completeAllQueries(): void;
  /** Queries the service still has. */
  queryCount(): number;
  /** Every query created (every accepted POST), oldest first, including those since forgotten. */
  createdQueries(): readonly CreatedQuery[];
  /** Ages every query past the retention: the service forgets it, and GET queries/{id} answers 404. */
  expireQueries(): void;
  /** Ends a query as failed or cancelled (§2.3: a query may end either way instead of succeeding). */
  endQuery(id: string, status: 'failed' | 'cancelled'): void;
  /** Changes what the service says a query asked for (tests: a stored answer naming another slice's query). */
  redefineQuery(id: string, fields: Record<string, unknown>): void;
}

export function createGraph(ctx: SimContext): {
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
  errorBody(code: string, message: string, req: IncomingMessage): Record<string, unknown>;
  control: GraphControl;
} {
  const queries = new Map<string, AuditQuery>();
  const created: CreatedQuery[] = [];
  const submissions: number[] = [];
  const pollsPerStep = ctx.opts.graphPollsPerStep ?? GRAPH_POLLS_PER_STEP;
  const cap = ctx.opts.graphMaxConcurrentQueries ?? GRAPH_MAX_CONCURRENT_QUERIES;
  const dailyCap = ctx.opts.graphMaxSubmissionsPerDay ?? GRAPH_MAX_SUBMISSIONS_PER_DAY;
  const recordLimit = ctx.opts.graphRecordCountLimit ?? GRAPH_RECORD_COUNT_LIMIT;

  function errorBody(code: string, message: string, req: IncomingMessage): Record<string, unknown> {
    return {
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString().slice(0, 19),
          'request-id': randomUUID(),
          'client-request-id': String(req.headers['client-request-id'] ?? randomUUID()),
        },
      },
    };
  }

  const stage = (q: AuditQuery): 0 | 1 | 2 => (pollsPerStep <= 0 ? 2 : (Math.min(2, Math.floor(q.polls / pollsPerStep)) as 0 | 1 | 2));
  const statusOf = (q: AuditQuery): string => q.ended ?? ['notStarted', 'running', 'succeeded'][stage(q)]!;
  const succeeded = (q: AuditQuery): boolean => q.ended === null && stage(q) === 2;

  /** Forgets the queries older than the retention. */
  function prune(now: number): void {
    for (const [id, q] of queries) if (now - q.createdAt > GRAPH_QUERY_RETENTION_MS) queries.delete(id);
  }

  function finish(q: AuditQuery): void {
    // Count up to limit + 1 only: enough to know whether the cap was exceeded.
    if (q.found === null) q.found = q.cursor.count(q.limit + 1);
  }

  function view(q: AuditQuery): Record<string, unknown> {
    const status = statusOf(q);
    const out: Record<string, unknown> = { '@odata.type': QUERY_TYPE, ...q.echo, id: q.id, status };
    if (succeeded(q)) {
      finish(q);
      out.recordCountLimit = q.limit;
      out.approximateReturnedRecordCount = Math.min(q.found ?? 0, q.limit);
      out.isRecordCountLimitExceeded = (q.found ?? 0) > q.limit;
    }
    return out;
  }

  function requireAuditPermission(caller: Caller): ReadonlySet<string> | null {
    if (caller.permissions.includes('AuditLogsQuery.Read.All')) return null;
    const workloads = caller.permissions.flatMap((p) => PER_SERVICE_ROLES[p] ?? []);
    if (workloads.length === 0) {
      throw new ApiError(403, 'Forbidden', `Missing ${caller.appOnly ? 'application roles' : 'scopes'}. API required roles: AuditLogsQuery.Read.All (or a per-service AuditLogsQuery-*.Read.All). Roles on the token: ${caller.permissions.join(', ') || '(none)'}.`);
    }
    return new Set(workloads);
  }

  const strings = (v: unknown, name: string): string[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw new ApiError(400, 'BadRequest', `Property '${name}' must be a collection of strings.`);
    return v as string[];
  };

  function createQuery(caller: Caller, body: unknown, version: string): Record<string, unknown> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiError(400, 'BadRequest', 'The request body must be an auditLogQuery object.');
    const b = body as Record<string, unknown>;
    const restrict = requireAuditPermission(caller);
    const start = Date.parse(String(b.filterStartDateTime ?? ''));
    const end = Date.parse(String(b.filterEndDateTime ?? ''));
    if (!Number.isFinite(start) || !Number.isFinite(end)) throw new ApiError(400, 'BadRequest', 'filterStartDateTime and filterEndDateTime are required ISO 8601 date-times.');
    if (start >= end) throw new ApiError(400, 'BadRequest', 'filterStartDateTime must be earlier than filterEndDateTime.');
    const recordTypes = new Set<number>();
    for (const t of strings(b.recordTypeFilters, 'recordTypeFilters')) {
      const code = recordTypeCode(t);
      if (code === null) throw new ApiError(400, 'BadRequest', `Requested value '${t}' was not found in enum microsoft.graph.security.auditLogRecordType.`);
      recordTypes.add(code);
    }
    const services = [...strings(b.serviceFilters, 'serviceFilters'), ...(typeof b.serviceFilter === 'string' && b.serviceFilter ? [b.serviceFilter] : [])].map((s) => s.toLowerCase());
    let workloads: Set<string> | undefined;
    if (services.length > 0 && restrict) workloads = new Set(services.filter((s) => restrict.has(s)).concat('\u0000none'));
    else if (services.length > 0) workloads = new Set(services);
    else if (restrict) workloads = new Set(restrict);
    const filter: RecordFilter = {
      recordTypes,
      operations: new Set(strings(b.operationFilters, 'operationFilters').map((s) => s.toLowerCase())),
      userIds: new Set(strings(b.userPrincipalNameFilters, 'userPrincipalNameFilters').map((s) => s.toLowerCase())),
      ipAddresses: new Set(strings(b.ipAddressFilters, 'ipAddressFilters')),
      objectIds: new Set(strings(b.objectIdFilters, 'objectIdFilters').map((s) => s.toLowerCase())),
      freeText: typeof b.keywordFilter === 'string' && b.keywordFilter !== '' ? b.keywordFilter.toLowerCase() : undefined,
      workloads,
    };
    const now = Date.now();
    while (submissions.length > 0 && submissions[0]! < now - 86_400_000) submissions.shift();
    const active = [...queries.values()].filter((q) => q.ended === null && stage(q) < 2).length;
    if (active >= cap || submissions.length >= dailyCap) {
      throw new ApiError(429, 'TooManyRequests', active >= cap
        ? `Too many audit log queries are queued or running for this tenant (limit ${cap}). Retry after some queries complete.`
        : `Too many audit log queries were submitted in the last 24 hours (limit ${dailyCap}).`, { 'Retry-After': String(GRAPH_QUERY_CAP_RETRY_AFTER_S) });
    }
    submissions.push(now);
    const horizon = ctx.ualHorizonMs();
    const from = Math.max(start, horizon);
    const to = end;
    const id = randomUUID();
    const echo: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(b)) if (k !== '@odata.type' && k !== 'id' && k !== 'status') echo[k] = v;
    const q: AuditQuery = {
      id, echo, polls: 0, createdAt: now, clientId: caller.clientId, found: null, limit: recordLimit, ended: null,
      cursor: new RecordCursor((ms) => ctx.scenario.recordsBetween(ms, to), from, filter, recordLimit),
    };
    queries.set(id, q);
    created.push({ id, filterStartDateTime: b.filterStartDateTime, filterEndDateTime: b.filterEndDateTime });
    return { '@odata.context': `${ctx.origin}/graph/${version}/$metadata#security/auditLog/queries/$entity`, '@odata.type': QUERY_TYPE, ...echo, id, status: 'notStarted' };
  }

  function decodeSkip(tok: string | null): number {
    if (tok === null) return 0;
    try {
      const p = (JSON.parse(Buffer.from(tok, 'base64url').toString('utf8')) as { p?: unknown }).p;
      if (typeof p === 'number' && Number.isInteger(p) && p >= 0) return p;
    } catch { /* fall through */ }
    throw new ApiError(400, 'BadRequest', `Invalid $skiptoken '${tok}'.`);
  }
  const encodeSkip = (p: number): string => Buffer.from(JSON.stringify({ p })).toString('base64url');

  function parseTop(v: string | null, def: number, max: number): number {
    if (v === null) return def;
    if (!/^\d+$/.test(v) || Number(v) < 1) throw new ApiError(400, 'BadRequest', `Invalid value '${v}' for query option $top.`);
    return Math.min(Number(v), max);
  }

  async function records(req: IncomingMessage, res: ServerResponse, url: URL, q: AuditQuery, version: string): Promise<void> {
    if (!succeeded(q)) throw new ApiError(400, GRAPH_RECORDS_NOT_READY_CODE, `The audit log query '${q.id}' has status '${statusOf(q)}'; records are available once it has succeeded.`);
    finish(q);
    const top = parseTop(url.searchParams.get('$top'), GRAPH_RECORDS_DEFAULT_TOP, GRAPH_RECORDS_MAX_TOP);
    const pos = decodeSkip(url.searchParams.get('$skiptoken'));
    // A later page repeats the end of the one before; a first page repeats some of its own records (see
    // assumptions.ts), so a query small enough for one page still sees duplicates under faults.
    const first = pos === 0 ? q.cursor.page(0, top) : null;
    const dup = ctx.faults.takeSpecial('duplicate', req.method ?? 'GET', url.pathname + url.search, { available: first ? first.length : pos });
    const from = dup && !first ? Math.max(0, pos - (dup.duplicates ?? 3)) : pos;
    const own = first ?? q.cursor.page(from, pos + top - from);
    const nextPos = from + own.length;
    const page = dup && first ? [...first, ...first.slice(0, dup.duplicates ?? 3)] : own;
    const more = nextPos < Math.min(q.found ?? 0, q.limit);
    const context = `${ctx.origin}/graph/${version}/$metadata#security/auditLog/queries('${q.id}')/records`;
    const next = more ? `${ctx.origin}/graph/${version}/security/auditLog/queries/${q.id}/records?$top=${top}&$skiptoken=${encodeSkip(nextPos)}` : null;
    res.writeHead(200, { 'Content-Type': 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8', 'OData-Version': '4.0', 'request-id': randomUUID() });
    function* chunks(): Generator<string> {
      yield `{"@odata.context":${JSON.stringify(context)},"value":[`;
      let batch = '';
      for (let i = 0; i < page.length; i++) {
        batch += (i ? ',' : '') + JSON.stringify(toGraphRecord(page[i]!));
        if (batch.length > 65536) { yield batch; batch = ''; }
      }
      yield batch;
      yield next ? `],"@odata.nextLink":${JSON.stringify(next)}}` : ']}';
    }
    await writeChunks(res, chunks());
  }

  // ---- directory -------------------------------------------------------------------------------

  const USER_DEFAULT = ['businessPhones', 'displayName', 'givenName', 'jobTitle', 'mail', 'mobilePhone', 'officeLocation', 'preferredLanguage', 'surname', 'userPrincipalName', 'id'];

  function fullUser(u: SimUser): Record<string, unknown> {
    const lic = ctx.scenario.tenant.licences.filter((l) => l.userId === u.id);
    const [given, ...rest] = u.displayName.split(' ');
    return {
      businessPhones: [], displayName: u.displayName, givenName: given ?? null, jobTitle: null, mail: u.userPrincipalName,
      mobilePhone: null, officeLocation: null, preferredLanguage: 'en-US', surname: rest.join(' ') || null,
      userPrincipalName: u.userPrincipalName, id: u.id, accountEnabled: true, userType: 'Member',
      mailNickname: u.alias, onPremisesSecurityIdentifier: null,
      assignedLicenses: [...new Set(lic.map((l) => l.skuId))].map((skuId) => ({ disabledPlans: [], skuId })),
      licenseAssignmentStates: lic.map((l) => ({
        assignedByGroup: l.assignedByGroup, disabledPlans: [], error: l.error ?? 'None', lastUpdatedDateTime: '2026-01-05T10:00:00Z', skuId: l.skuId, state: l.state,
      })),
    };
  }

  function selectUser(u: SimUser, select: string[] | null): Record<string, unknown> {
    const full = fullUser(u);
    const keys = select ?? USER_DEFAULT;
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const real = Object.keys(full).find((f) => f.toLowerCase() === k.toLowerCase());
      if (!real) throw new ApiError(400, 'Request_BadRequest', `Could not find a property named '${k}' on type 'microsoft.graph.user'.`);
      out[real] = full[real];
    }
    return out;
  }

  function findUser(key: string): SimUser {
    const k = decodeURIComponent(key).toLowerCase();
    const u = ctx.scenario.tenant.users.find((x) => x.id.toLowerCase() === k || x.userPrincipalName.toLowerCase() === k);
    if (!u) throw new ApiError(404, 'Request_ResourceNotFound', `Resource '${decodeURIComponent(key)}' does not exist or one of its queried reference-property objects are not present.`);
    return u;
  }

  function requireDirectory(caller: Caller): void {
    if (!caller.permissions.some((p) => p === 'User.Read.All' || p === 'Directory.Read.All')) {
      throw new ApiError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    }
  }

  function licenceDetail(l: SimLicence): Record<string, unknown> {
    return { id: `${l.skuId}_${l.userId}`, skuId: l.skuId, skuPartNumber: l.skuPartNumber, servicePlans: l.servicePlans };
  }

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const parts = url.pathname.split('/').filter(Boolean).slice(1); // drop "graph"
    const version = parts[0] ?? '';
    const reqId = { 'request-id': randomUUID(), 'client-request-id': String(req.headers['client-request-id'] ?? '') };
    try {
      if (version !== 'v1.0' && version !== 'beta') throw new ApiError(400, 'BadRequest', `Invalid version: ${version}`);
      const p = parts.slice(1);
      const caller = authenticate(ctx, req, 'graph');
      const ctxUrl = `${ctx.origin}/graph/${version}/$metadata`;
      if (p[0] === 'security' && p[1] === 'auditLog' && p[2] === 'queries') {
        if (version === 'v1.0' && ctx.opts.graphV1AuditAvailable === false) throw new ApiError(404, 'UnknownError', '');
        requireAuditPermission(caller);
        prune(Date.now());
        if (p.length === 3 && method === 'POST') {
          const body = parseJsonBody(await readBody(req));
          sendJson(res, 201, createQuery(caller, body, version), { ...reqId, Location: '' });
          return;
        }
        if (p.length === 3 && method === 'GET') {
          sendJson(res, 200, { '@odata.context': `${ctxUrl}#security/auditLog/queries`, value: [...queries.values()].map(view) }, reqId);
          return;
        }
        const q = queries.get(p[3] ?? '');
        if (!q) throw new ApiError(404, GRAPH_QUERY_NOT_FOUND_CODE, `The audit log query '${p[3] ?? ''}' was not found.`);
        if (p.length === 4 && method === 'GET') {
          q.polls += 1;
          sendJson(res, 200, { '@odata.context': `${ctxUrl}#security/auditLog/queries/$entity`, ...view(q) }, reqId);
          return;
        }
        if (p.length === 5 && p[4] === 'records' && method === 'GET') { await records(req, res, url, q, version); return; }
        throw new ApiError(400, 'BadRequest', `Resource not found for the segment '${p.slice(4).join('/')}'.`);
      }
      if (p[0] === 'users' && method === 'GET') {
        requireDirectory(caller);
        const sel = url.searchParams.get('$select');
        const select = sel ? sel.split(',').map((s) => s.trim()).filter(Boolean) : null;
        if (p.length === 1) {
          const top = parseTop(url.searchParams.get('$top'), GRAPH_USERS_DEFAULT_TOP, GRAPH_USERS_MAX_TOP);
          const pos = decodeSkip(url.searchParams.get('$skiptoken'));
          const users = ctx.scenario.tenant.users;
          const value = users.slice(pos, pos + top).map((u) => selectUser(u, select));
          const body: Record<string, unknown> = { '@odata.context': `${ctxUrl}#users`, value };
          if (pos + top < users.length) {
            const qs = new URLSearchParams({ $top: String(top), $skiptoken: encodeSkip(pos + top) });
            if (sel) qs.set('$select', sel);
            body['@odata.nextLink'] = `${ctx.origin}/graph/${version}/users?${qs.toString()}`;
          }
          sendJson(res, 200, body, reqId);
          return;
        }
        const u = findUser(p[1] ?? '');
        if (p.length === 2) { sendJson(res, 200, { '@odata.context': `${ctxUrl}#users/$entity`, ...selectUser(u, select) }, reqId); return; }
        if (p.length === 3 && p[2] === 'licenseDetails') {
          const value = ctx.scenario.tenant.licences.filter((l) => l.userId === u.id).map(licenceDetail);
          sendJson(res, 200, { '@odata.context': `${ctxUrl}#users('${u.id}')/licenseDetails`, value }, reqId);
          return;
        }
      }
      if (p[0] === 'subscribedSkus' && p.length === 1 && method === 'GET') {
        requireDirectory(caller);
        sendJson(res, 200, { '@odata.context': `${ctxUrl}#subscribedSkus`, value: ctx.scenario.tenant.subscribedSkus }, reqId);
        return;
      }
      throw new ApiError(400, 'BadRequest', `Resource not found for the segment '${p[0] ?? ''}'.`);
    } catch (e) {
      if (e instanceof AuthFailure) {
        sendJson(res, e.status, errorBody(e.status === 401 ? 'InvalidAuthenticationToken' : 'Forbidden', e.message, req), {
          ...reqId,
          'WWW-Authenticate': `Bearer realm="", authorization_uri="${ctx.origin}/${ctx.tenantId}/oauth2/v2.0/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
        });
        return;
      }
      if (e instanceof ApiError) { sendJson(res, e.status, errorBody(e.code, e.message, req), { ...reqId, ...e.headers }); return; }
      throw e;
    }
  }

  function known(id: string): AuditQuery {
    const q = queries.get(id);
    if (!q) throw new Error(`the simulated tenant has no Graph audit query ${id}`);
    return q;
  }

  return {
    handle,
    errorBody,
    control: {
      completeAllQueries() { for (const q of queries.values()) q.polls = Math.max(q.polls, 2 * Math.max(1, pollsPerStep)); },
      queryCount: () => { prune(Date.now()); return queries.size; },
      createdQueries: () => created,
      expireQueries() { for (const q of queries.values()) q.createdAt -= GRAPH_QUERY_RETENTION_MS + 1; },
      endQuery(id, status) {
        known(id).ended = status;
      },
      redefineQuery(id, fields) {
        Object.assign(known(id).echo, fields);
      },
    },
  };
}

