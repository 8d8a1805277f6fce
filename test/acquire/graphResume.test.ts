// A Graph acquisition interrupted mid-slice and run again: the slice carries on with the audit query the
// earlier attempt created while the service still has it (no second POST for that slice), and creates a new
// one when the service has forgotten it or the query failed. Either way nothing is lost or stored twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createCase } from '../../services/caseFolder.ts';
import type { CaseHandle } from '../../services/caseFolder.ts';
import { acquire } from '../../services/acquisition.ts';
import type { AcquirePlan, AcquireSummary } from '../../services/acquisition.ts';
import { addTenant, signIn } from '../../services/tenantSession.ts';
import type { Session } from '../../services/tenantSession.ts';
import { finishSlice, listLedger } from '../../db/ledger.ts';
import type { LedgerRow } from '../../db/ledger.ts';
import { startSim } from '../../sim/index.ts';
import type { SimHandle } from '../../sim/index.ts';
import { createTestScenario } from '../../sim/server/testScenario.ts';
import { client, NO_LATENCY, tmpDir } from './helpers.ts';

let sim: SimHandle;
const PAGE = 25;

beforeAll(async () => {
  sim = await startSim({ scenarioInstance: createTestScenario({ days: 3, eventsPerDay: 60, now: new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000) }), graphPollsPerStep: 1 });
});
afterAll(async () => { await sim.close(); });

function plan(): AcquirePlan {
  return { tenant: 'sim', from: sim.scenario.range.start.toISOString(), to: sim.scenario.range.end.toISOString(), sources: ['graph'] };
}

function expectedIds(): Set<string> {
  const horizon = sim.scenario.range.end.getTime() - sim.scenario.tenant.ualRetentionDays * 86_400_000;
  const ids = new Set<string>();
  for (const r of sim.scenario.recordsBetween(Math.max(sim.scenario.range.start.getTime(), horizon), sim.scenario.range.end.getTime())) ids.add(r.Id);
  return ids;
}

async function withCase(fn: (h: CaseHandle, s: Session, dir: string) => Promise<void>): Promise<void> {
  since = sim.graph.createdQueries().length;
  const dir = join(tmpDir(), 'case');
  const h = createCase(dir, { name: 'graph-resume', examiner: 'tester' });
  const c = client(sim, 'secret');
  const profile = addTenant(h, { name: 'sim', tenant: sim.tenantId, clientId: c.clientId, auth: 'secret', authorityHost: sim.origin, caPath: sim.caCertPath });
  const s = await signIn(profile, { clientSecret: c.clientSecret!, retry: { maxAttempts: 6, baseDelayMs: 20, maxDelayMs: 200, maxRetryAfterMs: 10_000 } });
  try {
    await fn(h, s, dir);
  } finally {
    await s.close();
    h.close();
  }
}

/** The second slice of the plan (the first is collected whole before the interruption). */
function secondSlice(h: CaseHandle): LedgerRow {
  const rows = listLedger(h.db).filter((r) => r.source === 'graph');
  expect(rows.length).toBeGreaterThanOrEqual(3);
  return rows[1]!;
}

/** Runs the plan and stops it (as Ctrl-C does) once the second slice has `pages` pages stored. */
async function interruptAt(h: CaseHandle, s: Session, pages: number): Promise<AcquireSummary> {
  const ac = new AbortController();
  const sum = await acquire(h, s, plan(), { ...NO_LATENCY,
    graphPollMs: 0, graphPageSize: PAGE, signal: ac.signal,
    onProgress: () => { if (!ac.signal.aborted && listLedger(h.db).filter((r) => r.source === 'graph')[1]?.pages === pages) ac.abort(); },
  });
  expect(sum.interrupted).toBe(true);
  return sum;
}

/** Where this test's queries begin in the simulated tenant's history (the tests share one tenant). */
let since = 0;

/** The queries the simulated tenant was asked to create (POST) for a slice's bounds, in this test. */
function postsFor(row: LedgerRow): string[] {
  return sim.graph.createdQueries().slice(since)
    .filter((q) => Date.parse(String(q.filterStartDateTime)) === Date.parse(row.sliceStart) && Date.parse(String(q.filterEndDateTime)) === Date.parse(row.sliceEnd))
    .map((q) => q.id);
}

interface Page { page: number; format: string; records: number; request: { method: string; url: string }; status: number; body: Record<string, unknown> }

function pagesOf(h: CaseHandle, ledgerId: number): Page[] {
  const rows = h.db.prepare(`SELECT le.page, le.records, v.format, r.request_json, r.response_json, v.rel_path FROM ledger_evidence le JOIN evidence v ON v.id = le.evidence_id
                             JOIN import_runs r ON r.id = le.import_run_id WHERE le.ledger_id = ? ORDER BY le.page`).all(ledgerId) as { page: number; records: number; format: string; request_json: string; response_json: string; rel_path: string }[];
  return rows.map((r) => ({
    page: r.page, format: r.format, records: r.records, request: JSON.parse(r.request_json) as Page['request'], status: (JSON.parse(r.response_json) as { status: number }).status,
    body: JSON.parse(readFileSync(h.abs(r.rel_path), 'utf8')) as Record<string, unknown>,
  }));
}

