// Reading staged evidence and parsing it, in batches. Large files are parsed in a worker thread so that
// JSON parsing and normalisation run on one core while the database writes run on the other; small
// files are parsed inline (a worker costs more to start than they take to parse).
import { createReadStream } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { FormatId } from '../core/formats/types.ts';
import { createParser } from '../core/formats/index.ts';
import type { ParsedItem } from '../core/model.ts';
import { ftsBody } from '../db/events.ts';

export interface ParsedBatch {
  items: ParsedItem[];
  /** Full-text body per item (events only), computed where the parsing happens. */
  fts: (string | null)[];
  bytesRead: number;
}

/** Files at least this large are parsed in a worker thread. */
export const WORKER_MIN_BYTES = 8 << 20;
/** Batches a worker may have in flight before it waits for the writer (bounds memory). */
const MAX_IN_FLIGHT = 2;
const BATCH_ITEMS = 500;

/**
 * Prepares parsed items for the writer: the AuditData text is what gets stored, so the object form is
 * dropped (it is the most expensive part to copy between threads), and the search body is computed here.
 */
export function prepareBatch(items: ParsedItem[]): (string | null)[] {
  const fts: (string | null)[] = new Array(items.length).fill(null);
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    if (it.kind !== 'event') continue;
    const e = it.event;
    if (e.auditDataText === undefined) e.auditDataText = JSON.stringify(e.auditData);
    e.auditData = {};
    fts[i] = ftsBody(e);
  }
  return fts;
}

/** Streams a file through a parser, yielding batches of at most about BATCH_ITEMS items. */
export async function* parseFileInline(file: string, format: FormatId, asOf: string): AsyncGenerator<ParsedBatch> {
  const parser = createParser(format, { asOf });
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  let bytesRead = 0;
  let first = true;
  let pending: ParsedItem[] = [];
  try {
    for await (const raw of stream) {
      let chunk = raw as string;
      bytesRead += Buffer.byteLength(chunk);
      if (first) {
        first = false;
        if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
      }
      const items = parser.push(chunk);
      for (const it of items) pending.push(it);
      if (pending.length >= BATCH_ITEMS) {
        yield { items: pending, fts: prepareBatch(pending), bytesRead };
        pending = [];
      }
    }
    for (const it of parser.end()) pending.push(it);
    yield { items: pending, fts: prepareBatch(pending), bytesRead };
  } finally {
    stream.destroy();
  }
}

type WorkerMessage = { batch: ParsedBatch } | { done: true } | { error: string };

/** The same stream of batches, parsed in a worker thread with credit-based flow control. */
export async function* parseFileInWorker(file: string, format: FormatId, asOf: string): AsyncGenerator<ParsedBatch> {
  const worker = new Worker(new URL('./parseWorker.ts', import.meta.url), { workerData: { file, format, asOf, maxInFlight: MAX_IN_FLIGHT } });
  const queue: WorkerMessage[] = [];
  let wake: (() => void) | null = null;
  let failure: Error | null = null;
  worker.on('message', (m: WorkerMessage) => { queue.push(m); wake?.(); });
  worker.on('error', (e) => { failure = e; wake?.(); });
  worker.on('exit', (code) => { if (code !== 0 && !failure) failure = new Error(`parser worker exited with code ${code}`); wake?.(); });
  try {
    for (;;) {
      while (queue.length === 0 && !failure) await new Promise<void>((r) => { wake = r; });
      wake = null;
      const m = queue.shift();
      if (!m) throw failure ?? new Error('parser worker stopped');
      if ('error' in m) throw new Error(m.error);
      if ('done' in m) return;
      worker.postMessage('ack');
      yield m.batch;
    }
  } finally {
    await worker.terminate();
  }
}

export function parseFile(file: string, size: number, format: FormatId, asOf: string): AsyncGenerator<ParsedBatch> {
  return size >= WORKER_MIN_BYTES ? parseFileInWorker(file, format, asOf) : parseFileInline(file, format, asOf);
}
