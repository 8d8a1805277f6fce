import { CASE_DB, createCase, openCase, openCaseReadOnly } from '../../services/caseFolder.ts';
import type { CaseSummary } from '../../core/api.ts';
import { caseSummary } from '../../db/caseRepo.ts';
import { CaseError, EXIT, UsageError } from '../../services/errors.ts';
import { optionalString, parse, positional, requireString } from '../args.ts';

export async function caseCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'create') return create(rest);
  if (sub === 'info') return info(rest);
  if (sub === 'compact') return compact(rest);
  throw new UsageError(`case: expected 'create', 'info' or 'compact', got ${sub === undefined ? 'nothing' : `'${sub}'`}.`, 'Run: blindspot help');
}

async function create(argv: string[]): Promise<number> {
  const { values, positionals } = parse('case create', argv, {
    name: { type: 'string' }, examiner: { type: 'string' }, number: { type: 'string' }, client: { type: 'string' },
    description: { type: 'string' }, tz: { type: 'string' }, json: { type: 'boolean' },
  });
  const dir = positional('case create', positionals, 0, 'the case folder');
  const h = createCase(dir, {
    name: requireString('case create', values.name, '--name'),
    examiner: requireString('case create', values.examiner, '--examiner'),
    number: optionalString(values.number) ?? null,
    client: optionalString(values.client) ?? null,
    description: optionalString(values.description) ?? null,
    timeZone: optionalString(values.tz) ?? 'UTC',
  });
  const meta = h.meta();
  h.close();
  if (values.json) process.stdout.write(JSON.stringify({ dir: h.dir, ...meta }) + '\n');
  else process.stdout.write(`Created case "${meta.name}" in ${h.dir}\n`);
  return EXIT.ok;
}

export function readCaseInfo(dir: string): CaseSummary {
  const c = openCaseReadOnly(dir);
  try {
    const s = caseSummary(c.db, c.dir);
    if (!s) throw new CaseError(`${dir}: the case database has no case record; the case is damaged.`);
    return s;
  } finally {
    c.close();
  }
}

async function info(argv: string[]): Promise<number> {
  const { values, positionals } = parse('case info', argv, { json: { type: 'boolean' } });
  const i = readCaseInfo(positional('case info', positionals, 0, 'the case folder'));
  if (values.json) {
    process.stdout.write(JSON.stringify(i) + '\n');
  } else {
    const rows: [string, unknown][] = [
      ['Name', i.name], ['Number', i.number ?? '-'], ['Client', i.client ?? '-'], ['Examiner', i.examiner],
      ['Created', i.createdAt], ['Time zone', i.timeZone], ['Evidence items', i.evidenceItems], ['Events', i.events],
      ['Mailboxes', i.mailboxes], ['First event', i.firstEvent ?? '-'], ['Last event', i.lastEvent ?? '-'],
    ];
    for (const [k, v] of rows) process.stdout.write(`${k.padEnd(15)} ${String(v)}\n`);
  }
  return EXIT.ok;
}

async function compact(argv: string[]): Promise<number> {
  const { values, positionals } = parse('case compact', argv, { json: { type: 'boolean' } });
  const h = openCase(positional('case compact', positionals, 0, 'the case folder'));
  try {
    if (!values.json) process.stderr.write('Compacting the case database (a few minutes on a case of millions of events)…\n');
    const r = h.compact();
    if (values.json) process.stdout.write(JSON.stringify(r) + '\n');
    else {
      process.stdout.write(`Compacted ${h.abs(CASE_DB)}: ${mb(r.bytesBefore)} -> ${mb(r.bytesAfter)}\n`);
      if (!r.fileShrunk) process.stdout.write('Another program is reading the case (a Blindspot window?): the file shrinks once it closes the case.\n');
    }
  } finally {
    h.close();
  }
  return EXIT.ok;
}

const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;
