// Faults: each kind is detectable by a client and recoverable by retrying the same request, and the
// random schedule is reproducible from the seed.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestSim, type TestSim } from './testHelpers.ts';
import { createFaultController } from './faults.ts';

let t: TestSim | null = null;
afterEach(async () => { await t?.close(); t = null; });

const exo = async (s: TestSim, params: Record<string, unknown>, url?: string) =>
  s.post(url ?? `${s.sim.exoBase}/${s.sim.tenantId}/InvokeCommand`, { CmdletInput: { CmdletName: 'Search-UnifiedAuditLog', Parameters: params } }, { headers: { Authorization: `Bearer ${await s.token('secret', 'exchange')}`, Prefer: 'odata.maxpagesize=10' } });
const W = { StartDate: '2026-11-08', EndDate: '2026-11-11', ResultSize: 25, SessionCommand: 'ReturnLargeSet' };

/** A client that retries on 429/503, a reset connection or unparseable JSON, restarts the session on
 * ResultIndex -1, and deduplicates on Id. */
async function drainSession(s: TestSim, firstSessionId: string): Promise<{ ids: Set<string>; rows: number; retries: number; restarts: number }> {
  const ids = new Set<string>();
  let rows = 0;
  let retries = 0;
  let restarts = 0;
  let sessionId = firstSessionId;
  for (;;) {
    let url: string | undefined;
    let batch = 0;
    do {
      type Env = { value: Record<string, unknown>[]; '@odata.nextLink'?: string };
      let env = null as Env | null;
      while (!env) {
        try {
          const r = await exo(s, { ...W, SessionId: sessionId }, url);
          if (r.status !== 200) { retries++; await r.arrayBuffer(); continue; }
          env = JSON.parse(await r.text()) as Env;
        } catch { retries++; }
      }
      if (env!.value.some((row) => row.ResultIndex === -1)) { restarts++; sessionId = `${firstSessionId}-${restarts}`; batch = -1; break; }
      for (const row of env!.value) { ids.add(String(row.Identity)); rows++; }
      batch += env!.value.length;
      url = env!['@odata.nextLink'];
    } while (url);
    if (batch === 0) return { ids, rows, retries, restarts };
  }
}

