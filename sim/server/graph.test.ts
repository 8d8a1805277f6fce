// Graph conformance (§2, directory): query lifecycle, record shape and paging, filters, caps, 403s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSim, type TestSim } from './testHelpers.ts';
import { createTestScenario } from './testScenario.ts';

let t: TestSim;
beforeAll(async () => { t = await startTestSim({ graphMaxConcurrentQueries: 3 }); });
afterAll(async () => { await t.close(); });

const H = async (client = 'secret') => ({ Authorization: `Bearer ${await t.token(client, 'graph')}` });
const BODY = { '@odata.type': '#microsoft.graph.security.auditLogQuery', displayName: 'x', filterStartDateTime: '2026-11-08T00:00:00Z', filterEndDateTime: '2026-11-11T00:00:00Z' };

async function create(body: Record<string, unknown>, version = 'beta', client = 'secret') {
  return t.post(`${t.sim.graphBase}/${version}/security/auditLog/queries`, body, { headers: await H(client) });
}
async function runToSuccess(id: string, version = 'beta'): Promise<Record<string, unknown>> {
  const seen: string[] = [];
  for (let i = 0; i < 5; i++) {
    const q = (await (await t.get(`${t.sim.graphBase}/${version}/security/auditLog/queries/${id}`, { headers: await H() })).json()) as Record<string, unknown>;
    seen.push(String(q.status));
    if (q.status === 'succeeded') { expect(seen).toEqual(['running', 'succeeded']); return q; }
  }
  throw new Error(`never succeeded: ${seen.join(',')}`);
}
async function allRecords(id: string, top: number, version = 'beta') {
  const out: Record<string, unknown>[] = [];
  let url: string | undefined = `${t.sim.graphBase}/${version}/security/auditLog/queries/${id}/records?$top=${top}`;
  let pages = 0;
  while (url) {
    const r = await t.get(url, { headers: await H() });
    expect(r.status).toBe(200);
    const j = (await r.json()) as { value: Record<string, unknown>[]; '@odata.nextLink'?: string };
    out.push(...j.value);
    url = j['@odata.nextLink'];
    if (url) expect(url.startsWith(`${t.sim.origin}/graph/${version}/`)).toBe(true);
    pages++;
  }
  return { out, pages };
}

