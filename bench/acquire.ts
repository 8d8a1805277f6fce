// Benchmark (printed, never asserted): records per second acquired from the simulated tenant over HTTPS
// into a case, and peak memory (RSS). Default: scenario `large`. Usage:
//   node bench/acquire.ts [--scenario large|bec|quiet] [--days N] [--events-per-day N] [--source ual|graph] [--keep DIR]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startSim } from '../sim/index.ts';
import type { ScenarioName } from '../sim/scenario/types.ts';
import { createCase } from '../services/caseFolder.ts';
import { acquire, addTenant, signIn } from '../services/acquisition.ts';
import type { SourceId } from '../db/ledger.ts';

const { values } = parseArgs({ options: { scenario: { type: 'string' }, days: { type: 'string' }, 'events-per-day': { type: 'string' }, source: { type: 'string' }, keep: { type: 'string' } } });
let peak = process.memoryUsage().rss;
const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 100);
const sim = await startSim({
  scenario: (values.scenario ?? 'large') as ScenarioName, seed: 1,
  ...(values.days ? { days: Number(values.days) } : {}), ...(values['events-per-day'] ? { eventsPerDay: Number(values['events-per-day']) } : {}),
});
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
  const sum = await acquire(h, s, { tenant: 'sim', from: sim.scenario.range.start.toISOString(), to: sim.scenario.range.end.toISOString(), sources: [source], sliceHours: 24 }, {
    graphPollMs: 0,
    onProgress: (pr) => {
      if (performance.now() - last > 10_000) { last = performance.now(); process.stderr.write(`${pr.records} records, ${pr.recordsPerSecond}/s, slices ${pr.slicesDone}/${pr.slicesTotal}, rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB\n`); }
    },
  });
  const secs = (performance.now() - t0) / 1000;
  await s.close();
  const gt = sim.scenario.groundTruth();
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
