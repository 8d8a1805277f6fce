// A real @azure/msal-node 7 client obtains tokens from the emulator with every flow the product uses:
// client credentials (secret, certificate), device code, auth code + PKCE through the loopback
// (form_post), and refresh. The CA is trusted explicitly through undici's global dispatcher (MSAL 7 uses
// global fetch); no certificate check is disabled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfidentialClientApplication, PublicClientApplication, type AuthenticationResult } from '@azure/msal-node';
import { Agent, setGlobalDispatcher, getGlobalDispatcher, type Dispatcher } from 'undici';
import { startTestSim, type TestSim } from '../../sim/server/testHelpers.ts';
import { decodeJwt } from '../../sim/server/jwt.ts';

let t: TestSim;
let previous: Dispatcher;

beforeAll(async () => {
  t = await startTestSim({ deviceCodeInterval: 1 });
  previous = getGlobalDispatcher();
  setGlobalDispatcher(new Agent({ connect: { ca: t.sim.caCertPem } }));
});
afterAll(async () => {
  setGlobalDispatcher(previous);
  await t.close();
});

const client = (name: string) => {
  const c = t.sim.clients.find((x) => x.name === name);
  if (!c) throw new Error(name);
  return c;
};
const claims = (r: AuthenticationResult | null) => {
  const d = decodeJwt(r?.accessToken ?? '');
  if (!d) throw new Error('no token');
  return d.payload;
};
const auth = (clientId: string) => ({ clientId, authority: t.sim.authority, knownAuthorities: [new URL(t.sim.origin).host] });

