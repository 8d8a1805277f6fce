// Adding, removing and listing an examiner's annotations (tags, notes, bookmarks on events). Each one
// added or removed is in the custody log, with what it says: annotations are the examiner's work, not
// evidence, and the log shows who wrote what and when, and what was taken back.
import type { AnnotationInput, AnnotationKind } from '../core/annotations.ts';
import { checkAnnotation } from '../core/annotations.ts';
import type { ListedAnnotation, StoredAnnotation } from '../db/annotations.ts';
import { deleteAnnotation, eventRecordId, hasAnnotation, insertAnnotation, listAnnotations, sameAnnotation } from '../db/annotations.ts';
import { openCase, openCaseReadOnly } from './caseFolder.ts';
import { NotFoundError, UsageError } from './errors.ts';
import { CUSTODY_ACTIONS } from '../core/custodyActions.ts';
import { clip } from '../core/text.ts';

export interface AnnotateResult {
  recordId: string;
  added: StoredAnnotation[];
  /** Asked for but already on the event (the same kind and text, a tag's in any letter case): not added twice. */
  alreadyThere: AnnotationInput[];
}

/** Adds annotations to one event, all or none (one transaction); each added one gets its custody entry. */
export function annotate(dir: string, recordIdArg: string, inputs: AnnotationInput[], now = new Date()): AnnotateResult {
  if (inputs.length === 0) throw new UsageError('annotate: nothing to add.', 'Give --tag, --note or --bookmark (or --remove <annotation id>).');
  const checked = inputs.map((a) => {
    const c = checkAnnotation(a);
    if (!c.ok) throw new UsageError(`annotate: --${a.kind}${a.text === null ? '' : ` ${JSON.stringify(clip(a.text, 41))}`}: ${c.reason}.`);
    return c.value;
  });
  const h = openCase(dir);
  try {
    const recordId = eventRecordId(h.db, recordIdArg.trim());
    if (recordId === null) {
      throw new NotFoundError(`annotate: no event with record id ${JSON.stringify(recordIdArg)} in this case.`, 'Use the id that blindspot timeline shows (the first column of --format jsonl or csv, "Record id" in the event detail).');
    }
    const createdAt = now.toISOString();
    const result: AnnotateResult = { recordId, added: [], alreadyThere: [] };
    h.db.transaction(() => {
      for (const a of checked) {
        const dup = hasAnnotation(h.db, recordId, a) || result.added.some((b) => sameAnnotation(a, b));
        if (dup) result.alreadyThere.push(a);
        else result.added.push(insertAnnotation(h.db, recordId, a, h.actor, createdAt));
      }
    })();
    for (const a of result.added) h.logCustody(CUSTODY_ACTIONS.annotationAdded, { annotation: a.id, recordId, kind: a.kind, text: a.text, author: a.author, createdAt: a.createdAt });
    return result;
  } finally {
    h.close();
  }
}

/** Removes one annotation; its custody entry says what it was. */
export function removeAnnotation(dir: string, id: number): StoredAnnotation {
  const h = openCase(dir);
  try {
    const removed = h.db.transaction(() => deleteAnnotation(h.db, id))();
    if (removed === null) throw new NotFoundError(`annotate: no annotation ${id} in this case.`, 'See the annotations and their ids with: blindspot annotations <dir>');
    h.logCustody(CUSTODY_ACTIONS.annotationRemoved, { annotation: removed.id, recordId: removed.recordId, kind: removed.kind, text: removed.text, author: removed.author, createdAt: removed.createdAt });
    return removed;
  } finally {
    h.close();
  }
}

/** The case's annotations in event order (reading only: nothing is logged). */
export function annotations(dir: string, filter: { kind?: AnnotationKind; tag?: string } = {}): ListedAnnotation[] {
  const c = openCaseReadOnly(dir);
  try {
    const tag = filter.tag === undefined ? undefined : checkAnnotation({ kind: 'tag', text: filter.tag });
    if (tag !== undefined && !tag.ok) throw new UsageError(`annotations: --tag: ${tag.reason}.`);
    return listAnnotations(c.db, { ...(filter.kind ? { kind: filter.kind } : {}), ...(tag?.ok ? { tag: tag.value.text! } : {}) });
  } finally {
    c.close();
  }
}
