// Acquisition end to end against the simulated tenant (test scenario): each source into a real case,
// counts against the scenario's records, the ledger reconciled, evidence and custody written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { createCase } from '../../services/caseFolder.ts';
import type { CaseHandle } from '../../services/caseFolder.ts';
import { acquire } from '../../services/acquisition.ts';
import { addTenant, signIn } from '../../services/tenantSession.ts';
import { preflight, takePosture } from '../../services/posture.ts';
import type { Session } from '../../services/tenantSession.ts';
import { listLedger } from '../../db/ledger.ts';
import { startSim } from '../../sim/index.ts';
import type { SimHandle } from '../../sim/index.ts';
import { createTestScenario } from '../../sim/server/testScenario.ts';
import { certFile, client, NO_LATENCY, tmpDir } from './helpers.ts';
import { churn, MB } from '../helpers/heap.ts';

let sim: SimHandle;
const DAYS = 3;
const PER_DAY = 60;

beforeAll(async () => {
  // the tenant's "now" is the real now (the Management API reach is measured from it)
  sim = await startSim({ scenarioInstance: createTestScenario({ days: DAYS, eventsPerDay: PER_DAY, now: new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000) }), graphPollsPerStep: 1 });
});
afterAll(async () => { await sim.close(); });

function range(): { from: string; to: string; fromMs: number; toMs: number } {
  return { from: sim.scenario.range.start.toISOString(), to: sim.scenario.range.end.toISOString(), fromMs: sim.scenario.range.start.getTime(), toMs: sim.scenario.range.end.getTime() };
}

function truth(startMs: number, endMs: number, pred: (r: Record<string, unknown>) => boolean = () => true): Set<string> {
  const ids = new Set<string>();
  for (const r of sim.scenario.recordsBetween(Math.max(startMs, sim.scenario.range.end.getTime() - sim.scenario.tenant.ualRetentionDays * 86_400_000), endMs)) if (pred(r)) ids.add(r.Id);
  return ids;
}

async function newCase(name = 'certificate', on: SimHandle = sim): Promise<{ h: CaseHandle; s: Session; dir: string }> {
  const dir = join(tmpDir(), 'case');
  const h = createCase(dir, { name: 'acq', examiner: 'tester' });
  const c = client(on, name);
  const profile = addTenant(h, { name: 'sim', tenant: on.tenantId, clientId: c.clientId, auth: name === 'certificate' ? 'certificate' : 'secret', ...(name === 'certificate' ? { certPath: certFile(c) } : {}), authorityHost: on.origin, caPath: on.caCertPath });
  const s = await signIn(profile, { ...(c.clientSecret ? { clientSecret: c.clientSecret } : {}), retry: { maxAttempts: 6, baseDelayMs: 20, maxDelayMs: 200, maxRetryAfterMs: 10_000 } });
  return { h, s, dir };
}

/** Runs `fn` on a new case signed in to the simulated tenant; both are closed however it ends. */
async function withNewCase(fn: (c: { h: CaseHandle; s: Session; dir: string }) => Promise<void>, name = 'certificate', on: SimHandle = sim): Promise<void> {
  const c = await newCase(name, on);
  try {
    await fn(c);
  } finally {
    await c.s.close();
    c.h.close();
  }
}

function eventIds(h: CaseHandle): Set<string> {
  return new Set(h.db.prepare('SELECT record_id FROM events').pluck().all() as string[]);
}

