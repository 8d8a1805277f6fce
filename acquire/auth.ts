// Sign-in with @azure/msal-node: device code and authorization code + PKCE (delegated, public client),
// certificate or secret client credentials (app-only). MSAL's own requests go through our HTTP client
// (allow-list + explicit CA), never global fetch. Tokens stay in memory or in the chosen CacheStore.
import { constants, createHash, createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  ConfidentialClientApplication, LogLevel, PublicClientApplication, ServerError,
} from '@azure/msal-node';
import type { AccountInfo, AuthenticationResult, Configuration, DeviceCodeRequest } from '@azure/msal-node';
type DeviceCodeResponse = Parameters<DeviceCodeRequest['deviceCodeCallback']>[0];
import type { AuthMode } from '../db/ledger.ts';
import { BadInputError, BlindspotError, EXIT } from '../services/errors.ts';
import type { Endpoints } from './clouds.ts';
import type { HttpClient } from './http.ts';
import { isThrottledStatus, msalNetworkModule, MsalTraffic } from './http.ts';
import type { NetworkFailure } from './http.ts';
import { parseRetryAfter } from './retry.ts';
import type { CacheStore } from './tokenCache.ts';
import { cachePlugin, memoryCacheStore } from './tokenCache.ts';
import forge from 'node-forge';

export type Api = 'graph' | 'exchange' | 'manage';

export interface TokenProvider {
  readonly mode: AuthMode;
  readonly appOnly: boolean;
  /** The signed-in account (delegated modes), for messages; never a token. */
  account(): string | null;
  /** An access token for one API; `forceRefresh` after a 401 or when it expired mid-run. */
  getToken(api: Api, opts?: { forceRefresh?: boolean }): Promise<string>;
}

export interface DeviceCodePrompt {
  userCode: string;
  verificationUri: string;
  expiresInS: number;
  message: string;
}

export interface SignInOptions {
  mode: AuthMode;
  tenant: string;
  clientId: string;
  endpoints: Endpoints;
  /** Endpoints are not Microsoft's own (simulated tenant or proxy): MSAL must be told the authority is known. */
  customAuthority: boolean;
  http: HttpClient;
  cache?: CacheStore;
  /** certificate mode: PEM with the certificate and its private key. */
  certPath?: string;
  /** secret mode: the client secret (from the environment, never a flag or the case). */
  clientSecret?: string;
  /** device mode: show the code and URL. */
  onDeviceCode?: (p: DeviceCodePrompt) => void;
  /** browser mode: open the system browser at this URL. */
  openBrowser?: (url: string) => Promise<void>;
  /** Cancels a pending device-code or browser sign-in. */
  signal?: AbortSignal;
}

export class SignInError extends BlindspotError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: EXIT.remote, ...(hint ? { hint } : {}) });
    this.name = 'SignInError';
  }
}

/**
 * The token endpoint answered 429 or 5xx (§1.7). MSAL remembers such an answer for its Retry-After (60 s without
 * one) and fails an identical request at once until then, so the caller waits and asks again rather than looping.
 */
