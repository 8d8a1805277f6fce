import { describe, expect, it } from 'vitest';
import { DAY, HOUR, MANAGE_REACH_MS, exoTime, normaliseRange, partsFor, planManageWindows, planSlices, splitInto, splitSlice } from './slicing.ts';

const T = Date.parse('2026-05-01T00:00:00Z');

function covers(slices: { startMs: number; endMs: number }[], from: number, to: number): void {
  expect(slices[0]!.startMs).toBe(from);
  expect(slices.at(-1)!.endMs).toBe(to);
  for (let i = 1; i < slices.length; i++) expect(slices[i]!.startMs).toBe(slices[i - 1]!.endMs);
  for (const s of slices) expect(s.endMs).toBeGreaterThan(s.startMs);
}

describe('planSlices', () => {
  it('partitions a range into aligned slices without gaps or overlaps', () => {
    const from = T + 90 * 60_000; // 01:30
    const to = T + 2 * DAY + 5 * HOUR + 17_000;
    const s = planSlices(from, to, DAY);
    covers(s, from, to);
    expect(s).toHaveLength(3);
    expect(s[1]).toEqual({ startMs: T + DAY, endMs: T + 2 * DAY });
  });
  it('gives the same slices for the same range (resume relies on it)', () => {
    expect(planSlices(T + 123_000, T + 5 * HOUR, HOUR)).toEqual(planSlices(T + 123_000, T + 5 * HOUR, HOUR));
  });
  it('widens to whole seconds and refuses empty or reversed ranges', () => {
    expect(normaliseRange(T + 1500, T + 2500)).toEqual({ startMs: T + 1000, endMs: T + 3000 });
    expect(() => normaliseRange(T, T)).toThrow(/not after/);
    expect(() => normaliseRange(T + 10_000, T)).toThrow(/not after/);
    expect(() => planSlices(T, T + DAY, 1500)).toThrow(/whole number of seconds/);
  });
});

describe('splitting', () => {
  it('bisects at a whole second and stops at one second', () => {
    const [a, b] = splitSlice({ startMs: T, endMs: T + 3000 })!;
    expect(a).toEqual({ startMs: T, endMs: T + 1000 });
    expect(b).toEqual({ startMs: T + 1000, endMs: T + 3000 });
    expect(splitSlice({ startMs: T, endMs: T + 1000 })).toBeNull();
    let s = { startMs: T, endMs: T + DAY };
    let depth = 0;
    for (;;) {
      const p = splitSlice(s);
      if (!p) break;
      s = p[0];
      depth++;
    }
    expect(s.endMs - s.startMs).toBe(1000);
    expect(depth).toBeLessThanOrEqual(17);
  });
  it('cuts into n parts covering the slice', () => {
    const parts = splitInto({ startMs: T, endMs: T + HOUR }, 7)!;
    expect(parts).toHaveLength(7);
    covers(parts, T, T + HOUR);
    for (const p of parts) expect(p.startMs % 1000).toBe(0);
    expect(splitInto({ startMs: T, endMs: T + 3000 }, 10)).toHaveLength(3);
    expect(partsFor(120_000, 50_000)).toBe(3);
    expect(partsFor(50_001, 50_000)).toBe(2);
  });
  it('formats Exchange times without a zone', () => {
    expect(exoTime(T + 3_723_000)).toBe('2026-05-01T01:02:03');
  });
});

describe('planManageWindows', () => {
  it('keeps 24-hour windows inside the 7-day reach and reports the rest as out of reach', () => {
    const now = T + 10 * DAY;
    const { windows, outOfReach } = planManageWindows(T, now - DAY, now, HOUR);
    expect(outOfReach).not.toBeNull();
    expect(outOfReach!.startMs).toBe(T);
    expect(windows[0]!.startMs).toBe(outOfReach!.endMs);
    expect(windows[0]!.startMs).toBeGreaterThan(now - MANAGE_REACH_MS);
    for (const w of windows) expect(w.endMs - w.startMs).toBeLessThanOrEqual(DAY);
    expect(windows.at(-1)!.endMs).toBe(now - DAY + HOUR);
    covers(windows, windows[0]!.startMs, windows.at(-1)!.endMs);
  });
  it('never asks for the future and returns nothing when the whole range is too old', () => {
    const now = T + 30 * DAY;
    expect(planManageWindows(T, T + DAY, now, HOUR)).toEqual({ windows: [], outOfReach: { startMs: T, endMs: T + DAY }, later: [] });
    const w = planManageWindows(now - DAY, now, now, 6 * HOUR).windows;
    expect(w.at(-1)!.endMs).toBe(now);
  });
  it('plans the windows after now, up to the range end plus the lag, apart, when the range runs past now', () => {
    const now = T + 2 * DAY + 6 * HOUR;
    const p = planManageWindows(T + DAY, T + 4 * DAY, now, 12 * HOUR);
    expect(p.windows.at(-1)!.endMs).toBe(now);
    expect(p.later[0]!.startMs).toBe(now);
    expect(p.later.at(-1)!.endMs).toBe(T + 4 * DAY + 12 * HOUR);
    for (const w of p.later) expect(w.endMs - w.startMs).toBeLessThanOrEqual(DAY);
    covers([...p.windows, ...p.later], T + DAY, T + 4 * DAY + 12 * HOUR);
    // a range wholly in the future: every window is for later
    const f = planManageWindows(now + DAY, now + 2 * DAY, now, HOUR);
    expect(f.windows).toEqual([]);
    expect(f.later[0]!.startMs).toBe(now + DAY);
  });
});
