// Ctrl-C and kill -9 of a CLI acquisition mid-run, then the same command again: nothing lost, nothing
// duplicated, the ledger consistent with the evidence.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startSim } from '../../sim/index.ts';
import type { SimHandle } from '../../sim/index.ts';
import { createTestScenario } from '../../sim/server/testScenario.ts';
import { client, tmpDir } from './helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'blindspot.js');
let sim: SimHandle;

beforeAll(async () => {
  sim = await startSim({ scenarioInstance: createTestScenario({ days: 4, eventsPerDay: 400, now: new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 86_400_000) }) });
});
afterAll(async () => { await sim.close(); });

/** Runs the CLI without blocking this process (the simulated tenant answers from it). */
function cli(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function pagesStored(dbFile: string): number {
  if (!existsSync(dbFile)) return 0;
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return db.prepare("SELECT name FROM sqlite_master WHERE name = 'ledger_evidence'").get() ? db.prepare('SELECT COUNT(*) FROM ledger_evidence').pluck().get() as number : 0;
  } catch {
    return 0;
  } finally {
    db.close();
  }
}

/**
 * Creates a case with a tenant profile for the simulated tenant, signing in as its client `kind` with a
 * secret; returns the acquisition arguments and the environment that carries the secret.
 */
async function prepare(kind = 'secret'): Promise<{ dir: string; args: string[]; env: Record<string, string> }> {
  const c = client(sim, kind);
  const env = { BLINDSPOT_CLIENT_SECRET: c.clientSecret! };
  const clientId = c.clientId;
  const dir = join(tmpDir(), 'case');
  expect((await cli(['case', 'create', dir, '--name', 'resume', '--examiner', 't'], env)).status).toBe(0);
  const add = await cli(['tenant', 'add', dir, '--name', 'sim', '--tenant', sim.tenantId, '--client-id', clientId, '--auth', 'secret', '--authority-host', sim.origin, '--ca', sim.caCertPath], env);
  expect(add.status, add.stderr).toBe(0);
  const args = ['acquire', dir, '--tenant', 'sim', '--from', sim.scenario.range.start.toISOString(), '--to', sim.scenario.range.end.toISOString(), '--source', 'ual', '--slice-hours', '6', '--json'];
  return { dir, args, env };
}

