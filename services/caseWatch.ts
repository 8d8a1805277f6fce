// Noticing that a case changed under an open window: an import, an acquisition or an analysis run in
// another process (the CLI beside the UI). Every action that changes a case appends to its custody log
// after its database transaction commits (services/caseFolder.ts commitWithEvidence), so the log growing
// is the signal, and it is never early. fs.watch reports the append at once; a slow stat poll beside it
// covers filesystems that give no notifications (some network shares). Appends are reported at most
// once per settle period (an acquisition appends once per page: its window follows it without a push per
// page), and not at all when they record something that leaves what a window shows as it was (a verify,
// an export, a compaction). What is reported is the case's change version (changeVersion below), which a
// window also gets with its summary: comparing the two tells it whether it missed a change.
import { readSync, statSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { CUSTODY_LOG } from './caseFolder.ts';
import { withFd } from './files.ts';

export interface WatchOptions {
  /** How long after an append to report it: appends within it are reported together. */
  settleMs?: number;
  /** The stat poll's interval, for filesystems without change notifications. */
  pollMs?: number;
  /** false: rely on the poll alone (a filesystem known to give no notifications; tests). */
  notifications?: boolean;
}

/** Custody actions after which a window shows what it showed before: reads, and compaction (ids and order stay). */
const UNCHANGING = new Set(['verify', 'export', 'database-compacted']);

/** Whether a custody line records a change to the case; anything unreadable counts as one. */
function isChange(line: Buffer): boolean {
  try {
    return !UNCHANGING.has(String((JSON.parse(line.toString('utf8')) as { action?: unknown }).action));
  } catch {
    return true;
  }
}

/**
 * The case's change version: the byte offset at which the custody log's last entry that changed the
 * case ends (0 when none has). It grows with every import, acquisition or analysis and not with a verify
 * or export, so two readings are equal exactly when nothing a window shows has changed between them. A
 * line still being appended (no newline yet) does not count until it is whole. Reads back from the end
 * in 64 KiB steps: the last change is almost always the last line.
 */
export function changeVersion(dir: string, size = sizeOf(join(dir, CUSTODY_LOG))): number {
  const file = join(dir, CUSTODY_LOG);
  if (size <= 0) return 0;
  return withFd(file, 'r', (fd) => {
    let carry = Buffer.alloc(0); // the start of a line whose beginning lies in an earlier chunk
    let whole = false; // whether the end of `carry` is the end of a whole line
    // Ends at the latest in the chunk that starts the file (from === 0).
    for (let to = size; ;) {
      const from = Math.max(0, to - (64 << 10));
      const chunk = Buffer.alloc(to - from);
      readSync(fd, chunk, 0, chunk.length, from);
      const buf = Buffer.concat([chunk, carry]);
      let end = buf.length;
      if (!whole) {
        // Whatever follows the last newline is a line still being written: not counted yet.
        const nl = buf.lastIndexOf(0x0a);
        if (nl < 0 && from > 0) { carry = buf; to = from; continue; }
        end = nl + 1;
        whole = true;
      }
      while (end > 0) {
        const start = end >= 2 ? buf.lastIndexOf(0x0a, end - 2) + 1 : 0; // (a negative offset would count from the end)
        if (start === 0 && from > 0) break; // the line starts in an earlier chunk
        if (end - start > 1 && isChange(buf.subarray(start, end - 1))) return from + end;
        end = start;
      }
      if (from === 0) return 0;
      carry = buf.subarray(0, end);
      to = from;
    }
  });
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return -1;
  }
}

/** Calls `onChange` with the case's new change version whenever it changes; returns what stops watching. */
export function watchCase(dir: string, onChange: (version: number) => void, o: WatchOptions = {}): () => void {
  const file = join(dir, CUSTODY_LOG);
  const settleMs = o.settleMs ?? 300;
  let size = sizeOf(file);
  let version = changeVersion(dir, size);
  let settling: NodeJS.Timeout | null = null;
  let stopped = false;

  const check = (): void => {
    settling = null;
    if (stopped) return;
    const now = sizeOf(file);
    if (now === size) return; // a notification without an append (attributes, access time)
    size = now;
    const v = changeVersion(dir, now);
    if (v === version) return; // only UNCHANGING actions were recorded
    version = v;
    onChange(v);
  };
  const poke = (): void => {
    if (!stopped && settling === null) settling = setTimeout(check, settleMs);
  };

  let watcher: FSWatcher | null = null;
  if (o.notifications !== false) {
    try {
      watcher = watch(file, { persistent: false }, poke);
      watcher.on('error', () => { watcher?.close(); watcher = null; });
    } catch {
      watcher = null; // the poll alone then notices changes
    }
  }
  const poll = setInterval(poke, o.pollMs ?? 5000);
  poll.unref();

  return () => {
    stopped = true;
    watcher?.close();
    clearInterval(poll);
    if (settling) clearTimeout(settling);
  };
}
