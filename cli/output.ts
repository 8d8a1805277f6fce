// Writing long outputs (a timeline of millions of rows, an exposure of a million messages) to a stream.

/** Respects backpressure so that output piped to a slow reader stays in constant memory. */
export function writeOut(out: NodeJS.WritableStream, s: string): Promise<void> | void {
  if (!out.write(s)) return new Promise((res) => out.once('drain', () => res()));
}

/**
 * Text from evidence or a user, made safe to print on a terminal: control characters (an escape
 * sequence can clear the screen, retitle the window or hide what follows) and the bidirectional
 * overrides that reorder what is shown are written as \u escapes. Line breaks stay unless `oneLine`.
 */
export function terminalSafe(s: string, oneLine = false): string {
  return s.replace(oneLine ? /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g : /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
