// `blindspot demo`: the main job end to end on the built-in demo tenant, in a folder of its own.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createScenario } from '../sim/scenario/index.ts';
import { writeScenarioExport } from '../sim/export.ts';
import { caseCounts } from '../db/caseRepo.ts';
import { timeline } from '../db/timeline.ts';
import { createCase, openCaseReadOnly } from './caseFolder.ts';
import { exportBundle, verify } from './bundle.ts';
import { expandInputs, importFile } from './import.ts';

export interface DemoResult {
  caseDir: string;
  bundle: string;
  intact: boolean;
  events: number;
}

export async function runDemo(out: string, say: (line: string) => void): Promise<DemoResult> {
  const exportDir = join(out, 'tenant-export');
  const caseDir = join(out, 'case');
  mkdirSync(exportDir, { recursive: true });
  say(`Blindspot demo in ${out}`);
  const scenario = createScenario({ scenario: 'bec', seed: 1 });
  const written = await writeScenarioExport(scenario, exportDir);
  say(`1. The demo tenant (scenario bec) exported ${written.files.length} files to ${exportDir}`);
  const h = createCase(caseDir, { name: 'Demo: business email compromise', examiner: 'Demo Examiner', number: 'DEMO-1' });
  try {
    // The Purview CSV holds the same records as the JSONL: importing both shows deduplication at work.
    const files = expandInputs([exportDir]).filter((f) => !f.endsWith('ground-truth.json'));
    for (const f of files) {
      const r = await importFile(h, f);
      say(`2. Imported ${r.format}: ${r.configRows || r.records} ${r.configRows ? 'configuration rows' : `records (${r.inserted} new, ${r.duplicates} duplicates)`}`);
    }
  } finally {
    h.close();
  }
  const c = openCaseReadOnly(caseDir);
  let events = 0;
  try {
    events = caseCounts(c.db).events;
    const rows = [...timeline(c.db, { operations: ['New-InboxRule', 'Set-MailboxAuditBypassAssociation'] })];
    say(`3. Timeline: ${rows.length} rule and audit-bypass changes among ${events} events, e.g.`);
    for (const r of rows.slice(0, 4)) say(`     ${r.time}  ${r.operation}  by ${r.user ?? '-'}  from ${r.clientIp ?? '-'}`);
  } finally {
    c.close();
  }
  const bundle = join(out, 'demo-bundle.zip');
  const ex = await exportBundle(caseDir, bundle);
  say(`4. Exported the evidence bundle ${bundle} (manifest SHA-256 ${ex.manifestSha256})`);
  const v = await verify(bundle);
  say(`5. Verified the bundle offline: ${v.intact ? 'INTACT' : `NOT INTACT (${v.problems.length} problems)`}`);
  say(`Case folder: ${caseDir}`);
  return { caseDir, bundle, intact: v.intact, events };
}