describe('scripted faults', () => {
  it('429 on InvokeCommand carries a decimal Retry-After and the §4.6 body; the retry succeeds', async () => {
    t = await startTestSim();
    t.sim.faults.inject({ path: /InvokeCommand/, kind: '429', retryAfter: 2, count: 1 });
    const r = await exo(t, { ...W, SessionId: 'a' });
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('2.0');
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('TooManyRequests');
    expect((await exo(t, { ...W, SessionId: 'a' })).status).toBe(200);
    expect(t.sim.faults.log.map((f) => f.kind)).toEqual(['429']);
  });
  it('a §4.7 transient exception on InvokeCommand: a 400 whose body names DCOverloadedException; the retry succeeds', async () => {
    t = await startTestSim();
    t.sim.faults.inject({ path: /InvokeCommand/, kind: 'exoTransient' });
    t.sim.faults.inject({ path: /InvokeCommand/, kind: 'exoTransient', status: 500, exception: 'StorageTransientException' });
    const r = await exo(t, { ...W, SessionId: 'dc' });
    expect(r.status).toBe(400);
    expect(r.headers.get('x-exceptiontype')).toBe('DCOverloadedException');
    const e = ((await r.json()) as { error: { details: { message: string }[]; innererror: { internalexception: { type: string } } } }).error;
    expect(e.details[0]!.message).toMatch(/^Ex[0-9A-F]+\|Microsoft\.Exchange\.Data\.Directory\.DCOverloadedException\|/);
    expect(e.innererror.internalexception.type).toBe('Microsoft.Exchange.Data.Directory.DCOverloadedException');
    const r2 = await exo(t, { ...W, SessionId: 'dc' });
    expect(r2.status).toBe(500);
    expect(((await r2.json()) as { error: { details: { message: string }[] } }).error.details[0]!.message).toContain('StorageTransientException');
    expect((await exo(t, { ...W, SessionId: 'dc' })).status).toBe(200);
  });
  it('a transient exception scripted for an API other than Exchange is sent, and logged, as a plain 503', async () => {
    t = await startTestSim();
    t.sim.faults.inject({ path: /\/graph\//, kind: 'exoTransient', status: 400 });
    const r = await t.get(`${t.sim.graphBase}/v1.0/users`, { headers: { Authorization: `Bearer ${await t.token('secret', 'graph')}` } });
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('1');
    expect(r.headers.get('x-exceptiontype')).toBeNull();
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('ServiceUnavailable');
    expect(t.sim.faults.log.map((f) => [f.kind, f.source])).toEqual([['503', 'rule']]);
  });
  it('§1.7 a 429 from the token endpoint carries Retry-After and an OAuth error body; the next request gets a token', async () => {
    t = await startTestSim();
    t.sim.faults.inject({ path: /\/oauth2\/v2\.0\/token$/, method: 'POST', kind: '429', retryAfter: 2 });
    const c = t.sim.clients.find((x) => x.name === 'secret')!;
    const ask = () => t!.post(`${t!.sim.authority}/oauth2/v2.0/token`, { client_id: c.clientId, client_secret: c.clientSecret!, scope: 'https://graph.microsoft.com/.default', grant_type: 'client_credentials' }, { form: true });
    const r = await ask();
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('2');
    expect(((await r.json()) as { error: string }).error).toBe('temporarily_unavailable');
    expect((await ask()).status).toBe(200);
  });
  it('hostile faults throttle some token requests (and nothing else at the identity endpoints), the same ones for the same seed', async () => {
    const logs: string[][] = [];
    for (let run = 0; run < 2; run++) {
      const s = await startTestSim({ faults: 'hostile', faultSeed: 3 });
      try {
        const c = s.sim.clients.find((x) => x.name === 'secret')!;
        const statuses: number[] = [];
        for (let i = 0; i < 40; i++) {
          const r = await s.post(`${s.sim.authority}/oauth2/v2.0/token`, { client_id: c.clientId, client_secret: c.clientSecret!, scope: 'https://graph.microsoft.com/.default', grant_type: 'client_credentials' }, { form: true });
          statuses.push(r.status);
          if (r.status === 429) expect(r.headers.get('retry-after')).toBe('1');
          await r.arrayBuffer();
        }
        expect((await s.get(`${s.sim.authority}/v2.0/.well-known/openid-configuration`)).status).toBe(200);
        expect(statuses.filter((x) => x === 429).length).toBeGreaterThan(0);
        expect(statuses.filter((x) => x !== 429 && x !== 200)).toEqual([]);
        expect(s.sim.faults.log.every((f) => f.kind === '429' && f.path.endsWith('/oauth2/v2.0/token'))).toBe(true);
        logs.push(s.sim.faults.log.map((f) => `${f.seq}`));
      } finally { await s.close(); }
    }
    expect(logs[1]).toEqual(logs[0]);
  });
  it('503 on Graph, AF429 on the Management API, each in its own body', async () => {
    t = await startTestSim();
    t.sim.faults.inject({ path: /^\/graph\//, kind: '503' });
    t.sim.faults.inject({ path: /^\/api\//, kind: '429', retryAfter: 3 });
    const g = await t.get(`${t.sim.graphBase}/v1.0/subscribedSkus`, { headers: { Authorization: `Bearer ${await t.token('secret', 'graph')}` } });
    expect(g.status).toBe(503);
    expect(((await g.json()) as { error: { code: string } }).error.code).toBe('ServiceUnavailable');
    const m = await t.get(`${t.sim.manageBase}/${t.sim.tenantId}/activity/feed/subscriptions/list`, { headers: { Authorization: `Bearer ${await t.token('secret', 'manage')}` } });
    expect(m.status).toBe(429);
    expect(m.headers.get('retry-after')).toBe('3');
    expect(((await m.json()) as { error: { code: string } }).error.code).toBe('AF429');
  });
  it('reset and truncated bodies do not advance the session: a retrying client still gets every record once', async () => {
    t = await startTestSim();
    t.sim.faults.inject({ path: /skiptoken/, kind: 'reset', count: 2 });
    t.sim.faults.inject({ path: /InvokeCommand$/, kind: 'truncate', count: 2 });
    const { ids, retries } = await drainSession(t, 'faulty');
    expect(ids.size).toBe(120);
    expect(retries).toBe(4);
    expect(t.sim.faults.log.map((f) => f.kind).sort()).toEqual(['reset', 'reset', 'truncate', 'truncate']);
  });
  it('sessionTimeout on a session\'s first call (§4.8 step 5 names no position): ResultIndex -1 rows, the session is dead', async () => {
    t = await startTestSim();
    t.sim.faults.inject({ kind: 'sessionTimeout' });
    const first = (await (await exo(t, { ...W, SessionId: 'x0' })).json()) as { value: Record<string, unknown>[] };
    expect(first.value.length).toBeGreaterThan(0);
    expect(first.value.every((r) => r.ResultIndex === -1 && r.ResultCount === 0)).toBe(true);
    expect(((await (await exo(t, { ...W, SessionId: 'x0' })).json()) as { value: unknown[] }).value).toEqual([]);
    expect((await drainSession(t, 'y0')).ids.size).toBe(120);
  });
  it('sessionTimeout later in a session returns ResultIndex -1 rows and kills the session; a new SessionId works', async () => {
    t = await startTestSim();
    const first = (await (await exo(t, { ...W, SessionId: 'x' })).json()) as { value: Record<string, unknown>[] };
    expect(first.value.length).toBe(10);
    t.sim.faults.inject({ kind: 'sessionTimeout' });
    const second = (await (await exo(t, { ...W, SessionId: 'x' })).json()) as { value: Record<string, unknown>[] };
    expect(second.value.length).toBeGreaterThan(0);
    expect(second.value.every((r) => r.ResultIndex === -1 && r.ResultCount === 0)).toBe(true);
    const third = (await (await exo(t, { ...W, SessionId: 'x' })).json()) as { value: unknown[] };
    expect(third.value).toEqual([]);
    expect((await drainSession(t, 'y')).ids.size).toBe(120);
  });
  it('duplicate records across pages: more rows than unique Ids, and dedup on Id is complete', async () => {
    t = await startTestSim();
    t.sim.faults.inject({ kind: 'duplicate', count: 3, duplicates: 2 });
    const { ids, rows } = await drainSession(t, 'dup');
    expect(ids.size).toBe(120);
    expect(rows).toBe(126);
  });
  it('duplicates on a first page: a one-page session and a one-page Graph query each repeat some of their own rows', async () => {
    t = await startTestSim({ graphPollsPerStep: 0 });
    t.sim.faults.inject({ path: /InvokeCommand/, kind: 'duplicate', duplicates: 2 });
    const one = { ...W, ResultSize: 5000 };
    const big = await t.post(`${t.sim.exoBase}/${t.sim.tenantId}/InvokeCommand`, { CmdletInput: { CmdletName: 'Search-UnifiedAuditLog', Parameters: { ...one, SessionId: 'one' } } }, { headers: { Authorization: `Bearer ${await t.token('secret', 'exchange')}`, Prefer: 'odata.maxpagesize=1000' } });
    const rows = ((await big.json()) as { value: { Identity: string }[] }).value;
    expect(rows.length).toBe(122);
    expect(new Set(rows.map((r) => r.Identity)).size).toBe(120);
    const h = { Authorization: `Bearer ${await t.token('secret', 'graph')}` };
    const q = (await (await t.post(`${t.sim.graphBase}/beta/security/auditLog/queries`, { filterStartDateTime: '2026-11-08T00:00:00Z', filterEndDateTime: '2026-11-11T00:00:00Z' }, { headers: h })).json()) as { id: string };
    t.sim.faults.inject({ path: /records/, kind: 'duplicate', duplicates: 3 });
    const page = (await (await t.get(`${t.sim.graphBase}/beta/security/auditLog/queries/${q.id}/records?$top=1000`, { headers: h })).json()) as { value: { id: string }[]; '@odata.nextLink'?: string };
    expect(page['@odata.nextLink']).toBeUndefined();
    expect(page.value.length).toBe(123);
    expect(new Set(page.value.map((x) => x.id)).size).toBe(120);
    expect(t.sim.faults.log.map((f) => [f.kind, f.copies])).toEqual([['duplicate', 2], ['duplicate', 3]]);
  });
  it('duplicates on Graph record pages', async () => {
    t = await startTestSim({ graphPollsPerStep: 0 });
    const h = { Authorization: `Bearer ${await t.token('secret', 'graph')}` };
    const q = (await (await t.post(`${t.sim.graphBase}/beta/security/auditLog/queries`, { filterStartDateTime: '2026-11-08T00:00:00Z', filterEndDateTime: '2026-11-11T00:00:00Z' }, { headers: h })).json()) as { id: string };
    t.sim.faults.inject({ path: /records/, kind: 'duplicate', count: 1, duplicates: 3 });
    let url: string | undefined = `${t.sim.graphBase}/beta/security/auditLog/queries/${q.id}/records?$top=50`;
    const ids: string[] = [];
    while (url) { const j = (await (await t.get(url, { headers: h })).json()) as { value: { id: string }[]; '@odata.nextLink'?: string }; ids.push(...j.value.map((x) => x.id)); url = j['@odata.nextLink']; }
    expect(ids.length).toBe(123);
    expect(new Set(ids).size).toBe(120);
  });
  it('a NUL-byte 403 body, a slow response, and a token that expires mid-run', async () => {
    t = await startTestSim();
    t.sim.faults.inject({ path: /InvokeCommand/, kind: '403nul' });
    const r = await exo(t, { ...W, SessionId: 'n' });
    expect(r.status).toBe(403);
    expect([...new Uint8Array(await r.arrayBuffer())].every((b) => b === 0)).toBe(true);
    t.sim.faults.inject({ path: /InvokeCommand/, kind: 'slow', delayMs: 50 });
    expect((await exo(t, { ...W, SessionId: 'n' })).status).toBe(200);
    expect(t.sim.faults.log.map((f) => f.kind)).toEqual(['403nul', 'slow']);
    t.sim.setTokenLifetime(1);
    const c = t.sim.clients.find((x) => x.name === 'secret')!;
    const tok = (await (await t.post(`${t.sim.authority}/oauth2/v2.0/token`, { client_id: c.clientId, client_secret: c.clientSecret!, scope: 'https://outlook.office365.com/.default', grant_type: 'client_credentials' }, { form: true })).json()) as { access_token: string; expires_in: number };
    expect(tok.expires_in).toBe(1);
    await new Promise((res) => setTimeout(res, 1100));
    const late = await t.post(`${t.sim.exoBase}/${t.sim.tenantId}/InvokeCommand`, { CmdletInput: { CmdletName: 'Get-OrganizationConfig', Parameters: {} } }, { headers: { Authorization: `Bearer ${tok.access_token}` } });
    expect(late.status).toBe(401);
  });
});

describe('429 without Retry-After (§2.5 Graph often omits it; §3.4 the Management API does not document it)', () => {
  it('a scripted 429 can omit Retry-After on Graph and the Management API; Exchange always sends it (§4.7)', async () => {
    t = await startTestSim();
    t.sim.faults.inject({ path: /^\/graph\//, kind: '429', omitRetryAfter: true });
    t.sim.faults.inject({ path: /^\/api\//, kind: '429', omitRetryAfter: true });
    t.sim.faults.inject({ path: /InvokeCommand/, kind: '429', omitRetryAfter: true, retryAfter: 2 });
    const g = await t.get(`${t.sim.graphBase}/v1.0/subscribedSkus`, { headers: { Authorization: `Bearer ${await t.token('secret', 'graph')}` } });
    expect(g.status).toBe(429);
    expect(g.headers.get('retry-after')).toBeNull();
    expect(((await g.json()) as { error: { code: string } }).error.code).toBe('TooManyRequests');
    const m = await t.get(`${t.sim.manageBase}/${t.sim.tenantId}/activity/feed/subscriptions/list`, { headers: { Authorization: `Bearer ${await t.token('secret', 'manage')}` } });
    expect(m.status).toBe(429);
    expect(m.headers.get('retry-after')).toBeNull();
    expect(((await m.json()) as { error: { code: string } }).error.code).toBe('AF429');
    const e = await exo(t, { ...W, SessionId: 'ra' });
    expect(e.status).toBe(429);
    expect(e.headers.get('retry-after')).toBe('2.0');
    expect(t.sim.faults.log.map((f) => [f.kind, f.retryAfter])).toEqual([['429', false], ['429', false], ['429', true]]);
  });

  it('under random faults some Graph and Management 429s omit Retry-After, the same ones for the same seed', async () => {
    const runs: { log: string[]; headers: (string | null)[] }[] = [];
    for (let run = 0; run < 2; run++) {
      const s = await startTestSim({ faults: 'hostile', faultSeed: 11 });
      try {
        const gh = { Authorization: `Bearer ${await s.token('secret', 'graph')}` };
        const mh = { Authorization: `Bearer ${await s.token('secret', 'manage')}` };
        const headers: (string | null)[] = [];
        for (let i = 0; i < 120; i++) {
          const r = await (i % 2 ? s.get(`${s.sim.graphBase}/v1.0/subscribedSkus`, { headers: gh }) : s.get(`${s.sim.manageBase}/${s.sim.tenantId}/activity/feed/subscriptions/list`, { headers: mh })).catch(() => null);
          if (r?.status === 429) headers.push(r.headers.get('retry-after'));
          await r?.arrayBuffer().catch(() => null);
        }
        const log = s.sim.faults.log.filter((f) => f.kind === '429');
        // the log says which 429s went without Retry-After, and the wire agrees
        expect(log.map((f) => f.retryAfter ? '1' : null)).toEqual(headers);
        runs.push({ log: s.sim.faults.log.map((f) => `${f.kind}@${f.seq}:${String(f.retryAfter)}`), headers });
      } finally { await s.close(); }
    }
    const h = runs[0]!.headers;
    expect(h.filter((x) => x === null).length).toBeGreaterThan(0);
    expect(h.filter((x) => x === '1').length).toBeGreaterThan(0);
    expect(runs[1]).toEqual(runs[0]);
  });
});

describe('random faults', () => {
  it('hostile mode injects faults a retrying client survives, and the schedule is the same for the same seed', async () => {
    const logs: string[][] = [];
    for (let run = 0; run < 2; run++) {
      const s = await startTestSim({ faults: 'hostile' });
      try {
        const { ids } = await drainSession(s, 'h');
        expect(ids.size).toBe(120);
        logs.push(s.sim.faults.log.map((f) => `${f.kind}@${f.seq}`));
      } finally { await s.close(); }
    }
    expect(logs[0]!.length).toBeGreaterThan(0);
    expect(logs[1]).toEqual(logs[0]);
  });
});

describe('scripted rules as sent and as logged', () => {
  it('an Exchange transient exception scripted for another API is sent and logged as the plain 503 it becomes; a 429 logs whether it carried Retry-After; skipped and used-up rules let requests through', () => {
    const f = createFaultController('none', 1);
    f.inject({ path: /auditLog/, kind: 'exoTransient', count: 1 });
    f.inject({ path: /auditLog/, kind: '429', omitRetryAfter: true, after: 1, count: 2 });
    expect(f.takeGeneric('GET', '/v1.0/security/auditLog/queries', 'graph')).toMatchObject({ kind: '503', retryAfter: 1 });
    expect(f.takeGeneric('GET', '/v1.0/security/auditLog/queries', 'graph')).toBeNull(); // the 429 rule's one skipped request
    expect(f.takeGeneric('GET', '/v1.0/security/auditLog/queries', 'graph')).toMatchObject({ kind: '429' });
    expect(f.takeGeneric('POST', '/adminapi/beta/x/auditLog', 'exchange')).toMatchObject({ kind: '429' });
    expect(f.takeGeneric('GET', '/v1.0/security/auditLog/queries', 'graph')).toBeNull();
    expect(f.log.map((l) => [l.kind, l.retryAfter])).toEqual([['503', undefined], ['429', false], ['429', true]]);
    f.inject({ path: /records/, kind: 'duplicate', duplicates: 5 });
    expect(f.takeSpecial('duplicate', 'GET', '/records', { available: 2 })).toMatchObject({ kind: 'duplicate', duplicates: 5 });
    expect(f.log.at(-1)).toMatchObject({ kind: 'duplicate', source: 'rule', copies: 2 });
  });
});
