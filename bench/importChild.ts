// Runs one import and prints its result with the process's peak memory (for bench/import.ts).
import module from 'node:module';

module.enableCompileCache(); // as bin/blindspot.js does, before the modules below are loaded
const { openCase } = await import('../services/caseFolder.ts');
const { importFile } = await import('../services/import.ts');

const [dir, file] = process.argv.slice(2) as [string, string];
const h = openCase(dir);
const r = await importFile(h, file);
h.close();
process.stdout.write(JSON.stringify({ inserted: r.inserted, maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }) + '\n');
