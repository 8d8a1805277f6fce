// `blindspot demo` / `npm run demo`: the main job end to end on the built-in demo tenant (the simulated
// tenant's `bec` scenario, served over HTTPS on 127.0.0.1): create a case, sign in, take the audit
// posture, acquire every source, analyse coverage and findings, export a bundle and verify it offline.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NO_LATENCY, startSim } from '../sim/index.ts';
import { ALL_SOURCES, acquire } from './acquisition.ts';
import { addTenant, signIn } from './tenantSession.ts';
import { takePosture } from './posture.ts';
import { findings, gaps } from './analysis.ts';
import { exportBundle, verify } from './bundle.ts';
import { writeReport } from './report.ts';
import { createCase, openCase } from './caseFolder.ts';

export interface DemoResult {
  caseDir: string;
  bundle: string;
  intact: boolean;
  complete: boolean;
  events: number;
}

export async function runDemo(out: string, say: (line: string) => void, progress?: (line: string) => void): Promise<DemoResult> {
  mkdirSync(out, { recursive: true });
  const caseDir = join(out, 'case');
  say(`Blindspot demo in ${out}`);
  const sim = await startSim({ scenario: 'bec', seed: 1, demo: true });
  try {
    const gt = sim.scenario.groundTruth();
    say(`1. Demo tenant ${sim.tenantDomain} is up at ${sim.origin} (simulated; business email compromise scenario)`);

    // The app registration's certificate stays outside the case, as a real one would.
    const app = sim.clients.find((c) => c.name === 'certificate')!;
    const keys = join(out, 'keys');
    mkdirSync(keys, { recursive: true, mode: 0o700 });
    const certPath = join(keys, 'blindspot-demo-app.pem');
    writeFileSync(certPath, `${app.certificatePem}\n${app.privateKeyPem}`, { mode: 0o600 });
    writeFileSync(join(keys, 'tenant-ca.pem'), sim.caCertPem);

    const h = createCase(caseDir, { name: 'Demo: business email compromise at Contoso', examiner: 'Demo Examiner', number: 'DEMO-1', client: 'Contoso (simulated)' });
    let complete = false;
    let events = 0;
    try {
      const profile = addTenant(h, {
        name: 'contoso', tenant: sim.tenantId, clientId: app.clientId, auth: 'certificate', certPath,
        authorityHost: sim.origin, caPath: join(keys, 'tenant-ca.pem'),
      });
      const session = await signIn(profile);
      try {
        say(`2. Created case ${caseDir} and signed in to the tenant (app-only, certificate)`);
        const posture = await takePosture(h, session);
        say(`3. Audit posture as of ${posture.asOf}: ${posture.configRows} configuration rows (${posture.parts.map((p) => `${p.what} ${p.ok ? p.rows : 'refused'}`).join(', ')})`);
        const summary = await acquire(h, session, { tenant: 'contoso', from: gt.range.start, to: gt.range.end, sources: [...ALL_SOURCES], explicitSources: false }, {
          ...NO_LATENCY,
          graphPollMs: 0,
          onProgress: (p) => progress?.(`   ${p.source ?? ''} ${p.slicesDone}/${p.slicesTotal} slices, ${p.records} records`),
        });
        complete = summary.incomplete + summary.failed + summary.notCollected === 0;
        const inCase = h.db.prepare('SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM event_duplicates) AS dup').get() as { events: number; dup: number };
        events = inCase.events;
        say(`4. Acquired ${summary.slices} slices (${summary.complete} complete, ${summary.incomplete} incomplete, ${summary.failed} failed): ${inCase.events} distinct records in the case; ${inCase.dup} more arrived again through another source and are kept as counted duplicates`);
        for (const [src, s] of Object.entries(summary.bySource)) say(`     ${src.padEnd(14)} ${s.records} records, ${s.complete}/${s.slices} slices complete${s.notes.length ? ` (${s.notes.join('; ')})` : ''}`);
      } finally {
        await session.close();
      }
    } finally {
      h.close();
    }

    const g = gaps(caseDir, { now: new Date(), range: gt.range, serviceAccounts: ['svc-archive'] }).result;
    const windows = g.mailboxes.flatMap((m) => m.windows);
    const byKind = new Map<string, number>();
    for (const w of windows) byKind.set(w.kind, (byKind.get(w.kind) ?? 0) + 1);
    say(`5. Blind spots: ${windows.length} windows where auditing could not see (${[...byKind].map(([k, n]) => `${n} ${k}`).join(', ')})`);
    const f = findings(caseDir, { now: new Date(), range: gt.range, serviceAccounts: ['svc-archive'], minSeverity: 'high' }).result.findings;
    say(`6. ${f.length} critical and high findings, e.g.`);
    for (const x of f.slice(0, 4)) say(`     [${x.severity}] ${x.title}`);

    const report = writeReport(caseDir, { range: gt.range, serviceAccounts: ['svc-archive'] });
    say(`7. Wrote the case report ${report.path} (${(report.bytes / 1e3).toFixed(0)} kB; open it in any browser)`);

    const bundle = join(out, 'demo-bundle.zip');
    const ex = await exportBundle(caseDir, bundle);
    say(`8. Exported the evidence bundle ${bundle} (the report included)`);
    say(`     manifest SHA-256 ${ex.manifestSha256}`);
    const v = await verify(bundle);
    say(`9. Verified the bundle offline: ${v.intact ? 'INTACT' : `NOT INTACT (${v.problems.length} problems)`}, ${v.filesChecked} files, custody chain of ${v.custodyEntries} entries`);

    // Record that the demo finished (the verify of a bundle does not touch the case).
    const h2 = openCase(caseDir);
    h2.logCustody('demo-finished', { bundle, manifestSha256: ex.manifestSha256, intact: v.intact });
    h2.close();
    say('');
    say(`Case folder: ${caseDir}`);
    say(`Next: npx blindspot timeline ${caseDir} --op New-InboxRule    npx blindspot exposure ${caseDir} --mailbox <upn>    npx blindspot ui ${caseDir}`);
    return { caseDir, bundle, intact: v.intact, complete, events };
  } finally {
    await sim.close();
  }
}