describe('audit log query', () => {
  it('create echoes the body with id and notStarted (serviceFilter and serviceFilters accepted), then runs and pages every record', async () => {
    const r = await create({ ...BODY, serviceFilter: 'Exchange', serviceFilters: ['Exchange'] });
    expect(r.status).toBe(201);
    const q = (await r.json()) as Record<string, unknown>;
    expect(q).toMatchObject({ displayName: 'x', status: 'notStarted', serviceFilter: 'Exchange', filterStartDateTime: BODY.filterStartDateTime });
    expect(typeof q.id).toBe('string');
    // records before success are refused
    expect((await t.get(`${t.sim.graphBase}/beta/security/auditLog/queries/${String(q.id)}/records`, { headers: await H() })).status).toBe(400);
    const done = await runToSuccess(String(q.id));
    const s = createTestScenario();
    const expected = [...s.recordsBetween(Date.parse(BODY.filterStartDateTime), Date.parse(BODY.filterEndDateTime))].filter((x) => x.Workload === 'Exchange');
    expect(done.isRecordCountLimitExceeded).toBe(false);
    expect(done.approximateReturnedRecordCount).toBe(expected.length);
    const { out, pages } = await allRecords(String(q.id), 7);
    expect(out.map((x) => x.id)).toEqual(expected.map((x) => x.Id));
    expect(pages).toBe(Math.ceil(expected.length / 7));
    const list = (await (await t.get(`${t.sim.graphBase}/beta/security/auditLog/queries`, { headers: await H() })).json()) as { value: { id: string }[] };
    expect(list.value.some((x) => x.id === q.id)).toBe(true);
  });
  it('records have the live §2.4 shape', async () => {
    const q = (await (await create({ ...BODY, recordTypeFilters: ['exchangeItemAggregated'] }, 'v1.0')).json()) as { id: string };
    await runToSuccess(q.id, 'v1.0');
    const rec = (await allRecords(q.id, 1000, 'v1.0')).out[0]!;
    const ad = rec.auditData as Record<string, unknown>;
    expect(rec).toMatchObject({ auditLogRecordType: 'ExchangeItemAggregated', userType: 'Regular', clientIp: null, administrativeUnits: [''], service: 'Exchange' });
    expect(rec.userId).toBe(ad.UserKey);
    expect(rec.userPrincipalName).toBe(ad.UserId);
    expect(rec.createdDateTime).toMatch(/Z$/);
    expect(ad['@odata.type']).toBe('#microsoft.graph.security.defaultAuditData');
    expect(ad.CreationTime).toMatch(/Z$/);
    expect(ad['RecordType@odata.type']).toBe('#Int64');
    expect(ad['Folders@odata.type']).toBe('#Collection(microsoft.graph.security.defaultAuditData)');
    expect(ad['OperationProperties@odata.type']).toBe('#Collection(microsoft.graph.security.defaultAuditData)');
    expect(ad['OperationCount@odata.type']).toBe('#Int64');
  });
  it('applies operation, UPN and keyword filters', async () => {
    const upn = `alex@${t.sim.tenantDomain}`;
    const q = (await (await create({ ...BODY, operationFilters: ['Send'], userPrincipalNameFilters: [upn], keywordFilter: 'Invoice' })).json()) as { id: string };
    await runToSuccess(q.id);
    const got = (await allRecords(q.id, 1000)).out;
    const s = createTestScenario();
    const expected = [...s.recordsBetween(Date.parse(BODY.filterStartDateTime), Date.parse(BODY.filterEndDateTime))].filter((x) => x.Operation === 'Send' && x.UserId === upn);
    expect(expected.length).toBeGreaterThan(0);
    expect(got.map((x) => x.id)).toEqual(expected.map((x) => x.Id));
  });
  it('a per-query record limit truncates and sets isRecordCountLimitExceeded', async () => {
    const t2 = await startTestSim({ graphRecordCountLimit: 10 });
    try {
      const h = { Authorization: `Bearer ${await t2.token('secret', 'graph')}` };
      const q = (await (await t2.post(`${t2.sim.graphBase}/beta/security/auditLog/queries`, BODY, { headers: h })).json()) as { id: string };
      t2.sim.graph.completeAllQueries();
      const v = (await (await t2.get(`${t2.sim.graphBase}/beta/security/auditLog/queries/${q.id}`, { headers: h })).json()) as Record<string, unknown>;
      expect(v).toMatchObject({ status: 'succeeded', isRecordCountLimitExceeded: true, approximateReturnedRecordCount: 10, recordCountLimit: 10 });
      let url: string | undefined = `${t2.sim.graphBase}/beta/security/auditLog/queries/${q.id}/records?$top=4`;
      let n = 0;
      while (url) { const j = (await (await t2.get(url, { headers: h })).json()) as { value: unknown[]; '@odata.nextLink'?: string }; n += j.value.length; url = j['@odata.nextLink']; }
      expect(n).toBe(10);
    } finally { await t2.close(); }
  });
  it('the concurrency cap answers 429 with Retry-After', async () => {
    const t2 = await startTestSim({ graphMaxConcurrentQueries: 2 });
    try {
      const h = { Authorization: `Bearer ${await t2.token('secret', 'graph')}` };
      const post = () => t2.post(`${t2.sim.graphBase}/beta/security/auditLog/queries`, BODY, { headers: h });
      expect((await post()).status).toBe(201);
      expect((await post()).status).toBe(201);
      const r = await post();
      expect(r.status).toBe(429);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('TooManyRequests');
      t2.sim.graph.completeAllQueries();
      expect((await post()).status).toBe(201);
    } finally { await t2.close(); }
  });
  it('403 without AuditLogsQuery.Read.All; the Exchange-only role sees only Exchange records; bad enum is 400', async () => {
    const r = await create(BODY, 'beta', 'graph-no-auditquery');
    expect(r.status).toBe(403);
    const e = (await r.json()) as { error: { code: string; message: string; innerError: Record<string, string> } };
    expect(Object.keys(e.error.innerError).sort()).toEqual(['client-request-id', 'date', 'request-id']);
    const hx = { Authorization: `Bearer ${await t.token('graph-exchange-auditquery', 'graph')}` };
    const q = (await (await t.post(`${t.sim.graphBase}/beta/security/auditLog/queries`, BODY, { headers: hx })).json()) as { id: string };
    t.sim.graph.completeAllQueries();
    const j = (await (await t.get(`${t.sim.graphBase}/beta/security/auditLog/queries/${q.id}/records?$top=1000`, { headers: hx })).json()) as { value: { service: string }[] };
    expect(j.value.length).toBeGreaterThan(0);
    expect(j.value.every((x) => x.service === 'Exchange')).toBe(true);
    expect((await create({ ...BODY, recordTypeFilters: ['nope'] })).status).toBe(400);
  });
  it('can emulate a tenant where /v1.0 answers 404 UnknownError while /beta works', async () => {
    const t2 = await startTestSim({ graphV1AuditAvailable: false });
    try {
      const h = { Authorization: `Bearer ${await t2.token('secret', 'graph')}` };
      const v1 = await t2.post(`${t2.sim.graphBase}/v1.0/security/auditLog/queries`, BODY, { headers: h });
      expect(v1.status).toBe(404);
      expect(((await v1.json()) as { error: { code: string } }).error.code).toBe('UnknownError');
      expect((await t2.post(`${t2.sim.graphBase}/beta/security/auditLog/queries`, BODY, { headers: h })).status).toBe(201);
    } finally { await t2.close(); }
  });
  it('an expired token is 401 InvalidAuthenticationToken', async () => {
    const t2 = await startTestSim({ tokenLifetimeSeconds: 1 });
    try {
      const h = { Authorization: `Bearer ${await t2.token('secret', 'graph')}` };
      await new Promise((r) => setTimeout(r, 1100));
      const r = await t2.get(`${t2.sim.graphBase}/v1.0/subscribedSkus`, { headers: h });
      expect(r.status).toBe(401);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('InvalidAuthenticationToken');
    } finally { await t2.close(); }
  });
});

