// Identity endpoint conformance (§1, §6.1): discovery, JWKS, error body shape, headers, device-code
// states, assertion checks. Raw HTTP, so each expectation is about the wire, not a client library.
import { createSign, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSim, type TestSim } from './testHelpers.ts';
import { decodeJwt, verifySignature } from './jwt.ts';
import { createPublicKey } from 'node:crypto';

let t: TestSim;
beforeAll(async () => { t = await startTestSim({ deviceCodeExpiresIn: 2 }); });
afterAll(async () => { await t.close(); });

const c = (name: string) => t.sim.clients.find((x) => x.name === name)!;
const tokenUrl = () => `${t.sim.authority}/oauth2/v2.0/token`;
const form = (body: Record<string, string>) => t.post(tokenUrl(), body, { form: true });

function assertion(clientId: string, key: string, header: Record<string, unknown>, claims: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const h = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'RS256', ...header })).toString('base64url');
  const p = Buffer.from(JSON.stringify({ aud: tokenUrl(), iss: clientId, sub: clientId, jti: randomUUID(), nbf: now, iat: now, exp: now + 600, ...claims })).toString('base64url');
  const sig = createSign('RSA-SHA256').update(`${h}.${p}`).sign(key).toString('base64url');
  return `${h}.${p}.${sig}`;
}
const x5t = (hex: string) => Buffer.from(hex, 'hex').toString('base64url');

describe('OIDC discovery and keys', () => {
  it('serves the discovery document with the issuer on the same host and the fields MSAL requires', async () => {
    const r = await t.get(`${t.sim.authority}/v2.0/.well-known/openid-configuration`);
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('max-age=86400, private');
    const d = (await r.json()) as Record<string, string>;
    expect(d.issuer).toBe(`${t.sim.origin}/${t.sim.tenantId}/v2.0`);
    expect(d.token_endpoint).toBe(tokenUrl());
    expect(d.authorization_endpoint).toBe(`${t.sim.authority}/oauth2/v2.0/authorize`);
    expect(d.jwks_uri).toBe(`${t.sim.authority}/discovery/v2.0/keys`);
  });
  it('uses the {tenantid} issuer template for organizations and rejects unknown tenants with AADSTS90002', async () => {
    const d = (await (await t.get(`/organizations/v2.0/.well-known/openid-configuration`)).json()) as Record<string, string>;
    expect(d.issuer).toBe(`${t.sim.origin}/{tenantid}/v2.0`);
    const bad = await t.get(`/not-a-tenant.example/v2.0/.well-known/openid-configuration`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error_codes: number[] }).error_codes).toEqual([90002]);
  });
  it('access tokens verify against the JWKS key', async () => {
    const tok = await t.token('secret', 'manage');
    const jwks = (await (await t.get(`${t.sim.authority}/discovery/v2.0/keys`)).json()) as { keys: { kid: string; n: string; e: string; kty: string }[] };
    const d = decodeJwt(tok)!;
    const k = jwks.keys.find((x) => x.kid === d.header.kid)!;
    expect(verifySignature(d, createPublicKey({ key: { kty: 'RSA', n: k.n, e: k.e }, format: 'jwk' }))).toBe(true);
    expect(d.payload.iss).toBe(`https://sts.windows.net/${t.sim.tenantId}/`);
  });
});

