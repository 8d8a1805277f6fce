// The chain of custody: one JSON object per line, each naming the SHA-256 of the line before it, so an
// edit, deletion or reordering anywhere breaks the chain at a line a verifier can name. Pure: the file
// itself is read and appended by services/custody.ts.
import { createHash } from 'node:crypto';

export interface CustodyObject {
  sha256: string;
  path: string;
}

export interface CustodyEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  details: Record<string, unknown>;
  objects: CustodyObject[];
  /** SHA-256 (hex) of the previous line's exact text, null for the first entry. */
  prev: string | null;
}

export function sha256Hex(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Serialises an entry with a fixed key order, so the same entry always gives the same line. */
export function custodyLine(e: CustodyEntry): string {
  return JSON.stringify({ seq: e.seq, at: e.at, actor: e.actor, action: e.action, details: e.details, objects: e.objects, prev: e.prev });
}

export function nextEntry(
  previousLine: string | null,
  previousSeq: number,
  fields: { at: string; actor: string; action: string; details?: Record<string, unknown>; objects?: CustodyObject[] },
): CustodyEntry {
  return {
    seq: previousSeq + 1,
    at: fields.at,
    actor: fields.actor,
    action: fields.action,
    details: fields.details ?? {},
    objects: fields.objects ?? [],
    prev: previousLine === null ? null : sha256Hex(previousLine),
  };
}

export interface ChainProblem {
  line: number;
  problem: string;
}

/**
 * The action of the entry that records a line cut short when it was written (the process stopped or the
 * disk filled up in the middle of an append). The torn line stays as it is, closed with a newline, and
 * this entry, chained to it, names it by number, length and hash.
 */
export const TORN_LINE_ACTION = 'custody-line-torn';


export function tornLineEntryDetails(line: number, text: string): Record<string, unknown> {
  return {
    line, bytes: Buffer.byteLength(text), sha256: sha256Hex(text),
    note: 'this line of the custody log was cut short when it was written (the process stopped or the disk filled up mid-write); it is kept as it is',
  };
}

/**
 * A line's JSON value, or undefined when the line is not JSON at all: what an entry cut short when it was
 * written looks like (the one rule for a torn line, for the log that records it and for verify).
 */
export function jsonOfLine(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}

/** Whether `line` (number `n`) is torn and `next` is the entry that records it. */
function recordsTornLine(next: string | undefined, n: number, line: string): boolean {
  const e = (next === undefined ? undefined : jsonOfLine(next)) as Partial<CustodyEntry> | null | undefined;
  if (typeof e !== 'object' || e === null) return false;
  const want = tornLineEntryDetails(n, line);
  return e.action === TORN_LINE_ACTION && e.details?.['line'] === n && e.details['sha256'] === want['sha256'] && e.details['bytes'] === want['bytes'];
}

/**
 * Checks every line of a custody log: valid JSON, consecutive seq from 1, prev = hash of the line before.
 * A break in the numbering is named once, where it happens (an entry removed shifts every later line but
 * leaves their numbers in order). A line cut short when written is a note, not a problem, when the entry
 * after it records it, or when it is the last line (the next action on the case records it; a log cut at
 * its end is not something a chain of hashes can show: the case database's record of the last entry and
 * the bundle's manifest do).
 */
export function verifyCustodyChain(lines: readonly string[]): {
  entries: CustodyEntry[]; problems: ChainProblem[]; notes: ChainProblem[];
  /** The last entry's number (a line cut short counts as one), and each entry's line (1-based) by number. */
  lastSeq: number; lineOfSeq: Map<number, number>;
} {
  const problems: ChainProblem[] = [];
  const notes: ChainProblem[] = [];
  const entries: CustodyEntry[] = [];
  const lineOfSeq = new Map<number, number>();
  let prevLine: string | null = null;
  let lastSeq = 0;
  lines.forEach((line, i) => {
    const n = i + 1;
    const e = jsonOfLine(line) as CustodyEntry | undefined;
    if (e === undefined) {
      if (recordsTornLine(lines[i + 1], n, line)) notes.push({ line: n, problem: `an entry cut short when it was written, recorded by the entry at line ${n + 1}` });
      else if (i === lines.length - 1) notes.push({ line: n, problem: 'the last entry was cut short when it was written; the next action on the case records it' });
      else problems.push({ line: n, problem: 'not valid JSON' });
      prevLine = line;
      lastSeq++; // the line held (or was) an entry: the next one is numbered after it
      return;
    }
    if (typeof e !== 'object' || e === null || typeof e.seq !== 'number' || typeof e.action !== 'string') {
      problems.push({ line: n, problem: 'not a custody entry (seq and action expected)' });
    } else {
      if (e.seq !== lastSeq + 1) problems.push({ line: n, problem: `sequence number ${e.seq} after ${lastSeq} (entries removed, added or reordered)` });
      lastSeq = e.seq;
      lineOfSeq.set(e.seq, n);
      const expected = prevLine === null ? null : sha256Hex(prevLine);
      if (e.prev !== expected) {
        problems.push({
          line: n,
          problem: expected === null ? 'the first entry names a previous entry' : 'prev does not match the hash of the line before (that line was altered, removed or reordered)',
        });
      }
      entries.push(e);
    }
    prevLine = line;
  });
  return { entries, problems, notes, lastSeq, lineOfSeq };
}

/**
 * The number of a log's last entry, for the next to follow it (CustodyLog): the last line's seq; a torn
 * last line took the number after the entry before it; else the count of lines. Not the count of lines
 * alone: a log with a line removed must not give a number twice (verify names the gap). Reads the last
 * two lines only, where verifyCustodyChain reads and hashes them all.
 */
export function lastSeqOf(lines: readonly string[]): number {
  const seqOf = (l: string | undefined): number | null => {
    const e = l === undefined ? undefined : (jsonOfLine(l) as { seq?: unknown } | undefined);
    return typeof e?.seq === 'number' ? e.seq : null;
  };
  const last = seqOf(lines.at(-1));
  const before = seqOf(lines.at(-2));
  return last ?? (before !== null ? before + 1 : lines.length);
}
