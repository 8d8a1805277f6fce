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