describe('msal-node 7 against the emulator', () => {
  it('client credentials with a secret yields an app-only Graph token with the app roles', async () => {
    const c = client('secret');
    const app = new ConfidentialClientApplication({ auth: { ...auth(c.clientId), clientSecret: c.clientSecret! } });
    const r = await app.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
    const p = claims(r);
    expect(p.aud).toBe('https://graph.microsoft.com');
    expect(p.tid).toBe(t.sim.tenantId);
    expect(p.roles).toContain('AuditLogsQuery.Read.All');
    expect(p.idtyp).toBe('app');
    // and the token works against the API
    const res = await t.get(`${t.sim.graphBase}/v1.0/subscribedSkus`, { headers: { Authorization: `Bearer ${r!.accessToken}` } });
    expect(res.status).toBe(200);
  });

  it('client credentials with a certificate (PS256, x5t#S256) yields an Exchange token', async () => {
    const c = client('certificate');
    const app = new ConfidentialClientApplication({
      auth: { ...auth(c.clientId), clientCertificate: { thumbprintSha256: c.thumbprintSha256!, privateKey: c.privateKeyPem! } },
    });
    const r = await app.acquireTokenByClientCredential({ scopes: ['https://outlook.office365.com/.default'] });
    const p = claims(r);
    expect(p.aud).toBe('https://outlook.office365.com');
    expect(p.appidacr).toBe('2');
    expect(p.roles).toEqual(['Exchange.ManageAsApp']);
  });

  it('client credentials with a legacy SHA-1 thumbprint (RS256, x5t) works too', async () => {
    const c = client('certificate');
    const app = new ConfidentialClientApplication({
      auth: { ...auth(c.clientId), clientCertificate: { thumbprint: c.thumbprint!, privateKey: c.privateKeyPem! } },
    });
    const r = await app.acquireTokenByClientCredential({ scopes: ['https://manage.office.com/.default'] });
    expect(claims(r).aud).toBe('https://manage.office.com');
  });

  it('a certificate client with the wrong private key is refused', async () => {
    const c = client('certificate');
    const other = await import('../../sim/server/tls.ts').then((m) => m.createClientCertificate('intruder'));
    const app = new ConfidentialClientApplication({
      auth: { ...auth(c.clientId), clientCertificate: { thumbprintSha256: c.thumbprintSha256!, privateKey: other.privateKeyPem } },
    });
    await expect(app.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] })).rejects.toThrow(/invalid signature|AADSTS700027/i);
  });

  it('device code: authorization_pending until approved through the sim page, then delegated tokens', async () => {
    const c = client('public');
    const app = new PublicClientApplication({ auth: auth(c.clientId) });
    let seen: { userCode: string; verificationUri: string } | null = null;
    const pending = app.acquireTokenByDeviceCode({
      scopes: ['https://graph.microsoft.com/AuditLogsQuery.Read.All'],
      deviceCodeCallback: (r) => { seen = { userCode: r.userCode, verificationUri: r.verificationUri }; },
    });
    while (!seen) await new Promise((r) => setTimeout(r, 20));
    const s = seen as { userCode: string; verificationUri: string };
    expect(s.verificationUri).toBe(`${t.sim.origin}/sim/devicelogin`);
    // Let MSAL poll at least once while pending, then approve through the page as a user would.
    await new Promise((r) => setTimeout(r, 1300));
    const page = await t.post(s.verificationUri, { user_code: s.userCode, login: `alex@${t.sim.tenantDomain}`, action: 'accept' }, { form: true });
    expect(page.status).toBe(200);
    const r = await pending;
    const p = claims(r);
    expect(p.scp).toBe('AuditLogsQuery.Read.All');
    expect(p.upn).toBe(`alex@${t.sim.tenantDomain}`);
    expect(r!.account?.username).toBe(`alex@${t.sim.tenantDomain}`);
  });

  it('device code declined ends the flow with authorization_declined', async () => {
    const c = client('public');
    const app = new PublicClientApplication({ auth: auth(c.clientId) });
    const p = app.acquireTokenByDeviceCode({
      scopes: ['https://graph.microsoft.com/User.Read'],
      deviceCodeCallback: (r) => { t.sim.identity.declineDeviceCode(r.userCode); },
    });
    await expect(p).rejects.toThrow(/authorization_declined/);
  });

  it('auth code + PKCE through the sign-in page and the loopback form_post, then refresh with forceRefresh', async () => {
    const c = client('public');
    const app = new PublicClientApplication({ auth: auth(c.clientId) });
    const r = await app.acquireTokenInteractive({
      scopes: ['https://outlook.office365.com/Exchange.Manage'],
      openBrowser: async (url) => {
        expect(url.startsWith(`${t.sim.authority}/oauth2/v2.0/authorize?`)).toBe(true);
        expect(new URL(url).searchParams.get('response_mode')).toBe('form_post');
        const signin = await t.get(url);
        const html = await signin.text();
        const request = /name="request" value="([^"]+)"/.exec(html)?.[1];
        expect(request).toBeTruthy();
        const done = await t.post('/sim/authorize', { request: request!, login: `admin@${t.sim.tenantDomain}`, action: 'accept' }, { form: true });
        const form = await done.text();
        const action = /action="([^"]+)"/.exec(form)![1]!.replace(/&amp;/g, '&');
        const fields = Object.fromEntries([...form.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'")]));
        expect(Object.keys(fields).sort()).toEqual(['client_info', 'code', 'state']);
        await fetch(action.replace('localhost', '127.0.0.1'), { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
      },
    });
    const p = claims(r);
    expect(p.aud).toBe('https://outlook.office365.com');
    expect(p.scp).toBe('Exchange.Manage');
    expect(r.account?.homeAccountId).toBe(`${p.oid as string}.${t.sim.tenantId}`);
    // refresh: a new access token through grant_type=refresh_token
    const again = await app.acquireTokenSilent({ account: r.account!, scopes: ['https://outlook.office365.com/Exchange.Manage'], forceRefresh: true });
    expect(again.accessToken).not.toBe(r.accessToken);
    expect(claims(again).upn).toBe(`admin@${t.sim.tenantDomain}`);
  });
});
