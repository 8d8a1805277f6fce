// Text shown to people. Text from evidence or a user, shown where a control character would act rather
// than show: a terminal (an escape sequence can clear the screen, retitle the window or hide what
// follows), a plain-text README (a line break in a case name can forge a line of it). And where a record
// lies in its evidence file, said the same way by the report, the findings and the command line. Pure.

const CONTROLS_KEEPING_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Control characters and the bidirectional overrides that reorder what is shown, written as \u escapes.
 * Line breaks and tabs stay unless `oneLine`.
 */
export function showControls(s: string, oneLine = false): string {
  return s.replace(oneLine ? CONTROLS : CONTROLS_KEEPING_LINES, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const CONTROL = new RegExp(CONTROLS.source);
const CONTROL_BESIDE_LINES = new RegExp(CONTROLS_KEEPING_LINES.source);

/**
 * Whether a value holds a control character or a bidirectional override; with `lines`, line breaks and
 * tabs are allowed (a note), else the value is one line (a case's name, a tag).
 */
export function hasControls(s: string, lines = false): boolean {
  return (lines ? CONTROL_BESIDE_LINES : CONTROL).test(s);
}

/** A place in a file: `line 4`, `line 1, element 2` (an element of a JSON array, from 0); empty when neither is known. */
export function placeInFile(line: number | null, element: number | null): string {
  return [line === null ? null : `line ${line}`, element === null ? null : `element ${element}`].filter(Boolean).join(', ');
}

/** Where a record lies in its evidence: `<sha256>, line 4, element 2`, to cite. */
export function evidencePlace(e: { sha256: string; line: number | null; element: number | null }): string {
  const at = placeInFile(e.line, e.element);
  return at ? `${e.sha256}, ${at}` : e.sha256;
}

/** Text cut to at most `max` characters, an ellipsis ending what was cut. */
export function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
