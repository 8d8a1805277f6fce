// Microsoft identity platform v2 emulation (§1, §6.1): OIDC discovery, JWKS, token endpoint (client
// credentials with secret or certificate assertion, device code, authorization code + PKCE, refresh
// token), device authorization, a minimal sign-in page with loopback redirect (query or form_post).
import { createHash, createPublicKey, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimUser } from '../scenario/types.ts';
import { AADSTS, ACCESS_TOKEN_VERSION, APP_ONLY_REJECTS_MULTI_TENANT, DEVICE_CODE_EXPIRES_IN_S, DEVICE_CODE_INTERVAL_S } from './assumptions.ts';
import { RESOURCE_APP_IDS, RESOURCES, type RegisteredClient, type ResourceKey, type SimContext } from './context.ts';
import { escapeHtml, parseForm, readBody, sendJson, sendText } from './http.ts';
import { decodeJwt, signRs256, unsignedJwt, verifySignature } from './jwt.ts';

const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);
const NO_STORE = { 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' };

interface DeviceCodeState {
  deviceCode: string;
  userCode: string;
  clientId: string;
  scope: string;
  expiresAt: number;
  status: 'pending' | 'approved' | 'declined' | 'redeemed';
  userId: string | null;
}

interface PendingAuthorize {
  id: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  state: string | null;
  nonce: string | null;
  responseMode: string;
  codeChallenge: string;
  loginHint: string | null;
}

interface AuthCodeState {
  clientId: string;
  redirectUri: string;
  scope: string;
  codeChallenge: string;
  userId: string;
  nonce: string | null;
  expiresAt: number;
}

interface RefreshState {
  clientId: string;
  userId: string;
}

export interface IdentityControl {
  approveDeviceCode(userCode: string, upn?: string): boolean;
  declineDeviceCode(userCode: string): boolean;
  /** Active device codes (tests read the user code MSAL was given). */
  pendingDeviceCodes(): { userCode: string; clientId: string }[];
}

class OAuthError extends Error {
  readonly status: number;
  readonly error: string;
  readonly aadsts: number;
  constructor(status: number, error: string, aadsts: number, message: string) {
    super(message);
    this.status = status;
    this.error = error;
    this.aadsts = aadsts;
  }
}

export function createIdentity(ctx: SimContext): {
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
  control: IdentityControl;
} {
  const deviceCodes = new Map<string, DeviceCodeState>();
  const pendingAuth = new Map<string, PendingAuthorize>();
  const authCodes = new Map<string, AuthCodeState>();
  const refreshTokens = new Map<string, RefreshState>();
  const seenJti = new Map<string, number>();

  const userById = (id: string): SimUser | undefined => ctx.scenario.tenant.users.find((u) => u.id === id);
  const userByUpn = (upn: string): SimUser | undefined =>
    ctx.scenario.tenant.users.find((u) => u.userPrincipalName.toLowerCase() === upn.toLowerCase());

  /** Resolves the tenant path segment: our GUID or domain, or common/organizations for user flows. */
  function tenantKind(seg: string): 'tenant' | 'multi' | null {
    const s = seg.toLowerCase();
    if (s === ctx.tenantId.toLowerCase() || s === ctx.domain.toLowerCase()) return 'tenant';
    if (s === 'common' || s === 'organizations') return 'multi';
    return null;
  }

  function oauthErrorBody(e: OAuthError): Record<string, unknown> {
    const trace = randomUUID();
    const corr = randomUUID();
    const ts = new Date().toISOString().replace('T', ' ').slice(0, 19) + 'Z';
    return {
      error: e.error,
      error_description: `AADSTS${e.aadsts}: ${e.message} Trace ID: ${trace} Correlation ID: ${corr} Timestamp: ${ts}`,
      error_codes: [e.aadsts],
      timestamp: ts,
      trace_id: trace,
      correlation_id: corr,
      error_uri: `${ctx.origin}/error?code=${e.aadsts}`,
    };
  }

  function discovery(seg: string): Record<string, unknown> {
    const base = `${ctx.origin}/${seg}`;
    const issuerTenant = tenantKind(seg) === 'multi' ? '{tenantid}' : ctx.tenantId;
    return {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${ctx.origin}/${issuerTenant}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${ctx.origin}/graph/oidc/userinfo`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'cloud_instance_name', 'cloud_instance_host_name', 'cloud_graph_host_name', 'msgraph_host', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email'],
      kerberos_endpoint: `${base}/kerberos`,
      tenant_region_scope: 'WW',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    };
  }

  function jwks(): Record<string, unknown> {
    const jwk = ctx.signingPublicKey.export({ format: 'jwk' });
    return { keys: [{ kty: 'RSA', use: 'sig', kid: ctx.kid, x5t: ctx.kid, n: jwk.n, e: jwk.e, issuer: `${ctx.origin}/${ctx.tenantId}/v2.0` }] };
  }

  /** Splits a scope string into the resource it targets and the permissions asked for. */
  function parseScopes(scope: string): { resource: ResourceKey | null; perms: string[]; oidc: string[] } {
    let resource: ResourceKey | null = null;
    const perms: string[] = [];
    const oidc: string[] = [];
    for (const s of scope.split(/\s+/).filter(Boolean)) {
      if (OIDC_SCOPES.has(s.toLowerCase())) { oidc.push(s); continue; }
      const slash = s.lastIndexOf('/');
      if (slash <= 0) throw new OAuthError(400, 'invalid_scope', AADSTS.invalidScope, `The provided value for the input parameter 'scope' is not valid. The scope ${s} is not valid.`);
      const resUri = s.slice(0, slash).replace(/\/$/, '').toLowerCase();
      const perm = s.slice(slash + 1);
      const key = (Object.keys(RESOURCES) as ResourceKey[]).find((k) => RESOURCES[k] === resUri) ?? RESOURCE_APP_IDS[resUri] ?? null;
      if (!key) throw new OAuthError(400, 'invalid_resource', AADSTS.invalidResource, `The resource principal named ${s.slice(0, slash)} was not found in the tenant named ${ctx.domain}. This can happen if the application has not been installed by the administrator of the tenant.`);
      if (resource && resource !== key) throw new OAuthError(400, 'invalid_scope', AADSTS.invalidScope, `The provided value for the input parameter 'scope' is not valid. Scopes of more than one resource were requested: ${scope}.`);
      resource = key;
      perms.push(perm);
    }
    return { resource, perms, oidc };
  }

  function accessToken(claims: Record<string, unknown>, resource: ResourceKey): { token: string; expiresIn: number } {
    const now = Math.floor(Date.now() / 1000);
    const life = ctx.tokenLifetimeS;
    const payload = {
      aud: RESOURCES[resource],
      iss: `https://sts.windows.net/${ctx.tenantId}/`,
      iat: now,
      nbf: now - 300 < 0 ? now : now - 300,
      exp: now + life,
      tid: ctx.tenantId,
      ver: ACCESS_TOKEN_VERSION,
      uti: randomBytes(16).toString('base64url'),
      ...claims,
    };
    return { token: signRs256(payload, ctx.signingKey, ctx.kid), expiresIn: life };
  }

  function appOnlyToken(client: RegisteredClient, scope: string, tenantSeg: string, authMethod: '1' | '2'): Record<string, unknown> {
    if (APP_ONLY_REJECTS_MULTI_TENANT && tenantKind(tenantSeg) !== 'tenant') {
      throw new OAuthError(400, 'invalid_request', AADSTS.unknownTenant, `Tenant '${tenantSeg}' cannot be used for the client credentials flow: use the tenant id or a verified domain.`);
    }
    const { resource, perms, oidc } = parseScopes(scope);
    if (!resource || oidc.length > 0 || perms.length !== 1 || perms[0] !== '.default') {
      throw new OAuthError(400, 'invalid_scope', AADSTS.invalidScope, `The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
    }
    const roles = client.appRoles[resource] ?? [];
    const claims: Record<string, unknown> = {
      appid: client.clientId, appidacr: authMethod, idp: `https://sts.windows.net/${ctx.tenantId}/`, idtyp: 'app',
      oid: client.servicePrincipalId, sub: client.servicePrincipalId,
    };
    if (roles.length > 0) claims.roles = roles; // Entra omits the claim when nothing is granted
    if (client.hasDirectoryRole) claims.wids = ['f2ef992c-3afb-46b9-b7cf-a126ee74c451']; // Global Reader
    const at = accessToken(claims, resource);
    return { token_type: 'Bearer', expires_in: at.expiresIn, ext_expires_in: at.expiresIn, access_token: at.token };
  }

  function userTokens(client: RegisteredClient, user: SimUser, scope: string, nonce: string | null): Record<string, unknown> {
    const parsed = parseScopes(scope);
    const resource = parsed.resource ?? 'graph';
    const consented = client.delegated[resource] ?? [];
    let granted: string[];
    if (parsed.resource === null) granted = consented.includes('User.Read') ? ['User.Read'] : [];
    else if (parsed.perms.includes('.default')) granted = consented;
    else {
      const missing = parsed.perms.filter((p) => !consented.includes(p));
      if (missing.length > 0) throw new OAuthError(400, 'invalid_grant', 65001, `The user or administrator has not consented to use the application with ID '${client.clientId}'. Missing: ${missing.join(', ')}.`);
      granted = parsed.perms;
    }
    const claims: Record<string, unknown> = {
      appid: client.clientId, appidacr: '0', idp: `https://sts.windows.net/${ctx.tenantId}/`,
      oid: user.id, sub: user.id, upn: user.userPrincipalName, unique_name: user.userPrincipalName, name: user.displayName,
      scp: granted.join(' '),
    };
    if (user.kind === 'admin') claims.wids = ['62e90394-69f5-4237-9190-012177145e10']; // Global Administrator
    const at = accessToken(claims, resource);
    const now = Math.floor(Date.now() / 1000);
    const idPayload: Record<string, unknown> = {
      aud: client.clientId, iss: `${ctx.origin}/${ctx.tenantId}/v2.0`, iat: now, nbf: now, exp: now + 3600,
      oid: user.id, tid: ctx.tenantId, sub: user.id, preferred_username: user.userPrincipalName, name: user.displayName, ver: '2.0',
    };
    if (nonce) idPayload.nonce = nonce;
    const rt = randomBytes(32).toString('base64url');
    refreshTokens.set(rt, { clientId: client.clientId, userId: user.id });
    const scopeOut = [...granted.map((p) => `${RESOURCES[resource]}/${p}`), ...(parsed.perms.includes('.default') ? [`${RESOURCES[resource]}/.default`] : [])];
    return {
      token_type: 'Bearer',
      scope: scopeOut.join(' '),
      expires_in: at.expiresIn,
      ext_expires_in: at.expiresIn,
      access_token: at.token,
      refresh_token: rt,
      id_token: unsignedJwt(idPayload),
      client_info: Buffer.from(JSON.stringify({ uid: user.id, utid: ctx.tenantId })).toString('base64url'),
    };
  }

  function findClient(clientId: string | undefined): RegisteredClient {
    if (!clientId) throw new OAuthError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
    const c = ctx.clients.get(clientId);
    if (!c) throw new OAuthError(400, 'unauthorized_client', AADSTS.unknownClient, `Application with identifier '${clientId}' was not found in the directory '${ctx.domain}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`);
    return c;
  }

  /** Checks a confidential client's secret or certificate assertion; returns appidacr ('1' secret, '2' cert). */
  function authenticateClient(client: RegisteredClient, form: Record<string, string>, basic: { id: string; secret: string } | null, tenantSeg: string): '1' | '2' {
    const secret = form.client_secret ?? basic?.secret;
    if (secret !== undefined) {
      const want = Buffer.from(client.secret ?? '');
      const got = Buffer.from(secret);
      if (!client.secret || want.length !== got.length || !timingSafeEqual(want, got)) {
        throw new OAuthError(401, 'invalid_client', AADSTS.invalidSecret, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${client.clientId}'.`);
      }
      return '1';
    }
    const assertion = form.client_assertion;
    if (assertion !== undefined) {
      if (form.client_assertion_type !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
        throw new OAuthError(400, 'invalid_request', 50027, `client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.`);
      }
      verifyAssertion(client, assertion, tenantSeg);
      return '2';
    }
    throw new OAuthError(401, 'invalid_client', AADSTS.missingCredential, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  }

  function verifyAssertion(client: RegisteredClient, assertion: string, tenantSeg: string): void {
    const bad = (msg: string, code: number = AADSTS.badAssertion): OAuthError => new OAuthError(401, 'invalid_client', code, msg);
    const jwt = decodeJwt(assertion);
    if (!jwt) throw bad('Client assertion is not a valid JWT.');
    const cert = client.certificate;
    if (!cert) throw bad(`The application '${client.clientId}' has no certificate credential registered.`);
    const { alg } = jwt.header;
    const x5tS256 = jwt.header['x5t#S256'];
    const x5t = jwt.header.x5t;
    if (alg === 'PS256') {
      if (x5tS256 !== cert.x5tS256) throw bad(`Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '${String(x5tS256 ?? x5t)}']`);
    } else if (alg === 'RS256') {
      if (x5t !== cert.x5t && x5tS256 !== cert.x5tS256) throw bad(`Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '${String(x5t ?? x5tS256)}']`);
    } else {
      throw bad(`Client assertion uses unsupported algorithm '${String(alg)}'.`);
    }
    if (!verifySignature(jwt, createPublicKey(cert.certificatePem))) throw bad('Client assertion contains an invalid signature. [Reason - The signature does not verify.]');
    const p = jwt.payload;
    const auds = new Set<string>();
    for (const seg of [tenantSeg, ctx.tenantId, ctx.domain]) {
      auds.add(`${ctx.origin}/${seg}/oauth2/v2.0/token`);
      auds.add(`https://login.microsoftonline.com/${seg}/oauth2/v2.0/token`);
    }
    if (typeof p.aud !== 'string' || !auds.has(p.aud)) throw bad(`The audience '${String(p.aud)}' of the client assertion is not the token endpoint of this tenant.`, AADSTS.assertionAudience);
    if (p.iss !== client.clientId || p.sub !== client.clientId) throw bad('The client assertion iss and sub claims must both equal the client_id.');
    const now = Math.floor(Date.now() / 1000);
    if (typeof p.exp !== 'number' || p.exp <= now) throw bad('Client assertion is not within its valid time range (expired).', AADSTS.assertionExpired);
    if (typeof p.nbf === 'number' && p.nbf > now + 300) throw bad('Client assertion is not within its valid time range (not yet valid).', AADSTS.assertionExpired);
    if (typeof p.jti !== 'string' || p.jti === '') throw bad('Client assertion has no jti claim.');
    for (const [j, exp] of seenJti) if (exp < now) seenJti.delete(j);
    if (seenJti.has(`${client.clientId}|${p.jti}`)) throw bad(`The jti '${p.jti}' of this client assertion was already used.`, AADSTS.assertionReplay);
    seenJti.set(`${client.clientId}|${p.jti}`, p.exp);
  }

  function basicAuth(req: IncomingMessage): { id: string; secret: string } | null {
    const h = req.headers.authorization;
    if (!h || !/^basic /i.test(h)) return null;
    const raw = Buffer.from(h.slice(6), 'base64').toString('utf8');
    const i = raw.indexOf(':');
    if (i < 0) return null;
    return { id: decodeURIComponent(raw.slice(0, i)), secret: decodeURIComponent(raw.slice(i + 1)) };
  }

  async function token(req: IncomingMessage, res: ServerResponse, tenantSeg: string): Promise<void> {
    const form = parseForm(await readBody(req));
    const basic = basicAuth(req);
    const grant = form.grant_type;
    const client = findClient(form.client_id ?? basic?.id);
    let body: Record<string, unknown>;
    switch (grant) {
      case 'client_credentials': {
        if (client.kind !== 'confidential') throw new OAuthError(400, 'unauthorized_client', 700016, 'A public client cannot use the client credentials grant.');
        const acr = authenticateClient(client, form, basic, tenantSeg);
        body = appOnlyToken(client, form.scope ?? '', tenantSeg, acr);
        break;
      }
      case 'device_code':
      case 'urn:ietf:params:oauth:grant-type:device_code': {
        const st = deviceCodes.get(form.device_code ?? '');
        if (!st || st.clientId !== client.clientId || st.status === 'redeemed') throw new OAuthError(400, 'bad_verification_code', AADSTS.badVerificationCode, 'The device code is not valid or was already used.');
        if (Date.now() > st.expiresAt) throw new OAuthError(400, 'expired_token', AADSTS.expired, 'The device code has expired. Restart the device code flow.');
        if (st.status === 'declined') throw new OAuthError(400, 'authorization_declined', AADSTS.declined, 'The end user declined the authorization request.');
        if (st.status === 'pending') throw new OAuthError(400, 'authorization_pending', AADSTS.pending, 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.');
        const user = userById(st.userId ?? '');
        if (!user) throw new OAuthError(400, 'invalid_grant', AADSTS.badCode, 'The signed-in user no longer exists.');
        st.status = 'redeemed';
        body = userTokens(client, user, st.scope, null);
        break;
      }
      case 'authorization_code': {
        const code = authCodes.get(form.code ?? '');
        if (!code || code.clientId !== client.clientId || Date.now() > code.expiresAt) {
          throw new OAuthError(400, 'invalid_grant', AADSTS.badCode, 'The provided authorization code or refresh token has expired or was already redeemed. Send a new interactive authorization request for this user and resource.');
        }
        authCodes.delete(form.code ?? '');
        if (form.redirect_uri !== code.redirectUri) throw new OAuthError(400, 'invalid_grant', AADSTS.redirectMismatch, `The redirect URI '${form.redirect_uri ?? ''}' does not match the one used to obtain the authorization code.`);
        const verifier = form.code_verifier ?? '';
        const challenge = createHash('sha256').update(verifier).digest('base64url');
        if (!verifier || challenge !== code.codeChallenge) throw new OAuthError(400, 'invalid_grant', AADSTS.pkce, 'The code_verifier does not match the code_challenge supplied in the authorization request.');
        const user = userById(code.userId);
        if (!user) throw new OAuthError(400, 'invalid_grant', AADSTS.badCode, 'The signed-in user no longer exists.');
        if (client.kind === 'confidential') authenticateClient(client, form, basic, tenantSeg);
        body = userTokens(client, user, form.scope ?? code.scope, code.nonce);
        break;
      }
      case 'refresh_token': {
        const rt = refreshTokens.get(form.refresh_token ?? '');
        if (!rt || rt.clientId !== client.clientId) throw new OAuthError(400, 'invalid_grant', AADSTS.badRefresh, 'The refresh token is not valid for this client.');
        const user = userById(rt.userId);
        if (!user) throw new OAuthError(400, 'invalid_grant', AADSTS.badRefresh, 'The signed-in user no longer exists.');
        if (client.kind === 'confidential') authenticateClient(client, form, basic, tenantSeg);
        body = userTokens(client, user, form.scope ?? '', null);
        break;
      }
      default:
        throw new OAuthError(400, 'unsupported_grant_type', AADSTS.unsupportedGrant, `The provided grant_type '${grant ?? ''}' is not supported.`);
    }
    sendJson(res, 200, body, NO_STORE);
  }

  async function deviceCode(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = parseForm(await readBody(req));
    const client = findClient(form.client_id);
    if (client.kind !== 'public') throw new OAuthError(401, 'invalid_client', AADSTS.publicClientOnly, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    parseScopes(form.scope ?? ''); // validates
    const userCode = Array.from(randomBytes(9), (b) => 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'[b % 32]).join('');
    const dc = randomBytes(48).toString('base64url');
    const expiresIn = ctx.opts.deviceCodeExpiresIn ?? DEVICE_CODE_EXPIRES_IN_S;
    const interval = ctx.opts.deviceCodeInterval ?? DEVICE_CODE_INTERVAL_S;
    const st: DeviceCodeState = { deviceCode: dc, userCode, clientId: client.clientId, scope: form.scope ?? '', expiresAt: Date.now() + expiresIn * 1000, status: 'pending', userId: null };
    if (ctx.opts.demo) { st.status = 'approved'; st.userId = ctx.demoUser().id; }
    deviceCodes.set(dc, st);
    const verificationUri = `${ctx.origin}/sim/devicelogin`;
    sendJson(res, 200, {
      user_code: userCode,
      device_code: dc,
      verification_uri: verificationUri,
      expires_in: expiresIn,
      interval,
      message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${userCode} to authenticate.`,
    }, NO_STORE);
  }

  function byUserCode(userCode: string): DeviceCodeState | undefined {
    const norm = userCode.trim().toUpperCase();
    for (const st of deviceCodes.values()) if (st.userCode === norm && st.status === 'pending') return st;
    return undefined;
  }

  const control: IdentityControl = {
    approveDeviceCode(userCode, upn) {
      const st = byUserCode(userCode);
      const user = upn ? userByUpn(upn) : ctx.demoUser();
      if (!st || !user) return false;
      st.status = 'approved';
      st.userId = user.id;
      return true;
    },
    declineDeviceCode(userCode) {
      const st = byUserCode(userCode);
      if (!st) return false;
      st.status = 'declined';
      return true;
    },
    pendingDeviceCodes() {
      return [...deviceCodes.values()].filter((s) => s.status === 'pending').map((s) => ({ userCode: s.userCode, clientId: s.clientId }));
    },
  };

  function isLoopbackRedirect(uri: string): boolean {
    try {
      const u = new URL(uri);
      return u.protocol === 'http:' && (u.hostname === 'localhost' || u.hostname === '127.0.0.1');
    } catch {
      return false;
    }
  }

  function completeAuthorize(res: ServerResponse, p: PendingAuthorize, result: { user: SimUser } | { error: string; description: string }): void {
    const params: Record<string, string> = {};
    if ('user' in result) {
      const code = randomBytes(32).toString('base64url');
      authCodes.set(code, { clientId: p.clientId, redirectUri: p.redirectUri, scope: p.scope, codeChallenge: p.codeChallenge, userId: result.user.id, nonce: p.nonce, expiresAt: Date.now() + 600_000 });
      params.code = code;
      params.client_info = Buffer.from(JSON.stringify({ uid: result.user.id, utid: ctx.tenantId })).toString('base64url');
    } else {
      params.error = result.error;
      params.error_description = result.description;
    }
    if (p.state !== null) params.state = p.state;
    if (p.responseMode === 'form_post') {
      const inputs = Object.entries(params).map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}"/>`).join('');
      sendText(res, 200, `<!DOCTYPE html><html><head><title>Working...</title></head><body onload="document.forms[0].submit()"><form method="POST" name="hiddenform" action="${escapeHtml(p.redirectUri)}">${inputs}<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit"/></noscript></form></body></html>`, 'text/html; charset=utf-8', NO_STORE);
      return;
    }
    const target = new URL(p.redirectUri);
    const qs = new URLSearchParams(params).toString();
    const location = p.responseMode === 'fragment' ? `${target.toString().split('#')[0]}#${qs}` : `${p.redirectUri}${target.search ? '&' : '?'}${qs}`;
    res.writeHead(302, { Location: location, ...NO_STORE });
    res.end();
  }

  function authorize(res: ServerResponse, url: URL): void {
    const q = url.searchParams;
    const client = findClient(q.get('client_id') ?? undefined);
    const redirectUri = q.get('redirect_uri') ?? '';
    if (!isLoopbackRedirect(redirectUri)) {
      sendText(res, 400, `<html><body><h1>Sign in</h1><p>AADSTS${AADSTS.redirectMismatch}: The redirect URI '${escapeHtml(redirectUri)}' specified in the request does not match the redirect URIs configured for the application '${escapeHtml(client.clientId)}'. Only http://localhost and http://127.0.0.1 loopback URIs are registered.</p></body></html>`, 'text/html; charset=utf-8');
      return;
    }
    const p: PendingAuthorize = {
      id: randomBytes(16).toString('base64url'),
      clientId: client.clientId,
      redirectUri,
      scope: q.get('scope') ?? '',
      state: q.get('state'),
      nonce: q.get('nonce'),
      responseMode: q.get('response_mode') ?? 'query',
      codeChallenge: q.get('code_challenge') ?? '',
      loginHint: q.get('login_hint'),
    };
    if (q.get('response_type') !== 'code') return completeAuthorize(res, p, { error: 'unsupported_response_type', description: `AADSTS70005: response_type '${q.get('response_type') ?? ''}' is not enabled for the client.` });
    if (!p.codeChallenge || q.get('code_challenge_method') !== 'S256') return completeAuthorize(res, p, { error: 'invalid_request', description: 'AADSTS9002325: Proof Key for Code Exchange (S256) is required for this public client.' });
    try { parseScopes(p.scope); } catch (e) {
      return completeAuthorize(res, p, { error: 'invalid_scope', description: e instanceof Error ? e.message : String(e) });
    }
    if (ctx.opts.demo) {
      const hinted = p.loginHint ? userByUpn(p.loginHint) : undefined;
      return completeAuthorize(res, p, { user: hinted ?? ctx.demoUser() });
    }
    pendingAuth.set(p.id, p);
    const login = escapeHtml(p.loginHint ?? ctx.demoUser().userPrincipalName);
    sendText(res, 200, `<!DOCTYPE html><html><head><title>Sign in to your account</title></head><body>
<h1>Sign in (Blindspot simulated tenant ${escapeHtml(ctx.domain)})</h1>
<form method="POST" action="${ctx.origin}/sim/authorize">
<input type="hidden" name="request" value="${p.id}"/>
<label>Account <input type="text" name="login" value="${login}"/></label>
<button type="submit" name="action" value="accept">Accept</button>
<button type="submit" name="action" value="decline">Decline</button>
</form></body></html>`, 'text/html; charset=utf-8', NO_STORE);
  }

  async function authorizeSubmit(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = parseForm(await readBody(req));
    const p = pendingAuth.get(form.request ?? '');
    if (!p) { sendText(res, 400, '<html><body>Sign-in request not found or already completed.</body></html>', 'text/html; charset=utf-8'); return; }
    pendingAuth.delete(p.id);
    if (form.action !== 'accept') return completeAuthorize(res, p, { error: 'access_denied', description: `AADSTS${AADSTS.userDeclined}: The user declined to consent to access the app.` });
    const user = userByUpn(form.login ?? '');
    if (!user) { pendingAuth.set(p.id, p); sendText(res, 400, `<html><body>AADSTS50034: The user account ${escapeHtml(form.login ?? '')} does not exist in the ${escapeHtml(ctx.domain)} directory.</body></html>`, 'text/html; charset=utf-8'); return; }
    completeAuthorize(res, p, { user });
  }

  function deviceLoginPage(res: ServerResponse, message = ''): void {
    sendText(res, 200, `<!DOCTYPE html><html><head><title>Enter code</title></head><body>
<h1>Device sign-in (Blindspot simulated tenant ${escapeHtml(ctx.domain)})</h1><p>${escapeHtml(message)}</p>
<form method="POST" action="${ctx.origin}/sim/devicelogin">
<label>Code <input type="text" name="user_code"/></label>
<label>Account <input type="text" name="login" value="${escapeHtml(ctx.demoUser().userPrincipalName)}"/></label>
<button type="submit" name="action" value="accept">Accept</button>
<button type="submit" name="action" value="decline">Decline</button>
</form></body></html>`, 'text/html; charset=utf-8', NO_STORE);
  }

  async function deviceLoginSubmit(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = parseForm(await readBody(req));
    const code = form.user_code ?? '';
    const ok = form.action === 'accept' ? control.approveDeviceCode(code, form.login) : control.declineDeviceCode(code);
    if (!ok) { res.statusCode = 400; deviceLoginPage(res, 'That code was not recognised, has expired, or the account does not exist.'); return; }
    sendText(res, 200, `<html><body><p>${form.action === 'accept' ? 'You have signed in. You may now close this window.' : 'Sign-in declined.'}</p></body></html>`, 'text/html; charset=utf-8');
  }

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const parts = url.pathname.split('/').filter(Boolean);
    const method = req.method ?? 'GET';
    try {
      if (parts[0] === 'sim') {
        if (parts[1] === 'devicelogin' && method === 'GET') { deviceLoginPage(res); return true; }
        if (parts[1] === 'devicelogin' && method === 'POST') { await deviceLoginSubmit(req, res); return true; }
        if (parts[1] === 'authorize' && method === 'POST') { await authorizeSubmit(req, res); return true; }
        return false;
      }
      if (parts[0] === 'common' && parts[1] === 'discovery' && parts[2] === 'instance') {
        const host = new URL(ctx.origin).host;
        sendJson(res, 200, {
          tenant_discovery_endpoint: `${ctx.origin}/${ctx.tenantId}/v2.0/.well-known/openid-configuration`,
          'api-version': '1.1',
          metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
        });
        return true;
      }
      const seg = parts[0];
      if (!seg) return false;
      const rest = parts.slice(1).join('/');
      const known = ['v2.0/.well-known/openid-configuration', '.well-known/openid-configuration', 'discovery/v2.0/keys', 'discovery/keys', 'oauth2/v2.0/token', 'oauth2/v2.0/devicecode', 'oauth2/v2.0/authorize', 'oauth2/v2.0/logout'];
      if (!known.includes(rest)) return false;
      if (tenantKind(seg) === null) throw new OAuthError(400, 'invalid_request', AADSTS.unknownTenant, `Tenant '${seg}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
      if (rest.endsWith('openid-configuration') && method === 'GET') {
        sendJson(res, 200, discovery(seg), { 'Cache-Control': 'max-age=86400, private', 'Access-Control-Allow-Origin': '*' });
      } else if (rest.startsWith('discovery') && method === 'GET') {
        sendJson(res, 200, jwks(), { 'Cache-Control': 'max-age=86400, private' });
      } else if (rest === 'oauth2/v2.0/token' && method === 'POST') {
        await token(req, res, seg);
      } else if (rest === 'oauth2/v2.0/devicecode' && method === 'POST') {
        await deviceCode(req, res);
      } else if (rest === 'oauth2/v2.0/authorize' && method === 'GET') {
        authorize(res, url);
      } else if (rest === 'oauth2/v2.0/logout') {
        sendText(res, 200, '<html><body>You have signed out.</body></html>', 'text/html; charset=utf-8');
      } else {
        throw new OAuthError(405, 'invalid_request', 900561, `The endpoint only accepts ${rest.includes('token') || rest.includes('devicecode') ? 'POST' : 'GET'} requests.`);
      }
      return true;
    } catch (e) {
      if (e instanceof OAuthError) { sendJson(res, e.status, oauthErrorBody(e), NO_STORE); return true; }
      throw e;
    }
  }

  return { handle, control };
}
