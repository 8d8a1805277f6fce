import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { copyHashed, hashFile } from './files.ts';

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

describe('copyHashed', () => {
  it('copies every byte of a file that takes several reads and returns the hash of what it copied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bs-files-'));
    dirs.push(dir);
    const bytes = randomBytes((5 << 20) / 2 + 7);
    writeFileSync(join(dir, 'src'), bytes, { mode: 0o644 });
    expect(await copyHashed(join(dir, 'src'), join(dir, 'copy'))).toEqual({ sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length });
    expect(readFileSync(join(dir, 'copy')).equals(bytes)).toBe(true);
    expect(statSync(join(dir, 'copy')).mode & 0o077).toBe(0); // the owner's alone until it is placed read-only
    writeFileSync(join(dir, 'empty'), '');
    expect(await copyHashed(join(dir, 'empty'), join(dir, 'empty-copy'))).toEqual({ sha256: createHash('sha256').digest('hex'), size: 0 });
  });

  it('never overwrites an existing file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bs-files-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'src'), 'new');
    writeFileSync(join(dir, 'copy'), 'kept');
    await expect(copyHashed(join(dir, 'src'), join(dir, 'copy'))).rejects.toThrow(/EEXIST/);
    expect(readFileSync(join(dir, 'copy'), 'utf8')).toBe('kept');
  });
});
