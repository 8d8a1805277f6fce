// Each sign-in mode with the real @azure/msal-node against the simulated tenant over HTTPS, trusting the
// simulator's CA through our own client only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as undiciRequest, Agent } from 'undici';
import { CERT_PASSWORD_ENV, loadCertificate, signIn, SignInError, TokenThrottled } from '../../acquire/auth.ts';
import forge from 'node-forge';
import { HttpClient } from '../../acquire/http.ts';
import { CLOUDS } from '../../acquire/clouds.ts';
import { policyFor } from '../../acquire/netPolicy.ts';
import { decryptCache, encryptedFileCacheStore, memoryCacheStore } from '../../acquire/tokenCache.ts';
import { startSim } from '../../sim/index.ts';
import type { SimHandle } from '../../sim/index.ts';
import { createTestScenario } from '../../sim/server/testScenario.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { certFile, client, endpointsFor, httpFor, tmpDir } from './helpers.ts';

let sim: SimHandle;
let http: HttpClient;

function claims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

beforeAll(async () => {
  sim = await startSim({ scenarioInstance: createTestScenario({ days: 2, eventsPerDay: 20 }), deviceCodeInterval: 1 });
  http = httpFor(sim);
});
afterAll(async () => {
  await http.close();
  await sim.close();
});

