import { basename } from 'node:path';
import { encodingName } from '../../core/encodings.ts';
import type { FormatId } from '../../core/formats/types.ts';
import { openCase } from '../../services/caseFolder.ts';
import { BadInputError, BlindspotError, CaseError, EXIT, UsageError } from '../../services/errors.ts';
import type { ImportFileResult, ImportProgress } from '../../services/import.ts';
import { expandInputs, importFile } from '../../services/import.ts';
import { optionalString, parse, positional } from '../args.ts';
import { megabytes, withProgress } from '../progress.ts';

export async function importCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('import', argv, {
    format: { type: 'string' }, encoding: { type: 'string' }, 'skip-bad': { type: 'boolean' }, 'as-of': { type: 'string' }, json: { type: 'boolean' },
    'date-order': { type: 'string' },
  }, Infinity);
  const dir = positional('import', positionals, 0, 'the case folder');
  const dateOrder = optionalString(values['date-order']) ?? 'auto';
  if (dateOrder !== 'auto' && dateOrder !== 'mdy' && dateOrder !== 'dmy') {
    throw new UsageError(`import: --date-order must be auto, mdy (month first: 4/25/2026) or dmy (day first: 25/04/2026) (got ${dateOrder}).`);
  }
  positional('import', positionals, 1, 'a file or folder to import');
  const files = expandInputs(positionals.slice(1), (folder, why) => {
    process.stderr.write(`Skipped ${folder}: ${why}.\n`);
  });
  const h = openCase(dir);
  const results: ImportFileResult[] = [];
  let refused: { file: string; error: BadInputError | CaseError } | null = null;
  // Ctrl-C: the file being imported is left out whole (its transaction never commits; the next open of
  // the case clears what it staged), and the user is told what is in the case and what is not.
  const onInterrupt = (): void => {
    const current = files[results.length]; // the file being imported when interrupted
    process.stderr.write(`\nblindspot import: interrupted. ${current ? `Nothing of ${current} was imported` : 'Nothing more was imported'}${results.length > 0 ? `; the ${results.length} file${results.length === 1 ? '' : 's'} before it ${results.length === 1 ? 'is' : 'are'} in the case` : ''}.\n  Run the command again to import the rest: a file imported twice only adds counted duplicates.\n`);
    process.exit(EXIT.interrupted);
  };
  process.once('SIGINT', onInterrupt);
  try {
    for (const f of files) {
      try {
        results.push(await withProgress(importProgressLine, (onProgress) => importFile(h, f, {
          format: (optionalString(values.format) ?? 'auto') as FormatId | 'auto',
          encoding: optionalString(values.encoding) ?? 'auto',
          skipBad: values['skip-bad'] === true, dateOrder,
          ...(typeof values['as-of'] === 'string' ? { asOf: values['as-of'] } : {}),
          onProgress,
        })));
      } catch (e) {
        // A refused file (or one the disk had no room for) leaves nothing in the case; those before it
        // were imported, those after are not tried.
        if (!(e instanceof BadInputError || e instanceof CaseError)) throw e;
        refused = { file: f, error: e };
        break;
      }
      const r = results.at(-1)!;
      if (!values.json) {
        const what = r.configRows === 0 && r.records === 0 && r.format.startsWith('config-') ? 'no configuration row (an empty export: kept as evidence, nothing recorded from it)'
          : r.configRows > 0 ? `${r.configRows} configuration rows (as of ${r.asOf?.value}, from ${r.asOf?.source === 'option' ? '--as-of' : "the file's modification time"})` : `${r.records} record${r.records === 1 ? '' : 's'}, ${r.inserted} new, ${r.duplicates} duplicate${r.duplicates === 1 ? '' : 's'}${r.differing > 0 ? ` (${r.differing} of them ${r.differing === 1 ? 'differs' : 'differ'} from the record kept)` : ''}`;
        process.stdout.write(`${r.path}: ${r.format}${r.encoding ? ` (read as ${encodingName(r.encoding)})` : ''}: ${what}${r.rejected ? `, ${r.rejected} rejected` : ''} (sha256 ${r.sha256})\n`);
        if (r.readBefore) {
          process.stderr.write(`  Note: ${basename(r.path)} was imported before (import run ${r.readBefore.importRun}) and read then as ${encodingName(r.readBefore.encoding)}; its records in the case keep the text read then, and this import found them as duplicates. To read it as ${encodingName(r.encoding ?? 'utf-8')}, import it into a new case.\n`);
        }
        if (r.differing > 0) {
          process.stderr.write(`  Note: ${r.differing} record${r.differing === 1 ? '' : 's'} in ${basename(r.path)} carr${r.differing === 1 ? 'ies' : 'y'} the Id of a record the case already holds but give${r.differing === 1 ? 's' : ''} another time, operation, user, mailbox or client IP. The case keeps the first record and each such copy with what it says; see them with: blindspot copies ${dir}\n`);
        }
        if (r.dates?.how === 'assumed') {
          process.stderr.write(`  Note: ${r.dates.slashDates} date${r.dates.slashDates === 1 ? '' : 's'} in ${basename(r.path)} ${r.dates.slashDates === 1 ? 'is' : 'are'} written with slashes and both numbers 12 or less (such as 03/04/2026), which the file alone cannot tell month first from day first; ${r.dates.slashDates === 1 ? 'it was' : 'they were'} read month first, as en-US systems write them. If the export was made on a day-first system (en-GB, most of Europe), import it into a new case with --date-order dmy.\n`);
        }
        if (r.notUtf8At !== undefined) {
          process.stderr.write(`  Note: from byte ${r.notUtf8At} on, ${basename(r.path)} has bytes that are not UTF-8; the case shows each as U+FFFD (the replacement character), the evidence file keeps them as they are.\n`);
        }
      }
    }
  } finally {
    process.off('SIGINT', onInterrupt);
    h.close();
  }
  const notTried = refused ? files.slice(results.length + 1) : [];
  if (values.json) {
    process.stdout.write(JSON.stringify({ files: results, ...(refused ? { refused: { path: refused.file, reason: refused.error.message }, notTried } : {}) }) + '\n');
  }
  if (!refused) return EXIT.ok;
  if (results.length === 0 && notTried.length === 0) throw refused.error;
  const summary = `Imported before it: ${results.length} file${results.length === 1 ? '' : 's'}${notTried.length > 0 ? `; not tried: ${notTried.length} (${notTried.slice(0, 3).join(', ')}${notTried.length > 3 ? ', …' : ''})` : ''}.`;
  throw new BlindspotError(`${refused.error.message}\n${summary}`, {
    exitCode: refused.error.exitCode, // 3 for a refused file, 4 for a full disk
    hint: refused.error.hint ?? 'Fix or remove that file and import it and the files not tried; importing a file again only counts duplicates.',
  });
}

/**
 * The progress line of an import (its text, and how far along its bar is) for each of its phases. The
 * file is named without its folder, so that what is happening still fits on a narrow terminal.
 */
export function importProgressLine(p: ImportProgress): [text: string, fraction: number] {
  const name = basename(p.file);
  switch (p.phase) {
    case 'copying': {
      const [mb, fraction] = megabytes(p.bytesCopied, p.totalBytes);
      return [`${name}: copying into the case and hashing, ${mb}`, fraction];
    }
    case 'reading': {
      const [mb, fraction] = megabytes(p.bytesRead, p.totalBytes);
      return [`${name}: reading, ${mb}, ${p.records} records`, fraction];
    }
    case 'indexing':
      return [`${name}: building the indexes, ${p.indexesBuilt} of ${p.indexesTotal} (${p.records} records read)`, p.indexesBuilt / Math.max(1, p.indexesTotal)];
  }
}
