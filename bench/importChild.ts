// Runs one import and prints its result with the process's peak memory (for bench/import.ts).
import { openCase } from '../services/caseFolder.ts';
import { importFile } from '../services/import.ts';

const [dir, file] = process.argv.slice(2) as [string, string];
const h = openCase(dir);
const r = await importFile(h, file);
h.close();
process.stdout.write(JSON.stringify({ inserted: r.inserted, maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }) + '\n');
