import type { AnnotationInput, AnnotationKind } from '../../core/annotations.ts';
import { ANNOTATION_KINDS } from '../../core/annotations.ts';
import { annotate, annotations, removeAnnotation } from '../../services/annotations.ts';
import { EXIT, UsageError } from '../../services/errors.ts';
import { optionalString, parse, parseIntArg, positional } from '../args.ts';

/** blindspot annotate <dir> <record-id> [--tag T]... [--note TEXT]... [--bookmark] | annotate <dir> --remove <id> */
export async function annotateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('annotate', argv, {
    tag: { type: 'string', multiple: true }, note: { type: 'string', multiple: true }, bookmark: { type: 'boolean' },
    remove: { type: 'string' }, json: { type: 'boolean' },
  }, 2);
  const dir = positional('annotate', positionals, 0, 'the case folder');
  if (values.remove !== undefined) {
    if (positionals.length > 1 || values.tag || values.note || values.bookmark) {
      throw new UsageError('annotate: --remove takes the annotation id alone (no record id, --tag, --note or --bookmark).', 'Run: blindspot help');
    }
    const removed = removeAnnotation(dir, parseIntArg('annotate', '--remove', values.remove, 1)!);
    if (values.json) process.stdout.write(JSON.stringify({ removed }) + '\n');
    else process.stdout.write(`Removed annotation ${removed.id} (${removed.kind}${removed.text === null ? '' : ` "${removed.text}"`}) from event ${removed.recordId}; the custody log keeps what it said.\n`);
    return EXIT.ok;
  }
  const recordId = positional('annotate', positionals, 1, 'the record id of the event to annotate');
  const inputs: AnnotationInput[] = [
    ...(values.tag ?? []).map((text) => ({ kind: 'tag' as const, text })),
    ...(values.note ?? []).map((text) => ({ kind: 'note' as const, text })),
    ...(values.bookmark ? [{ kind: 'bookmark' as const, text: null }] : []),
  ];
  const r = annotate(dir, recordId, inputs);
  if (values.json) {
    process.stdout.write(JSON.stringify(r) + '\n');
  } else {
    for (const a of r.added) process.stdout.write(`Added ${a.kind} ${a.id}${a.text === null ? '' : ` "${oneLine(a.text)}"`} to event ${r.recordId}\n`);
    for (const a of r.alreadyThere) process.stdout.write(`Already there: ${a.kind}${a.text === null ? '' : ` "${oneLine(a.text)}"`} on event ${r.recordId} (not added twice)\n`);
  }
  return EXIT.ok;
}

/** blindspot annotations <dir> [--kind tag|note|bookmark] [--tag T] [--json] */
export async function annotationsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('annotations', argv, { kind: { type: 'string' }, tag: { type: 'string' }, json: { type: 'boolean' } });
  const dir = positional('annotations', positionals, 0, 'the case folder');
  const kind = optionalString(values.kind);
  if (kind !== undefined && !(ANNOTATION_KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(`annotations: --kind must be ${ANNOTATION_KINDS.join(', ')} (got ${kind}).`);
  }
  const list = annotations(dir, { ...(kind ? { kind: kind as AnnotationKind } : {}), ...(values.tag ? { tag: String(values.tag) } : {}) });
  if (values.json) {
    for (const a of list) process.stdout.write(JSON.stringify(a) + '\n');
    return EXIT.ok;
  }
  for (const a of list) {
    const ev = a.event === null ? '(event not in the case)' : `${a.event.time} ${a.event.operation ?? '-'} by ${a.event.user ?? '-'}${a.event.mailbox && a.event.mailbox !== a.event.user ? ` on ${a.event.mailbox}` : ''}`;
    process.stdout.write(`#${a.id} ${a.kind}${a.text === null ? '' : ` "${oneLine(a.text)}"`}  ${ev}  [record ${a.recordId}; ${a.author}, ${a.createdAt}]\n`);
  }
  process.stderr.write(`${list.length} annotation${list.length === 1 ? '' : 's'}\n`);
  return EXIT.ok;
}

/** A note on one line of a listing (its line ends shown as ⏎). */
const oneLine = (s: string): string => s.replace(/\r\n|\r|\n/g, ' ⏎ ');
