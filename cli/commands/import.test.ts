import { describe, expect, it } from 'vitest';
import { importProgressLine } from './import.ts';

describe('importProgressLine', () => {
  const file = '/home/examiner/cases/contoso-2026/exports/Audit_2026-11-08_to_2026-12-07.jsonl';

  it('names each phase and the file without its folder, with how far the bar is', () => {
    expect(importProgressLine({ phase: 'copying', file, bytesCopied: 400e6, totalBytes: 1231e6 }))
      .toEqual(['Audit_2026-11-08_to_2026-12-07.jsonl: copying into the case and hashing, 400 of 1231 MB', 400 / 1231]);
    expect(importProgressLine({ phase: 'reading', file, bytesRead: 1231e6, totalBytes: 1231e6, records: 1_000_000 }))
      .toEqual(['Audit_2026-11-08_to_2026-12-07.jsonl: reading, 1231 of 1231 MB, 1000000 records', 1]);
    expect(importProgressLine({ phase: 'indexing', file, records: 1_000_000, indexesBuilt: 4, indexesTotal: 16 }))
      .toEqual(['Audit_2026-11-08_to_2026-12-07.jsonl: building the indexes, 4 of 16 (1000000 records read)', 0.25]);
  });

  it('does not divide by zero on an empty file', () => {
    expect(importProgressLine({ phase: 'copying', file: 'empty.csv', bytesCopied: 0, totalBytes: 0 })[1]).toBe(0);
    expect(importProgressLine({ phase: 'reading', file: 'empty.csv', bytesRead: 0, totalBytes: 0, records: 0 })[1]).toBe(0);
  });
});