describe('token endpoint', () => {
  it('returns no-store headers and an app-only body without refresh_token, id_token or scope', async () => {
    const r = await form({ client_id: c('secret').clientId, client_secret: c('secret').clientSecret!, scope: 'https://graph.microsoft.com/.default', grant_type: 'client_credentials' });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store, no-cache');
    expect(r.headers.get('pragma')).toBe('no-cache');
    const j = (await r.json()) as Record<string, unknown>;
    expect(Object.keys(j).sort()).toEqual(['access_token', 'expires_in', 'ext_expires_in', 'token_type']);
    expect(j.expires_in).toBe(3599);
  });
  it('a wrong secret gives the §1.4 error body with AADSTS7000215', async () => {
    const r = await form({ client_id: c('secret').clientId, client_secret: 'nope', scope: 'https://graph.microsoft.com/.default', grant_type: 'client_credentials' });
    expect(r.status).toBe(401);
    const j = (await r.json()) as Record<string, unknown>;
    expect(Object.keys(j).sort()).toEqual(['correlation_id', 'error', 'error_codes', 'error_description', 'error_uri', 'timestamp', 'trace_id']);
    expect(j.error).toBe('invalid_client');
    expect(j.error_codes).toEqual([7000215]);
    expect(String(j.error_description)).toMatch(/^AADSTS7000215: .* Trace ID: .* Correlation ID: .* Timestamp: /);
  });
  it('client credentials needs a /.default scope (AADSTS70011) and a known resource', async () => {
    const base = { client_id: c('secret').clientId, client_secret: c('secret').clientSecret!, grant_type: 'client_credentials' };
    const r1 = await form({ ...base, scope: 'https://graph.microsoft.com/User.Read.All' });
    expect(((await r1.json()) as { error: string; error_codes: number[] })).toMatchObject({ error: 'invalid_scope', error_codes: [70011] });
    const r2 = await form({ ...base, scope: 'https://example.com/.default' });
    expect(((await r2.json()) as { error: string })).toMatchObject({ error: 'invalid_resource' });
  });
  it('an unknown client id is unauthorized_client (AADSTS700016)', async () => {
    const r = await form({ client_id: randomUUID(), client_secret: 'x', scope: 'https://graph.microsoft.com/.default', grant_type: 'client_credentials' });
    expect(((await r.json()) as { error_codes: number[] }).error_codes).toEqual([700016]);
  });
  it('a client without permissions gets a token with no roles claim', async () => {
    const tok = await t.token('no-permissions', 'exchange');
    expect(decodeJwt(tok)!.payload.roles).toBeUndefined();
  });
});

describe('client assertion checks', () => {
  const cert = () => c('certificate');
  const send = (a: string) => form({ client_id: cert().clientId, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: a, scope: 'https://graph.microsoft.com/.default', grant_type: 'client_credentials' });
  it('accepts RS256 with x5t, and the real login URL as audience', async () => {
    const ok = await send(assertion(cert().clientId, cert().privateKeyPem!, { x5t: x5t(cert().thumbprint!) }));
    expect(ok.status).toBe(200);
    const real = await send(assertion(cert().clientId, cert().privateKeyPem!, { x5t: x5t(cert().thumbprint!) }, { aud: `https://login.microsoftonline.com/${t.sim.tenantId}/oauth2/v2.0/token` }));
    expect(real.status).toBe(200);
  });
  it('refuses a wrong audience, iss != client_id, an expired assertion and a replayed jti', async () => {
    const id = cert().clientId;
    const key = cert().privateKeyPem!;
    const h = { x5t: x5t(cert().thumbprint!) };
    expect((await send(assertion(id, key, h, { aud: 'https://evil.example/token' }))).status).toBe(401);
    expect((await send(assertion(id, key, h, { iss: randomUUID() }))).status).toBe(401);
    expect((await send(assertion(id, key, h, { exp: Math.floor(Date.now() / 1000) - 5 }))).status).toBe(401);
    const jti = randomUUID();
    expect((await send(assertion(id, key, h, { jti }))).status).toBe(200);
    const replay = await send(assertion(id, key, h, { jti }));
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { error: string }).error).toBe('invalid_client');
  });
  it('refuses an assertion whose thumbprint is not the registered certificate', async () => {
    const r = await send(assertion(cert().clientId, cert().privateKeyPem!, { x5t: x5t('00'.repeat(20)) }));
    expect(((await r.json()) as { error_codes: number[] }).error_codes).toEqual([700027]);
  });
});