/** Runs `read` on the case database, opened read-only, and closes it. */
function withCaseDb<T>(dir: string, read: (db: Database.Database) => T): T {
  const db = new Database(join(dir, 'case.sqlite'), { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** How long `interrupted` waits for the child's first pages; the tests that use it allow twice that. */
const SIGNAL_WAIT_MS = 90_000;
const SIGNAL_TEST = { timeout: 2 * SIGNAL_WAIT_MS };

/**
 * Runs `acquire` with every Exchange call slowed down (so it is still going), sends it `signal` once
 * `pages` answer pages are stored, and returns its exit status (null when killed) and its stdout.
 */
async function interrupted(args: string[], env: Record<string, string>, dir: string, pages: number, signal: NodeJS.Signals): Promise<{ status: number | null; out: string }> {
  sim.faults.inject({ path: /InvokeCommand/, kind: 'slow', delayMs: 60, count: Infinity });
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const closed = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const dbFile = join(dir, 'case.sqlite');
  // On a loaded machine the child can take many seconds to start and sign in: wait for its pages (bounded
  // well inside the test's own timeout), but not for a child that has already stopped.
  const t0 = Date.now();
  while (running() && pagesStored(dbFile) < pages) {
    if (Date.now() - t0 > SIGNAL_WAIT_MS) {
      child.kill('SIGKILL');
      await closed;
      throw new Error(`the acquisition stored fewer than ${pages} pages in ${SIGNAL_WAIT_MS / 1000} s; its stderr:\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!running()) throw new Error(`the acquisition stopped before ${pages} pages were stored (exit ${String(await closed)}); its stderr:\n${err}`);
  child.kill(signal);
  const status = await closed;
  sim.faults.clear();
  return { status, out };
}

/** The ids of every record the scenario holds in its range. */
function scenarioIds(): Set<string> {
  return new Set([...sim.scenario.recordsBetween(sim.scenario.range.start.getTime(), sim.scenario.range.end.getTime())].map((r) => r.Id));
}

describe('Ctrl-C during acquisition', () => {
  it('stops after the current page with exit 130 and a resumable ledger; the same command then completes it', SIGNAL_TEST, async () => {
    const { dir, args, env } = await prepare();
    const { status, out } = await interrupted(args, env, dir, 3, 'SIGINT');
    expect(status).toBe(130);
    const first = JSON.parse(out) as { interrupted: boolean; complete: number; slices: number };
    expect(first.interrupted).toBe(true);
    expect(first.complete).toBeLessThan(first.slices);
    expect(existsSync(join(dir, '.lock'))).toBe(false); // the case was closed cleanly
    const again = await cli(args, env);
    expect(again.status, again.stderr).toBe(0);
    const sum = JSON.parse(again.stdout) as { resumed: boolean; complete: number; slices: number };
    expect(sum).toMatchObject({ resumed: true, complete: sum.slices });
    const ids = withCaseDb(dir, (db) => db.prepare('SELECT record_id FROM events').pluck().all() as string[]);
    const expected = scenarioIds();
    expect(new Set(ids)).toEqual(expected);
    expect(ids.length).toBe(expected.size);
  });
});

describe('resume after kill -9', () => {
  it('continues from the ledger with nothing lost and nothing duplicated', SIGNAL_TEST, async () => {
    const { dir, args, env } = await prepare();
    await interrupted(args, env, dir, 4, 'SIGKILL');
    const stored = pagesStored(join(dir, 'case.sqlite'));
    expect(stored).toBeGreaterThanOrEqual(4);

    const again = await cli(args, env);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/Acquisition run 1 of this case had been left running .*marked abandoned/);
    const custody = readFileSync(join(dir, 'custody.jsonl'), 'utf8');
    expect(custody).toMatch(/"action":"acquisition-abandoned"/);
    const sum = JSON.parse(again.stdout) as { resumed: boolean; complete: number; slices: number; records: number; abandonedRuns: number[] };
    expect(sum.abandonedRuns).toEqual([1]);
    expect(sum.resumed).toBe(true);
    expect(sum.complete).toBe(sum.slices);

    const expected = scenarioIds();
    withCaseDb(dir, (db) => {
      const ids = db.prepare('SELECT record_id FROM events').pluck().all() as string[];
      expect(ids.length).toBe(new Set(ids).size); // nothing twice
      expect(new Set(ids)).toEqual(expected); // nothing lost, nothing extra
      const rows = db.prepare('SELECT status, reported, retrieved FROM ledger').all() as { status: string; reported: number; retrieved: number }[];
      for (const r of rows) expect(r).toMatchObject({ status: 'complete', retrieved: r.reported });
      expect(rows.reduce((a, r) => a + r.retrieved, 0)).toBe(expected.size);
      // every page in the ledger is committed evidence with its file in the store
      const files = db.prepare('SELECT v.rel_path FROM ledger_evidence l JOIN evidence v ON v.id = l.evidence_id').pluck().all() as string[];
      for (const f of files) expect(existsSync(join(dir, f))).toBe(true);
      const runs = db.prepare('SELECT status FROM acquisition_runs ORDER BY id').pluck().all();
      // the killed run never finished: the next acquisition found it left running and marked it abandoned
      expect(runs).toEqual(['abandoned', 'complete']);
      const killed = db.prepare('SELECT finished_at, error FROM acquisition_runs WHERE id = 1').get() as { finished_at: string | null; error: string };
      expect(killed.finished_at).not.toBeNull();
      expect(killed.error).toMatch(/process ended without finishing/);
    });
    const ledger = await cli(['ledger', dir], env);
    expect(ledger.stdout).toMatch(/slices: \d+ complete, 0 incomplete, 0 failed, 0 not collected/);
  });
});

describe('SIGTERM during acquisition', () => {
  it('is handled like Ctrl-C: stops after the current page, exit 130, the run marked interrupted', SIGNAL_TEST, async () => {
    const { dir, args, env } = await prepare();
    const { status, out } = await interrupted(args, env, dir, 3, 'SIGTERM');
    expect(status).toBe(130);
    expect((JSON.parse(out) as { interrupted: boolean }).interrupted).toBe(true);
    expect(withCaseDb(dir, (db) => db.prepare('SELECT status FROM acquisition_runs').pluck().all())).toEqual(['interrupted']);
  });
});

describe('what the exit code and summary say', () => {
  it('a range running past now: exit 1, NOT YET FINAL with when to run again', async () => {
    const { args, env } = await prepare();
    const to = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 86_400_000).toISOString();
    const r = await cli([...args.filter((a) => a !== '--json').map((a, i, all) => (all[i - 1] === '--to' ? to : a)), '--preflight'], env);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/preflight recency: the range runs \d+ h past now/);
    // Only the source asked for (--source ual) is reported.
    expect(r.stderr).toMatch(/^preflight ual: answers/m);
    expect(r.stderr).not.toMatch(/^preflight (graph|mgmt|mailbox-audit):/m);
    expect(r.stdout).toMatch(/NOT YET FINAL: \d+ slices are too recent to be final and \d+ are in the future .*run the same command again after \S+Z/);
  });

  it('a permission refusal: exit 5, the refused source named', async () => {
    const { dir, args, env } = await prepare('exchange-no-role');
    const r = await cli(args.filter((a) => a !== '--json'), env);
    expect(r.status, r.stdout + r.stderr).toBe(5);
    expect(r.stdout).toMatch(/REFUSED: the tenant refused permission or authentication for ual/);
    // The failed slice's reason: the service's own sentence ends before the hint begins (it read "role.. To fix").
    const ledger = (await cli(['ledger', dir], env)).stdout;
    expect(ledger).toMatch(/[^.]\. To fix: /);
    expect(ledger).not.toMatch(/\.\. To fix/);
  });
});
