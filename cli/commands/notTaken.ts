// What the case holds other than as received. blindspot copies: the records received again under a
// record Id the case already holds; by default only those that say something else than the record kept
// (core/copies.ts), a forged or altered record or a mislabelled export, which a count of duplicates alone
// would hide. blindspot rejected: the records imports with --skip-bad left out, each with why.
import { differsText } from '../../core/copies.ts';
import { clip, evidencePlace, showControls } from '../../core/text.ts';
import { listRejected } from '../../db/caseRepo.ts';
import { listCopies } from '../../db/timeline.ts';
import { openCaseReadOnly } from '../../services/caseFolder.ts';
import { EXIT } from '../../services/errors.ts';
import { parse, positional } from '../args.ts';


export async function copiesCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('copies', argv, { all: { type: 'boolean' }, json: { type: 'boolean' } });
  const dir = positional('copies', positionals, 0, 'the case folder');
  const c = openCaseReadOnly(dir);
  let n = 0;
  try {
    for (const r of listCopies(c.db, { differingOnly: values.all !== true })) {
      n++;
      if (values.json) {
        process.stdout.write(JSON.stringify(r) + '\n');
        continue;
      }
      const k = r.kept;
      process.stdout.write(showControls(
        `${r.recordId}\n  kept:  ${k.time} ${k.operation ?? '-'} by ${k.user ?? '-'}${k.mailbox ? ` on ${k.mailbox}` : ''} from ${k.clientIp ?? '-'}  [${evidencePlace(k.evidence)}]\n` +
        `  copy:  ${r.differs ? `says ${differsText(r.differs)}` : 'the same'}  [${evidencePlace(r.copy)}; import run ${r.copy.importRun}${r.copy.origin ? `; from ${r.copy.origin}` : ''}]\n`,
      ));
    }
  } finally {
    c.close();
  }
  process.stderr.write(values.all ? `${n} cop${n === 1 ? 'y' : 'ies'} of records the case holds\n`
    : `${n} cop${n === 1 ? 'y that differs' : 'ies that differ'} from the record the case keeps under the same Id${n === 0 ? ' (--all lists every copy)' : ''}\n`);
  return EXIT.ok;
}

/** A record's text on one line, cut to `max` characters, its control characters shown as escapes. */
const excerpt = (t: string): string => showControls(clip(t, 161), true);

export async function rejectedCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('rejected', argv, { json: { type: 'boolean' } });
  const c = openCaseReadOnly(positional('rejected', positionals, 0, 'the case folder'));
  let n = 0;
  try {
    for (const r of listRejected(c.db)) {
      n++;
      if (values.json) process.stdout.write(JSON.stringify(r) + '\n');
      // The reason begins with where the record is (its line or row).
      else process.stdout.write(`${showControls(r.file ?? '-', true)}: ${showControls(r.reason, true)}\n  [import run ${r.importRun}; evidence ${r.sha256 ?? '-'}]${r.text ? `\n  ${excerpt(r.text)}` : ''}\n`);
    }
  } finally {
    c.close();
  }
  process.stderr.write(`${n} record${n === 1 ? '' : 's'} left out by imports with --skip-bad${n > 0 ? ' (each file is kept whole as evidence)' : ''}\n`);
  return EXIT.ok;
}
