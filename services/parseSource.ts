// Reading staged evidence and parsing it, in packed batches (core/packedBatch.ts), streamed: memory does
// not grow with the file.
//
// A large file is parsed on a worker thread while this thread writes the previous batches; a small one
// (an acquired page) inline, where starting a worker would cost more than it saves. Both run the same
// batching below. An earlier worker that structured-cloned parsed objects was slower than parsing inline
// (300,000 records: 18.8 s against 16.4 s): the clone cost the writer's thread as much as the parse. A
// packed batch crosses as one string copy and one transferred buffer.
import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { Worker } from 'node:worker_threads';
import type { FormatId } from '../core/formats/types.ts';
import { createParser } from '../core/formats/index.ts';
import type { StreamParser } from '../core/formats/index.ts';
import type { ParsedItem } from '../core/model.ts';
import type { DateOrder } from '../core/time.ts';
import { packItems } from '../core/packedBatch.ts';
import { Utf8Check } from './utf8Check.ts';
import type { PackedBatch } from '../core/packedBatch.ts';

// Small on purpose. A batch's text is a string in the writer's heap and the worker's, and a chunk read is
// one in the worker's; a string of 128 KiB or more is a "large object" that V8 maps fresh pages for and
// unmaps again at the next collection, and that churn (page faults, zeroing) cost more than the parse.
// Measured on 1,000,000 records (1.23 GB): 500 items and 1 MiB reads 27.7-29.1 s, 9.4 s of system time,
// peak 328-336 MB; 32 items and 64 KiB reads 25.0-25.5 s, 5.6-6.0 s of system time, peak 231-246 MB.
// 16 items was slower again (27.3 s: a message per 16 records), 100 items in between (29.1 s).
export const BATCH_ITEMS = 32;
const READ_BYTES = 64 << 10;
/** Files at least this large are parsed on a worker thread. */
export const WORKER_PARSE_BYTES = 8 << 20;
/** How many batches the worker may run ahead of the writer (each about 45 KB on audit records). */
export const AHEAD = 32;

/**
 * How a file's bytes are read as text: an encoding's name as TextDecoder gives it ('utf-8',
 * 'utf-16le', 'windows-1252', 'windows-1251', …). UTF-16 is what Windows PowerShell 5.1 writes with `>`
 * and Out-File, Windows-1252 what Excel's "CSV" writes in Western locales (another code page elsewhere:
 * `import --encoding`), so exports often arrive so; they are read as they are, and the file the client
 * gave stays the evidence (converting it first would make a copy the evidence instead).
 */
export type TextEncoding = string;

/** The encoding a label names (`utf8`, `UTF-16`, `latin1`, `cp1251`…) as TextDecoder knows it, or null. */
export function encodingOfLabel(label: string): TextEncoding | null {
  try {
    return new TextDecoder(label.trim()).encoding;
  } catch {
    return null;
  }
}

/** A decoder for a file's bytes, chunk by chunk: `end` gives what a sequence cut at the last chunk left. */
function textDecoder(encoding: TextEncoding): { write(b: Buffer): string; end(): string } {
  if (encoding === 'utf-8') return new StringDecoder('utf8');
  // A byte-order mark is dropped (it is not part of the first record).
  const d = new TextDecoder(encoding);
  return { write: (b) => d.decode(b, { stream: true }), end: () => d.decode() };
}

/** Parses a file synchronously into packed batches of at most BATCH_ITEMS items. */
export function* packedBatches(file: string, format: FormatId, encoding: TextEncoding = 'utf-8', dateOrder: DateOrder | 'auto' = 'auto'): Generator<PackedBatch> {
  const decoder = textDecoder(encoding);
  const buf = Buffer.allocUnsafe(READ_BYTES);
  const fd = openSync(file, 'r');
  let parser: StreamParser | null = null;
  let bytesRead = 0;
  let pending: ParsedItem[] = [];
  const utf8 = encoding === 'utf-8' ? new Utf8Check() : null;
  try {
    for (let n; (n = readSync(fd, buf, 0, READ_BYTES, null)) > 0; ) {
      let from = 0;
      if (parser === null) {
        if (encoding === 'utf-8') {
          // A UTF-8 byte-order mark is not part of the first record: skipped, and counted in the byte ranges.
          from = n >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
          parser = createParser(format, { byteBase: from, utf8Length: (s) => Buffer.byteLength(s, 'utf8') }, dateOrder);
        } else {
          // The records' byte ranges in the file are counted in UTF-8 (db/auditData.ts reads them back so):
          // from other text none are made, and each record's AuditData is kept in the database.
          parser = createParser(format, undefined, dateOrder);
        }
      }
      utf8?.push(buf.subarray(from, n), bytesRead + from);
      const chunk = decoder.write(buf.subarray(from, n));
      bytesRead += n;
      for (const it of parser.push(chunk)) {
        pending.push(it);
        if (pending.length === BATCH_ITEMS) {
          yield packItems(pending, bytesRead);
          pending = [];
        }
      }
    }
    parser ??= createParser(format, undefined, dateOrder);
    for (const it of parser.push(decoder.end())) pending.push(it);
    for (const it of parser.end()) pending.push(it);
    const last = packItems(pending, bytesRead);
    utf8?.end();
    if (utf8 && utf8.firstInvalid >= 0) last.notUtf8At = utf8.firstInvalid;
    yield last;
  } finally {
    closeSync(fd);
  }
}

