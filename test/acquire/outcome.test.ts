// What an acquisition's outcome says against the simulated tenant: slices after now or within the settle
// margin of now are not final and are collected again later; a refused sign-in writes nothing; the totals
// count each event once however many sources carried it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createCase } from '../../services/caseFolder.ts';
import { CaseError } from '../../services/errors.ts';
import type { CaseHandle } from '../../services/caseFolder.ts';
import { acquire, recencyOutlook, SETTLE_MS } from '../../services/acquisition.ts';
import { addTenant, signIn } from '../../services/tenantSession.ts';
import type { Session } from '../../services/tenantSession.ts';
import { SignInError } from '../../acquire/auth.ts';
import { getTenantProfile, listLedger, listRuns, startRun } from '../../db/ledger.ts';
import { startSim } from '../../sim/index.ts';
import type { SimHandle } from '../../sim/index.ts';
import { createTestScenario } from '../../sim/server/testScenario.ts';
import { certFile, client, NO_LATENCY, tmpDir } from './helpers.ts';

const H = 3_600_000;
const D = 24 * H;
let sim: SimHandle;
beforeAll(async () => {
  // the tenant's "now" is the real now (the Management API reach is measured from it)
  sim = await startSim({ scenarioInstance: createTestScenario({ days: 3, eventsPerDay: 40, now: new Date(Math.floor(Date.now() / H) * H) }), graphPollsPerStep: 1 });
});
afterAll(async () => { await sim.close(); });

function newCase(): CaseHandle {
  const h = createCase(join(tmpDir(), 'case'), { name: 'outcome', examiner: 't' });
  const c = client(sim, 'certificate');
  addTenant(h, { name: 'sim', tenant: sim.tenantId, clientId: c.clientId, auth: 'certificate', certPath: certFile(c), authorityHost: sim.origin, caPath: sim.caCertPath });
  return h;
}

