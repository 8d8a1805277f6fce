// Tenant acquisition, composed from acquire/ (sign-in, protocols, slicing, retries, allow-list) and the
// case (evidence, ingestion, ledger): tenant profiles, sign-in, the audit-posture snapshot, preflight and
// complete, resumable log collection. Every fetched page becomes evidence first and then goes through
// the same ingestion as an imported file (ingestStaged), with its ledger row updated in the same
// transaction, so a killed run loses nothing and a restarted one duplicates nothing.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FormatId } from '../core/formats/types.ts';
import { ApiClient, ApiRefusal, RetriesExhausted } from '../acquire/api.ts';
import type { Api, DeviceCodePrompt, TokenProvider } from '../acquire/auth.ts';
import { signIn as msalSignIn } from '../acquire/auth.ts';
import { CLOUDS, cloudEndpoints, isCloudId, singleOriginEndpoints } from '../acquire/clouds.ts';
import type { Cloud, Endpoints } from '../acquire/clouds.ts';
import type { FetchedPage, PageSink, SliceJob, SliceResult } from '../acquire/collect.ts';
import { invokePages, probeMailboxAuditLog, smalSlice, sualSlice } from '../acquire/exchange.ts';
import type { ExoTarget } from '../acquire/exchange.ts';
import { graphPages, graphRecordType, graphSlice } from '../acquire/graph.ts';
import type { GraphTarget } from '../acquire/graph.ts';
import { HttpClient } from '../acquire/http.ts';
import { CONTENT_TYPES, ensureSubscriptions, listSubscriptions, manageSlice } from '../acquire/manage.ts';
import type { ManageTarget } from '../acquire/manage.ts';
import { NetworkPolicyError, policyFor } from '../acquire/netPolicy.ts';
import type { RetryPolicy } from '../acquire/retry.ts';
import { canSplit, exoTime, iso, normaliseRange, planManageWindows, planSlices, splitInto } from '../acquire/slicing.ts';
import type { CacheStore } from '../acquire/tokenCache.ts';
import {
  AUTH_MODES, finishRun, finishSlice, getTenantProfile, insertSlice, recordPage, saveTenantProfile, slicesForPlan, splitLedgerSlice,
  startRun, addRetries,
} from '../db/ledger.ts';
import type { AuthMode, LedgerRow, SliceStatus, SourceId, TenantProfile } from '../db/ledger.ts';
import type { CaseHandle } from './caseFolder.ts';
import { BadInputError, BlindspotError, UsageError } from './errors.ts';
import { ingestStaged } from './import.ts';

// ---- tenant profiles --------------------------------------------------------------------------------

export interface TenantProfileInput {
  name: string;
  tenant: string;
  cloud?: string;
  clientId: string;
  auth: AuthMode;
  certPath?: string;
  /** A simulated tenant or a proxy serving every API under one origin. */
  authorityHost?: string;
  caPath?: string;
  graphVersion?: 'beta' | 'v1.0';
}

export function addTenant(h: CaseHandle, p: TenantProfileInput): TenantProfile {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(p.name)) throw new UsageError(`tenant add: --name ${p.name} must be letters, digits, '.', '_' or '-'.`);
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(p.tenant) && !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(p.tenant)) {
    throw new UsageError(`tenant add: --tenant ${p.tenant} is neither a tenant GUID nor a domain.`, 'Give the tenant id (GUID) or a verified domain such as contoso.onmicrosoft.com; "common" and "organizations" cannot be used for audit collection.');
  }
  const cloud = p.cloud ?? 'global';
  if (!isCloudId(cloud)) throw new UsageError(`tenant add: --cloud ${cloud} is not one of ${Object.keys(CLOUDS).join(', ')}.`);
  if (!AUTH_MODES.includes(p.auth)) throw new UsageError(`tenant add: --auth ${String(p.auth)} is not one of device, browser, certificate, secret.`);
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(p.clientId)) throw new UsageError(`tenant add: --client-id ${p.clientId} is not an application (client) id GUID.`);
  if (p.auth === 'certificate' && !p.certPath) throw new UsageError('tenant add: --auth certificate needs --cert <pem|pfx>.');
  const certPath = p.certPath ? resolve(p.certPath) : null;
  if (certPath && (certPath + '/').startsWith(resolve(h.dir) + '/')) throw new UsageError(`tenant add: the certificate ${certPath} is inside the case folder.`, 'Keys never go into the case: keep the certificate elsewhere.');
  let endpoints: TenantProfile['endpoints'] = null;
  if (p.authorityHost) {
    let ep: Endpoints;
    try {
      ep = singleOriginEndpoints(p.authorityHost, CLOUDS[cloud]);
    } catch (e) {
      throw new UsageError(`tenant add: --authority-host ${p.authorityHost}: ${(e as Error).message}.`);
    }
    endpoints = { authorityHost: ep.authorityHost, graphBase: ep.graphBase, exoBase: ep.exoBase, manageBase: ep.manageBase };
  }
  if (p.caPath && !p.authorityHost) throw new UsageError('tenant add: --ca is only for a simulated tenant or proxy given with --authority-host.');
  const profile: TenantProfile = {
    name: p.name, tenant: p.tenant, cloud, clientId: p.clientId, authMode: p.auth, certPath, endpoints,
    caPath: p.caPath ? resolve(p.caPath) : null, graphVersion: p.graphVersion ?? 'beta', createdAt: new Date().toISOString(), createdBy: h.actor,
  };
  saveTenantProfile(h.db, profile);
  h.logCustody('tenant-added', { name: profile.name, tenant: profile.tenant, cloud, clientId: profile.clientId, auth: profile.authMode, certPath, endpoints, caPath: profile.caPath });
  return profile;
}

