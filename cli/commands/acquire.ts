// blindspot posture <dir> --tenant <n> [--users U,…] [--json]
// blindspot acquire <dir> --tenant <n> --from ISO --to ISO [--source graph|ual|mgmt|mailbox-audit|all] [--users U,…]
//                   [--record-types …] [--operations …] [--slice-hours N] [--json]
// blindspot ledger <dir> [--json]
// Sign-in: device code shown on stderr; browser opens the system browser; certificate from the profile;
// secret from BLINDSPOT_CLIENT_SECRET. Token cache in memory unless BLINDSPOT_TOKEN_CACHE and
// BLINDSPOT_TOKEN_PASSPHRASE name an encrypted file outside the case.
import { spawn } from 'node:child_process';
import { openCase, openCaseReadOnly } from '../../services/caseFolder.ts';
import type { CaseHandle } from '../../services/caseFolder.ts';
import { EXIT, UsageError } from '../../services/errors.ts';
import { acquire, ALL_SOURCES, recencyOutlook } from '../../services/acquisition.ts';
import { requireTenant, signIn } from '../../services/tenantSession.ts';
import { preflight, takePosture } from '../../services/posture.ts';
import type { AcquireProgress, AcquireSummary } from '../../services/acquisition.ts';
import type { Session } from '../../services/tenantSession.ts';
import { encryptedFileCacheStore } from '../../acquire/tokenCache.ts';
import { heldCounts, listLedger, totals } from '../../db/ledger.ts';
import type { SourceId } from '../../db/ledger.ts';
import { withCtrlC } from '../interrupt.ts';
import { parse, parseIsoArg, parseIntArg, positional, requireString } from '../args.ts';
import { withProgress } from '../progress.ts';
import type { ProgressLine } from '../progress.ts';

function list(v: unknown): string[] | undefined {
  return typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
}

function openBrowser(url: string): Promise<void> {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  process.stderr.write(`Opening the browser for sign-in. If it does not open, visit:\n  ${url}\n`);
  const p = spawn(cmd, [url], { stdio: 'ignore', detached: true });
  p.on('error', () => {});
  p.unref();
  return Promise.resolve();
}

async function session(h: CaseHandle, tenant: string, signal: AbortSignal): Promise<Session> {
  const profile = requireTenant(h, tenant);
  const cacheFile = process.env.BLINDSPOT_TOKEN_CACHE;
  const pass = process.env.BLINDSPOT_TOKEN_PASSPHRASE;
  const cache = cacheFile && pass ? encryptedFileCacheStore(cacheFile, pass, h.dir) : undefined;
  return signIn(profile, {
    ...(cache ? { cache } : {}), signal,
    onDeviceCode: (p) => {
      process.stderr.write(`\n==================== SIGN IN ====================\n  On any device, open:  ${p.verificationUri}\n  and enter the code:   ${p.userCode}\n  (the code expires in ${Math.round(p.expiresInS / 60)} minutes)\n=================================================\n\n`);
    },
    openBrowser,
  });
}

/** Ctrl-C (SIGINT) and SIGTERM stop an acquisition or a posture after the current page. */
const ctrlC = () => withCtrlC('after the current page');

export async function postureCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('posture', argv, { tenant: { type: 'string' }, users: { type: 'string' }, json: { type: 'boolean' } });
  const h = openCase(positional('posture', positionals, 0, 'the case folder'));
  const c = ctrlC();
  try {
    const s = await session(h, requireString('posture', values.tenant, '--tenant'), c.signal);
    try {
      const users = list(values.users);
      const sum = await takePosture(h, s, { ...(users ? { users } : {}), signal: c.signal });
      if (values.json) process.stdout.write(JSON.stringify(sum) + '\n');
      else {
        process.stdout.write(`Posture of ${sum.tenant} as of ${sum.asOf}: ${sum.configRows} configuration rows from ${sum.pages} responses\n`);
        for (const p of sum.parts) process.stdout.write(`  ${p.ok ? 'ok  ' : 'FAIL'} ${p.what}: ${p.ok ? `${p.rows} rows` : p.error}\n`);
      }
      return sum.parts.every((p) => p.ok) ? EXIT.ok : EXIT.failure;
    } finally {
      await s.close();
    }
  } finally {
    c.dispose();
    h.close();
  }
}

