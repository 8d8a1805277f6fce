import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mailItemsAccessed } from '../test/helpers/records.ts';
import { useTmp } from '../test/helpers/tmp.ts';
import { parseFile } from './parseSource.ts';

const tmp = useTmp('bs-parse-');

describe('parsing staged evidence', () => {
  it('streams batches with the stored AuditData text, the search body and rejects at their lines', async () => {
    const file = join(tmp(), 'mixed.jsonl');
    const recs = Array.from({ length: 1200 }, (_, i) => JSON.stringify(mailItemsAccessed(i)));
    recs.splice(700, 0, '{"oops": ');
    writeFileSync(file, '\uFEFF' + recs.join('\n') + '\n');
    const sizes: number[] = [];
    const items = [];
    const fts = [];
    for await (const b of parseFile(file, 'ual-json')) {
      sizes.push(b.items.length);
      items.push(...b.items);
      fts.push(...b.fts);
    }
    expect(sizes).toEqual([500, 500, 201]);
    expect(items.filter((i) => i.kind === 'event')).toHaveLength(1200);
    expect(items.find((i) => i.kind === 'reject')?.loc).toEqual({ line: 701 });
    const first = items[0]!;
    expect(first.kind === 'event' && JSON.parse(first.event.auditDataText!)).toMatchObject({ Operation: 'MailItemsAccessed', Id: JSON.parse(recs[0]!).Id });
    expect(first.kind === 'event' && first.event.auditData).toEqual({});
    expect(fts[0]).toContain('Inbox');
    expect(fts[0]).not.toContain('msg-0@contoso.com'); // message ids are found through access_items (db/timeline.ts)
    expect(fts[700]).toBeNull();
  });
});
