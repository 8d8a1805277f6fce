import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createCase } from '../../services/caseFolder.ts';
import { BadInputError, CaseError } from '../../services/errors.ts';
import type * as ImportService from '../../services/import.ts';
import { useTmp } from '../../test/helpers/tmp.ts';
import { importCommand, importProgressLine } from './import.ts';

const tmp = useTmp('bs-import-cmd-');

// importFile, wrapped so that a test can make the second file fail as it chooses (the first is imported).
const second = vi.hoisted(() => ({ error: null as Error | null }));
vi.mock('../../services/import.ts', async (importOriginal) => {
  const m = await importOriginal<typeof ImportService>();
  let calls = 0;
  return {
    ...m,
    importFile: (...args: Parameters<typeof m.importFile>) => (++calls % 2 === 0 && second.error ? Promise.reject(second.error) : m.importFile(...args)),
  };
});

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

describe('importCommand, when a file of several is refused', () => {
  it('says what came before and what was not tried, keeping the refusal\'s exit code: 3 for a bad file, 4 for a full disk', async () => {
    for (const [error, code] of [[new BadInputError('b.jsonl: 1 malformed record'), 3], [new CaseError('b.jsonl: no space left to import it'), 4]] as const) {
      const dir = join(tmp(), 'case');
      createCase(dir, { name: 'c', examiner: 'e' }).close();
      const files = ['a', 'b', 'c'].map((n) => join(tmp(), `${n}.jsonl`));
      for (const f of files) writeFileSync(f, `{"Id":"${f}","CreationTime":"2026-05-01T10:00:00","Operation":"Send","RecordType":2,"UserId":"a@contoso.com"}\n`);
      second.error = error;
      const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      const err = (await importCommand([dir, ...files]).catch((e: unknown) => e)) as CaseError;
      out.mockRestore();
      expect(err.exitCode).toBe(code);
      expect(err.message).toBe(`${error.message}\nImported before it: 1 file; not tried: 1 (${files[2]}).`);
    }
    second.error = null;
  });
});
