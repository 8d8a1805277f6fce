import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { parseText } from '../core/formats/index.ts';
import { loadMigrations, migrate, openMemory } from './database.ts';
import type { WritableDB } from './database.ts';
import { startImportRun, upsertEvidence } from './caseRepo.ts';
import { EventWriter } from './events.ts';
import {
  abandonRun, countSlice, finishRun, heldCounts, finishSlice, getTenantProfile, hasLedger, insertSlice, listLedger, listRuns, recordPage, saveTenantProfile,
  getSlice, sliceAnswers, slicesForPlan, splitLedgerSlice, startRun, totals,
} from './ledger.ts';

const NOW = '2026-05-01T12:00:00.000Z';

function db(): WritableDB {
  const d = openMemory();
  expect(hasLedger(d)).toBe(true); // migration 0003 creates it
  return d;
}

function rec(id: string, sec: number): Record<string, unknown> {
  return { Id: id, CreationTime: `2026-05-01T10:00:${String(sec).padStart(2, '0')}`, RecordType: 2, Operation: 'Send', UserId: 'alex@contoso.com', Workload: 'Exchange' };
}

/** Stores a page of records as one evidence item, the way ingestStaged does, and links it to a slice. */
function page(d: WritableDB, sliceId: number, sha: string, records: Record<string, unknown>[]): void {
  const ev = upsertEvidence(d, { sha256: sha, size: 1, relPath: `evidence/${sha}`, originalPath: null, originalName: null, modifiedAt: null, addedBy: 't', addedAt: NOW, format: 'ual-json', source: 'acquisition' }).record;
  const run = startImportRun(d, { evidenceId: ev.id, source: 'acquisition', file: null, format: 'ual-json', startedAt: NOW, asOf: NOW });
  const w = new EventWriter(d, ev.id, run);
  let n = 0;
  for (const it of parseText('ual-json', JSON.stringify(records))) {
    if (it.kind !== 'event') throw new Error(`test record not parsed: ${JSON.stringify(it)}`);
    w.write(it.event, it.loc);
    n++;
  }
  recordPage(d, sliceId, ev.id, run, n, NOW);
}

