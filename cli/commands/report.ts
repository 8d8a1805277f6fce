import { SEVERITIES } from '../../core/analysis/types.ts';
import type { Severity } from '../../core/analysis/types.ts';
import { writeReport } from '../../services/report.ts';
import { EXIT, UsageError } from '../../services/errors.ts';
import { optionalString, parse, parseIsoArg, positional } from '../args.ts';

/** blindspot report <dir> [--out FILE.html] [--range-from ISO --range-to ISO] [--incident-from ISO --incident-to ISO] [--service-accounts A,B] [--min-severity S] [--json] */
export async function reportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('report', argv, {
    out: { type: 'string' }, 'incident-from': { type: 'string' }, 'incident-to': { type: 'string' }, json: { type: 'boolean' },
    'range-from': { type: 'string' }, 'range-to': { type: 'string' }, 'service-accounts': { type: 'string' },
    'min-severity': { type: 'string' },
  });
  const dir = positional('report', positionals, 0, 'the case folder');
  const from = parseIsoArg('report', '--incident-from', values['incident-from']);
  const to = parseIsoArg('report', '--incident-to', values['incident-to']);
  if ((from === undefined) !== (to === undefined)) throw new UsageError('report: give both --incident-from and --incident-to, or neither.');
  if (from !== undefined && to !== undefined && from >= to) throw new UsageError('report: --incident-from must be before --incident-to.');
  const rFrom = parseIsoArg('report', '--range-from', values['range-from']);
  const rTo = parseIsoArg('report', '--range-to', values['range-to']);
  if ((rFrom === undefined) !== (rTo === undefined)) throw new UsageError('report: give both --range-from and --range-to, or neither (the acquired range, or the case\'s first to last event).');
  if (rFrom !== undefined && rTo !== undefined && rFrom >= rTo) throw new UsageError('report: --range-from must be before --range-to.');
  const out = optionalString(values.out);
  const min = optionalString(values['min-severity']);
  if (min !== undefined && !SEVERITIES.includes(min as Severity)) throw new UsageError(`report: --min-severity must be one of ${SEVERITIES.join(', ')} (got ${min}).`);
  const services = optionalString(values['service-accounts'])?.split(',').map((a) => a.trim()).filter(Boolean);
  const r = writeReport(dir, {
    onStart: () => { if (!values.json) process.stderr.write('Computing the blind spots and findings, then writing the report…\n'); },
    ...(out ? { out } : {}),
    ...(from !== undefined && to !== undefined ? { incident: { start: new Date(from).toISOString(), end: new Date(to).toISOString() } } : {}),
    ...(rFrom !== undefined && rTo !== undefined ? { range: { start: new Date(rFrom).toISOString(), end: new Date(rTo).toISOString() } } : {}),
    ...(services?.length ? { serviceAccounts: services } : {}),
    ...(min ? { minSeverity: min as Severity } : {}),
  });
  if (values.json) process.stdout.write(JSON.stringify(r) + '\n');
  else process.stdout.write(`Wrote ${r.path} (${(r.bytes / 1e3).toFixed(1)} kB, SHA-256 ${r.sha256}); logged in the custody log with analysis runs ${r.analysisRuns.gaps} (blind spots) and ${r.analysisRuns.findings} (findings).\n`);
  return EXIT.ok;
}
