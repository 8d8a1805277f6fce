// The parse worker (services/parseSource.ts): parses one staged file into packed batches and posts them,
// never more than `ahead` batches in front of the writer, so memory stays flat however large the file.
import { parentPort, workerData } from 'node:worker_threads';
import { packedBatches } from './parseSource.ts';
import type { ParseRequest, WorkerMessage } from './parseSource.ts';

const { flow, ahead } = workerData as { flow: SharedArrayBuffer; ahead: number };
const consumed = new Int32Array(flow);
const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []): void => parentPort!.postMessage(m, transfer);

// Started before its file is known (ParseThread): it loads, then waits for the file to parse.
parentPort!.once('message', ({ file, format, encoding, dateOrder }: ParseRequest) => {
  try {
    let posted = 0;
    for (const batch of packedBatches(file, format, encoding, dateOrder)) {
      for (let taken; posted - (taken = Atomics.load(consumed, 0)) >= ahead; ) Atomics.wait(consumed, 0, taken);
      post({ batch }, [batch.nums.buffer as ArrayBuffer]);
      posted++;
    }
    post({ done: true });
  } catch (e) {
    post({ error: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined });
  }
});