describe('ledger', () => {
  it('has the columns coverage analysis reads', () => {
    const d = db();
    const cols = (d.prepare('PRAGMA table_info(ledger)').all() as { name: string }[]).map((c) => c.name);
    for (const c of ['id', 'source', 'slice_start', 'slice_end', 'status', 'query_json', 'reported', 'retrieved', 'duplicates', 'retries', 'reason']) expect(cols).toContain(c);
  });

  it('reconciles a slice: distinct records across pages, repeats counted as duplicates', () => {
    const d = db();
    const runId = startRun(d, { tenantName: 't', planHash: 'p1', planJson: '{}', startedAt: NOW });
    const a = insertSlice(d, { planHash: 'p1', runId, source: 'ual', sliceStart: '2026-05-01T10:00:00.000Z', sliceEnd: '2026-05-01T11:00:00.000Z', status: 'not-collected', query: { RecordType: null }, reason: 'not yet collected' }, NOW);
    const b = insertSlice(d, { planHash: 'p1', runId, source: 'graph', sliceStart: '2026-05-01T10:00:00.000Z', sliceEnd: '2026-05-01T11:00:00.000Z', status: 'not-collected', query: {}, reason: null }, NOW);
    page(d, a, 'a1', [rec('r1', 1), rec('r2', 2), rec('r3', 3)]);
    page(d, a, 'a2', [rec('r3', 3), rec('r4', 4), rec('r4', 4)]); // r3 repeats across pages, r4 within the page
    // another source sees records the first already stored: they still count for that slice
    page(d, b, 'b1', [rec('r1', 1), rec('r2', 2)]);
    expect(countSlice(d, a)).toEqual({ received: 6, retrieved: 4, duplicates: 2, pages: 2 });
    expect(countSlice(d, b)).toEqual({ received: 2, retrieved: 2, duplicates: 0, pages: 1 });
    const row = finishSlice(d, a, { status: 'complete', reported: 4, retriesAdded: 2, reason: null, runId }, NOW);
    expect(row).toMatchObject({ status: 'complete', reported: 4, retrieved: 4, duplicates: 2, retries: 2, pages: 2 });
    finishSlice(d, b, { status: 'incomplete', reported: 3, retriesAdded: 0, reason: 'reported 3, stored 2', runId }, NOW);
    const t = totals(listLedger(d));
    expect(t).toMatchObject({ slices: 2, complete: 1, incomplete: 1, retrieved: 6, duplicates: 2, retries: 2, reported: 7 });
    // over the case: 8 rows received are 4 distinct events (r1, r2 carried by both sources), 4 copies
    expect(heldCounts(d)).toEqual({ received: 8, distinct: 4, copies: 4 });
    expect(heldCounts(d, { planHash: 'p1', source: 'graph' })).toEqual({ received: 2, distinct: 2, copies: 0 });
    expect(heldCounts(d, { planHash: 'other' })).toEqual({ received: 0, distinct: 0, copies: 0 });
    // no slice with a reported total: reported is unknown, not 0
    expect(totals(listLedger(d).map((r) => ({ ...r, reported: null }))).reported).toBeNull();
    finishRun(d, runId, 'incomplete', t, null, NOW);
    expect(listRuns(d)[0]).toMatchObject({ status: 'incomplete', planHash: 'p1' });
    // a finished run is never marked abandoned; a run left running is
    abandonRun(d, runId, 'killed', NOW);
    expect(listRuns(d)[0]!.status).toBe('incomplete');
    const r2 = startRun(d, { tenantName: 't', planHash: 'p1', planJson: '{}', startedAt: NOW });
    abandonRun(d, r2, 'killed', NOW);
    expect(listRuns(d)[1]).toMatchObject({ status: 'abandoned', error: 'killed', finishedAt: NOW });
  });

  it('a split keeps the parent and its pages in ledger_splits and leaves a partition of leaves', () => {
    const d = db();
    const runId = startRun(d, { tenantName: 't', planHash: 'p2', planJson: '{}', startedAt: NOW });
    const id = insertSlice(d, { planHash: 'p2', runId, source: 'ual', sliceStart: '2026-05-01T00:00:00.000Z', sliceEnd: '2026-05-02T00:00:00.000Z', status: 'not-collected', query: {}, reason: null }, NOW);
    page(d, id, 'probe', [rec('x1', 1)]);
    const ids = splitLedgerSlice(d, id, [
      { sliceStart: '2026-05-01T00:00:00.000Z', sliceEnd: '2026-05-01T12:00:00.000Z' },
      { sliceStart: '2026-05-01T12:00:00.000Z', sliceEnd: '2026-05-02T00:00:00.000Z' },
    ], 80_000, 'ResultCount 80000 over the 50000 session cap', runId, NOW);
    expect(ids[0]).toBe(id);
    const leaves = slicesForPlan(d, 'p2');
    expect(leaves.map((l) => [l.sliceStart, l.sliceEnd, l.status])).toEqual([
      ['2026-05-01T00:00:00.000Z', '2026-05-01T12:00:00.000Z', 'not-collected'],
      ['2026-05-01T12:00:00.000Z', '2026-05-02T00:00:00.000Z', 'not-collected'],
    ]);
    expect(countSlice(d, id).pages).toBe(0);
    const split = d.prepare('SELECT * FROM ledger_splits').get() as { reported: number; parts: number; id: number };
    expect(split).toMatchObject({ reported: 80_000, parts: 2 });
    expect(d.prepare('SELECT COUNT(*) FROM ledger_evidence WHERE split_id = ?').pluck().get(split.id)).toBe(1);
    expect(leaves.every((l) => l.splitFrom === split.id)).toBe(true);
  });

  it('lists the API answers among a slice\'s own pages, newest first; a split takes them with it', () => {
    const d = db();
    const runId = startRun(d, { tenantName: 't', planHash: 'p3', planJson: '{}', startedAt: NOW });
    const slice = (start: string, end: string): number => insertSlice(d, { planHash: 'p3', runId, source: 'graph', sliceStart: start, sliceEnd: end, status: 'not-collected', query: {}, reason: null }, NOW);
    const a = slice('2026-05-01T00:00:00.000Z', '2026-05-02T00:00:00.000Z');
    const b = slice('2026-05-02T00:00:00.000Z', '2026-05-03T00:00:00.000Z');
    // As ingestStaged stores an answer: one evidence row per content (with the first exchange that
    // brought it), one import run per answer with its own exchange.
    const answer = (sliceId: number, sha: string, method: string, url: string, status: number, format = 'api-answer'): void => {
      const requestJson = JSON.stringify({ method, url, headers: {}, body: null });
      const responseJson = JSON.stringify({ status, headers: {} });
      const ev = upsertEvidence(d, {
        sha256: sha, size: 1, relPath: `evidence/${sha}`, originalPath: url, originalName: null, modifiedAt: null, addedBy: 't', addedAt: NOW, format, source: 'acquisition', requestJson, responseJson,
      }).record;
      recordPage(d, sliceId, ev.id, startImportRun(d, { evidenceId: ev.id, source: 'acquisition', file: url, format, startedAt: NOW, asOf: NOW, requestJson, responseJson }), 0, NOW);
    };
    answer(a, 'c1', 'POST', 'https://g/beta/security/auditLog/queries', 201);
    answer(a, 'r1', 'GET', 'https://g/beta/security/auditLog/queries/q1/records', 200, 'graph-json');
    answer(b, 'c2', 'POST', 'https://g/beta/security/auditLog/queries', 201);
    answer(a, 'g1', 'GET', 'https://g/beta/security/auditLog/queries/q1', 404);
    answer(b, 'g1', 'GET', 'https://g/beta/security/auditLog/queries/q2', 404); // the same body again, to another request
    expect(sliceAnswers(d, a)).toEqual([
      { page: 3, evidenceId: expect.any(Number), sha256: 'g1', relPath: 'evidence/g1', request: { method: 'GET', url: 'https://g/beta/security/auditLog/queries/q1' }, status: 404 },
      { page: 1, evidenceId: expect.any(Number), sha256: 'c1', relPath: 'evidence/c1', request: { method: 'POST', url: 'https://g/beta/security/auditLog/queries' }, status: 201 },
    ]);
    expect(sliceAnswers(d, b).map((x) => [x.sha256, x.request.url])).toEqual([['g1', 'https://g/beta/security/auditLog/queries/q2'], ['c2', 'https://g/beta/security/auditLog/queries']]);
    splitLedgerSlice(d, a, [
      { sliceStart: '2026-05-01T00:00:00.000Z', sliceEnd: '2026-05-01T12:00:00.000Z' },
      { sliceStart: '2026-05-01T12:00:00.000Z', sliceEnd: '2026-05-02T00:00:00.000Z' },
    ], 2_000_000, 'over the record count limit', runId, NOW);
    expect(sliceAnswers(d, a)).toEqual([]); // the first part keeps the row, not the whole slice's answers
  });

  it('keeps a slice\'s cause with its reason: written when inserted or finished, cleared by a finish without one and by a split', () => {
    const d = db();
    const runId = startRun(d, { tenantName: 't', planHash: 'p4', planJson: '{}', startedAt: NOW });
    const base = { planHash: 'p4', runId, source: 'mgmt', status: 'not-collected', query: {} } as const;
    const old = insertSlice(d, { ...base, sliceStart: '2026-04-01T00:00:00.000Z', sliceEnd: '2026-04-02T00:00:00.000Z', reason: 'out of reach', cause: 'out-of-reach' }, NOW);
    const id = insertSlice(d, { ...base, sliceStart: '2026-05-01T00:00:00.000Z', sliceEnd: '2026-05-02T00:00:00.000Z', reason: 'not yet collected' }, NOW);
    expect(slicesForPlan(d, 'p4').map((r) => r.cause)).toEqual(['out-of-reach', null]);
    const recent = finishSlice(d, id, { status: 'incomplete', reported: null, retriesAdded: 0, reason: 'collected an hour ago', cause: 'too-recent', runId }, NOW);
    expect(recent).toMatchObject({ status: 'incomplete', reason: 'collected an hour ago', cause: 'too-recent' });
    expect(finishSlice(d, id, { status: 'complete', reported: null, retriesAdded: 0, reason: null, runId }, NOW).cause).toBeNull();
    finishSlice(d, id, { status: 'failed', reported: null, retriesAdded: 0, reason: 'refused (403): no', cause: 'refused', runId }, NOW);
    splitLedgerSlice(d, id, [
      { sliceStart: '2026-05-01T00:00:00.000Z', sliceEnd: '2026-05-01T12:00:00.000Z' },
      { sliceStart: '2026-05-01T12:00:00.000Z', sliceEnd: '2026-05-02T00:00:00.000Z' },
    ], null, 'too many', runId, NOW);
    expect(slicesForPlan(d, 'p4').map((r) => [r.sliceStart, r.cause])).toEqual([
      ['2026-04-01T00:00:00.000Z', 'out-of-reach'], ['2026-05-01T00:00:00.000Z', null], ['2026-05-01T12:00:00.000Z', null],
    ]);
    expect(getSlice(d, old)?.cause).toBe('out-of-reach');
    // only the causes the program knows
    expect(() => d.prepare("UPDATE ledger SET cause = 'tired' WHERE id = ?").run(old)).toThrow(/CHECK constraint failed/);
  });

  it('0010 gives an older ledger\'s slices the causes their reasons were written with', () => {
    const all = loadMigrations();
    const k = all.findIndex((m) => m.name.startsWith('0010_'));
    expect(k).toBeGreaterThan(0);
    const d = new Database(':memory:');
    migrate(d, ':memory:', all.slice(0, k));
    const rows: [string, string | null][] = [
      ['incomplete', 'too recent: this slice ends at 2026-05-01T00:00:00.000Z, less than 24 h before it was collected'],
      ['complete', 'too recent, but not a reason the program wrote'],
      ['not-collected', 'in the future: this slice starts after the collection time'],
      ['failed', 'in the future: not on a slice that was collected'],
      ['failed', 'refused (403): Graph returned 403'],
      ['not-collected', 'not collected: refused (401): Exchange Online returned 401'],
      ['failed', 'refused (429): not a permission refusal'],
      ['not-collected', 'not collected: list mailboxes: Exchange Online returned 403'],
      ['not-collected', 'the Management Activity API reaches back 7 days only: this part of the range cannot be collected from it'],
      ['incomplete', 'Too recent: not with this case'],
      ['incomplete', null],
    ];
    const insert = d.prepare(`INSERT INTO ledger (plan_hash, source, slice_start, slice_end, status, query_json, reason, updated_at) VALUES ('p', 'ual', ?, ?, ?, '{}', ?, ?)`);
    rows.forEach(([status, reason], i) => insert.run(`2026-05-${String(i + 1).padStart(2, '0')}T00:00:00.000Z`, `2026-05-${String(i + 2).padStart(2, '0')}T00:00:00.000Z`, status, reason, NOW));
    migrate(d, ':memory:', all);
    expect(d.prepare('SELECT cause FROM ledger ORDER BY id').pluck().all()).toEqual([
      'too-recent', null, 'in-future', null, 'refused', 'refused', null, null, 'out-of-reach', null, null,
    ]);
    d.close();
  });

  it('keeps tenant profiles without secrets', () => {
    const d = db();
    saveTenantProfile(d, { name: 'contoso', tenant: 'contoso.onmicrosoft.com', cloud: 'global', clientId: 'c1', authMode: 'certificate', certPath: '/k/app.pem', endpoints: null, caPath: null, graphVersion: 'beta', createdAt: NOW, createdBy: 'me' });
    expect(getTenantProfile(d, 'contoso')).toMatchObject({ authMode: 'certificate', certPath: '/k/app.pem', endpoints: null });
    const cols = (d.prepare('PRAGMA table_info(tenant_profiles)').all() as { name: string }[]).map((c) => c.name);
    expect(cols.some((c) => /secret|token|key/.test(c))).toBe(false);
  });
});