async function withSession<T>(h: CaseHandle, fn: (s: Session) => Promise<T>): Promise<T> {
  const s = await signIn(getTenantProfile(h.db, 'sim')!, { retry: { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 1000 } });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

describe('slices after now, and within the settle margin of now', () => {
  it('are not collected (future) or not final (too recent), and the same plan run later collects them again', async () => {
    const h = newCase();
    try {
      const start = sim.scenario.range.start.getTime();
      const now = sim.scenario.range.end.getTime(); // the tenant's now; the range runs two days past it
      const plan = { tenant: 'sim', from: new Date(start).toISOString(), to: new Date(now + 2 * D).toISOString(), sources: ['ual' as const] };
      const first = await withSession(h, (s) => acquire(h, s, plan, { sualResultSize: 100, now: () => now }));
      const rows = listLedger(h.db);
      const future = rows.filter((r) => Date.parse(r.sliceStart) >= now);
      const recent = rows.filter((r) => Date.parse(r.sliceStart) < now && Date.parse(r.sliceEnd) > now - SETTLE_MS);
      expect(future.length).toBeGreaterThan(0);
      expect(recent.length).toBeGreaterThan(0);
      for (const r of future) {
        expect(r.status).toBe('not-collected');
        expect(r.reason).toMatch(/^in the future: .*run the same command again after/);
        expect(r.cause).toBe('in-future');
        expect(r.pages).toBe(0);
      }
      for (const r of recent) {
        expect(r.status).toBe('incomplete');
        expect(r.reason).toMatch(/^too recent: .*ingestion latency.*run the same command again after/);
        expect(r.cause).toBe('too-recent');
      }
      for (const r of rows.filter((x) => !future.includes(x) && !recent.includes(x))) expect(r).toMatchObject({ status: 'complete', cause: null });
      expect(first).toMatchObject({ inFuture: future.length, tooRecent: recent.length, runAgainAfter: new Date(now + 2 * D + SETTLE_MS).toISOString() });
      expect(first.complete).toBeLessThan(first.slices);
      const held = h.db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
      expect(held).toBe(new Set([...sim.scenario.recordsBetween(start, now)].map((r) => r.Id)).size);

      // later, when the whole range has settled: the same plan collects the rest, nothing twice
      const later = await withSession(h, (s) => acquire(h, s, plan, { sualResultSize: 100, now: () => now + 3 * D + H }));
      expect(later).toMatchObject({ resumed: true, complete: later.slices, tooRecent: 0, inFuture: 0, runAgainAfter: null, records: held });
      expect(listLedger(h.db).every((r) => r.cause === null)).toBe(true); // collected again, final: no cause left
      expect(later.duplicates).toBeGreaterThan(0); // the too recent slices, collected again, are copies
      expect(h.db.prepare('SELECT COUNT(*) FROM events').pluck().get()).toBe(held);
    } finally {
      h.close();
    }
  });

  it('the preflight outlook says what will not be final and when to run again', () => {
    const now = Date.parse('2026-12-07T06:00:00Z');
    expect(recencyOutlook(now - 10 * D, now - 2 * D, now)).toBeNull();
    const o = recencyOutlook(Date.parse('2026-12-06T00:00:00Z'), Date.parse('2026-12-09T00:00:00Z'), now)!;
    expect(o).toMatch(/runs 42 h past now .*slices starting after now will not be collected/);
    expect(o).toMatch(/less than 24 h ago .*not final/);
    expect(o).toMatch(/run the same command again after 2026-12-10T00:00:00.000Z/);
    expect(recencyOutlook(now + D, now + 2 * D, now)).toMatch(/whole range is in the future/);
  });
});

describe('a refused sign-in', () => {
  it('leaves the case as it was: no run, no planned slices, an earlier run left running not yet marked abandoned', async () => {
    const h = newCase();
    try {
      // A run whose process was killed: the next acquisition that gets going marks it abandoned, a refused one does not.
      const stale = startRun(h.db, { tenantName: 'bad', planHash: 'x', planJson: '{}', startedAt: '2026-01-01T00:00:00.000Z' });
      const c = client(sim, 'secret');
      const p = addTenant(h, { name: 'bad', tenant: sim.tenantId, clientId: c.clientId, auth: 'secret', authorityHost: sim.origin, caPath: sim.caCertPath });
      const s = await signIn(p, { clientSecret: 'wrong' });
      try {
        const err = await acquire(h, s, { tenant: 'bad', from: sim.scenario.range.start.toISOString(), to: sim.scenario.range.end.toISOString(), sources: ['ual', 'graph'] }, NO_LATENCY).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(SignInError);
        expect((err as SignInError).exitCode).toBe(5);
      } finally {
        await s.close();
      }
      expect(listRuns(h.db).map((r) => [r.id, r.status])).toEqual([[stale, 'running']]);
      expect(listLedger(h.db)).toEqual([]);
      expect(h.custodyEntries().map((e) => e.action)).not.toContain('acquisition-started');
      expect(h.custodyEntries().map((e) => e.action)).not.toContain('acquisition-abandoned');
    } finally {
      h.close();
    }
  });
});

describe('a disk that fills up while pages are stored', () => {
  it('stops the run as failed, saying so with what to do (exit 4), and the same plan run again with room completes it', async () => {
    const h = newCase();
    try {
      const plan = { tenant: 'sim', from: sim.scenario.range.start.toISOString(), to: sim.scenario.range.end.toISOString(), sources: ['ual' as const] };
      const stage = h.stageBytes.bind(h);
      let pages = 0;
      // The third page finds the disk full, as writeFileSync reports it.
      h.stageBytes = (bytes) => {
        if (++pages >= 3) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        return stage(bytes);
      };
      const err = (await withSession(h, (s) => acquire(h, s, plan, { sualResultSize: 100, ...NO_LATENCY })).catch((e: unknown) => e)) as CaseError;
      expect(err).toBeInstanceOf(CaseError);
      expect(err.exitCode).toBe(4);
      expect(err.message).toBe('acquire: no space left to store what the tenant sends (ENOSPC: no space left on device, write); the acquisition stopped. The pages stored before are in the case.');
      expect(err.hint).toBe(`Free space on the disk that holds ${h.dir}, then run the same command again: it continues from the ledger.`);
      expect(listRuns(h.db).map((r) => [r.status, r.error])).toEqual([['failed', 'ENOSPC: no space left on device, write']]);
      expect(h.custodyEntries().at(-1)).toMatchObject({ action: 'acquisition-finished', details: { status: 'failed' } });
      h.stageBytes = stage;
      const again = await withSession(h, (s) => acquire(h, s, plan, { sualResultSize: 100, ...NO_LATENCY }));
      expect(again.resumed).toBe(true);
      expect(again.complete).toBe(again.slices);
      // The same events as an acquisition that never ran out of room.
      const clean = newCase();
      try {
        await withSession(clean, (s) => acquire(clean, s, plan, { sualResultSize: 100, ...NO_LATENCY }));
        const ids = (db: typeof h.db) => db.prepare('SELECT record_id FROM events ORDER BY record_id').pluck().all();
        expect(ids(h.db)).toEqual(ids(clean.db));
        expect(ids(h.db).length).toBeGreaterThan(0);
      } finally {
        clean.close();
      }
    } finally {
      h.close();
    }
  });
});

describe('the totals', () => {
  it('count each event once across sources, the copies as duplicates, and no reported total for the Management API', async () => {
    const h = newCase();
    try {
      const plan = { tenant: 'sim', from: sim.scenario.range.start.toISOString(), to: sim.scenario.range.end.toISOString(), sources: ['ual' as const, 'graph' as const, 'mgmt' as const] };
      const sum = await withSession(h, (s) => acquire(h, s, plan, { ...NO_LATENCY, sualResultSize: 100, graphPollMs: 0 }));
      const events = h.db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
      const received = listLedger(h.db).reduce((a, r) => a + r.received, 0);
      expect(events).toBeGreaterThan(50);
      expect(sum).toMatchObject({ records: events, inserted: events, received, duplicates: received - events });
      expect(sum.received).toBeGreaterThanOrEqual(2 * events); // every source carries the tenant's records
      expect(sum.bySource.ual).toMatchObject({ records: events, duplicates: sum.bySource.ual!.received - events });
      expect(sum.bySource.graph!.records).toBe(events);
      expect(sum.bySource.mgmt!.reported).toBeNull();
      expect(sum.bySource.ual!.reported).toBe(sum.bySource.ual!.received);
    } finally {
      h.close();
    }
  });
});
