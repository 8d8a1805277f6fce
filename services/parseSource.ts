// Reading staged evidence and parsing it, in batches, streamed (memory does not grow with the file).
//
// Parsing runs on the same thread as the database writes. A worker thread was tried and measured: the
// structured-clone transfer of each batch cost the main thread as much as the parsing it saved, so it
// was slower and heavier (300,000 records: 18.8 s and 515 MB peak with the worker, 16.4 s and 355 MB
// inline). The writes, not the parsing, bound an import.
import { createReadStream } from 'node:fs';
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

const BATCH_ITEMS = 500;

/**
 * Prepares parsed items for the writer: the AuditData text is what gets stored, so the object form is
 * dropped as soon as possible (less to keep alive), and the search body is computed here.
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
export async function* parseFile(file: string, format: FormatId): AsyncGenerator<ParsedBatch> {
  const parser = createParser(format);
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
      for (const it of parser.push(chunk)) {
        pending.push(it);
        if (pending.length === BATCH_ITEMS) {
          yield { items: pending, fts: prepareBatch(pending), bytesRead };
          pending = [];
        }
      }
    }
    for (const it of parser.end()) pending.push(it);
    yield { items: pending, fts: prepareBatch(pending), bytesRead };
  } finally {
    stream.destroy();
  }
}
