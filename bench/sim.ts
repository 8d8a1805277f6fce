// Benchmark: records/s served by the emulator through Search-UnifiedAuditLog sessions and through the
// Graph audit query, for 1,000,000 records. Prints figures; asserts nothing about time.
// Run: node bench/sim.ts [records]   (uses the fixture scenario sized to the requested record count)
import { startTestSim } from '../sim/server/testHelpers.ts';

const total = Number(process.argv[2] ?? 1_000_000);
const days = 10;
const perDay = Math.ceil(total / days);
const now = new Date('2026-11-10T00:00:00Z');
const t = await startTestSim({ fixture: { days, eventsPerDay: perDay, now }, graphPollsPerStep: 0, graphRecordCountLimit: 2_000_000 });
const start = now.getTime() - days * 86_400_000;

async function sual(): Promise<number> {
  const tok = await t.token('secret', 'exchange');
  let n = 0;
  const slice = 4 * 3_600_000; // ≤ 50,000 records per session at this density
  for (let w = start; w < now.getTime(); w += slice) {
    const params = { StartDate: new Date(w).toISOString().slice(0, 19), EndDate: new Date(Math.min(w + slice, now.getTime())).toISOString().slice(0, 19), SessionId: `b${w}`, SessionCommand: 'ReturnLargeSet', ResultSize: 5000 };
    for (;;) {
      let url: string | undefined = `${t.sim.exoBase}/${t.sim.tenantId}/InvokeCommand`;
      let batch = 0;
      while (url) {
        const r = await t.post(url, { CmdletInput: { CmdletName: 'Search-UnifiedAuditLog', Parameters: params } }, { headers: { Authorization: `Bearer ${tok}`, Prefer: 'odata.maxpagesize=1000' } });
        const env = (await r.json()) as { value: unknown[]; '@odata.nextLink'?: string };
        batch += env.value.length;
        url = env['@odata.nextLink'];
      }
      if (batch === 0) break;
      n += batch;
    }
  }
  return n;
}

async function graph(): Promise<number> {
  const h = { Authorization: `Bearer ${await t.token('secret', 'graph')}` };
  const q = (await (await t.post(`${t.sim.graphBase}/beta/security/auditLog/queries`, { filterStartDateTime: new Date(start).toISOString(), filterEndDateTime: now.toISOString() }, { headers: h })).json()) as { id: string };
  await (await t.get(`${t.sim.graphBase}/beta/security/auditLog/queries/${q.id}`, { headers: h })).json();
  let n = 0;
  let url: string | undefined = `${t.sim.graphBase}/beta/security/auditLog/queries/${q.id}/records?$top=1000`;
  while (url) {
    const env = (await (await t.get(url, { headers: h })).json()) as { value: unknown[]; '@odata.nextLink'?: string };
    n += env.value.length;
    url = env['@odata.nextLink'];
  }
  return n;
}

for (const [name, fn] of [['Search-UnifiedAuditLog (ReturnLargeSet, 5000/session call, 1000/page)', sual], ['Graph audit query ($top=1000)', graph]] as const) {
  const t0 = performance.now();
  const heap0 = process.memoryUsage().heapUsed;
  const n = await fn();
  const s = (performance.now() - t0) / 1000;
  console.log(`${name}: ${n.toLocaleString('en-US')} records in ${s.toFixed(1)} s = ${Math.round(n / s).toLocaleString('en-US')} records/s (heap delta ${((process.memoryUsage().heapUsed - heap0) / 1048576).toFixed(0)} MB; client and server in one process)`);
}
await t.close();
