// Progress on stderr: a redrawn bar on a terminal, occasional plain lines otherwise (logs, CI).
export interface Progress {
  update(text: string, fraction?: number): void;
  done(): void;
}

export function progressLine(stream: NodeJS.WriteStream): Progress {
  const tty = stream.isTTY === true;
  // Nothing is shown for work that finishes within a second.
  let last = Date.now() + 1000 - (tty ? 100 : 5000);
  let drawn = false;
  return {
    update(text, fraction) {
      const now = Date.now();
      if (now - last < (tty ? 100 : 5000)) return;
      last = now;
      if (tty) {
        const width = 24;
        const bar = fraction === undefined ? '' : `[${'#'.repeat(Math.round(width * Math.min(1, fraction))).padEnd(width, '.')}] `;
        const line = `${bar}${text}`.slice(0, (stream.columns || 100) - 1);
        stream.write(`\r\x1b[2K${line}`);
        drawn = true;
      } else {
        stream.write(`${text}\n`);
      }
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}

/** A progress line's text and, when the total is known, how far along its bar is (0 to 1). */
export type ProgressLine = [text: string, fraction?: number];

/**
 * Runs `work` with a progress line on stderr drawn from what it reports (`line` turns a report into
 * text and a fraction); the line is cleared when the work ends or fails.
 */
export async function withProgress<P, T>(line: (p: P) => ProgressLine, work: (onProgress: (p: P) => void) => Promise<T>): Promise<T> {
  const progress = progressLine(process.stderr);
  try {
    return await work((p) => progress.update(...line(p)));
  } finally {
    progress.done();
  }
}

/** Work counted in bytes: "X of Y MB", and the fraction done (0 for an empty total). */
export function megabytes(done: number, total: number): [text: string, fraction: number] {
  return [`${(done / 1e6).toFixed(0)} of ${(total / 1e6).toFixed(0)} MB`, done / Math.max(1, total)];
}
