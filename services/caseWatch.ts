// Noticing that a case changed under an open window: an import, an acquisition or an analysis run in
// another process (the CLI beside the UI). Every action that changes a case appends to its custody log
// after its database transaction commits (services/caseFolder.ts commitWithEvidence), so the log growing
// is the signal, and it is never early. fs.watch reports the append at once; a slow stat poll beside it
// covers filesystems that give no notifications (some network shares). Appends are reported at most
// once per settle period (an acquisition appends once per page: its window follows it without a push per
// page), and not at all when they only record that the case was read (verify, export), which changes
// nothing a window shows.
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

/** Custody actions that record a read of the case, not a change to it. */
const READS = new Set(['verify', 'export']);

/** The bytes of `file` from `from` to `to`. */
function readRange(file: string, from: number, to: number): string {
  const buf = Buffer.alloc(to - from);
  withFd(file, 'r', (fd) => readSync(fd, buf, 0, buf.length, from));
  return buf.toString('utf8');
}

/** Whether custody lines only record reads of the case; anything unreadable counts as a change. */
function onlyReads(lines: string): boolean {
  return lines.split('\n').filter(Boolean).every((l) => {
    try {
      return READS.has(String((JSON.parse(l) as { action?: unknown }).action));
    } catch {
      return false;
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

/** Calls `onChange` whenever the case's custody log has grown; returns what stops watching. */
export function watchCase(dir: string, onChange: () => void, o: WatchOptions = {}): () => void {
  const file = join(dir, CUSTODY_LOG);
  const settleMs = o.settleMs ?? 300;
  let size = sizeOf(file);
  let settling: NodeJS.Timeout | null = null;
  let stopped = false;

  const check = (): void => {
    settling = null;
    if (stopped) return;
    const now = sizeOf(file);
    if (now === size) return; // a notification without an append (attributes, access time)
    const from = size;
    size = now;
    if (now > from && from >= 0 && onlyReads(readRange(file, from, now))) return;
    onChange();
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
