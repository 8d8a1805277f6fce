import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type * as Fs from 'node:fs';
import { copyHashed, durable, hashFile, pathWithin } from './files.ts';

// fdatasync and close, recorded as they are asked for (and still done).
const calls = vi.hoisted(() => [] as string[]);
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof Fs>();
  const fdatasync = (fd: number, cb: (e: NodeJS.ErrnoException | null) => void): void => { calls.push('fdatasync'); fs.fdatasync(fd, cb); };
  const closeSync = (fd: number): void => { calls.push('close'); fs.closeSync(fd); };
  return { ...fs, fdatasync, closeSync, default: { ...fs, fdatasync, closeSync } };
});

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

describe('hashFile progress', () => {
  it('tells the caller how many bytes are hashed after each read, up to the whole file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bs-files-'));
    dirs.push(dir);
    const size = (3 << 20) / 2; // one whole read of 1 MiB and a half
    writeFileSync(join(dir, 'src'), randomBytes(size));
    const seen: number[] = [];
    await hashFile(join(dir, 'src'), (bytes) => seen.push(bytes));
    expect(seen).toEqual([1 << 20, size]);
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

  it('tells the caller how many bytes are copied after each read, up to the whole file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bs-files-'));
    dirs.push(dir);
    const size = (5 << 20) / 2 + 7; // two whole reads of 1 MiB and a part
    writeFileSync(join(dir, 'src'), randomBytes(size));
    const seen: number[] = [];
    await copyHashed(join(dir, 'src'), join(dir, 'copy'), (bytes) => seen.push(bytes));
    expect(seen).toEqual([1 << 20, 2 << 20, size]);
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

describe('durable.early', () => {
  it('asks for the flush before it returns, so it runs while this thread is busy, each call its own; closes the file after', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bs-files-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'db'), randomBytes(1 << 20));
    calls.length = 0;
    durable.early(join(dir, 'db'));
    durable.early(join(dir, 'db')); // while the first may still run: asked for too
    expect(calls).toEqual(['fdatasync', 'fdatasync']); // asked for at once, not after the event loop turns
    await vi.waitFor(() => expect(calls).toEqual(['fdatasync', 'fdatasync', 'close', 'close']));
    durable.early(join(dir, 'missing')); // a file that cannot be opened: nothing asked, nothing thrown
    expect(calls).toHaveLength(4);
  });
});

describe('pathWithin', () => {
  it('gives the path inside a folder relative to it, and null outside it, a name starting with two dots included', () => {
    expect(pathWithin('/c', '/c/reports/r.html')).toBe(join('reports', 'r.html'));
    expect(pathWithin('/c', '/c/..report.html')).toBe('..report.html'); // inside, though it starts with '..'
    expect(pathWithin('/c', '/c')).toBe('');
    expect(pathWithin('/c', '/cases/r.html')).toBeNull();
    expect(pathWithin('/c/evidence', '/c/r.html')).toBeNull();
  });
});