function printSummary(s: AcquireSummary): void {
  const slices = (b: { slices: number; complete: number; incomplete: number; failed: number; notCollected: number }): string =>
    `${b.slices} slices (${b.complete} complete, ${b.incomplete} incomplete, ${b.failed} failed, ${b.notCollected} not collected)`;
  process.stdout.write(`All sources: ${s.received} records received in ${slices(s)}: ${s.records} distinct events (${s.inserted} new to the case in this run), ${s.duplicates} copies of records already held; ${s.retries} retries\n`);
  for (const [k, b] of Object.entries(s.bySource)) {
    process.stdout.write(`  ${k}: ${b!.received} records received in ${slices(b!)}, ${b!.records} distinct, ${b!.duplicates} copies; reported by the service ${b!.reported ?? '-'}\n`);
    for (const n of b!.notes) process.stdout.write(`    note: ${n}\n`);
  }
  if (Object.keys(s.bySource).length > 1) process.stdout.write('  (a record collected from two sources counts once in "All sources", once under each source)\n');
  if (s.interrupted) process.stdout.write('INTERRUPTED: run the same command again to continue from the ledger.\n');
  else if (s.complete !== s.slices) {
    process.stdout.write(`NOT COMPLETE: ${s.slices - s.complete} slices were not fully retrieved. See: blindspot ledger <dir>\n`);
    if (s.refusedSources.length) process.stdout.write(`REFUSED: the tenant refused permission or authentication for ${s.refusedSources.join(', ')}; grant the role or permission and run the same command again.\n`);
    if (s.runAgainAfter) process.stdout.write(`NOT YET FINAL: ${s.tooRecent} slices are too recent to be final and ${s.inFuture} are in the future (the audit log is still receiving records); run the same command again after ${s.runAgainAfter} to complete the range.\n`);
  } else process.stdout.write('Complete: every slice was retrieved and reconciled.\n');
}

