import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runDemo } from '../../services/demo.ts';
import { EXIT, UsageError } from '../../services/errors.ts';
import { optionalString, parse } from '../args.ts';
import { progressLine } from '../progress.ts';

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parse('demo', argv, { out: { type: 'string' } }, 0);
  const given = optionalString(values.out);
  if (given !== undefined && existsSync(given) && !statSync(given).isDirectory()) {
    throw new UsageError(`demo --out ${given}: that is a file; the demo needs a folder to create its case in.`, 'Name a new or empty folder.');
  }
  const out = resolve(given ?? mkdtempSync(join(tmpdir(), 'blindspot-demo-')));
  const progress = progressLine(process.stderr);
  const r = await runDemo(out, (line) => { progress.done(); process.stdout.write(line + '\n'); }, (line) => progress.update(line));
  progress.done();
  return r.intact && r.complete ? EXIT.ok : EXIT.failure;
}
