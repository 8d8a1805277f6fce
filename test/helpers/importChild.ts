// Child process for the kill-during-import test: imports a file and reports progress on stdout.
import { openCase } from '../../services/caseFolder.ts';
import { importFile } from '../../services/import.ts';

const [dir, file] = process.argv.slice(2) as [string, string];
const h = openCase(dir);
await importFile(h, file, { onProgress: () => { process.stdout.write('progress\n'); } });
h.close();
process.stdout.write('done\n');