describe('directory', () => {
  it('pages users with an absolute nextLink and exposes licence assignment states only through $select', async () => {
    const first = (await (await t.get(`${t.sim.graphBase}/v1.0/users?$top=2`, { headers: await H() })).json()) as { value: Record<string, unknown>[]; '@odata.nextLink': string };
    expect(first.value.length).toBe(2);
    expect(first.value[0]!.assignedLicenses).toBeUndefined();
    let url: string | undefined = `${t.sim.graphBase}/v1.0/users?$top=2&$select=userPrincipalName,assignedLicenses,licenseAssignmentStates`;
    const users: Record<string, unknown>[] = [];
    while (url) { const j = (await (await t.get(url, { headers: await H() })).json()) as { value: Record<string, unknown>[]; '@odata.nextLink'?: string }; users.push(...j.value); url = j['@odata.nextLink']; }
    expect(users.length).toBe(5);
    const alex = users.find((u) => u.userPrincipalName === `alex@${t.sim.tenantDomain}`)!;
    expect((alex.licenseAssignmentStates as { assignedByGroup: string | null; state: string }[])[0]).toMatchObject({ state: 'Active', assignedByGroup: expect.any(String) });
    const lic = (await (await t.get(`${t.sim.graphBase}/v1.0/users/${encodeURIComponent(`alex@${t.sim.tenantDomain}`)}/licenseDetails`, { headers: await H() })).json()) as { value: { servicePlans: { servicePlanName: string }[] }[] };
    expect(lic.value[0]!.servicePlans.map((p) => p.servicePlanName)).toContain('M365_ADVANCED_AUDITING');
    const skus = (await (await t.get(`${t.sim.graphBase}/v1.0/subscribedSkus`, { headers: await H() })).json()) as { value: unknown[] };
    expect(skus.value.length).toBe(2);
  });
  it('403 Authorization_RequestDenied without User.Read.All / Directory.Read.All; unknown $select property is 400', async () => {
    const r = await t.get(`${t.sim.graphBase}/v1.0/users`, { headers: await H('graph-exchange-auditquery') });
    expect(r.status).toBe(403);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('Authorization_RequestDenied');
    expect((await t.get(`${t.sim.graphBase}/v1.0/users?$select=nope`, { headers: await H() })).status).toBe(400);
  });
});
