// The analysis end to end on the simulated tenant's `bec` scenario, both ways an investigator gets the
// data: from the export files they were handed, and by acquiring from the (simulated) tenant. Every blind
// window, exposed message and synced folder in the ground truth must be found and nothing else claimed:
// precision and recall 1.0, printed.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NO_LATENCY, startSim } from '../../sim/index.ts';
import { createScenario } from '../../sim/scenario/index.ts';
import type { GroundTruth } from '../../sim/scenario/types.ts';
import { writeScenarioExport } from '../../sim/export.ts';
import { ALL_SOURCES, acquire } from '../../services/acquisition.ts';
import { addTenant, signIn } from '../../services/tenantSession.ts';
import { takePosture } from '../../services/posture.ts';
import { createCase } from '../../services/caseFolder.ts';
import { findings } from '../../services/analysis.ts';
import { expandInputs, importFile } from '../../services/import.ts';
import { printScores, scoreCase, scoreFindings } from '../helpers/groundTruth.ts';
import { useTmp } from '../helpers/tmp.ts';
import { openReadable } from '../../db/database.ts';
import { writeFileSync } from 'node:fs';

const tmp = useTmp('bs-e2e-');
const NOW = '2026-11-24T12:00:00.000Z';

function expectPerfect(scores: ReturnType<typeof scoreCase>): void {
  expect(scores.map((s) => ({ what: s.what, missing: s.missing, extra: s.extra }))).toEqual(scores.map((s) => ({ what: s.what, missing: [], extra: [] })));
  for (const s of scores) expect(s.truth).toBeGreaterThan(0);
}

/** A case made from a scenario's export files (seed 7, ending at NOW), as an examiner who holds them would make it. */
async function caseFromFiles(name: 'bec' | 'quiet'): Promise<{ caseDir: string; gt: GroundTruth }> {
  const scenario = createScenario({ scenario: name, seed: 7, now: new Date(NOW) });
  const gt = scenario.groundTruth();
  const exportDir = join(tmp(), 'export');
  await writeScenarioExport(scenario, exportDir);
  const caseDir = join(tmp(), 'case');
  const h = createCase(caseDir, { name: `${name} from files`, examiner: 'test' });
  try {
    for (const f of expandInputs([exportDir]).filter((f) => !f.endsWith('ground-truth.json'))) await importFile(h, f, { asOf: gt.range.end });
  } finally {
    h.close();
  }
  return { caseDir, gt };
}

describe('bec scenario end to end', () => {
  it('from the export files: precision and recall 1.0', async () => {
    const { caseDir, gt } = await caseFromFiles('bec');
    const scores = scoreCase(caseDir, gt, NOW);
    printScores('bec from files', scores);
    expectPerfect(scores);
    const beyond = scoreFindings(caseDir, gt, NOW);
    printScores('bec from files', beyond);
    expectPerfect(beyond);
    // The bypassed compromised admin is critical; the documented service account's bypass is informational.
    const f = findings(caseDir, { now: NOW, range: gt.range, serviceAccounts: ['svc-archive'] }).result.findings;
    expect(f.filter((x) => x.kind === 'bypass').map((x) => [x.mailbox?.split('@')[0], x.severity]).sort()).toEqual([['adm.patti', 'critical'], ['svc-archive', 'info']]);
    // The export over every mailbox is a high finding; each attacker IP's other activity is one, with the
    // fraudulent Send and the sign-ins; the admin's bypass names the IP it came from.
    const [ip1, ip2] = gt.attacker.ips as [string, string];
    expect(f.filter((x) => x.kind === 'content-search' || x.kind === 'source-activity').map((x) => [x.id, x.severity]).sort()).toEqual([
      [`content-search:${gt.contentSearches[0]!.name.toLowerCase()}`, 'high'], [`source-activity:ip:${ip1}`, 'high'], [`source-activity:ip:${ip2}`, 'high'],
    ]);
    const from1 = f.find((x) => x.id === `source-activity:ip:${ip1}`)!;
    expect(from1.detail).toMatch(/ Send by megan\.bowen@[^ ]+: "[^"]*" to payments@fabrikam-billing\.example \(outside the tenant\)/);
    expect(from1.detail.match(/ UserLoggedIn as megan\.bowen@/g)).toHaveLength(5);
    expect(from1.detail).toContain('agent python-requests/2.32.3');
    expect(f.find((x) => x.id === `source-activity:ip:${ip2}`)!.detail.match(/ UserLoggedIn as adm\.patti@/g)).toHaveLength(2);
    expect(f.find((x) => x.kind === 'bypass' && x.mailbox?.startsWith('adm.patti'))!.detail).toContain(`from ${ip2}`);
  });

  it('the quiet scenario gains no content-search or source-activity finding', async () => {
    const { caseDir, gt } = await caseFromFiles('quiet');
    const beyond = scoreFindings(caseDir, gt, NOW);
    printScores('quiet from files', beyond);
    expect(beyond.map((s) => ({ what: s.what, found: s.found, truth: s.truth }))).toEqual(beyond.map((s) => ({ what: s.what, found: 0, truth: 0 })));
    const f = findings(caseDir, { now: NOW, range: gt.range }).result.findings;
    expect(f.filter((x) => x.kind === 'content-search' || x.kind === 'source-activity' || x.related !== undefined)).toEqual([]);
  });

  it('acquired from the simulated tenant (every source, posture included): precision and recall 1.0', async () => {
    const sim = await startSim({ scenario: 'bec', seed: 7, now: new Date(NOW), demo: true });
    try {
      const gt = sim.scenario.groundTruth();
      const dir = tmp();
      const app = sim.clients.find((c) => c.name === 'certificate')!;
      const certPath = join(dir, 'app.pem');
      writeFileSync(certPath, `${app.certificatePem}\n${app.privateKeyPem}`, { mode: 0o600 });
      writeFileSync(join(dir, 'ca.pem'), sim.caCertPem);
      const caseDir = join(dir, 'case');
      const h = createCase(caseDir, { name: 'bec acquired', examiner: 'test' });
      try {
        const profile = addTenant(h, { name: 'contoso', tenant: sim.tenantId, clientId: app.clientId, auth: 'certificate', certPath, authorityHost: sim.origin, caPath: join(dir, 'ca.pem') });
        const session = await signIn(profile);
        try {
          await takePosture(h, session);
          const summary = await acquire(h, session, { tenant: 'contoso', from: gt.range.start, to: gt.range.end, sources: [...ALL_SOURCES], explicitSources: false }, { ...NO_LATENCY, graphPollMs: 0 });
          expect(summary.incomplete + summary.failed + summary.notCollected).toBe(0);
        } finally {
          await session.close();
        }
      } finally {
        h.close();
      }
      // The posture is stamped with the tenant's clock (the Date of its answers), which in the simulator
      // starts at the scenario's end and runs on: the mailbox audit stores are seen from then, the
      // scenario's end or a few seconds after it (whole seconds: the Date header has no fraction).
      const db = openReadable(join(caseDir, 'case.sqlite'));
      const storeReadAt = db.prepare("SELECT max(as_of) FROM config_snapshots WHERE kind = 'mailbox'").pluck().get() as string;
      db.close();
      const scores = [...scoreCase(caseDir, gt, NOW, { storeReadAt }), ...scoreFindings(caseDir, gt, NOW)];
      printScores('bec acquired', scores);
      expectPerfect(scores);
    } finally {
      await sim.close();
    }
  });
});
