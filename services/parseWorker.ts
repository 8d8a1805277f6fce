// Worker thread entry: parses one staged file and posts batches to the writer, never more than
// `maxInFlight` ahead of it (see parseSource.ts).
import { parentPort, workerData } from 'node:worker_threads';
import type { FormatId } from '../core/formats/types.ts';
import { parseFileInline } from './parseSource.ts';

const { file, format, asOf, maxInFlight } = workerData as { file: string; format: FormatId; asOf: string; maxInFlight: number };
const port = parentPort!;
let credits = maxInFlight;
let wake: (() => void) | null = null;
port.on('message', (m: unknown) => {
  if (m === 'ack') {
    credits++;
    wake?.();
  }
});

try {
  for await (const batch of parseFileInline(file, format, asOf)) {
    while (credits === 0) await new Promise<void>((r) => { wake = r; });
    wake = null;
    credits--;
    port.postMessage({ batch });
  }
  port.postMessage({ done: true });
} catch (e) {
  port.postMessage({ error: (e as Error).message });
}
port.close();
