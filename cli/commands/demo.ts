import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runDemo } from '../../services/demo.ts';
import { EXIT } from '../../services/errors.ts';
import { optionalString, parse } from '../args.ts';

export async function demoCommand(argv: string[]): Promise<number> {
  const { values } = parse('demo', argv, { out: { type: 'string' } });
  const out = resolve(optionalString(values.out) ?? mkdtempSync(join(tmpdir(), 'blindspot-demo-')));
  const r = await runDemo(out, (line) => process.stdout.write(line + '\n'));
  return r.intact ? EXIT.ok : EXIT.failure;
}