export type WorkerMessage = { batch: PackedBatch } | { done: true } | { error: string; stack?: string | undefined };

export interface ParseOptions {
  /** Parse on a worker thread. */
  worker: boolean;
  /** The worker thread to parse on, started ahead of the file (ParseThread); else one is started here. */
  thread?: ParseThread;
  /** Told how many batches wait for the writer each time the worker delivers one (tests). */
  onQueued?: (batches: number) => void;
  /** The worker script (tests: one that dies); services/parseWorker.ts otherwise. */
  workerScript?: URL;
  /** How the file's bytes are read as text: UTF-8 unless said. */
  encoding?: TextEncoding;
  /** How dates written with slashes are read: told from the file unless said. */
  dateOrder?: DateOrder;
}

/** Streams a file's packed batches; on a worker thread when `worker` is set. */
export function parseFile(file: string, format: FormatId, opts: ParseOptions): AsyncGenerator<PackedBatch> | Generator<PackedBatch> {
  const request: ParseRequest = { file, format, encoding: opts.encoding ?? 'utf-8', dateOrder: opts.dateOrder ?? 'auto' };
  if (!opts.worker) return packedBatches(request.file, request.format, request.encoding, request.dateOrder);
  const thread = opts.thread ?? new ParseThread(opts.workerScript);
  return thread.parse(request, opts.onQueued);
}

/**
 * The parse worker's young generation (V8's new space), in MB. Parsing makes short-lived objects fast:
 * held at V8's initial 2 MB (services/heap.ts) it collected so often that 200,000 records took 2.29-2.38 s;
 * left to grow as V8 likes, 1.98-2.05 s and 110 MB more at the peak of a 1,000,000-record import; capped
 * at 16 MB, 1.79-1.91 s and no more memory than held small.
 */
export const PARSE_YOUNG_MB = 16;

/** What the writer posts to a parse worker: the file to parse. */
export interface ParseRequest {
  file: string;
  format: FormatId;
  encoding: TextEncoding;
  dateOrder: DateOrder | 'auto';
}

/**
 * A parse worker, started before its file is known so that it loads while the file is copied into the
 * case and hashed: from its start to its first batch took 0.33-0.36 s here, most of it loading modules.
 * It parses one file (parse) and then ends; close() ends it sooner (a copy that failed).
 */
export class ParseThread {
  private readonly worker: Worker;
  /** How many batches the writer has taken: the worker waits on it (Atomics) when AHEAD are in flight. */
  private readonly consumed: Int32Array;
  private readonly queue: WorkerMessage[] = [];
  private failure: Error | null = null;
  private exitCode: number | null = null;
  private wake: (() => void) | null = null;
  private onQueued: ((batches: number) => void) | undefined;

  constructor(workerScript?: URL) {
    const flow = new SharedArrayBuffer(4);
    this.consumed = new Int32Array(flow);
    this.worker = new Worker(workerScript ?? new URL('./parseWorker.ts', import.meta.url), { workerData: { flow, ahead: AHEAD }, resourceLimits: { maxYoungGenerationSizeMb: PARSE_YOUNG_MB } });
    // Listened to from the start: a worker that fails while it loads does so before parse() is called.
    this.worker.on('message', (m: WorkerMessage) => {
      this.queue.push(m);
      this.onQueued?.(this.queue.length);
      this.signal();
    });
    this.worker.on('error', (e) => { this.failure ??= e; this.signal(); });
    this.worker.on('exit', (code) => { this.exitCode = code; this.signal(); });
  }

  private signal(): void {
    this.wake?.();
    this.wake = null;
  }

  /** Parses the file asked for on the thread, yielding its batches in order; the thread ends with the last one. */
  async *parse(request: ParseRequest, onQueued?: (batches: number) => void): AsyncGenerator<PackedBatch> {
    this.onQueued = onQueued;
    try {
      if (this.failure === null && this.exitCode === null) this.worker.postMessage(request);
      for (;;) {
        while (this.queue.length === 0 && this.failure === null && this.exitCode === null) await new Promise<void>((r) => { this.wake = r; });
        const m = this.queue.shift();
        if (m === undefined) throw this.failure ?? new Error(`the parser thread stopped (exit code ${this.exitCode}) before the end of ${request.file}`);
        if ('error' in m) throw Object.assign(new Error(`parsing ${request.file}: ${m.error}`), m.stack === undefined ? {} : { stack: m.stack });
        if ('done' in m) return;
        yield m.batch;
        Atomics.add(this.consumed, 0, 1);
        Atomics.notify(this.consumed, 0);
      }
    } finally {
      await this.close();
    }
  }

  /** Ends the thread (also a wait in Atomics.wait); safe to call again. */
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
