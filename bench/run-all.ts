// `npm run bench`: every benchmark the issues name, one after another, each printing its own JSON.
// `npm run bench -- --quick` runs them at a tenth of the size (for a look, not for the record).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const quick = process.argv.includes('--quick');
const here = import.meta.dirname;
const runs: [string, string[]][] = [
  ['import.ts', quick ? ['--records', '100000'] : []],
  ['analysis.ts', quick ? ['--events', '300000', '--hot-items', '100000'] : []],
  ['sim.ts', quick ? ['100000'] : []],
  ['acquire.ts', quick ? ['--days', '2'] : ['--days', '16']],
];
let failed = 0;
for (const [script, args] of runs) {
  if (!existsSync(join(here, script))) continue;
  process.stdout.write(`\n== bench/${script} ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [join(here, script), ...args], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`bench/${script} exited with ${r.status}\n`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