export class TokenThrottled extends SignInError {
  readonly status: number;
  /** The Retry-After the token endpoint sent, as received; null when it sent none. */
  readonly retryAfter: string | null;
  constructor(message: string, status: number, retryAfter: string | null) {
    super(message, `The sign-in service is throttling this application (HTTP ${status}); ${waitFor(retryAfter)} and run the command again.`);
    this.name = 'TokenThrottled';
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

/**
 * How long a throttled caller should hold off: the Retry-After the token endpoint sent, or MSAL's own
 * 60 s when it sent none (§1.7: MSAL fails an identical request at once until then).
 */
function waitFor(retryAfter: string | null): string {
  const ms = parseRetryAfter(retryAfter, Date.now());
  return `wait ${ms === null ? 60 : Math.max(1, Math.ceil(ms / 1000))} s`;
}

/**
 * A 429 or 5xx from the token endpoint as TokenThrottled; anything else as explainSignInError says. MSAL puts
 * the HTTP status on the error of a client-credentials request, but not on that of a refresh-token request
 * (acquireTokenSilent, a ServerError) nor of a device-code poll (an AuthError post_request_failed, §1.5): for
 * a server's error answer without one, the status this request met on the wire says.
 */
function signInFailure(e: unknown, o: Pick<SignInOptions, 'clientId' | 'tenant' | 'mode'>, traffic: MsalTraffic): SignInError {
  const given = (e as { status?: unknown })?.status;
  const answered = e instanceof ServerError || (e as { errorCode?: unknown })?.errorCode === 'post_request_failed';
  const status = typeof given === 'number' ? given : answered ? traffic.throttledStatus : null;
  const err = explainSignInError(e, o, traffic.failure);
  if (status !== null && isThrottledStatus(status)) return new TokenThrottled(err.message, status, traffic.retryAfter);
  return err;
}

function scopeFor(ep: Endpoints, api: Api): string {
  return `${ep.resources[api]}/.default`;
}

/** An app certificate: a PEM with the certificate and its key, or a PFX (PKCS#12). */
export interface LoadedCertificate {
  /** base64url SHA-256 of the DER certificate (the x5t#S256 header). */
  x5tS256: string;
  privateKey: KeyObject;
}

/** Where a PFX's password comes from: an environment variable, never a flag, a file or the case. */
export const CERT_PASSWORD_ENV = 'BLINDSPOT_CERT_PASSWORD';

/**
 * A PFX as the certificate and key PEMs. Node's crypto cannot open PKCS#12 containers, so node-forge
 * (a pure-JavaScript implementation of the format) does it.
 */
function pfxToPem(path: string, der: Buffer, password: string): { certPem: string; keyPem: string } {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary'))), false, password);
  } catch (e) {
    const m = (e as Error).message;
    throw new BadInputError(
      `${path}: cannot open the PFX (${/mac|password|invalid/i.test(m) ? 'wrong password or damaged file' : m}).`,
      `Give its password in the ${CERT_PASSWORD_ENV} environment variable (empty if it has none).`,
    );
  }
  const certBag = p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!]?.[0];
  const keyBag = p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!]?.[0]
    ?? p12.getBags({ bagType: forge.pki.oids.keyBag! })[forge.pki.oids.keyBag!]?.[0];
  if (!certBag?.cert || !keyBag?.key) throw new BadInputError(`${path}: the PFX must hold the certificate and its private key.`);
  return { certPem: forge.pki.certificateToPem(certBag.cert), keyPem: forge.pki.privateKeyToPem(keyBag.key) };
}

/** Whether a certificate file is PKCS#12 (DER, no PEM armour), the way loadCertificate tells it from a PEM. */
export function isPkcs12(bytes: Buffer): boolean {
  return bytes[0] === 0x30 && !bytes.toString('latin1').includes('-----BEGIN');
}

export function loadCertificate(path: string, password = process.env[CERT_PASSWORD_ENV] ?? ''): LoadedCertificate {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new BadInputError(`${path}: cannot read the certificate (${(e as Error).message}).`);
  }
  const text = bytes.toString('utf8');
  let certPem: string | undefined;
  let keyPem: string | undefined;
  if (isPkcs12(bytes)) {
    ({ certPem, keyPem } = pfxToPem(path, bytes, password));
  } else {
    certPem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text)?.[0];
    keyPem = /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.exec(text)?.[0];
  }
  if (!certPem || !keyPem) throw new BadInputError(`${path}: expected a PEM file with both the certificate and its private key, or a PFX.`);
  if (keyPem.includes('ENCRYPTED')) throw new BadInputError(`${path}: the private key is encrypted; give an unencrypted PEM kept outside the case, or the PFX with its password in ${CERT_PASSWORD_ENV}.`);
  const cert = new X509Certificate(certPem);
  const privateKey = createPrivateKey(keyPem);
  if (!cert.checkPrivateKey(privateKey)) throw new BadInputError(`${path}: the private key does not belong to the certificate.`);
  return { x5tS256: createHash('sha256').update(cert.raw).digest('base64url'), privateKey };
}

/**
 * A client assertion (certificate-credentials.md): PS256 with x5t#S256, 10-minute lifetime and a fresh
 * jti for every token request. Built here rather than by MSAL's clientCertificate option because MSAL
 * reuses one assertion (same jti) for every request within its lifetime.
 */