export function requireTenant(h: { db: CaseHandle['db'] }, name: string): TenantProfile {
  const p = getTenantProfile(h.db, name);
  if (!p) throw new UsageError(`no tenant profile named "${name}" in this case.`, 'Add one first: blindspot tenant add <dir> --name <n> --tenant <id|domain> --client-id <id> --auth device|browser|certificate');
  return p;
}

// ---- sign-in ----------------------------------------------------------------------------------------

export interface Session {
  profile: TenantProfile;
  cloud: Cloud;
  endpoints: Endpoints;
  http: HttpClient;
  tokens: TokenProvider;
  api: ApiClient;
  close(): Promise<void>;
}

export interface SignInOptions {
  cache?: CacheStore;
  /** Secret mode; default: the BLINDSPOT_CLIENT_SECRET environment variable. */
  clientSecret?: string;
  onDeviceCode?: (p: DeviceCodePrompt) => void;
  openBrowser?: (url: string) => Promise<void>;
  signal?: AbortSignal;
  /** CA certificate text, overriding the profile's caPath (tests). */
  caPem?: string;
  retry?: RetryPolicy;
  onRetry?: (e: { api: Api; url: string; attempt: number; why: string; delayMs: number }) => void;
}

export async function signIn(profile: TenantProfile, o: SignInOptions = {}): Promise<Session> {
  if (!isCloudId(profile.cloud)) throw new BadInputError(`tenant profile ${profile.name}: unknown cloud ${profile.cloud}.`);
  const cloud = CLOUDS[profile.cloud];
  const endpoints: Endpoints = profile.endpoints ? { ...profile.endpoints, resources: { ...cloud.resources } } : cloudEndpoints(cloud);
  let ca: string | undefined = o.caPem;
  if (ca === undefined && profile.caPath) {
    try {
      ca = readFileSync(profile.caPath, 'utf8');
    } catch (e) {
      throw new BadInputError(`${profile.caPath}: cannot read the CA certificate (${(e as Error).message}).`);
    }
  }
  const http = new HttpClient({ policy: policyFor(cloud, profile.endpoints ? endpoints : null), ...(ca ? { ca } : {}) });
  try {
    const tokens = await msalSignIn({
      mode: profile.authMode, tenant: profile.tenant, clientId: profile.clientId, endpoints, customAuthority: profile.endpoints !== null, http,
      ...(o.cache ? { cache: o.cache } : {}),
      ...(profile.certPath ? { certPath: profile.certPath } : {}),
      ...(profile.authMode === 'secret' ? { clientSecret: o.clientSecret ?? process.env.BLINDSPOT_CLIENT_SECRET ?? '' } : {}),
      ...(o.onDeviceCode ? { onDeviceCode: o.onDeviceCode } : {}),
      ...(o.openBrowser ? { openBrowser: o.openBrowser } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const api = new ApiClient(http, tokens, { clientId: profile.clientId, ...(o.retry ? { retry: o.retry } : {}), ...(o.onRetry ? { onRetry: o.onRetry } : {}) });
    return { profile, cloud, endpoints, http, tokens, api, close: () => http.close() };
  } catch (e) {
    await http.close();
    throw e;
  }
}

function exoTarget(s: Session): ExoTarget {
  return { api: s.api, endpoints: s.endpoints, tenant: s.profile.tenant };
}

function graphTarget(s: Session, pollMs: number): GraphTarget {
  return { api: s.api, endpoints: s.endpoints, version: s.profile.graphVersion, pollMs, maxWaitMs: 30 * 60_000 };
}

async function manageTarget(s: Session): Promise<ManageTarget> {
  const tid = (await s.api.tenantIdFromToken('manage')) ?? s.profile.tenant;
  return { api: s.api, endpoints: s.endpoints, tenantId: tid };
}

// ---- storing a fetched page --------------------------------------------------------------------------

function responseTime(headers: Record<string, string>): string {
  const d = headers.date ? Date.parse(headers.date) : Number.NaN;
  return Number.isNaN(d) ? new Date().toISOString() : new Date(d).toISOString();
}

/** Stages the body as received, then ingests it (one transaction with `beforeCommit`). */
async function storePage(h: CaseHandle, p: Omit<FetchedPage, 'ledgerId'>, details: Record<string, unknown>, beforeCommit?: (records: number, inserted: number, importRunId: number, evidenceId: number) => void): Promise<{ records: number; inserted: number; duplicates: number; rejected: number; configRows: number }> {
  const staged = h.stageBytes(p.body);
  const asOf = responseTime(p.response.headers);
  const r = await ingestStaged(h, staged, {
    format: p.format, source: 'acquisition', origin: p.request.url, originalName: null, modifiedAt: null,
    asOf: { value: asOf, source: 'acquisition' }, skipBad: true,
    requestJson: JSON.stringify(p.request), responseJson: JSON.stringify(p.response),
    custodyDetails: details,
    ...(beforeCommit ? { beforeCommit: (res, importRunId, evidenceId) => beforeCommit(res.records, res.inserted, importRunId, evidenceId) } : {}),
  });
  return r;
}

// ---- posture ------------------------------------------------------------------------------------------

export interface PostureSummary {
  tenant: string;
  asOf: string;
  pages: number;
  configRows: number;
  parts: { what: string; ok: boolean; rows: number; error?: string }[];
}

/**
 * The audit-posture snapshot: organisation config, admin audit log config, every mailbox's audit
 * settings, bypass associations, licences (with service plans and how each was assigned) and the inbox
 * rules of the mailboxes in scope, each page stored as evidence and in the snapshot tables.
 */
export async function takePosture(h: CaseHandle, s: Session, o: { users?: string[]; signal?: AbortSignal } = {}): Promise<PostureSummary> {
  const asOf = new Date().toISOString();
  const summary: PostureSummary = { tenant: s.profile.name, asOf, pages: 0, configRows: 0, parts: [] };
  h.logCustody('posture-started', { tenant: s.profile.name, tenantId: s.profile.tenant, users: o.users ?? null });
  const exo = exoTarget(s);
  const part = async (what: string, run: () => Promise<number>): Promise<void> => {
    try {
      summary.parts.push({ what, ok: true, rows: await run() });
    } catch (e) {
      if (o.signal?.aborted) throw e;
      if (!(e instanceof BlindspotError)) throw e;
      summary.parts.push({ what, ok: false, rows: 0, error: `${e.message}${e.hint ? ` (${e.hint})` : ''}` });
    }
  };
  const exoConfig = (cmdlet: string, params: Record<string, unknown>, format: FormatId) => async (): Promise<number> => {
    let rows = 0;
    for await (const r of invokePages(exo, cmdlet, params, cmdlet, o.signal)) {
      const res = await storePage(h, { format, body: r.res.body, request: r.request, response: { status: r.res.status, headers: r.res.headers }, rows: r.value.length }, { posture: cmdlet });
      summary.pages++;
      summary.configRows += res.configRows;
      rows += res.configRows;
    }
    return rows;
  };
  await part('Get-OrganizationConfig (AuditDisabled)', exoConfig('Get-OrganizationConfig', {}, 'config-organization'));
  await part('Get-AdminAuditLogConfig (UnifiedAuditLogIngestionEnabled)', exoConfig('Get-AdminAuditLogConfig', {}, 'config-adminauditlog'));
  await part('Get-Mailbox (audit settings of every mailbox)', exoConfig('Get-Mailbox', { ResultSize: 'Unlimited' }, 'config-mailbox'));
  await part('Get-MailboxAuditBypassAssociation', exoConfig('Get-MailboxAuditBypassAssociation', { ResultSize: 'Unlimited' }, 'config-bypass'));
  const g = graphTarget(s, 0);
  const userIds: { id: string; upn: string }[] = [];
  await part('Graph users (licence assignments: direct or through a group)', async () => {
    let rows = 0;
    for await (const r of graphPages(g, 'users?$select=id,userPrincipalName,assignedLicenses,licenseAssignmentStates&$top=999', 'list users and their licences', o.signal)) {
      for (const u of r.value) if (typeof u.id === 'string') userIds.push({ id: u.id, upn: String(u.userPrincipalName ?? '') });
      const res = await storePage(h, { format: 'config-licence', body: r.res.body, request: r.request, response: { status: r.res.status, headers: r.res.headers }, rows: r.value.length }, { posture: 'users' });
      summary.pages++;
      summary.configRows += res.configRows;
      rows += res.configRows;
    }
    return rows;
  });
  const scope = o.users?.map((u) => u.toLowerCase());
  await part('Graph licenseDetails (service plans per user)', async () => {
    let rows = 0;
    for (const u of userIds) {
      if (scope && !scope.includes(u.upn.toLowerCase())) continue;
      // Addressed by UPN: the page's @odata.context then names the user, which is what ties each licence
      // row to its mailbox when the page is parsed.
      for await (const r of graphPages(g, `users/${encodeURIComponent(u.upn)}/licenseDetails`, `licence details of ${u.upn}`, o.signal)) {
        const res = await storePage(h, { format: 'config-licence', body: r.res.body, request: r.request, response: { status: r.res.status, headers: r.res.headers }, rows: r.value.length }, { posture: 'licenseDetails', user: u.upn });
        summary.pages++;
        summary.configRows += res.configRows;
        rows += res.configRows;
      }
    }
    return rows;
  });
  await part('Get-InboxRule (mailboxes in scope)', async () => {
    let rows = 0;
    const mailboxes = o.users ?? await mailboxUpns(h);
    for (const m of mailboxes) rows += await exoConfig('Get-InboxRule', { Mailbox: m }, 'config-inboxrule')();
    return rows;
  });
  h.logCustody('posture-finished', { ...summary });
  return summary;
}

/** UPNs of the user and shared mailboxes in the case's latest Get-Mailbox snapshot. */
function mailboxUpns(h: CaseHandle): Promise<string[]> {
  const rows = h.db.prepare(
    `SELECT DISTINCT r.identity AS upn, json_extract(r.value_json, '$.recipientTypeDetails') AS rtd FROM config_rows r
     WHERE r.kind = 'mailbox' AND r.snapshot_id = (SELECT MAX(id) FROM config_snapshots WHERE kind = 'mailbox')`,
  ).all() as { upn: string | null; rtd: string | null }[];
  return Promise.resolve(rows.filter((r) => r.upn && (r.rtd === null || /User|Shared/i.test(r.rtd))).map((r) => r.upn!));
}

// ---- preflight ------------------------------------------------------------------------------------------

export interface PreflightSource {
  source: SourceId;
  answers: boolean;
  detail: string;
  /** Records the source reports for the range (Search-UnifiedAuditLog ResultCount), when it says. */
  estimate?: number | null;
}

/** Which sources answer and what they allow, and a volume estimate; changes nothing in the tenant. */
export async function preflight(s: Session, range: { fromMs: number; toMs: number }, signal?: AbortSignal): Promise<PreflightSource[]> {
  const out: PreflightSource[] = [];
  const explain = (e: unknown): string => (e instanceof BlindspotError ? `${e.message}${e.hint && !e.message.includes(e.hint) ? ` (${e.hint})` : ''}` : String(e));
  try {
    let estimate: number | null = 0;
    for await (const r of invokePages(exoTarget(s), 'Search-UnifiedAuditLog', { StartDate: exoTime(range.fromMs), EndDate: exoTime(range.toMs), ResultSize: 1, SessionId: `preflight-${Date.now()}`, SessionCommand: 'ReturnLargeSet' }, 'Search-UnifiedAuditLog estimate', signal)) {
      const rc = Number(r.value[0]?.ResultCount);
      estimate = r.value.length === 0 ? 0 : Number.isFinite(rc) ? rc : null;
      break;
    }
    out.push({ source: 'ual', answers: true, detail: 'Search-UnifiedAuditLog answers (Exchange role present)', estimate });
  } catch (e) {
    out.push({ source: 'ual', answers: false, detail: explain(e) });
  }
  if (!s.cloud.graphAuditQuery && !s.profile.endpoints) {
    out.push({ source: 'graph', answers: false, detail: `the Graph audit log query is documented for the global cloud only, not ${s.cloud.title}` });
  } else {
    try {
      await s.api.call('graph', { method: 'GET', url: `${s.endpoints.graphBase}/${s.profile.graphVersion}/security/auditLog/queries`, what: 'Graph audit log queries' }, signal);
      out.push({ source: 'graph', answers: true, detail: `the Graph audit log query answers (${s.profile.graphVersion}; AuditLogsQuery permission present)` });
    } catch (e) {
      out.push({ source: 'graph', answers: false, detail: explain(e) });
    }
  }
  try {
    const subs = await listSubscriptions(await manageTarget(s), signal);
    const enabled = subs.filter((x) => x.status.toLowerCase() === 'enabled').map((x) => x.contentType);
    out.push({ source: 'mgmt', answers: true, detail: `the Management Activity API answers; subscriptions enabled: ${enabled.length ? enabled.join(', ') : 'none (acquisition starts them, a change to the tenant)'}; it reaches back 7 days only` });
  } catch (e) {
    out.push({ source: 'mgmt', answers: false, detail: explain(e) });
  }
  return out;
}

// ---- acquisition ------------------------------------------------------------------------------------------

export const ALL_SOURCES: readonly SourceId[] = ['graph', 'ual', 'mgmt', 'mailbox-audit'];
const FALLBACK_RECORD_TYPES = ['ExchangeItem', 'ExchangeItemGroup', 'ExchangeItemAggregated'] as const;
/** The unified log keeps every record at least this long (Audit Standard since October 2023) [A7]. */
const UAL_MIN_RETENTION_DAYS = 180;

export interface AcquirePlan {
  /** Tenant profile name. */
  tenant: string;
  from: string;
  to: string;
  sources: SourceId[];
  /** Whether the sources were asked for one by one (`--source mgmt`) rather than as "all". */
  explicitSources?: boolean;
  users?: string[];
  recordTypes?: string[];
  operations?: string[];
  /** Initial slice length in hours (default 24). */
  sliceHours?: number;
}

export interface AcquireProgress {
  source: SourceId | null;
  slicesDone: number;
  slicesTotal: number;
  records: number;
  recordsPerSecond: number;
  /** Seconds left, estimated from the slices still to do; null until there is a rate. */
  etaSeconds: number | null;
  message?: string;
}

export interface SourceSummary {
  slices: number;
  complete: number;
  incomplete: number;
  failed: number;
  notCollected: number;
  reported: number;
  records: number;
  duplicates: number;
  notes: string[];
}

export interface AcquireSummary {
  runId: number;
  planHash: string;
  resumed: boolean;
  interrupted: boolean;
  slices: number;
  complete: number;
  incomplete: number;
  failed: number;
  notCollected: number;
  /** Distinct records the case holds from the plan's slices. */
  records: number;
  /** Records new to the case in this run. */
  inserted: number;
  duplicates: number;
  retries: number;
  bySource: Partial<Record<SourceId, SourceSummary>>;
}

export interface AcquireOptions {
  onProgress?: (p: AcquireProgress) => void;
  signal?: AbortSignal;
  /** Graph query polling interval (default 15 s; the simulated tenant needs none). */
  graphPollMs?: number;
  /** Search-UnifiedAuditLog ResultSize and session cap (tests use small values). */
  sualResultSize?: number;
  sualSessionCap?: number;
}

interface CanonicalPlan {
  tenant: string; tenantId: string; from: string; to: string; sources: SourceId[]; explicitSources: boolean;
  users: string[]; recordTypes: string[]; operations: string[]; sliceHours: number; graphVersion: string;
}

export function canonicalPlan(plan: AcquirePlan, profile: TenantProfile): CanonicalPlan {
  const r = normaliseRange(Date.parse(plan.from), Date.parse(plan.to));
  const sources = [...new Set(plan.sources)].sort();
  for (const s of sources) if (!ALL_SOURCES.includes(s)) throw new UsageError(`acquire: unknown source ${s}; use graph, ual, mgmt, mailbox-audit or all.`);
  if (sources.length === 0) throw new UsageError('acquire: no source selected.');
  const sliceHours = plan.sliceHours ?? 24;
  if (!(sliceHours > 0) || (sliceHours * 3600) % 1 !== 0) throw new UsageError('acquire: the slice length must be a whole number of seconds.');
  return {
    tenant: profile.name, tenantId: profile.tenant, from: iso(r.startMs), to: iso(r.endMs), sources, explicitSources: plan.explicitSources ?? true,
    users: [...new Set((plan.users ?? []).map((u) => u.trim().toLowerCase()).filter(Boolean))].sort(),
    recordTypes: [...new Set(plan.recordTypes ?? [])].sort(), operations: [...new Set(plan.operations ?? [])].sort(),
    sliceHours, graphVersion: profile.graphVersion,
  };
}

export function planHash(p: CanonicalPlan): string {
  return createHash('sha256').update(JSON.stringify(p)).digest('hex');
}

function sourceQuery(source: SourceId, p: CanonicalPlan, recordType: string | null): Record<string, unknown> {
  if (source === 'ual') {
    const q: Record<string, unknown> = { cmdlet: 'Search-UnifiedAuditLog', SessionCommand: 'ReturnLargeSet' };
    if (recordType) q.RecordType = recordType;
    if (p.operations.length) q.Operations = p.operations;
    if (p.users.length) q.UserIds = p.users;
    return q;
  }
  if (source === 'graph') {
    const q: Record<string, unknown> = { api: `graph ${p.graphVersion} security/auditLog/queries` };
    if (p.recordTypes.length) q.recordTypeFilters = p.recordTypes.map(graphRecordType);
    if (p.operations.length) q.operationFilters = p.operations;
    if (p.users.length) { q.userPrincipalNameFilters = p.users; q.userIds = p.users; }
    return q;
  }
  return {};
}

/** Creates the ledger rows of a plan's sources that have none yet (mailbox-audit is planned at run time). */
function planLedger(h: CaseHandle, p: CanonicalPlan, hash: string, runId: number, now: string, nowMs: number): void {
  const existing = new Set(slicesForPlan(h.db, hash).map((r) => r.source));
  const fromMs = Date.parse(p.from);
  const toMs = Date.parse(p.to);
  const sliceMs = p.sliceHours * 3_600_000;
  const add = (source: SourceId, startMs: number, endMs: number, status: SliceStatus, query: Record<string, unknown>, reason: string | null): void => {
    insertSlice(h.db, { planHash: hash, runId, source, sliceStart: iso(startMs), sliceEnd: iso(endMs), status, query, reason }, now);
  };
  const tx = h.db.transaction(() => {
    for (const source of p.sources) {
      if (existing.has(source) || source === 'mailbox-audit') continue;
      if (source === 'ual') {
        const types = p.recordTypes.length ? p.recordTypes : [null];
        for (const rt of types) for (const s of planSlices(fromMs, toMs, sliceMs)) add('ual', s.startMs, s.endMs, 'not-collected', sourceQuery('ual', p, rt), 'not yet collected');
      } else if (source === 'graph') {
        for (const s of planSlices(fromMs, toMs, sliceMs)) add('graph', s.startMs, s.endMs, 'not-collected', sourceQuery('graph', p, null), 'not yet collected');
      } else if (source === 'mgmt') {
        const { windows, outOfReach } = planManageWindows(fromMs, toMs, nowMs, 12 * 3_600_000);
        const q: Record<string, unknown> = { contentTypes: [...CONTENT_TYPES], window: 'contentCreated' };
        if (p.users.length) q.userIds = p.users;
        for (const w of windows) add('mgmt', w.startMs, w.endMs, 'not-collected', q, 'not yet collected');
        // Out of the API's reach: a gap only when this source was asked for on its own.
        if (outOfReach && p.explicitSources) add('mgmt', outOfReach.startMs, outOfReach.endMs, 'not-collected', q, 'the Management Activity API reaches back 7 days only: this part of the range cannot be collected from it');
      }
    }
  });
  tx.immediate();
}

/** Plans mailbox-audit rows after probing Search-MailboxAuditLog (or its unified-log fallback). */
async function planMailboxAudit(h: CaseHandle, s: Session, p: CanonicalPlan, hash: string, runId: number, signal?: AbortSignal): Promise<string> {
  const exo = exoTarget(s);
  let mailboxes = p.users;
  if (mailboxes.length === 0) {
    mailboxes = [];
    for await (const r of invokePages(exo, 'Get-Mailbox', { ResultSize: 'Unlimited' }, 'list mailboxes for Search-MailboxAuditLog', signal)) {
      for (const m of r.value) if (typeof m.UserPrincipalName === 'string') mailboxes.push(m.UserPrincipalName.toLowerCase());
    }
  }
  const probe = mailboxes[0] ? await probeMailboxAuditLog(exo, mailboxes[0], signal) : { available: false as const, reason: 'no mailbox to probe Search-MailboxAuditLog with' };
  const now = new Date().toISOString();
  // As one of "all" sources, mailbox audit history is collected only where the unified log no longer
  // reaches: inside the unified log's retention the same actions are already collected there, with the
  // record ids that deduplicate them, and a second copy without those ids would be counted twice.
  const fromMs = Date.parse(p.from);
  const toMs = p.explicitSources ? Date.parse(p.to) : Math.min(Date.parse(p.to), Date.now() - UAL_MIN_RETENTION_DAYS * 86_400_000);
  const slices = toMs > fromMs ? planSlices(fromMs, toMs, p.sliceHours * 3_600_000) : [];
  const tx = h.db.transaction(() => {
    if (probe.available) {
      for (const m of mailboxes) for (const sl of slices) {
        const q: Record<string, unknown> = { cmdlet: 'Search-MailboxAuditLog', Identity: m, mailbox: m, ShowDetails: true };
        if (p.operations.length) q.Operations = p.operations;
        insertSlice(h.db, { planHash: hash, runId, source: 'mailbox-audit', sliceStart: iso(sl.startMs), sliceEnd: iso(sl.endMs), status: 'not-collected', query: q, reason: 'not yet collected' }, now);
      }
    } else {
      for (const rt of FALLBACK_RECORD_TYPES) for (const sl of slices) {
        const q: Record<string, unknown> = { cmdlet: 'Search-UnifiedAuditLog', fallback: 'unified-log', fallbackReason: probe.reason, RecordType: rt, SessionCommand: 'ReturnLargeSet' };
        if (p.operations.length) q.Operations = p.operations;
        if (p.users.length) q.UserIds = p.users;
        insertSlice(h.db, { planHash: hash, runId, source: 'mailbox-audit', sliceStart: iso(sl.startMs), sliceEnd: iso(sl.endMs), status: 'not-collected', query: q, reason: 'not yet collected' }, now);
      }
    }
  });
  tx.immediate();
  const scope = slices.length === 0
    ? `; nothing to collect: the unified log still holds the whole range (it keeps at least ${UAL_MIN_RETENTION_DAYS} days), so it is collected there`
    : toMs < Date.parse(p.to) ? `; collected up to ${iso(toMs)}, where the unified log's retention begins` : '';
  return (probe.available ? `Search-MailboxAuditLog answers: ${mailboxes.length} mailboxes` : `${probe.reason}: falling back to the unified log's ${FALLBACK_RECORD_TYPES.join(', ')} records`) + scope;
}

function summarise(rows: LedgerRow[], runId: number, hash: string, resumed: boolean, interrupted: boolean, inserted: number): AcquireSummary {
  const sum: AcquireSummary = { runId, planHash: hash, resumed, interrupted, slices: rows.length, complete: 0, incomplete: 0, failed: 0, notCollected: 0, records: 0, inserted, duplicates: 0, retries: 0, bySource: {} };
  for (const r of rows) {
    const b = (sum.bySource[r.source] ??= { slices: 0, complete: 0, incomplete: 0, failed: 0, notCollected: 0, reported: 0, records: 0, duplicates: 0, notes: [] });
    b.slices++;
    const k = r.status === 'complete' ? 'complete' : r.status === 'incomplete' ? 'incomplete' : r.status === 'failed' ? 'failed' : 'notCollected';
    b[k]++;
    sum[k]++;
    b.reported += r.reported ?? 0;
    b.records += r.retrieved;
    b.duplicates += r.duplicates;
    sum.records += r.retrieved;
    sum.duplicates += r.duplicates;
    sum.retries += r.retries;
    if (r.query.fallback && r.reason && !b.notes.includes(r.reason)) b.notes.push(r.reason);
  }
  return sum;
}

/**
 * Collects every audit record in the plan's scope into the case. Restarted with the same plan it
 * continues from the ledger: complete slices are skipped, the others are collected again (records
 * already in the case count as duplicates, never twice as events).
 */
export async function acquire(h: CaseHandle, s: Session, plan: AcquirePlan, o: AcquireOptions = {}): Promise<AcquireSummary> {
  if (plan.tenant !== s.profile.name) throw new UsageError(`acquire: the plan is for tenant ${plan.tenant} but the session is signed in to ${s.profile.name}.`);
  const p = canonicalPlan(plan, s.profile);
  const hash = planHash(p);
  const startedAt = new Date().toISOString();
  const resumed = slicesForPlan(h.db, hash).length > 0;
  const runId = startRun(h.db, { tenantName: p.tenant, planHash: hash, planJson: JSON.stringify(p), startedAt });
  h.logCustody('acquisition-started', { acquisitionRun: runId, planHash: hash, plan: p, resumed, account: s.tokens.account(), appOnly: s.tokens.appOnly });
  planLedger(h, p, hash, runId, startedAt, Date.now());
  const notes: string[] = [];
  let inserted = 0;
  let records = 0;
  let interrupted = false;
  const t0 = Date.now();
  const refused = new Map<string, string>();
  try {
    if (p.sources.includes('mailbox-audit') && !slicesForPlan(h.db, hash).some((r) => r.source === 'mailbox-audit')) {
      try {
        notes.push(await planMailboxAudit(h, s, p, hash, runId, o.signal));
      } catch (e) {
        if (o.signal?.aborted) throw e;
        if (!(e instanceof BlindspotError)) throw e;
        refused.set('mailbox-audit', e.message);
      }
    }
    let subscriptionsChecked = false;
    let mgmt: ManageTarget | null = null;
    const queue = slicesForPlan(h.db, hash).filter((r) => r.status !== 'complete');
    const total = () => slicesForPlan(h.db, hash).length;
    let done = slicesForPlan(h.db, hash).length - queue.length;
    const doneAtStart = done;
    const progress = (source: SourceId | null, message?: string): void => {
      if (!o.onProgress) return;
      const el = (Date.now() - t0) / 1000;
      const tot = total();
      const rate = el > 0 ? records / el : 0;
      const doneNow = done - doneAtStart;
      const perSlice = doneNow > 0 ? el / doneNow : null;
      o.onProgress({ source, slicesDone: done, slicesTotal: tot, records, recordsPerSecond: Math.round(rate), etaSeconds: perSlice === null ? null : Math.round(perSlice * (tot - done)), ...(message ? { message } : {}) });
    };
    progress(null, resumed ? 'resuming from the ledger' : 'starting');
    while (queue.length > 0) {
      o.signal?.throwIfAborted();
      const row = queue.shift()!;
      const why = refused.get(row.source);
      if (why) {
        finishSlice(h.db, row.id, { status: 'not-collected', reported: null, retriesAdded: 0, reason: `not collected: ${why}`, runId }, new Date().toISOString());
        done++;
        continue;
      }
      if (row.reason?.startsWith('the Management Activity API reaches back 7 days only')) {
        finishSlice(h.db, row.id, { status: 'not-collected', reported: null, retriesAdded: 0, reason: row.reason, runId }, new Date().toISOString());
        done++;
        continue;
      }
      const job: SliceJob = { ledgerId: row.id, source: row.source, startMs: Date.parse(row.sliceStart), endMs: Date.parse(row.sliceEnd), query: row.query };
      const sink: PageSink = async (page) => {
        await storePage(h, page, { acquisitionRun: runId, slice: page.ledgerId, source: row.source }, (n, ins, importRunId, evidenceId) => {
          recordPage(h.db, page.ledgerId, evidenceId, importRunId, n, new Date().toISOString());
          inserted += ins;
        });
        records += page.rows;
        progress(row.source);
      };
      const splittable = canSplit({ startMs: job.startMs, endMs: job.endMs });
      let result: SliceResult;
      try {
        if (row.source === 'ual' || (row.source === 'mailbox-audit' && row.query.fallback)) {
          result = await sualSlice(exoTarget(s), job, sink, { canSplit: splittable, ...(o.signal ? { signal: o.signal } : {}), ...(o.sualResultSize !== undefined ? { resultSize: o.sualResultSize } : {}), ...(o.sualSessionCap !== undefined ? { sessionCap: o.sualSessionCap } : {}) });
        } else if (row.source === 'mailbox-audit') {
          result = await smalSlice(exoTarget(s), job, sink, { canSplit: splittable, ...(o.signal ? { signal: o.signal } : {}) });
        } else if (row.source === 'graph') {
          result = await graphSlice(graphTarget(s, o.graphPollMs ?? 15_000), job, sink, { canSplit: splittable, ...(o.signal ? { signal: o.signal } : {}) });
        } else {
          mgmt ??= await manageTarget(s);
          if (!subscriptionsChecked) {
            const subs = await ensureSubscriptions(mgmt, CONTENT_TYPES, o.signal);
            const started = subs.filter((x) => x.startedByUs).map((x) => x.contentType);
            if (started.length) h.logCustody('tenant-changed', { acquisitionRun: runId, change: 'started Management Activity API subscriptions', contentTypes: started });
            subscriptionsChecked = true;
          }
          result = await manageSlice(mgmt, job, sink, o.signal ? { signal: o.signal } : {});
        }
      } catch (e) {
        if (o.signal?.aborted) throw e;
        if (e instanceof ApiRefusal && (e.status === 401 || e.status === 403)) {
          refused.set(row.source, e.message);
          result = { kind: 'failed', reason: e.message, retries: 0 };
        } else if (e instanceof ApiRefusal || e instanceof RetriesExhausted || e instanceof NetworkPolicyError || (e instanceof Error && /not an OData page/.test(e.message))) {
          result = { kind: 'failed', reason: e.message, retries: 0 };
        } else {
          throw e;
        }
      }
      const now = new Date().toISOString();
      if (result.kind === 'split') {
        const parts = splitInto({ startMs: job.startMs, endMs: job.endMs }, Math.max(2, result.parts))!;
        const ids = splitLedgerSlice(h.db, row.id, parts.map((x) => ({ sliceStart: iso(x.startMs), sliceEnd: iso(x.endMs) })), result.reported, result.reason, runId, now);
        addRetries(h.db, row.id, result.retries, now);
        const fresh = ids.map((id) => slicesForPlan(h.db, hash).find((r) => r.id === id)!);
        queue.unshift(...fresh);
        progress(row.source, `split ${row.sliceStart}..${row.sliceEnd} into ${ids.length}: ${result.reason}`);
        continue;
      }
      const fallbackNote = row.query.fallback ? `collected from the unified log instead of Search-MailboxAuditLog (${String(row.query.fallbackReason ?? 'retired')})` : null;
      if (result.kind === 'failed') {
        finishSlice(h.db, row.id, { status: 'failed', reported: null, retriesAdded: result.retries, reason: result.reason, runId }, now);
      } else if (result.kind === 'over-cap') {
        finishSlice(h.db, row.id, { status: 'incomplete', reported: result.reported, retriesAdded: result.retries, reason: result.reason, runId }, now);
      } else {
        const r1 = finishSlice(h.db, row.id, { status: 'complete', reported: result.reported, retriesAdded: result.retries, reason: null, runId, ...(result.query ? { query: result.query } : {}) }, now);
        let status: SliceStatus = 'complete';
        let reason: string | null = fallbackNote;
        if (result.reported !== null && r1.retrieved < result.reported) {
          status = 'incomplete';
          reason = `the service reported ${result.reported} records but the case holds ${r1.retrieved} from this slice${fallbackNote ? `; ${fallbackNote}` : ''}`;
        } else if (result.reported !== null && r1.retrieved > result.reported) {
          reason = `the case holds ${r1.retrieved} records from this slice, more than the ${result.reported} reported${fallbackNote ? `; ${fallbackNote}` : ''}`;
        } else if (result.reported === null && result.note) {
          reason = fallbackNote ? `${fallbackNote}; ${result.note}` : result.note;
        }
        if (status !== 'complete' || reason !== null) finishSlice(h.db, row.id, { status, reported: result.reported, retriesAdded: 0, reason, runId }, now);
      }
      done++;
      progress(row.source);
    }
  } catch (e) {
    if (o.signal?.aborted) {
      interrupted = true;
    } else {
      const sum = summarise(slicesForPlan(h.db, hash), runId, hash, resumed, false, inserted);
      finishRun(h.db, runId, 'failed', sum, (e as Error).message, new Date().toISOString());
      h.logCustody('acquisition-finished', { acquisitionRun: runId, status: 'failed', error: (e as Error).message, summary: sum });
      throw e;
    }
  }
  const sum = summarise(slicesForPlan(h.db, hash), runId, hash, resumed, interrupted, inserted);
  for (const n of notes) (sum.bySource['mailbox-audit'] ??= { slices: 0, complete: 0, incomplete: 0, failed: 0, notCollected: 0, reported: 0, records: 0, duplicates: 0, notes: [] }).notes.push(n);
  const status = interrupted ? 'interrupted' : sum.complete === sum.slices ? 'complete' : 'incomplete';
  finishRun(h.db, runId, status, sum, null, new Date().toISOString());
  h.logCustody('acquisition-finished', { acquisitionRun: runId, status, summary: sum });
  return sum;
}