describe('device code', () => {
  const start = async () => {
    const r = await t.post(`${t.sim.authority}/oauth2/v2.0/devicecode`, { client_id: c('public').clientId, scope: 'https://graph.microsoft.com/.default openid profile offline_access' }, { form: true });
    expect(r.status).toBe(200);
    return (await r.json()) as Record<string, unknown>;
  };
  const poll = (dc: string, grant: string) => form({ client_id: c('public').clientId, device_code: dc, grant_type: grant });
  it('answers v2 fields (verification_uri, not _url) and accepts both grant type spellings', async () => {
    const d = await start();
    expect(Object.keys(d).sort()).toEqual(['device_code', 'expires_in', 'interval', 'message', 'user_code', 'verification_uri']);
    const p1 = await poll(String(d.device_code), 'device_code');
    expect(p1.status).toBe(400);
    expect(((await p1.json()) as { error: string; error_codes: number[] })).toMatchObject({ error: 'authorization_pending', error_codes: [70016] });
    expect(t.sim.identity.approveDeviceCode(String(d.user_code), `megan@${t.sim.tenantDomain}`)).toBe(true);
    const p2 = await poll(String(d.device_code), 'urn:ietf:params:oauth:grant-type:device_code');
    expect(p2.status).toBe(200);
    const j = (await p2.json()) as Record<string, string>;
    for (const k of ['access_token', 'refresh_token', 'id_token', 'client_info', 'scope']) expect(j[k]).toBeTruthy();
    expect(JSON.parse(Buffer.from(j.client_info!, 'base64url').toString())).toEqual({ uid: expect.any(String), utid: t.sim.tenantId });
    expect(decodeJwt(j.id_token!)!.header.alg).toBe('none');
    // a redeemed code cannot be used again
    expect((await poll(String(d.device_code), 'device_code')).status).toBe(400);
  });
  it('expires codes (expired_token) and refuses confidential clients', async () => {
    const d = await start();
    await new Promise((r) => setTimeout(r, 2100));
    const p = await poll(String(d.device_code), 'device_code');
    expect(((await p.json()) as { error: string }).error).toBe('expired_token');
    const conf = await t.post(`${t.sim.authority}/oauth2/v2.0/devicecode`, { client_id: c('secret').clientId, scope: 'https://graph.microsoft.com/.default' }, { form: true });
    expect(conf.status).toBe(401);
  });
});

describe('authorize', () => {
  it('response_mode=query: 302 to the loopback with code, echoed state and client_info; PKCE enforced at redemption', async () => {
    const q = new URLSearchParams({ client_id: c('public').clientId, redirect_uri: 'http://localhost:5555', response_type: 'code', scope: 'https://graph.microsoft.com/User.Read.All', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', state: 'xyz', response_mode: 'query' });
    const page = await (await t.get(`${t.sim.authority}/oauth2/v2.0/authorize?${q}`)).text();
    const request = /name="request" value="([^"]+)"/.exec(page)![1]!;
    const r = await t.post('/sim/authorize', { request, login: `alex@${t.sim.tenantDomain}`, action: 'accept' }, { form: true });
    expect(r.status).toBe(302);
    const loc = new URL(r.headers.get('location')!);
    expect(loc.origin).toBe('http://localhost:5555');
    expect(loc.searchParams.get('state')).toBe('xyz');
    const code = loc.searchParams.get('code')!;
    const base = { client_id: c('public').clientId, code, redirect_uri: 'http://localhost:5555', grant_type: 'authorization_code' };
    const bad = await form({ ...base, code_verifier: 'wrong-verifier-wrong-verifier-wrong-verifier' });
    expect(((await bad.json()) as { error: string }).error).toBe('invalid_grant');
    // RFC 7636 appendix B verifier for the challenge above; the code was consumed by the failed attempt
    const again = await form({ ...base, code_verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk' });
    expect(again.status).toBe(400);
  });
  it('a declined sign-in redirects with access_denied and the state', async () => {
    const q = new URLSearchParams({ client_id: c('public').clientId, redirect_uri: 'http://127.0.0.1:6000/cb', response_type: 'code', scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', state: 's1' });
    const page = await (await t.get(`${t.sim.authority}/oauth2/v2.0/authorize?${q}`)).text();
    const request = /name="request" value="([^"]+)"/.exec(page)![1]!;
    const r = await t.post('/sim/authorize', { request, login: '', action: 'decline' }, { form: true });
    const loc = new URL(r.headers.get('location')!);
    expect(loc.searchParams.get('error')).toBe('access_denied');
    expect(loc.searchParams.get('state')).toBe('s1');
  });
  it('refuses a non-loopback redirect URI without redirecting', async () => {
    const q = new URLSearchParams({ client_id: c('public').clientId, redirect_uri: 'https://evil.example/cb', response_type: 'code', scope: 'openid', code_challenge: 'x', code_challenge_method: 'S256' });
    const r = await t.get(`${t.sim.authority}/oauth2/v2.0/authorize?${q}`);
    expect(r.status).toBe(400);
    expect(r.headers.get('location')).toBeNull();
  });
});
