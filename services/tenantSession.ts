// Tenant profiles kept in a case, signing in to a tenant, and storing a fetched page as evidence: the
// pieces the posture snapshot (services/posture.ts) and log collection (services/acquisition.ts) share.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ApiClient } from '../acquire/api.ts';
import type { Api, DeviceCodePrompt, TokenProvider } from '../acquire/auth.ts';
import { isPkcs12, loadCertificate, signIn as msalSignIn } from '../acquire/auth.ts';
import { CLOUDS, cloudEndpoints, isCloudId, singleOriginEndpoints } from '../acquire/clouds.ts';
import type { Cloud, Endpoints } from '../acquire/clouds.ts';
import type { FetchedPage } from '../acquire/collect.ts';
import type { ExoTarget } from '../acquire/exchange.ts';
import type { GraphTarget } from '../acquire/graph.ts';
import { HttpClient } from '../acquire/http.ts';
import type { ManageTarget } from '../acquire/manage.ts';
import { policyFor } from '../acquire/netPolicy.ts';
import type { RetryPolicy } from '../acquire/retry.ts';
import type { CacheStore } from '../acquire/tokenCache.ts';
import { AUTH_MODES, getTenantProfile, saveTenantProfile } from '../db/ledger.ts';
import type { AuthMode, TenantProfile } from '../db/ledger.ts';
import type { CaseHandle } from './caseFolder.ts';
import { BadInputError, UsageError } from './errors.ts';
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
  /** Replace a profile of the same name (refused otherwise). */
  replace?: boolean;
}

/**
 * Refuses, now rather than at sign-in, a --cert that sign-in could not use (loadCertificate's own checks:
 * a PEM with the certificate and its private key, which belong together; a PKCS#12 file is only
 * recognised, its password being asked for at sign-in) and a --ca that holds no PEM certificate.
 */
function requireCertFile(flag: '--cert' | '--ca', path: string): void {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UsageError(`tenant add: ${flag} ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}.`);
  }
  if (flag === '--ca') {
    if (!bytes.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`tenant add: --ca ${path} holds no PEM certificate.`);
  } else if (!isPkcs12(bytes)) {
    loadCertificate(path);
  }
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
  const previous = getTenantProfile(h.db, p.name);
  if (previous && !p.replace) {
    throw new UsageError(`tenant add: this case already has a tenant profile named ${p.name} (${previous.tenant}, sign-in ${previous.authMode}).`, 'Choose another --name, or give --replace to change that profile.');
  }
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
  if (certPath) requireCertFile('--cert', certPath);
  if (p.caPath) requireCertFile('--ca', resolve(p.caPath));
  const profile: TenantProfile = {
    name: p.name, tenant: p.tenant, cloud, clientId: p.clientId, authMode: p.auth, certPath, endpoints,
    caPath: p.caPath ? resolve(p.caPath) : null, graphVersion: p.graphVersion ?? 'beta', createdAt: new Date().toISOString(), createdBy: h.actor,
  };
  saveTenantProfile(h.db, profile);
  const details = { name: profile.name, tenant: profile.tenant, cloud, clientId: profile.clientId, auth: profile.authMode, certPath, endpoints, caPath: profile.caPath };
  if (previous) {
    const { createdAt: _c, createdBy: _b, ...was } = previous;
    h.logCustody('tenant-replaced', { ...details, previous: was });
  } else {
    h.logCustody('tenant-added', details);
  }
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

export function exoTarget(s: Session): ExoTarget {
  return { api: s.api, endpoints: s.endpoints, tenant: s.profile.tenant };
}

export function graphTarget(s: Session, pollMs: number): GraphTarget {
  return { api: s.api, endpoints: s.endpoints, version: s.profile.graphVersion, pollMs, maxWaitMs: 30 * 60_000 };
}

export async function manageTarget(s: Session): Promise<ManageTarget> {
  const tid = (await s.api.tenantIdFromToken('manage')) ?? s.profile.tenant;
  return { api: s.api, endpoints: s.endpoints, tenantId: tid };
}

// ---- storing a fetched page --------------------------------------------------------------------------

function responseTime(headers: Record<string, string>): string {
  const d = headers.date ? Date.parse(headers.date) : Number.NaN;
  return Number.isNaN(d) ? new Date().toISOString() : new Date(d).toISOString();
}

/** Stages the body as received, then ingests it (one transaction with `beforeCommit`). */
export async function storePage(h: CaseHandle, p: Omit<FetchedPage, 'ledgerId'>, details: Record<string, unknown>, beforeCommit?: (records: number, inserted: number, importRunId: number, evidenceId: number) => void): Promise<{ records: number; inserted: number; duplicates: number; rejected: number; configRows: number }> {
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

