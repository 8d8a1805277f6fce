// The simulated tenant's Graph audit queries over their lifetime (§2.1, §2.3, §2.5): a query stays
// retrievable after it is created, by any later GET, until the service forgets it; then, like an id it never
// issued, it answers 404 with Graph's error body. A query can also end failed or cancelled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSim, type TestSim } from '../../sim/server/testHelpers.ts';

let t: TestSim;
beforeAll(async () => { t = await startTestSim({ graphMaxConcurrentQueries: 2 }); });
afterAll(async () => { await t.close(); });

const BODY = { '@odata.type': '#microsoft.graph.security.auditLogQuery', displayName: 'x', filterStartDateTime: '2026-11-08T00:00:00Z', filterEndDateTime: '2026-11-09T00:00:00Z', operationFilters: ['Send'] };
const H = async () => ({ Authorization: `Bearer ${await t.token('secret', 'graph')}` });
const queries = () => `${t.sim.graphBase}/beta/security/auditLog/queries`;

async function create(): Promise<string> {
  const r = await t.post(queries(), BODY, { headers: await H() });
  expect(r.status).toBe(201);
  return ((await r.json()) as { id: string }).id;
}

async function get(id: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await t.get(`${queries()}/${id}`, { headers: await H() });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

function expectGraphNotFound(r: { status: number; body: Record<string, unknown> }, id: string): void {
  expect(r.status).toBe(404);
  const e = (r.body as { error: { code: string; message: string; innerError: Record<string, string> } }).error;
  expect(e.code).toBe('NotFound');
  expect(e.message).toContain(id);
  expect(Object.keys(e.innerError).sort()).toEqual(['client-request-id', 'date', 'request-id']);
}

describe('Graph audit query lifetime', () => {
  it('a query is retrievable again after it was created, with its filters, until the service forgets it; then 404', async () => {
    const id = await create();
    const before = t.sim.graph.createdQueries().length;
    // a later client (a resumed acquisition) finds it by id, as created, and it moves on when polled
    const a = await get(id);
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ id, filterStartDateTime: BODY.filterStartDateTime, filterEndDateTime: BODY.filterEndDateTime, operationFilters: ['Send'], status: 'running' });
    t.sim.graph.completeAllQueries();
    expect((await get(id)).body.status).toBe('succeeded');
    const rec = await t.get(`${queries()}/${id}/records`, { headers: await H() });
    expect(rec.status).toBe(200);
    // past the retention it is gone: by id, from the list, and its records
    t.sim.graph.expireQueries();
    expectGraphNotFound(await get(id), id);
    const list = (await (await t.get(queries(), { headers: await H() })).json()) as { value: { id: string }[] };
    expect(list.value.some((q) => q.id === id)).toBe(false);
    expect((await t.get(`${queries()}/${id}/records`, { headers: await H() })).status).toBe(404);
    // the history still names it (tests count the creates)
    expect(t.sim.graph.createdQueries().slice(0, before).some((q) => q.id === id)).toBe(true);
  });

  it('an id the service never issued answers 404 with the same error body', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    expectGraphNotFound(await get(id), id);
  });

  it('a query that ended failed stays failed, has no records, and no longer counts against the concurrency cap', async () => {
    t.sim.graph.expireQueries();
    const a = await create();
    const b = await create();
    // two queued: the cap (2) is reached
    expect((await t.post(queries(), BODY, { headers: await H() })).status).toBe(429);
    t.sim.graph.endQuery(a, 'failed');
    t.sim.graph.endQuery(b, 'cancelled');
    // Ended, not succeeded: no longer running, so the cap has room again.
    t.sim.graph.endQuery(await create(), 'cancelled');
    t.sim.graph.completeAllQueries();
    expect((await get(a)).body.status).toBe('failed');
    expect((await get(b)).body.status).toBe('cancelled');
    expect((await get(a)).body.approximateReturnedRecordCount).toBeUndefined();
    expect((await t.get(`${queries()}/${a}/records`, { headers: await H() })).status).toBe(400);
    expect((await t.post(queries(), BODY, { headers: await H() })).status).toBe(201);
  });
});