/** Every record of the range once: as events, and in the ledger (retrieved = reported on every slice). */
function expectComplete(h: CaseHandle, sum: AcquireSummary): void {
  const expected = expectedIds();
  expect(expected.size).toBeGreaterThan(100);
  expect(sum).toMatchObject({ resumed: true, interrupted: false, complete: sum.slices, failed: 0, incomplete: 0, records: expected.size });
  const ids = h.db.prepare('SELECT record_id FROM events').pluck().all() as string[];
  expect(ids.length).toBe(expected.size); // nothing twice
  expect(new Set(ids)).toEqual(expected); // nothing lost, nothing extra
  for (const r of listLedger(h.db)) expect(r).toMatchObject({ status: 'complete', retrieved: r.reported });
}

function custodyOf(dir: string): { action: string; details: Record<string, unknown> }[] {
  return readFileSync(join(dir, 'custody.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; details: Record<string, unknown> });
}

describe('a resumed Graph slice and the query an earlier attempt created', () => {
  it.each([
    // 1 page: the query as created; the run stopped while it was still running at the service.
    { when: 'while its query was running', pages: 1 },
    // 3 pages: the query, its final status, the first page of records; the rest were not fetched.
    { when: 'while its records were being paged', pages: 3 },
  ])('interrupted $when: carries on with that query (no second POST for the slice), every record once', async ({ pages }) => {
    await withCase(async (h, s, dir) => {
      await interruptAt(h, s, pages);
      const row = secondSlice(h);
      expect(row.status).toBe('not-collected');
      const [earlier, ...more] = postsFor(row);
      expect(earlier).toBeDefined();
      expect(more).toEqual([]);
      const before = pagesOf(h, row.id);
      expect(before.length).toBe(pages);
      const recordsBefore = before.reduce((a, p) => a + p.records, 0);
      if (pages === 3) expect(recordsBefore).toBe(PAGE);

      const sum = await acquire(h, s, plan(), { ...NO_LATENCY, graphPollMs: 0, graphPageSize: PAGE });
      expectComplete(h, sum);
      expect(postsFor(row)).toEqual([earlier]); // the service was not asked for the slice again
      for (const r of listLedger(h.db)) expect(postsFor(r)).toHaveLength(1);

      // The ledger says which query the slice was collected from, and that an earlier attempt created it.
      const done = listLedger(h.db).find((r) => r.id === row.id)!;
      expect(done.query).toMatchObject({ graphQueryId: earlier, graphQueryReused: true });
      expect(done.reason).toMatch(new RegExp(`Graph query ${earlier}, which an earlier attempt created`));
      // Records fetched before the interruption are received again and counted as duplicates, not stored twice.
      expect(done.duplicates).toBe(recordsBefore);
      // The evidence: the look-up of that query (GET, 200) follows the earlier pages; no new create.
      const after = pagesOf(h, row.id).slice(pages);
      expect(after[0]).toMatchObject({ format: 'api-answer', status: 200, request: { method: 'GET' }, body: { id: earlier } });
      expect(after[0]!.request.url).toMatch(new RegExp(`/security/auditLog/queries/${earlier}$`));
      expect(after.some((p) => p.request.method === 'POST')).toBe(false);
      // The custody entry of that page says the query was looked up and carried on with.
      const lookups = custodyOf(dir).filter((c) => c.action === 'acquisition-page' && c.details.graphQueryLookup);
      expect(lookups.map((c) => c.details.graphQueryLookup)).toEqual([{ id: earlier, reused: true }]);
      expect(lookups[0]!.details).toMatchObject({ slice: row.id, source: 'graph' });
    });
  });

  it('the service no longer has the earlier query (404): a new one is created, the 404 kept as evidence, every record once', async () => {
    await withCase(async (h, s, dir) => {
      await interruptAt(h, s, 1);
      const row = secondSlice(h);
      const [earlier] = postsFor(row);
      sim.graph.expireQueries();

      const sum = await acquire(h, s, plan(), { ...NO_LATENCY, graphPollMs: 0, graphPageSize: PAGE });
      expectComplete(h, sum);
      const posts = postsFor(row);
      expect(posts).toHaveLength(2);
      expect(posts[0]).toBe(earlier);
      const fresh = posts[1]!;
      const done = listLedger(h.db).find((r) => r.id === row.id)!;
      expect(done.query.graphQueryId).toBe(fresh);
      expect(done.query.graphQueryReused).toBeUndefined();
      expect(done.reason).toBeNull();
      // The look-up answered 404 with Graph's error body; it is kept, before the new query's create.
      const after = pagesOf(h, row.id).slice(1);
      expect(after[0]).toMatchObject({ format: 'api-answer', status: 404, request: { method: 'GET' }, body: { error: { code: 'NotFound' } } });
      expect(after[0]!.request.url).toMatch(new RegExp(`/security/auditLog/queries/${earlier}$`));
      expect(after[1]).toMatchObject({ format: 'api-answer', status: 201, request: { method: 'POST' }, body: { id: fresh } });
      const lookups = custodyOf(dir).filter((c) => c.action === 'acquisition-page' && c.details.graphQueryLookup).map((c) => c.details.graphQueryLookup);
      expect(lookups).toEqual([{ id: earlier, reused: false, why: 'the service no longer has it (404)' }]);
    });
  });

  it('the earlier query failed at the service: a new one is created, every record once', async () => {
    await withCase(async (h, s) => {
      await interruptAt(h, s, 1);
      const row = secondSlice(h);
      const [earlier] = postsFor(row);
      sim.graph.endQuery(earlier!, 'failed');

      const sum = await acquire(h, s, plan(), { ...NO_LATENCY, graphPollMs: 0, graphPageSize: PAGE });
      expectComplete(h, sum);
      const posts = postsFor(row);
      expect(posts).toHaveLength(2);
      const done = listLedger(h.db).find((r) => r.id === row.id)!;
      expect(done.query.graphQueryId).toBe(posts[1]);
      const after = pagesOf(h, row.id).slice(1);
      expect(after[0]).toMatchObject({ format: 'api-answer', status: 200, request: { method: 'GET' }, body: { id: earlier, status: 'failed' } });
      expect(after[1]).toMatchObject({ format: 'api-answer', request: { method: 'POST' }, body: { id: posts[1] } });
    });
  });
  it('a slice its query left incomplete asks again; that second query, interrupted, is carried on with rather than a third', async () => {
    await withCase(async (h, s) => {
      await acquire(h, s, plan(), { ...NO_LATENCY, graphPollMs: 0, graphPageSize: PAGE });
      let row = secondSlice(h);
      const [first] = postsFor(row);
      expect(row.query.graphQueryId).toBe(first);
      // As when the service reports more records than its pages hold: the ledger names the query that answered.
      finishSlice(h.db, row.id, { status: 'incomplete', reported: row.retrieved + 1, retriesAdded: 0, reason: 'test: one record short', runId: row.runId! }, new Date().toISOString());
      row = secondSlice(h);
      await interruptAt(h, s, row.pages + 1); // the new query created, not yet finished
      const [, second, ...more] = postsFor(row);
      expect(second).toBeDefined(); // asked again: the query that left it incomplete is not carried on with
      expect(more).toEqual([]);
      expect(secondSlice(h).status).toBe('incomplete');

      const sum = await acquire(h, s, plan(), { ...NO_LATENCY, graphPollMs: 0, graphPageSize: PAGE });
      expect(sum).toMatchObject({ failed: 0, incomplete: 0, complete: sum.slices });
      expect(postsFor(row)).toEqual([first, second]);
      expect(listLedger(h.db).find((r) => r.id === row.id)!.query).toMatchObject({ graphQueryId: second, graphQueryReused: true });
    });
  });

  it('a stored answer naming a query the service defines with other bounds is not carried on with: a new query, and the look-up says why', async () => {
    await withCase(async (h, s, dir) => {
      await interruptAt(h, s, 1);
      const row = secondSlice(h);
      const [earlier] = postsFor(row);
      sim.graph.redefineQuery(earlier!, { filterStartDateTime: '2020-01-01T00:00:00Z' });
      const sum = await acquire(h, s, plan(), { ...NO_LATENCY, graphPollMs: 0, graphPageSize: PAGE });
      expectComplete(h, sum);
      expect(postsFor(row)).toHaveLength(2);
      const lookups = custodyOf(dir).filter((c) => c.action === 'acquisition-page' && c.details.graphQueryLookup).map((c) => c.details.graphQueryLookup);
      expect(lookups).toEqual([{ id: earlier, reused: false, why: expect.stringMatching(/^it is not this slice's query: its filterStartDateTime is 2020-01-01T00:00:00Z/) }]);
    });
  });

  it('a stored answer whose file no longer matches its hash is not trusted: a new query, without a look-up', async () => {
    await withCase(async (h, s, dir) => {
      await interruptAt(h, s, 1);
      const row = secondSlice(h);
      const create = h.db.prepare('SELECT v.rel_path FROM ledger_evidence le JOIN evidence v ON v.id = le.evidence_id WHERE le.ledger_id = ? AND le.page = 1').pluck().get(row.id) as string;
      const file = h.abs(create);
      chmodSync(file, 0o644);
      writeFileSync(file, readFileSync(file, 'utf8').replace(/"id":"/, '"id":"x'));
      const sum = await acquire(h, s, plan(), { ...NO_LATENCY, graphPollMs: 0, graphPageSize: PAGE });
      expectComplete(h, sum);
      expect(postsFor(row)).toHaveLength(2);
      expect(custodyOf(dir).some((c) => c.action === 'acquisition-page' && c.details.graphQueryLookup)).toBe(false);
    });
  });
});
