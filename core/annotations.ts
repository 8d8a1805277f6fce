// An examiner's annotations of events: tags, notes and bookmarks. They are the examiner's work, kept in
// their own table (never in evidence or the event rows) and each one added or removed is in the custody
// log (services/annotations.ts). What an annotation may hold is checked here.

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

// Control characters other than the line ends and tab a note may hold: they would hide text in a terminal.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/**
 * The annotation as stored (its text trimmed; a tag is compared in any letter case, so `Exfil` and
 * `exfil ` are one tag: db/annotations.ts), or why it cannot be: a message naming what was wrong.
 */
export function checkAnnotation(a: AnnotationInput): { ok: true; value: AnnotationInput } | { ok: false; reason: string } {
  if (a.kind === 'bookmark') return a.text === null ? { ok: true, value: a } : { ok: false, reason: 'a bookmark holds no text' };
  const text = (a.text ?? '').trim();
  if (text === '') return { ok: false, reason: `a ${a.kind} needs text` };
  if (CONTROL.test(text)) return { ok: false, reason: `the ${a.kind} holds a control character` };
  if (a.kind === 'tag') {
    if (text.length > TAG_MAX) return { ok: false, reason: `a tag is at most ${TAG_MAX} characters (this one has ${text.length}); write longer text as a note` };
    if (/[\r\n\t]/.test(text)) return { ok: false, reason: 'a tag is one line' };
    return { ok: true, value: { kind: 'tag', text } };
  }
  if (text.length > NOTE_MAX) return { ok: false, reason: `a note is at most ${NOTE_MAX} characters (this one has ${text.length})` };
  return { ok: true, value: { kind: 'note', text } };
}
