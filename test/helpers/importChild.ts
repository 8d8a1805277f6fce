// Child process for the kill-during-import tests: imports a file and reports each progress phase on stdout.
import { openCase } from '../../services/caseFolder.ts';
import { importFile } from '../../services/import.ts';

const [dir, file] = process.argv.slice(2) as [string, string];
const h = openCase(dir);
await importFile(h, file, { onProgress: (p) => { process.stdout.write(`progress ${p.phase}\n`); } });
h.close();
process.stdout.write('done\n');