export function clientAssertion(cert: LoadedCertificate, clientId: string, audience: string, nowS = Math.floor(Date.now() / 1000)): string {
  const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = b64({ alg: 'PS256', typ: 'JWT', 'x5t#S256': cert.x5tS256 });
  const body = b64({ aud: audience, exp: nowS + 600, iss: clientId, sub: clientId, jti: randomUUID(), nbf: nowS, iat: nowS });
  const sig = sign('sha256', Buffer.from(`${head}.${body}`), { key: cert.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  return `${head}.${body}.${sig.toString('base64url')}`;
}

function msalConfig(o: SignInOptions, extraAuth: Partial<Configuration['auth']>, traffic: MsalTraffic): Configuration {
  const authority = `${o.endpoints.authorityHost}/${o.tenant}`;
  const host = new URL(o.endpoints.authorityHost).host;
  return {
    auth: {
      clientId: o.clientId,
      authority,
      ...(o.customAuthority ? { knownAuthorities: [host] } : {}),
      ...extraAuth,
    },
    cache: { cachePlugin: cachePlugin(o.cache ?? memoryCacheStore()) },
    system: {
      networkClient: msalNetworkModule(o.http, traffic),
      loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => {} },
    },
  };
}

/** Transport failures that mean the server answered with a certificate this client does not trust. */
const UNTRUSTED_CERT = new Set(['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_UNTRUSTED']);

/**
 * Turns an MSAL failure into a message a person can act on; `failure` is a request of this sign-in that
 * got no answer (MsalTraffic), which tells an untrusted service from an unreachable one.
 */
export function explainSignInError(e: unknown, o: Pick<SignInOptions, 'clientId' | 'tenant' | 'mode'>, failure: NetworkFailure | null): SignInError {
  const any = e as { errorCode?: string; errorMessage?: string; message?: string; subError?: string };
  const code = any?.errorCode ?? '';
  const text = any?.errorMessage || any?.message || String(e);
  const aadsts = /AADSTS(\d+)/.exec(text)?.[1];
  const app = `app ${o.clientId}`;
  let hint: string | undefined;
  if (aadsts === '700016') hint = `The application ${o.clientId} is not registered in tenant ${o.tenant}: check --client-id and --tenant, or register the app in Entra admin center > App registrations.`;
  else if (aadsts === '7000215') hint = `The client secret is wrong or expired: create a new one for ${app} in Entra admin center > App registrations > Certificates & secrets, and set BLINDSPOT_CLIENT_SECRET.`;
  else if (aadsts === '700027' || aadsts === '700024' || aadsts === '700212') hint = `The certificate was not accepted: upload its public part to ${app} in Entra admin center > App registrations > Certificates & secrets.`;
  else if (aadsts === '90002') hint = `Tenant ${o.tenant} does not exist: check --tenant (a tenant GUID or a verified domain such as contoso.onmicrosoft.com).`;
  else if (aadsts === '65001' || aadsts === '65004' || code === 'consent_required') hint = `Consent is missing: an administrator must grant admin consent for ${app} in Entra admin center > App registrations > API permissions.`;
  else if (code === 'authorization_declined' || aadsts === '70000') hint = 'The sign-in was declined on the other device. Run the command again if that was a mistake.';
  else if (code === 'expired_token' || code === 'device_code_expired' || aadsts === '70020') hint = 'The code expired before the sign-in was finished (15 minutes). Run the command again and complete the sign-in sooner.';
  else if (code === 'endpoints_resolution_error' || code === 'untrusted_authority') {
    if (failure && UNTRUSTED_CERT.has(failure.code)) hint = `The sign-in service's certificate is not trusted (${failure.code}): for a simulated tenant, give the CA it printed with --ca; otherwise check for a TLS-inspecting proxy and the cloud (--cloud).`;
    else if (failure) hint = `The sign-in service could not be reached (${failure.code}): check the network, the cloud (--cloud), and for a simulated tenant --authority-host and that the simulator is running.`;
    else hint = 'The sign-in service could not be reached or was not trusted: check the network, the cloud (--cloud), and for a simulated tenant --authority-host and --ca.';
  }
  else if (/refused to contact/.test(text)) hint = 'A sign-in request pointed outside the allowed hosts; nothing was sent there.';
  return new SignInError(`sign-in (${o.mode}) to ${o.tenant} failed: ${text.split('\n')[0]}`, hint);
}

/**
 * Signs in and returns a token provider for the three APIs. Delegated modes sign in once (for Graph) and
 * get the other APIs' tokens silently from the refresh token; app-only modes get each token on demand.
 */
export async function signIn(o: SignInOptions): Promise<TokenProvider> {
  if (o.mode === 'certificate' || o.mode === 'secret') return appOnlyProvider(o);
  return delegatedProvider(o);
}

function appOnlyProvider(o: SignInOptions): TokenProvider {
  let cred: Partial<Configuration['auth']>;
  if (o.mode === 'certificate') {
    if (!o.certPath) throw new BadInputError('certificate sign-in needs the certificate: --cert <pem|pfx>.');
    const cert = loadCertificate(o.certPath);
    const tokenEndpoint = `${o.endpoints.authorityHost}/${o.tenant}/oauth2/v2.0/token`;
    cred = { clientAssertion: async (c: { clientId: string; tokenEndpoint?: string }) => clientAssertion(cert, c.clientId, c.tokenEndpoint ?? tokenEndpoint) };
  } else {
    if (!o.clientSecret) throw new BadInputError('secret sign-in needs the client secret in the environment variable BLINDSPOT_CLIENT_SECRET.', 'Secrets are never taken from the command line or stored in the case.');
    cred = { clientSecret: o.clientSecret };
  }
  const traffic = new MsalTraffic();
  let app = new ConfidentialClientApplication(msalConfig(o, cred, traffic));
  const get = async (api: Api, forceRefresh: boolean): Promise<string> => {
    traffic.reset();
    try {
      // MSAL serves client-credential tokens from its cache until they expire; forceRefresh asks anew.
      const r = await app.acquireTokenByClientCredential({ scopes: [scopeFor(o.endpoints, api)], skipCache: forceRefresh });
      if (!r?.accessToken) throw new SignInError(`sign-in to ${o.tenant} returned no access token for ${api}.`);
      return r.accessToken;
    } catch (e) {
      if (e instanceof SignInError) throw e;
      const err = signInFailure(e, o, traffic);
      // MSAL remembers a 429 per request (§1.7); a fresh instance is needed for a later retry.
      app = new ConfidentialClientApplication(msalConfig(o, cred, traffic));
      throw err;
    }
  };
  return {
    mode: o.mode,
    appOnly: true,
    account: () => null,
    getToken: (api, opts) => get(api, opts?.forceRefresh === true),
  };
}

async function delegatedProvider(o: SignInOptions): Promise<TokenProvider> {
  const traffic = new MsalTraffic();
  const app = new PublicClientApplication(msalConfig(o, {}, traffic));
  const first = scopeFor(o.endpoints, 'graph');
  let result: AuthenticationResult | null;
  try {
    if (o.mode === 'device') {
      const req: DeviceCodeRequest = {
        scopes: [first],
        deviceCodeCallback: (r: DeviceCodeResponse) => {
          o.onDeviceCode?.({ userCode: r.userCode, verificationUri: r.verificationUri, expiresInS: r.expiresIn, message: r.message });
        },
        cancel: false,
      };
      o.signal?.addEventListener('abort', () => { req.cancel = true; }, { once: true });
      result = await app.acquireTokenByDeviceCode(req);
    } else {
      const open = o.openBrowser;
      if (!open) throw new BadInputError('browser sign-in needs a way to open the system browser.');
      result = await app.acquireTokenInteractive({
        scopes: [first],
        openBrowser: open,
        successTemplate: '<html><body><h1>Blindspot: signed in.</h1><p>You can close this window and return to Blindspot.</p></body></html>',
        errorTemplate: '<html><body><h1>Blindspot: sign-in failed.</h1><p>Return to Blindspot for details.</p></body></html>',
      });
    }
  } catch (e) {
    if (e instanceof BlindspotError) throw e;
    // A poll (or the code redemption) answered 429/5xx. MSAL gives up at once and cannot go on polling the
    // same device code (§1.5), so the person is told how long to wait before signing in again.
    throw signInFailure(e, o, traffic);
  }
  if (!result?.account) throw new SignInError(`sign-in to ${o.tenant} returned no account.`);
  const account: AccountInfo = result.account;
  return {
    mode: o.mode,
    appOnly: false,
    account: () => account.username,
    async getToken(api, opts) {
      traffic.reset();
      try {
        const r = await app.acquireTokenSilent({ account, scopes: [scopeFor(o.endpoints, api)], forceRefresh: opts?.forceRefresh === true });
        return r.accessToken;
      } catch (e) {
        // A throttled refresh (§1.7). MSAL remembers it too, but unlike the confidential client's this instance
        // needs no replacing before the retry: with a cache plugin, acquireTokenSilent first reloads the cache
        // from it (TokenCache.overwriteCache clears the in-memory cache, remembered throttles included).
        throw signInFailure(e, o, traffic);
      }
    },
  };
}
