// An examiner's annotations of events: tags, notes and bookmarks. They are the examiner's work, kept in
// their own table (never in evidence or the event rows) and each one added or removed is in the custody
// log (services/annotations.ts). What an annotation may hold is checked here.

import { CUSTODY_ACTIONS } from './custodyActions.ts';
import { hasControls } from './text.ts';

export const ANNOTATION_KINDS = ['tag', 'note', 'bookmark'] as const;
export type AnnotationKind = (typeof ANNOTATION_KINDS)[number];

/** The longest tag and note, in characters: a tag is a label to filter by, a note a paragraph or two. */
export const TAG_MAX = 64;
export const NOTE_MAX = 4000;

export interface AnnotationInput {
  kind: AnnotationKind;
  /** The tag or the note; null for a bookmark. */
  text: string | null;
}

/**
 * The annotation as stored (its text trimmed; a tag is compared in any letter case, so `Exfil` and
 * `exfil ` are one tag: db/annotations.ts), or why it cannot be: a message naming what was wrong.
 */
export function checkAnnotation(a: AnnotationInput): { ok: true; value: AnnotationInput } | { ok: false; reason: string } {
  if (a.kind === 'bookmark') return a.text === null ? { ok: true, value: a } : { ok: false, reason: 'a bookmark holds no text' };
  const text = (a.text ?? '').trim();
  if (text === '') return { ok: false, reason: `a ${a.kind} needs text` };
  // A control character or a bidirectional override would hide or reorder text where it is shown (a
  // terminal, the report); a note may hold line breaks and tabs, a tag is one line.
  if (a.kind === 'tag' && /[\r\n\t]/.test(text)) return { ok: false, reason: 'a tag is one line' };
  if (hasControls(text.replaceAll('\r\n', '\n'), a.kind === 'note')) return { ok: false, reason: `the ${a.kind} holds a control character` };
  if (a.kind === 'tag') {
    if (text.length > TAG_MAX) return { ok: false, reason: `a tag is at most ${TAG_MAX} characters (this one has ${text.length}); write longer text as a note` };
    return { ok: true, value: { kind: 'tag', text } };
  }
  if (text.length > NOTE_MAX) return { ok: false, reason: `a note is at most ${NOTE_MAX} characters (this one has ${text.length})` };
  return { ok: true, value: { kind: 'note', text } };
}

/** An annotation as the case database holds it, for reconciling with the custody log. */
/** An annotation as the case database holds it; `targetKind` is 'event' for every annotation Blindspot writes. */
export interface AnnotationRow { id: number; kind: string; text: string | null; recordId: string; targetKind: string; author: string; createdAt: string }

/** A custody entry as reconciliation reads it: its line (1-based), action and details. */
export interface AnnotationCustodyEntry { line: number; action: string; details: Record<string, unknown> }

/**
 * The annotations in the case database against what the custody log says was added and removed: an
 * annotation with no entry, one that differs from its entry, and one the log says is still there but the
 * database lacks. The examiner's notes are cited in testimony; a note changed in the database by hand,
 * outside Blindspot, is named here. Each problem: where, and what.
 */
export function reconcileAnnotations(rows: readonly AnnotationRow[], entries: readonly AnnotationCustodyEntry[]): { path: string; detail: string }[] {
  type Logged = { line: number; kind: unknown; text: unknown; recordId: unknown; author: unknown; createdAt: unknown };
  const logged = new Map<number, Logged>();
  for (const e of entries) {
    const id = e.details['annotation'];
    if (typeof id !== 'number') continue;
    if (e.action === CUSTODY_ACTIONS.annotationAdded) logged.set(id, { line: e.line, kind: e.details['kind'], text: e.details['text'], recordId: e.details['recordId'], author: e.details['author'], createdAt: e.details['createdAt'] });
    else if (e.action === CUSTODY_ACTIONS.annotationRemoved) logged.delete(id);
  }
  const problems: { path: string; detail: string }[] = [];
  const describe = (a: { kind: unknown; text: unknown; recordId: unknown; targetKind?: string }): string =>
    `${String(a.kind)}${a.text === null || a.text === undefined ? '' : ` ${JSON.stringify(a.text)}`} on ${a.targetKind === undefined || a.targetKind === 'event' ? 'record' : a.targetKind} ${String(a.recordId)}`;
  // Who wrote it and when: in the entries logged since 2026-12-07 (older ones say neither).
  const by = (a: { author: unknown; createdAt: unknown }): string => `by ${String(a.author)} at ${String(a.createdAt)}`;
  for (const r of rows) {
    const l = logged.get(r.id);
    const path = `annotations #${r.id}`;
    if (!l) problems.push({ path, detail: `${describe(r)} is in the case database but no custody entry records it being added` });
    else if (l.kind !== r.kind || l.text !== r.text || l.recordId !== r.recordId || r.targetKind !== 'event') problems.push({ path, detail: `the case database holds ${describe(r)}; the custody log (line ${l.line}) recorded ${describe(l)}` });
    else if (l.author !== undefined && (l.author !== r.author || l.createdAt !== r.createdAt)) problems.push({ path, detail: `the case database says ${describe(r)} was written ${by(r)}; the custody log (line ${l.line}) recorded it ${by(l)}` });
    logged.delete(r.id);
  }
  for (const [id, l] of logged) problems.push({ path: `annotations #${id}`, detail: `the custody log (line ${l.line}) records ${describe(l)} as added and never removed, but the case database does not hold it` });
  return problems;
}
