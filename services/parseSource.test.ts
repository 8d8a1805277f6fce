import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonl, mailItemsAccessed } from '../test/helpers/records.ts';
import { useTmp } from '../test/helpers/tmp.ts';
import type { ParsedBatch } from './parseSource.ts';
import { parseFileInline, parseFileInWorker } from './parseSource.ts';

const tmp = useTmp('bs-parse-');

async function collect(gen: AsyncGenerator<ParsedBatch>) {
  const items = [];
  const fts = [];
  let bytes = 0;
  for await (const b of gen) {
    items.push(...b.items);
    fts.push(...b.fts);
    bytes = b.bytesRead;
  }
  return { items, fts, bytes };
}

describe('parsing staged evidence', () => {
  it('gives the same items, search bodies and rejects in a worker thread as inline, in batches with bounded flow', async () => {
    const file = join(tmp(), 'mixed.jsonl');
    const recs = Array.from({ length: 5000 }, (_, i) => JSON.stringify(mailItemsAccessed(i)));
    recs.splice(2500, 0, '{"oops": ');
    writeFileSync(file, '\uFEFF' + recs.join('\n') + '\n');
    const inline = await collect(parseFileInline(file, 'ual-json', '2026-01-01T00:00:00Z'));
    const worker = await collect(parseFileInWorker(file, 'ual-json', '2026-01-01T00:00:00Z'));
    expect(worker.items).toEqual(inline.items);
    expect(worker.fts).toEqual(inline.fts);
    expect(inline.items.filter((i) => i.kind === 'event')).toHaveLength(5000);
    expect(inline.items.find((i) => i.kind === 'reject')?.loc).toEqual({ line: 2501 });
    const first = inline.items[0]!;
    expect(first.kind === 'event' && JSON.parse(first.event.auditDataText!)).toMatchObject({ Operation: 'MailItemsAccessed' });
    expect(inline.fts[0]).toContain('<msg-0@contoso.com>');
  });

  it('surfaces a file that disappears as an error, not a hang', async () => {
    const file = join(tmp(), 'gone.jsonl');
    await expect(collect(parseFileInWorker(file, 'ual-json', '2026-01-01T00:00:00Z'))).rejects.toThrow(/ENOENT/);
    writeFileSync(file, jsonl([mailItemsAccessed(1)]));
    expect((await collect(parseFileInWorker(file, 'ual-json', '2026-01-01T00:00:00Z'))).items).toHaveLength(1);
  });
});
