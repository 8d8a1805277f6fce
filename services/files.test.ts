import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hashFile } from './files.ts';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

describe('hashFile', () => {
  it('hashes every byte of a file that takes several reads, and an empty one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bs-files-'));
    dirs.push(dir);
    const bytes = randomBytes((5 << 20) / 2 + 7); // two full reads and a short one
    writeFileSync(join(dir, 'big'), bytes);
    writeFileSync(join(dir, 'empty'), '');
    expect(await hashFile(join(dir, 'big'))).toEqual({ sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length });
    expect(await hashFile(join(dir, 'empty'))).toEqual({ sha256: createHash('sha256').digest('hex'), size: 0 });
  });
});
