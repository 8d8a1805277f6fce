// Cutting a time range into slices and splitting a slice that reached a cap. Pure.
//
// Slices are half-open [startMs, endMs) on whole UTC seconds (the Exchange admin API takes times to the
// second). A slice that reached a cap is cut in two at a whole second near its middle, down to one second;
// a one-second slice still over the cap cannot be split and is reported incomplete by the caller.

export const SECOND = 1000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
/** The smallest slice: the APIs take times to the second. */
export const MIN_SLICE_MS = SECOND;

export interface Slice {
  startMs: number;
  endMs: number;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** `2024-05-01T10:15:22` (UTC, no zone), the form the Exchange module sends (§4.3). */
export function exoTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

/** Widens a range to whole seconds (start rounded down, end rounded up) and checks it. */
export function normaliseRange(fromMs: number, toMs: number): Slice {
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) throw new RangeError('the time range needs a valid start and end');
  const startMs = Math.floor(fromMs / SECOND) * SECOND;
  const endMs = Math.ceil(toMs / SECOND) * SECOND;
  if (endMs <= startMs) throw new RangeError(`the range end ${iso(toMs)} is not after its start ${iso(fromMs)}`);
  return { startMs, endMs };
}

/**
 * Cuts [from, to) into slices of `sliceMs`, aligned to multiples of `sliceMs` since the epoch (so the
 * same range always gives the same slices, which is what lets a restarted run find its ledger rows).
 * The first and last slice are clipped to the range.
 */
export function planSlices(fromMs: number, toMs: number, sliceMs: number): Slice[] {
  if (!(sliceMs >= MIN_SLICE_MS) || sliceMs % SECOND !== 0) throw new RangeError(`slice length must be a whole number of seconds, got ${sliceMs} ms`);
  const r = normaliseRange(fromMs, toMs);
  const out: Slice[] = [];
  let s = r.startMs;
  while (s < r.endMs) {
    const boundary = (Math.floor(s / sliceMs) + 1) * sliceMs;
    const e = Math.min(boundary, r.endMs);
    out.push({ startMs: s, endMs: e });
    s = e;
  }
  return out;
}

export function canSplit(s: Slice): boolean {
  return s.endMs - s.startMs > MIN_SLICE_MS;
}

/** Two halves cut at a whole second; null for a slice of one second (it cannot be split further). */
export function splitSlice(s: Slice): [Slice, Slice] | null {
  if (!canSplit(s)) return null;
  const seconds = (s.endMs - s.startMs) / SECOND;
  const mid = s.startMs + Math.floor(seconds / 2) * SECOND;
  return [{ startMs: s.startMs, endMs: mid }, { startMs: mid, endMs: s.endMs }];
}

/** How many ways a slice should be cut so each part is expected under `cap` (at least 2). */
export function partsFor(reported: number, cap: number): number {
  return Math.max(2, Math.ceil(reported / Math.max(1, Math.floor(cap * 0.8))));
}

/**
 * Cuts a slice into about `parts` pieces of whole seconds (for a slice whose reported total is known to be
 * far over the cap, so it is not bisected one level at a time). Null if it cannot be split.
 */
export function splitInto(s: Slice, parts: number): Slice[] | null {
  if (!canSplit(s)) return null;
  const seconds = (s.endMs - s.startMs) / SECOND;
  const n = Math.max(2, Math.min(parts, seconds));
  const out: Slice[] = [];
  let start = s.startMs;
  for (let i = 1; i <= n; i++) {
    const end = i === n ? s.endMs : s.startMs + Math.round((seconds * i) / n) * SECOND;
    if (end > start) out.push({ startMs: start, endMs: end });
    start = end;
  }
  return out;
}

/** Management Activity API reach (§3.3): listing windows of at most 24 h, at most 7 days back. */
export const MANAGE_REACH_MS = 7 * DAY;
export const MANAGE_WINDOW_MS = DAY;

/**
 * The listing windows (on contentCreated) for [from, to): the part older than `nowMs - 7 days` is
 * returned separately as out of reach. Blobs are published after the events they hold, so the last
 * window is extended by `lagMs` to pick up records of the range's last hours: capped at now when the
 * range ends before now; when the range runs past now, `later` holds the windows after now, up to the
 * range's end plus the lag, to be listed once their time has come.
 */
export function planManageWindows(fromMs: number, toMs: number, nowMs: number, lagMs: number): { windows: Slice[]; outOfReach: Slice | null; later: Slice[] } {
  const r = normaliseRange(fromMs, toMs);
  // one minute of margin: the API measures "7 days back" from its own clock
  const reachStart = Math.ceil((nowMs - MANAGE_REACH_MS + 60_000) / SECOND) * SECOND;
  const start = Math.max(r.startMs, reachStart);
  const lagEnd = Math.ceil((r.endMs + lagMs) / SECOND) * SECOND;
  const nowCap = Math.floor(nowMs / SECOND) * SECOND;
  const end = Math.min(lagEnd, nowCap);
  const outOfReach = r.startMs < reachStart ? { startMs: r.startMs, endMs: Math.min(reachStart, r.endMs) } : null;
  const windows: Slice[] = [];
  for (let s = start; s < end; s += MANAGE_WINDOW_MS) windows.push({ startMs: s, endMs: Math.min(s + MANAGE_WINDOW_MS, end) });
  const later: Slice[] = [];
  if (r.endMs > nowMs) for (let s = Math.max(start, end); s < lagEnd; s += MANAGE_WINDOW_MS) later.push({ startMs: s, endMs: Math.min(s + MANAGE_WINDOW_MS, lagEnd) });
  return { windows, outOfReach, later };
}
