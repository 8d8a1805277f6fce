// Writing long outputs (a timeline of millions of rows, an exposure of a million messages) to a stream.

/** Respects backpressure so that output piped to a slow reader stays in constant memory. */
export function writeOut(out: NodeJS.WritableStream, s: string): Promise<void> | void {
  if (!out.write(s)) return new Promise((res) => out.once('drain', () => res()));
}

