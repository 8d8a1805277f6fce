// Hashing files and making them durable: the two things the evidence store asks of the file system.
import { createHash } from 'node:crypto';
import { closeSync, fdatasync, fdatasyncSync, fsyncSync, openSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import type { FileHandle } from 'node:fs/promises';

const READ_BYTES = 1 << 20;

/** Opens a file, hands its descriptor to `use`, and closes it whatever happens. */
/** `path` relative to `dir` when it lies inside it (or is it: ''), else null. Both absolute. */
export function pathWithin(dir: string, path: string): string | null {
  const r = relative(dir, path);
  return r === '..' || r.startsWith(`..${sep}`) || isAbsolute(r) ? null : r;
}

export function withFd<T>(path: string, flags: string, use: (fd: number) => T): T {
  const fd = openSync(path, flags);
  try {
    return use(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * SHA-256 and size of a file, read in 1 MiB steps into one buffer (the event loop keeps turning);
 * `onHashed` is told the bytes hashed so far after each step.
 */
export async function hashFile(file: string, onHashed?: (bytes: number) => void, signal?: AbortSignal): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(READ_BYTES);
  let size = 0;
  const fh = await open(file, 'r');
  try {
    for (let n; (n = (await fh.read(buf, 0, READ_BYTES, null)).bytesRead) > 0; ) {
      signal?.throwIfAborted();
      h.update(buf.subarray(0, n));
      size += n;
      onHashed?.(size);
    }
  } finally {
    await fh.close();
  }
  return { sha256: h.digest('hex'), size };
}

/**
 * Copies a file to `dest` (created, never overwritten, readable by the owner only) and returns the SHA-256
 * and size of the bytes copied, hashed as they pass: one read of the source instead of a copy and then a
 * second read to hash it. Each step hashes one buffer on this thread while the thread pool writes it and
 * reads the next, so the copy and the hash overlap. On 1.23 GB, copyFile then hashFile took 2.2 s here,
 * this 0.8-1.0 s. `onCopied` is told the bytes copied so far after each step (progress on a slow disk).
 */
export async function copyHashed(src: string, dest: string, onCopied?: (bytes: number) => void): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  const input = await open(src, 'r');
  try {
    const output = await open(dest, 'wx', 0o600);
    try {
      let cur = Buffer.allocUnsafe(READ_BYTES);
      let next = Buffer.allocUnsafe(READ_BYTES);
      for (let n = (await input.read(cur, 0, READ_BYTES, null)).bytesRead; n > 0; ) {
        const data = cur.subarray(0, n);
        const written = writeAll(output, data);
        const read = input.read(next, 0, READ_BYTES, null);
        h.update(data);
        size += n;
        onCopied?.(size);
        n = (await Promise.all([written, read]))[1].bytesRead;
        [cur, next] = [next, cur];
      }
    } finally {
      await output.close();
    }
  } finally {
    await input.close();
  }
  return { sha256: h.digest('hex'), size };
}

/** Writes all of `data` at the file's position (a write may take fewer bytes than it was given). */
async function writeAll(fh: FileHandle, data: Buffer): Promise<void> {
  for (let done = 0; done < data.length; ) done += (await fh.write(data, done, data.length - done, null)).bytesWritten;
}

/**
 * Forcing written data to the disk. A write, a rename or a new directory entry sits in the page cache
 * until the kernel flushes it: after a power cut the database could name an evidence file that never
 * reached the disk, or a recovery journal that is not there. One object, so tests can watch the order
 * in which a commit makes things durable.
 */
export const durable = {
  /** Flushes a file's contents (fdatasync; opened for writing, which Windows needs to flush). */
  file(path: string): void {
    withFd(path, 'r+', fdatasyncSync);
  },
  /**
   * Flushes a directory, so the entries created, renamed or removed in it survive a power cut. Windows
   * cannot open a directory to flush it; NTFS journals its directory changes itself.
   */
  dir(path: string): void {
    if (process.platform !== 'win32') withFd(path, 'r', fsyncSync);
  },
  /**
   * Starts flushing a file on the thread pool and returns at once: the kernel writes it while the caller
   * goes on, and durable.file() at commit finds little left to do. Errors are left to that call. The
   * flush is queued before this returns (opened here, flushed with the callback API), so it runs while
   * this thread is busy with synchronous work, such as SQLite building an index; only closing the file
   * waits for the event loop. Every call asks for a flush of its own, even while an earlier one runs:
   * dropping it left the pages written since then for the commit (0.4-0.6 s of it on 1,000,000 records).
   *
   * Why it is needed: the kernel starts writing dirty pages back only past dirty_background_ratio of
   * memory (10%, 2.4 GB here) or after 30 s, so a case database written in under that sits in memory and
   * the disk waits idle until the commit flushes it all. Flushed after each index of a 1,000,000-record
   * import, the commit took 0.01 s instead of 1.0-1.2 s, and the index builds no longer.
   */
  early(path: string): void {
    let fd: number;
    try {
      fd = openSync(path, 'r+');
    } catch {
      return;
    }
    fdatasync(fd, () => closeSync(fd));
  },
};
