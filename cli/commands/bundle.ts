import { resolve } from 'node:path';
import { exportBundle, verify } from '../../services/bundle.ts';
import type { BundleProgress } from '../../services/bundle.ts';
import { EXIT } from '../../services/errors.ts';
import { parse, positional } from '../args.ts';
import { untilCtrlC } from '../interrupt.ts';
import { megabytes, withProgress } from '../progress.ts';

export async function exportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('export', argv, { json: { type: 'boolean' } }, 2);
  const dir = positional('export', positionals, 0, 'the case folder');
  const out = positional('export', positionals, 1, 'the bundle file (out.zip)');
  const r = await untilCtrlC('now: the partial bundle and the temporary copy of the case database are being removed',
    (signal) => withProgress(bundleProgressLine, (onProgress) => exportBundle(dir, out, onProgress, signal)));
  if (r === null) {
    process.stderr.write(`blindspot export: interrupted. Nothing was written to ${resolve(out)}, nothing was logged, and no temporary copy is left.\n`);
    return EXIT.interrupted;
  }
  if (values.json) process.stdout.write(JSON.stringify(r) + '\n');
  else process.stdout.write(`Wrote ${r.out}: ${r.files} files, ${(r.bytes / 1e6).toFixed(1)} MB\n  bundle SHA-256   ${r.bundleSha256}\n  manifest SHA-256 ${r.manifestSha256}\nGive the recipient the manifest SHA-256 by a separate channel.\n`);
  return EXIT.ok;
}

export async function verifyCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('verify', argv, { json: { type: 'boolean' }, records: { type: 'boolean' } });
  const target = positional('verify', positionals, 0, 'a case folder or bundle.zip');
  const r = await untilCtrlC('now', (signal) => withProgress(bundleProgressLine, (onProgress) => verify(target, onProgress, signal, { records: values.records === true })));
  if (r === null) {
    process.stderr.write(`blindspot verify: interrupted before it finished; nothing is known yet about ${resolve(target)}, and nothing was logged.\n`);
    return EXIT.interrupted;
  }
  if (values.json) {
    process.stdout.write(JSON.stringify(r) + '\n');
  } else {
    for (const p of r.problems) process.stdout.write(`${p.kind.toUpperCase().padEnd(10)} ${p.path}: ${p.detail}\n`);
    for (const n of r.notes) process.stdout.write(`${'NOTE'.padEnd(10)} ${n.path}: ${n.detail}\n`);
    if (r.notLogged) process.stderr.write(`Note: this verification is not in the case's custody log: ${r.notLogged}\n`);
    process.stdout.write(
      r.intact
        ? `INTACT: ${r.target} (${r.kind}): ${r.filesChecked} file${r.filesChecked === 1 ? '' : 's'} checked, custody chain of ${r.custodyEntries} entr${r.custodyEntries === 1 ? 'y' : 'ies'} unbroken${r.manifestSha256 ? `, manifest SHA-256 ${r.manifestSha256}` : ''}${r.records ? `; the case database's ${r.records.events} ${r.records.events === 1 ? 'event is a record' : 'events are the records'} of ${r.records.files} evidence file${r.records.files === 1 ? '' : 's'}, as read${r.records.notCompared > 0 ? ` (${r.records.notCompared} configuration export${r.records.notCompared === 1 ? '' : 's'} and API answers not compared)` : ''}` : ''}\n`
        : `NOT INTACT: ${r.target}: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'} found\n`,
    );
  }
  return r.intact ? EXIT.ok : EXIT.failure;
}

const STEPS: Record<BundleProgress['step'], string> = {
  snapshot: 'copying the case database',
  hashing: 'hashing the files',
  writing: 'writing the bundle',
  'hashing-bundle': 'hashing the bundle',
  reading: 'reading and hashing the bundle',
  records: 'comparing the records with the evidence',
};

/** The progress line of an export or verification step: its text, and how far along its bar is. */
export function bundleProgressLine(p: BundleProgress): [text: string, fraction: number] {
  const [mb, fraction] = megabytes(p.done, p.total);
  return [`${STEPS[p.step]}, ${mb}`, fraction];
}
