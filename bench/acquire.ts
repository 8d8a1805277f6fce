// Benchmark (printed, never asserted): records per second acquired from the simulated tenant over HTTPS
// into a case, and peak memory (RSS). Default: scenario `large`. Usage:
//   node bench/acquire.ts [--scenario large|bec|quiet] [--days N] [--events-per-day N] [--source ual|graph] [--keep DIR] [--in-process]
// By default the simulated tenant runs in a child process (`blindspot sim`), so the RSS printed is the
// acquiring process alone; --in-process runs it here (RSS then includes the emulator).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { NO_LATENCY, startSim } from '../sim/index.ts';
import type { SimClientInfo, SimInfo } from '../sim/index.ts';
import type { GroundTruth, ScenarioName } from '../sim/scenario/types.ts';
import { createCase } from '../services/caseFolder.ts';
import { acquire } from '../services/acquisition.ts';
import { addTenant, signIn } from '../services/tenantSession.ts';
import type { SourceId } from '../db/ledger.ts';

const { values } = parseArgs({ options: { scenario: { type: 'string' }, days: { type: 'string' }, 'events-per-day': { type: 'string' }, source: { type: 'string' }, keep: { type: 'string' }, 'in-process': { type: 'boolean' } } });
let peak = process.memoryUsage().rss;
const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 100);
interface SimLike { origin: string; tenantId: string; caCertPath: string; clients: SimClientInfo[]; groundTruthPath: string; close(): Promise<void> }
async function external(): Promise<SimLike> {
  const args = ['sim', '--scenario', values.scenario ?? 'large', '--seed', '1', ...(values.days ? ['--days', values.days] : []), ...(values['events-per-day'] ? ['--events-per-day', values['events-per-day']] : [])];
  const child = spawn(process.execPath, [join(import.meta.dirname, '..', 'bin', 'blindspot.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => { buf += d.toString(); const i = buf.indexOf('\n'); if (i >= 0) resolve(buf.slice(0, i)); });
    child.once('exit', (code) => reject(new Error(`blindspot sim exited with ${code}`)));
  });
  const info = JSON.parse(line) as SimInfo;
  return { ...info, origin: new URL(info.authority).origin, close: async () => { child.kill('SIGINT'); await new Promise((r) => child.once('exit', r)); } };
}
const sim: SimLike = values['in-process'] ? await startSim({
  scenario: (values.scenario ?? 'large') as ScenarioName, seed: 1,
  ...(values.days ? { days: Number(values.days) } : {}), ...(values['events-per-day'] ? { eventsPerDay: Number(values['events-per-day']) } : {}),
}) : await external();
const root = values.keep ?? mkdtempSync(join(tmpdir(), 'bs-bench-'));
const h = createCase(join(root, 'case'), { name: 'bench', examiner: 'bench' });
try {
  const c = sim.clients.find((x) => x.name === 'certificate')!;
  const pem = join(root, 'app.pem');
  writeFileSync(pem, `${c.certificatePem}\n${c.privateKeyPem}`, { mode: 0o600 });
  const p = addTenant(h, { name: 'sim', tenant: sim.tenantId, clientId: c.clientId, auth: 'certificate', certPath: pem, authorityHost: sim.origin, caPath: sim.caCertPath });
  const s = await signIn(p);
  const source = (values.source ?? 'ual') as SourceId;
  const t0 = performance.now();
  let last = 0;
  const gt = JSON.parse(readFileSync(sim.groundTruthPath, 'utf8')) as GroundTruth;
  const sum = await acquire(h, s, { tenant: 'sim', from: gt.range.start, to: gt.range.end, sources: [source], sliceHours: 24 }, {
    ...NO_LATENCY,
    graphPollMs: 0,
    onProgress: (pr) => {
      if (performance.now() - last > 10_000) { last = performance.now(); process.stderr.write(`${pr.records} records, ${pr.recordsPerSecond}/s, slices ${pr.slicesDone}/${pr.slicesTotal}, rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB\n`); }
    },
  });
  const secs = (performance.now() - t0) / 1000;
  await s.close();
  console.log(JSON.stringify({
    scenario: values.scenario ?? 'large', source, groundTruthRecords: gt.records.total, recordsInCase: sum.records, slices: sum.slices, complete: sum.complete,
    seconds: Math.round(secs), recordsPerSecond: Math.round(sum.records / secs), peakRssMB: Math.round(peak / 1e6),
  }));
} finally {
  clearInterval(timer);
  h.close();
  await sim.close();
  if (!values.keep) rmSync(root, { recursive: true, force: true });
}
