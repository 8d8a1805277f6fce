import { writeReport } from '../../services/report.ts';
import { EXIT } from '../../services/errors.ts';
import { optionalString, parse, positional } from '../args.ts';
import { FINDINGS_FLAGS, findingsScope, range, RANGE_FLAGS, serviceAccounts } from './analysis.ts';

/** blindspot report <dir> [--out FILE.html] [--range-from ISO --range-to ISO] [--incident-from ISO --incident-to ISO] [--service-accounts A,B] [--min-severity S] [--json] */
export async function reportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('report', argv, { out: { type: 'string' }, json: { type: 'boolean' }, ...FINDINGS_FLAGS, ...RANGE_FLAGS });
  const dir = positional('report', positionals, 0, 'the case folder');
  const out = optionalString(values.out);
  const r = writeReport(dir, {
    onStart: () => { if (!values.json) process.stderr.write('Computing the blind spots and findings, then writing the report…\n'); },
    ...(out ? { out } : {}), ...findingsScope('report', values), ...range('report', values), ...serviceAccounts(values),
  });
  if (values.json) process.stdout.write(JSON.stringify(r) + '\n');
  else process.stdout.write(`Wrote ${r.path} (${(r.bytes / 1e3).toFixed(1)} kB, SHA-256 ${r.sha256}); logged in the custody log with analysis runs ${r.analysisRuns.gaps} (blind spots) and ${r.analysisRuns.findings} (findings).\n`);
  return EXIT.ok;
}