export async function acquireCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('acquire', argv, {
    tenant: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, source: { type: 'string' }, users: { type: 'string' },
    'record-types': { type: 'string' }, operations: { type: 'string' }, 'slice-hours': { type: 'string' }, preflight: { type: 'boolean' }, json: { type: 'boolean' },
  });
  const dir = positional('acquire', positionals, 0, 'the case folder');
  const fromMs = parseIsoArg('acquire', '--from', requireString('acquire', values.from, '--from'))!;
  const toMs = parseIsoArg('acquire', '--to', requireString('acquire', values.to, '--to'))!;
  if (toMs <= fromMs) throw new UsageError('acquire: --to must be after --from.');
  const src = typeof values.source === 'string' ? values.source : 'all';
  const sources: SourceId[] = src === 'all' ? [...ALL_SOURCES] : (src.split(',') as SourceId[]);
  for (const x of sources) if (!ALL_SOURCES.includes(x)) throw new UsageError(`acquire: --source ${x} is not one of graph, ual, mgmt, mailbox-audit, all.`);
  const sliceHours = parseIntArg('acquire', '--slice-hours', values['slice-hours'], 1);
  const h = openCase(dir);
  const c = ctrlC();
  try {
    const tenant = requireString('acquire', values.tenant, '--tenant');
    const s = await session(h, tenant, c.signal);
    try {
      if (values.preflight) {
        const pf = await preflight(s, h.db, { fromMs, toMs }, c.signal);
        // Only the sources this command collects (the probe asks each once, whichever were named).
        for (const p of pf.sources.filter((x) => sources.includes(x.source))) process.stderr.write(`preflight ${p.source}: ${p.answers ? 'answers' : 'REFUSED'}: ${p.detail}${p.estimate !== undefined && p.estimate !== null ? ` (about ${p.estimate} records)` : ''}\n`);
        for (const line of pf.retention.lines) process.stderr.write(`preflight retention: ${line}\n`);
        const recency = recencyOutlook(fromMs, toMs, Date.now());
        if (recency) process.stderr.write(`preflight recency: ${recency}\n`);
      }
      const users = list(values.users);
      const recordTypes = list(values['record-types']);
      const operations = list(values.operations);
      const sum: AcquireSummary = await withProgress(acquireProgressLine, (onProgress) => acquire(h, s, {
        tenant, from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), sources, explicitSources: src !== 'all',
        ...(users ? { users } : {}), ...(recordTypes ? { recordTypes } : {}), ...(operations ? { operations } : {}), ...(sliceHours ? { sliceHours } : {}),
      }, { signal: c.signal, onProgress }));
      // The acquisition marks runs a killed process left running (it holds the case's writer lock): said in both modes.
      const abandoned = sum.abandonedRuns;
      if (abandoned.length) process.stderr.write(`Acquisition run${abandoned.length > 1 ? 's' : ''} ${abandoned.join(', ')} of this case had been left running (the process was killed before it finished): marked abandoned. Its slices are collected again from the ledger by the same command.\n`);
      if (values.json) process.stdout.write(JSON.stringify(sum) + '\n');
      else printSummary(sum);
      if (sum.interrupted) return EXIT.interrupted;
      if (sum.complete === sum.slices) return EXIT.ok;
      // refused for permission or authentication: nothing a later run changes until the tenant does
      return sum.refusedSources.length ? EXIT.remote : EXIT.failure;
    } finally {
      await s.close();
    }
  } finally {
    c.dispose();
    h.close();
  }
}

export async function ledgerCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('ledger', argv, { json: { type: 'boolean' } });
  const c = openCaseReadOnly(positional('ledger', positionals, 0, 'the case folder'));
  try {
    const rows = listLedger(c.db);
    if (values.json) {
      process.stdout.write(JSON.stringify({ totals: { ...totals(rows), ...heldCounts(c.db) }, slices: rows }) + '\n');
      return EXIT.ok;
    }
    if (rows.length === 0) {
      process.stdout.write('No acquisition ledger: nothing has been acquired into this case.\n');
      return EXIT.ok;
    }
    for (const r of rows) {
      process.stdout.write(`${String(r.id).padStart(5)} ${r.source.padEnd(13)} ${r.sliceStart} .. ${r.sliceEnd}  ${r.status.padEnd(13)} reported ${r.reported ?? '-'}, retrieved ${r.retrieved}, duplicates ${r.duplicates}, retries ${r.retries}${r.reason ? `  (${r.reason})` : ''}\n`);
    }
    const t = totals(rows);
    const held = heldCounts(c.db);
    process.stdout.write(`${t.slices} slices: ${t.complete} complete, ${t.incomplete} incomplete, ${t.failed} failed, ${t.notCollected} not collected; ${held.received} records received, ${held.distinct} distinct events, ${held.copies} copies of records already held\n`);
    return EXIT.ok;
  } finally {
    c.close();
  }
}

/** The progress line of an acquisition: slices done of all, records, rate, time left, what it is waiting on. */
function acquireProgressLine(p: AcquireProgress): ProgressLine {
  return [
    `${p.source ?? ''} slices ${p.slicesDone}/${p.slicesTotal}, ${p.records} records, ${p.recordsPerSecond}/s${p.etaSeconds !== null ? `, about ${p.etaSeconds} s left` : ''}${p.message ? ` (${p.message})` : ''}`,
    p.slicesTotal ? p.slicesDone / p.slicesTotal : undefined,
  ];
}