describe('acquisition from the simulated tenant', () => {
  it('Search-UnifiedAuditLog: every record of the range, each page evidence with its request, a reconciled ledger', async () => {
    await withNewCase(async ({ h, s, dir }) => {
      const r = range();
      const sum = await acquire(h, s, { tenant: 'sim', from: r.from, to: r.to, sources: ['ual'] }, { ...NO_LATENCY, sualResultSize: 50 });
      const expected = truth(r.fromMs, r.toMs);
      expect(expected.size).toBeGreaterThan(100);
      expect(eventIds(h)).toEqual(expected);
      expect(sum).toMatchObject({ complete: sum.slices, incomplete: 0, failed: 0, records: expected.size, inserted: expected.size, interrupted: false });
      for (const row of listLedger(h.db)) {
        expect(row.status).toBe('complete');
        expect(row.retrieved).toBe(row.reported);
      }
      // evidence: bodies as received, with the request (no token) and response headers
      const ev = h.db.prepare("SELECT v.sha256, v.rel_path, r.request_json, r.response_json FROM import_runs r JOIN evidence v ON v.id = r.evidence_id WHERE r.source = 'acquisition'").all() as { sha256: string; rel_path: string; request_json: string; response_json: string }[];
      expect(ev.length).toBeGreaterThan(3);
      for (const e of ev) {
        expect(e.request_json).toContain('Search-UnifiedAuditLog');
        expect(e.request_json).not.toMatch(/Bearer|eyJ0eXAi|authorization/i);
        expect(JSON.parse(e.response_json).status).toBe(200);
      }
      // every event points to the page it came from
      expect(h.db.prepare('SELECT COUNT(*) FROM events e LEFT JOIN evidence v ON v.id = e.evidence_id WHERE v.id IS NULL').pluck().get()).toBe(0);
      const custody = readFileSync(join(dir, 'custody.jsonl'), 'utf8');
      expect(custody).toContain('acquisition-started');
      expect(custody).toContain('acquisition-finished');
      expect(custody).toContain('acquisition-page');
    });
  });

  it('a slice over the session cap is split; a one-second slice still over it is reported incomplete', async () => {
    await withNewCase(async ({ h, s }) => {
      const r = range();
      const from = r.fromMs;
      const to = from + 6 * 3_600_000;
      const expected = truth(from, to);
      // a tiny session cap: the first day-long slice must be cut until each part is under it
      const sum = await acquire(h, s, { tenant: 'sim', from: new Date(from).toISOString(), to: new Date(to).toISOString(), sources: ['ual'] }, { ...NO_LATENCY, sualResultSize: 5, sualSessionCap: 10 });
      expect(eventIds(h)).toEqual(expected);
      expect(sum.slices).toBeGreaterThan(1);
      expect(sum.incomplete).toBe(0);
      expect(h.db.prepare('SELECT COUNT(*) FROM ledger_splits').pluck().get()).toBeGreaterThan(0);
      // cap 0 rows per session: even one second cannot be retrieved, and the ledger says so
      const one = [...sim.scenario.recordsBetween(from, to)][0]!;
      const sec = Date.parse(`${one.CreationTime}Z`);
      const sum2 = await acquire(h, s, { tenant: 'sim', from: new Date(sec).toISOString(), to: new Date(sec + 1000).toISOString(), sources: ['ual'] }, { ...NO_LATENCY, sualResultSize: 5, sualSessionCap: 0 });
      expect(sum2).toMatchObject({ slices: 1, incomplete: 1, complete: 0 });
      const row = listLedger(h.db).find((x) => x.sliceStart === new Date(sec).toISOString())!;
      expect(row.status).toBe('incomplete');
      expect(row.reason).toMatch(/one-second slice cannot be cut further/);
    });
  });

  it('Graph audit query: every record, reconciled with the reported count', async () => {
    await withNewCase(async ({ h, s }) => {
      const r = range();
      const sum = await acquire(h, s, { tenant: 'sim', from: r.from, to: r.to, sources: ['graph'] }, { ...NO_LATENCY, graphPollMs: 0 });
      const expected = truth(r.fromMs, r.toMs);
      expect(eventIds(h)).toEqual(expected);
      expect(sum).toMatchObject({ incomplete: 0, failed: 0, records: expected.size });
      // Each slice's evidence begins with the query as created and its final status (the reported count).
      for (const l of listLedger(h.db)) {
        const pages = h.db.prepare(`SELECT v.format, r.request_json, v.rel_path FROM ledger_evidence le JOIN evidence v ON v.id = le.evidence_id
                                    JOIN import_runs r ON r.id = le.import_run_id WHERE le.ledger_id = ? ORDER BY le.page`).all(l.id) as { format: string; request_json: string; rel_path: string }[];
        const [create, status] = pages.map((p) => ({ format: p.format, method: JSON.parse(p.request_json).method as string }));
        expect(create).toEqual({ format: 'api-answer', method: 'POST' });
        expect(status).toEqual({ format: 'api-answer', method: 'GET' });
        // The status stored is the final one, whose count the ledger reports (not an earlier "running" poll).
        const final = JSON.parse(readFileSync(h.abs(pages[1]!.rel_path), 'utf8')) as { status: string; approximateReturnedRecordCount: number };
        expect(final.status).toBe('succeeded');
        expect(final.approximateReturnedRecordCount).toBe(l.reported);
        expect(pages.slice(2).every((p) => p.format === 'graph-json')).toBe(true);
      }
    });
  });

  it('Management Activity API and mailbox audit history, recorded in the ledger', async () => {
    await withNewCase(async ({ h, s }) => {
      const r = range();
      // Asked for by name, mailbox audit history is collected over the whole range.
      const sum = await acquire(h, s, { tenant: 'sim', from: r.from, to: r.to, sources: ['mgmt', 'mailbox-audit'], explicitSources: true }, { ...NO_LATENCY, sualResultSize: 100 });
      expect(sum.failed).toBe(0);
      const rows = listLedger(h.db);
      expect(rows.some((x) => x.source === 'mgmt')).toBe(true);
      // Every content listing is evidence of its slice, stored before the blobs it names, holding no records.
      const pages = h.db.prepare(`SELECT v.format, r.request_json, le.records FROM ledger_evidence le JOIN ledger l ON l.id = le.ledger_id
                                  JOIN evidence v ON v.id = le.evidence_id JOIN import_runs r ON r.id = le.import_run_id
                                  WHERE l.source = 'mgmt' ORDER BY le.ledger_id, le.page`).all() as { format: string; request_json: string; records: number }[];
      const listings = pages.filter((p) => p.format === 'api-answer');
      expect(listings.length).toBeGreaterThan(0);
      expect(listings.every((p) => p.records === 0 && /\/subscriptions\/content\?contentType=/.test(JSON.parse(p.request_json).url))).toBe(true);
      expect(pages.filter((p) => p.format === 'ual-json').length).toBeGreaterThan(0);
      expect(pages[0]!.format).toBe('api-answer');
      // This tenant still answers Search-MailboxAuditLog: asked per mailbox, no fallback.
      const mbx = rows.filter((x) => x.source === 'mailbox-audit');
      expect(mbx.length).toBeGreaterThan(0);
      expect(mbx.every((x) => x.query.cmdlet === 'Search-MailboxAuditLog' && x.query.fallback === undefined && x.status === 'complete')).toBe(true);
      // Management API blobs hold records by publication time: the range's records are all in the case
      const held = eventIds(h);
      const expected = truth(r.fromMs, r.toMs - 12 * 3_600_000);
      let missing = 0;
      for (const id of expected) if (!held.has(id)) missing++;
      expect(missing).toBe(0);
      // The answers that decided what was collected are evidence of the run too, each in the custody log:
      // the subscriptions found on (or started), the mailboxes listed, the probe of Search-MailboxAuditLog.
      const answerTo = h.custodyEntries().filter((e) => e.action === 'acquisition-page' && e.details['answerTo']).map((e) => e.details['answerTo']);
      expect(answerTo).toEqual(expect.arrayContaining(['Management Activity API subscriptions', 'list mailboxes for Search-MailboxAuditLog', 'Search-MailboxAuditLog probe']));
      const kept = (h.db.prepare("SELECT request_json FROM import_runs WHERE format = 'api-answer'").pluck().all() as string[]).map((x) => JSON.parse(x) as { url: string; body: string | null });
      expect(kept.some((q) => q.url.endsWith('/subscriptions/list'))).toBe(true);
      expect(kept.some((q) => q.body?.includes('"CmdletName":"Get-Mailbox"'))).toBe(true);
      expect(kept.some((q) => q.body?.includes('"CmdletName":"Search-MailboxAuditLog"') && q.body.includes('"ResultSize":1'))).toBe(true);
    });
  });

  it('where Search-MailboxAuditLog is retired, mailbox audit history comes from the unified log, and each slice says so', async () => {
    const retired = await startSim({ scenarioInstance: createTestScenario({ days: 1, eventsPerDay: PER_DAY, mailboxAuditLogRetired: true, now: new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000) }), graphPollsPerStep: 1 });
    try {
      await withNewCase(async ({ h, s, dir }) => {
        const from = retired.scenario.range.start.toISOString();
        const to = retired.scenario.range.end.toISOString();
        const sum = await acquire(h, s, { tenant: 'sim', from, to, sources: ['mailbox-audit'], explicitSources: true }, { ...NO_LATENCY, sualResultSize: 100 });
        expect(sum.failed).toBe(0);
        const mbx = listLedger(h.db).filter((x) => x.source === 'mailbox-audit');
        expect(mbx.length).toBeGreaterThan(0);
        expect(mbx.every((x) => x.query.cmdlet === 'Search-UnifiedAuditLog' && x.query.fallback === 'unified-log')).toBe(true);
        expect(mbx.every((x) => /instead of Search-MailboxAuditLog/.test(x.reason ?? ''))).toBe(true);
        expect(sum.bySource['mailbox-audit']?.notes.join(' ')).toMatch(/falling back to the unified log/);
        // The refusal that says the cmdlet is gone is kept as received: it is why the fallback was taken.
        const probes = (h.db.prepare("SELECT r.request_json, r.response_json, v.rel_path FROM import_runs r JOIN evidence v ON v.id = r.evidence_id WHERE r.format = 'api-answer'").all() as { request_json: string; response_json: string; rel_path: string }[])
          .filter((e) => (JSON.parse(e.request_json) as { body: string | null }).body?.includes('"CmdletName":"Search-MailboxAuditLog"'));
        expect(probes).toHaveLength(1);
        expect((JSON.parse(probes[0]!.response_json) as { status: number }).status).toBeGreaterThanOrEqual(400);
        expect(readFileSync(join(dir, probes[0]!.rel_path), 'utf8')).toMatch(/CommandNotFound|not recognized/);
      }, 'certificate', retired);
    } finally {
      await retired.close();
    }
  });

  it('as one of all sources, mailbox audit history is collected only beyond the unified log\'s retention', async () => {
    await withNewCase(async ({ h, s }) => {
      const r = range();
      const sum = await acquire(h, s, { tenant: 'sim', from: r.from, to: r.to, sources: ['ual', 'mailbox-audit'], explicitSources: false }, { ...NO_LATENCY, sualResultSize: 100 });
      expect(listLedger(h.db).filter((x) => x.source === 'mailbox-audit')).toEqual([]);
      expect(sum.bySource['mailbox-audit']?.notes.join(' ')).toMatch(/the unified log still holds the whole range/);
      expect(sum.bySource['mailbox-audit']?.notes.join(' ')).not.toMatch(/stored twice/);
      expect(sum.incomplete + sum.failed + sum.notCollected).toBe(0);
    });
  });

  it('asked for both the unified log and mailbox audit history over the same time, says the mailbox actions there are stored twice', async () => {
    await withNewCase(async ({ h, s }) => {
      const r = range();
      const sum = await acquire(h, s, { tenant: 'sim', from: r.from, to: r.to, sources: ['ual', 'mailbox-audit'], explicitSources: true }, { ...NO_LATENCY, sualResultSize: 100 });
      expect(sum.bySource['mailbox-audit']?.notes.join(' ')).toContain(`WARNING: from ${new Date(r.from).toISOString()} to ${new Date(r.to).toISOString()} the unified log, also collected by this run, holds the same mailbox actions: Search-MailboxAuditLog rows carry no unified-log record Id, so an action found by both is stored twice`);
    });
  });

  it('posture snapshot and preflight', async () => {
    await withNewCase(async ({ h, s }) => {
      const p = await takePosture(h, s);
      const failed = p.parts.filter((x) => !x.ok);
      expect(failed).toEqual([]);
      const kinds = new Set(h.db.prepare('SELECT kind FROM config_snapshots').pluck().all() as string[]);
      for (const k of ['organization', 'adminAuditLog', 'mailbox', 'bypass', 'licence']) expect(kinds).toContain(k);
      expect(h.db.prepare("SELECT COUNT(*) FROM config_rows WHERE kind = 'mailbox'").pluck().get()).toBe(sim.scenario.tenant.mailboxes.length);
      expect(h.db.prepare("SELECT DISTINCT as_of_source FROM config_snapshots").pluck().all()).toEqual(['acquisition']);
      const r = range();
      const pf = await preflight(s, h.db, { fromMs: r.fromMs, toMs: r.toMs });
      expect(pf.sources.find((x) => x.source === 'ual')).toMatchObject({ answers: true, estimate: truth(r.fromMs, r.toMs).size });
      expect(pf.sources.find((x) => x.source === 'graph')!.answers).toBe(true);
      expect(pf.sources.find((x) => x.source === 'mailbox-audit')!.answers).toBe(!sim.scenario.tenant.mailboxAuditLogRetired);
      // Retention from the posture just taken: every licensed user counted once, every mailbox's AuditLogAgeLimit.
      const t = sim.scenario.tenant;
      const premium = new Set(t.licences.filter((l) => l.state === 'Active' && l.servicePlans.some((p) => p.servicePlanName === 'M365_ADVANCED_AUDITING' && p.provisioningStatus === 'Success')).map((l) => l.userPrincipalName.toLowerCase()));
      expect(pf.retention.licences).toEqual({ premium: premium.size, standard: new Set(t.licences.map((l) => l.userPrincipalName.toLowerCase())).size - premium.size });
      expect(pf.retention.mailboxAudit!.reduce((a, m) => a + m.mailboxes, 0)).toBe(t.mailboxes.length);
      expect(pf.retention.lines[0]).toMatch(/^unified audit log: the whole range is within retention/);
    });
  });

  it('memory: the young generation is held small during a run and given back after it, even when it fails', async () => {
    await withNewCase(async ({ h, s }) => {
      const r = range();
      const settled: number[] = [];
      let peak = 0;
      // each progress report stands for a page's worth of work, enough to grow an unbounded young generation.
      // The first report can still find the young generation an earlier phase grew (13.9-19.1 MB on
      // 2026-12-07, at this commit and the one before it), which V8 gives back at its next scavenge: the
      // peak is taken from the second report on, once the bound has had a page to take hold.
      let reports = 0;
      await acquire(h, s, { tenant: 'sim', from: r.from, to: r.to, sources: ['ual'] }, { ...NO_LATENCY, sualResultSize: 50, onProgress: () => { const c = churn(10); settled.push(c.settled); if (reports++ > 0) peak = Math.max(peak, c.peak); } });
      expect(settled.length).toBeGreaterThan(3);
      expect(Math.max(...settled)).toBeLessThanOrEqual(4 * MB);
      expect(peak).toBeLessThan(16 * MB);
      await expect(acquire(h, s, { tenant: 'other', from: r.from, to: r.to, sources: ['ual'] })).rejects.toThrow(/signed in to sim/);
      expect(churn(60).settled).toBeGreaterThan(16 * MB);
    });
  });

  it('a missing permission is explained with what to grant and where', async () => {
    await withNewCase(async ({ h, s }) => {
      const r = range();
      const sum = await acquire(h, s, { tenant: 'sim', from: r.from, to: r.to, sources: ['graph'] }, { ...NO_LATENCY, graphPollMs: 0 });
      expect(sum.complete).toBe(0);
      const rows = listLedger(h.db);
      expect(rows[0]!.status).toBe('failed');
      expect(rows[0]!.reason).toMatch(/AuditLogsQuery\.Read\.All.*Entra admin center > App registrations > API permissions/);
      expect(rows.slice(1).every((x) => x.status === 'not-collected' && /not collected/.test(x.reason ?? ''))).toBe(true);
      // a permission refusal, for the exit code: the failed slice and the source's others
      expect(rows.every((x) => x.cause === 'refused')).toBe(true);
      expect(sum.refusedSources).toEqual(['graph']);
      // The refusal is kept with the failed slice's pages, as received.
      const answers = h.db.prepare('SELECT r.response_json FROM ledger_evidence le JOIN import_runs r ON r.id = le.import_run_id WHERE le.ledger_id = ?').pluck().all(rows[0]!.id) as string[];
      expect(answers.map((x) => (JSON.parse(x) as { status: number }).status)).toContain(403);
    }, 'graph-no-auditquery');
  });
});