describe('sign-in against the simulated tenant', () => {
  it('certificate client credentials: app-only tokens for the three APIs', async () => {
    const c = client(sim, 'certificate');
    const tp = await signIn({ mode: 'certificate', tenant: sim.tenantId, clientId: c.clientId, endpoints: endpointsFor(sim), customAuthority: true, http, certPath: certFile(c) });
    expect(tp.appOnly).toBe(true);
    for (const [api, aud] of [['graph', 'https://graph.microsoft.com'], ['exchange', 'https://outlook.office365.com'], ['manage', 'https://manage.office.com']] as const) {
      const t = claims(await tp.getToken(api));
      expect(t.aud).toBe(aud);
      expect(t.tid).toBe(sim.tenantId);
      expect(t.appid).toBe(c.clientId);
    }
    // a forced refresh returns a new token (used after a 401 / expiry mid-run)
    const a = await tp.getToken('graph');
    const b = await tp.getToken('graph', { forceRefresh: true });
    expect(b).not.toBe(a);
  });

  it('certificate from a PFX (PKCS#12) with its password; a wrong password is explained', async () => {
    const c = client(sim, 'certificate');
    const p12 = forge.pkcs12.toPkcs12Asn1(forge.pki.privateKeyFromPem(c.privateKeyPem!), [forge.pki.certificateFromPem(c.certificatePem!)], 'correct horse', { algorithm: 'aes256' });
    const pfx = join(tmpDir('bs-pfx-'), 'app.pfx');
    writeFileSync(pfx, Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary'));
    const fromPem = loadCertificate(certFile(c));
    expect(loadCertificate(pfx, 'correct horse').x5tS256).toBe(fromPem.x5tS256);
    expect(() => loadCertificate(pfx, 'wrong')).toThrow(/wrong password or damaged file/);
    const before = process.env[CERT_PASSWORD_ENV];
    process.env[CERT_PASSWORD_ENV] = 'correct horse';
    try {
      const tp = await signIn({ mode: 'certificate', tenant: sim.tenantId, clientId: c.clientId, endpoints: endpointsFor(sim), customAuthority: true, http, certPath: pfx });
      expect(claims(await tp.getToken('exchange')).appid).toBe(c.clientId);
    } finally {
      if (before === undefined) delete process.env[CERT_PASSWORD_ENV];
      else process.env[CERT_PASSWORD_ENV] = before;
    }
  });

  it('secret client credentials, and a wrong secret explained', async () => {
    const c = client(sim, 'secret');
    const tp = await signIn({ mode: 'secret', tenant: sim.tenantDomain, clientId: c.clientId, endpoints: endpointsFor(sim), customAuthority: true, http, clientSecret: c.clientSecret! });
    expect(claims(await tp.getToken('exchange')).aud).toBe('https://outlook.office365.com');
    const bad = await signIn({ mode: 'secret', tenant: sim.tenantId, clientId: c.clientId, endpoints: endpointsFor(sim), customAuthority: true, http, clientSecret: 'wrong' });
    const err = await bad.getToken('graph').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SignInError);
    expect((err as SignInError).exitCode).toBe(5);
    expect((err as SignInError).hint).toMatch(/Certificates & secrets/);
  });

  it('tells an untrusted sign-in service from an unreachable one (MSAL reports both alike)', async () => {
    const c = client(sim, 'secret');
    const ep = endpointsFor(sim);
    const attempt = async (h: HttpClient, endpoints = ep) => {
      const tp = await signIn({ mode: 'secret', tenant: sim.tenantId, clientId: c.clientId, endpoints, customAuthority: true, http: h, clientSecret: c.clientSecret! })
        .catch((e: unknown) => e);
      const err = tp instanceof SignInError ? tp : await (tp as { getToken(a: string): Promise<string> }).getToken('graph').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SignInError);
      return (err as SignInError).hint ?? '';
    };
    // Without the simulator's CA: its certificate is not trusted.
    const noCa = new HttpClient({ policy: policyFor(CLOUDS.global, ep), timeoutMs: 10_000 });
    try {
      expect(await attempt(noCa)).toMatch(/^The sign-in service's certificate is not trusted \(\w+\): for a simulated tenant, give the CA it printed with --ca/);
    } finally {
      await noCa.close();
    }
    // A port where nothing listens: not reachable.
    const closed = { ...ep, authorityHost: 'https://127.0.0.1:9' };
    const toClosed = new HttpClient({ policy: policyFor(CLOUDS.global, closed), ca: sim.caCertPem, timeoutMs: 10_000 });
    try {
      expect(await attempt(toClosed, closed)).toMatch(/^The sign-in service could not be reached \(ECONNREFUSED\)/);
    } finally {
      await toClosed.close();
    }
  });

  it('device code: the prompt is shown, the admin approves on their device, tokens follow silently', async () => {
    const c = client(sim, 'public');
    const prompts: { userCode: string; verificationUri: string }[] = [];
    const tp = await signIn({
      mode: 'device', tenant: sim.tenantId, clientId: c.clientId, endpoints: endpointsFor(sim), customAuthority: true, http,
      onDeviceCode: (p) => {
        prompts.push(p);
        setTimeout(() => sim.identity.approveDeviceCode(p.userCode), 200);
      },
    });
    expect(prompts).toHaveLength(1);
    expect(prompts[0]!.verificationUri).toContain(sim.origin);
    expect(tp.appOnly).toBe(false);
    expect(tp.account()).toMatch(/@/);
    expect(claims(await tp.getToken('graph')).aud).toBe('https://graph.microsoft.com');
    expect(claims(await tp.getToken('exchange')).aud).toBe('https://outlook.office365.com'); // via the refresh token
  });

  it('device code declined: a clear refusal', async () => {
    const c = client(sim, 'public');
    const err = await signIn({
      mode: 'device', tenant: sim.tenantId, clientId: c.clientId, endpoints: endpointsFor(sim), customAuthority: true, http,
      onDeviceCode: (p) => { setTimeout(() => sim.identity.declineDeviceCode(p.userCode), 200); },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SignInError);
    expect(String((err as Error).message)).toMatch(/sign-in \(device\)/);
  });

  it('§1.7 device code: a poll answered 429 is TokenThrottled with its Retry-After and says to wait that long, not a bare failure', async () => {
    const c = client(sim, 'public');
    sim.faults.clear();
    try {
      sim.faults.inject({ path: /\/oauth2\/v2\.0\/token(\?|$)/, method: 'POST', kind: '429', retryAfter: 7, count: 1 });
      const err = await signIn({
        mode: 'device', tenant: sim.tenantId, clientId: c.clientId, endpoints: endpointsFor(sim), customAuthority: true, http,
        onDeviceCode: (p) => { setTimeout(() => sim.identity.approveDeviceCode(p.userCode), 200); },
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TokenThrottled);
      expect(err).toMatchObject({ status: 429, retryAfter: '7' });
      expect((err as TokenThrottled).hint).toMatch(/wait 7 s/);
      expect(sim.faults.log.filter((f) => f.kind === '429')).toHaveLength(1);
    } finally { sim.faults.clear(); }
  });

  it('§1.7 delegated: a refresh answered 429 or 503 is TokenThrottled with its status and Retry-After (MSAL gives that error no status), and asking again at once is answered', async () => {
    const c = client(sim, 'public');
    const tp = await signIn({
      mode: 'device', tenant: sim.tenantId, clientId: c.clientId, endpoints: endpointsFor(sim), customAuthority: true, http,
      onDeviceCode: (p) => { setTimeout(() => sim.identity.approveDeviceCode(p.userCode), 200); },
    });
    const token = /\/oauth2\/v2\.0\/token(\?|$)/;
    sim.faults.clear();
    try {
      sim.faults.inject({ path: token, method: 'POST', kind: '429', retryAfter: 2, count: 1 });
      const throttled = await tp.getToken('exchange').catch((e: unknown) => e);
      expect(throttled).toBeInstanceOf(TokenThrottled);
      expect(throttled).toMatchObject({ status: 429, retryAfter: '2' });
      sim.faults.inject({ path: token, method: 'POST', kind: '503', count: 1 });
      const unavailable = await tp.getToken('manage').catch((e: unknown) => e);
      expect(unavailable).toBeInstanceOf(TokenThrottled);
      expect(unavailable).toMatchObject({ status: 503, retryAfter: null });
      // without a Retry-After, the wait said is MSAL's own 60 s (§1.7)
      expect((unavailable as TokenThrottled).hint).toMatch(/\(HTTP 503\); wait 60 s and run the command again/);
      // MSAL keeps the 503 for 60 s (no Retry-After) and the 429 for 2 s, yet the same requests at once reach the
      // token endpoint and are answered
      expect(claims(await tp.getToken('manage')).aud).toBe('https://manage.office.com');
      expect(claims(await tp.getToken('exchange')).aud).toBe('https://outlook.office365.com');
    } finally { sim.faults.clear(); }
  });

  it('authorization code + PKCE through a loopback redirect', async () => {
    const c = client(sim, 'public');
    const agent = new Agent({ connect: { ca: sim.caCertPem } });
    // the "system browser": loads the sign-in page, accepts, and follows the form_post to the loopback server
    const browser = async (url: string): Promise<void> => {
      const page = await (await undiciRequest(url, { dispatcher: agent })).body.text();
      const form = /<form method="POST" action="([^"]+)">([\s\S]*?)<\/form>/.exec(page)!;
      const fields = new URLSearchParams();
      for (const m of form[2]!.matchAll(/name="([^"]+)" value="([^"]*)"/g)) fields.set(m[1]!, m[2]!);
      fields.set('action', 'accept');
      const posted = await (await undiciRequest(form[1]!, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields.toString() })).body.text();
      const back = /action="([^"]+)">([\s\S]*?)<noscript>/.exec(posted)!;
      const ret = new URLSearchParams();
      for (const m of back[2]!.matchAll(/name="([^"]+)" value="([^"]*)"/g)) ret.set(m[1]!, m[2]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&#39;/g, "'"));
      await (await undiciRequest(back[1]!.replace(/&amp;/g, '&'), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: ret.toString() })).body.text();
    };
    const tp = await signIn({ mode: 'browser', tenant: sim.tenantId, clientId: c.clientId, endpoints: endpointsFor(sim), customAuthority: true, http, openBrowser: browser });
    expect(tp.account()).toMatch(/@/);
    expect(claims(await tp.getToken('manage')).aud).toBe('https://manage.office.com');
    await agent.close();
  });

  it('the token cache: memory by default, an encrypted file outside the case with a passphrase', async () => {
    const c = client(sim, 'certificate');
    const dir = tmpDir();
    const file = join(dir, 'tokens.bin');
    const store = encryptedFileCacheStore(file, 'correct horse battery');
    const tp = await signIn({ mode: 'certificate', tenant: sim.tenantId, clientId: c.clientId, endpoints: endpointsFor(sim), customAuthority: true, http, certPath: certFile(c), cache: store });
    const token = await tp.getToken('graph');
    const raw = readFileSync(file);
    expect(raw.includes(Buffer.from(token.slice(0, 40)))).toBe(false); // not in clear
    expect(decryptCache(raw, 'correct horse battery')).toContain(token.slice(0, 40));
    expect(() => encryptedFileCacheStore(file, 'wrong passphrase!').load()).toThrow(/cannot decrypt/);
    expect(() => encryptedFileCacheStore(join(dir, 'case', 'tokens.bin'), 'correct horse battery', join(dir, 'case'))).toThrow(/outside the case/);
    expect(memoryCacheStore().load()).toBeNull();
  });
});
