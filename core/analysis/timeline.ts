// Piecewise-constant state over the case range, rebuilt from snapshots (state at a known time) and
// change records (state from that time on). Before the first observation the state is taken backward
// from the first snapshot when no change record precedes it; otherwise it is a guess (`prior`), marked
// inferred. A snapshot that disagrees with the state the records imply reveals an unrecorded change:
// the boundary it creates is marked inferred.
import type { Confidence } from './types.ts';

export type Observation<V> =
  | { timeMs: number; source: 'snapshot'; value: V; evidence: string }
  | { timeMs: number; source: 'record'; apply: (prev: V) => V; evidence: string };

export interface Segment<V> {
  startMs: number;
  /** Exclusive; null = still so at the end of what is known. */
  endMs: number | null;
  value: V;
  evidence: string[];
  confidence: Confidence;
  /** Why the confidence is inferred, when it is. */
  note: string | null;
}

export interface TimelineOptions<V> {
  equals: (a: V, b: V) => boolean;
  /** State before the first observation when a change record comes first (the prior state is not recorded). */
  prior: (first: Observation<V> & { source: 'record' }) => { value: V; confidence: Confidence; note: string | null };
}

export function buildTimeline<V>(observations: Observation<V>[], rangeStartMs: number, opts: TimelineOptions<V>): Segment<V>[] {
  const obs = [...observations].sort((a, b) => a.timeMs - b.timeMs || (a.source === b.source ? 0 : a.source === 'record' ? -1 : 1));
  const first = obs[0];
  if (!first) return [];
  let current: Segment<V>;
  if (first.source === 'snapshot') {
    current = { startMs: Math.min(rangeStartMs, first.timeMs), endMs: null, value: first.value, evidence: [first.evidence], confidence: 'certain', note: null };
  } else {
    const p = opts.prior(first);
    current = { startMs: Math.min(rangeStartMs, first.timeMs), endMs: null, value: p.value, evidence: [], confidence: p.confidence, note: p.note };
  }
  const segments: Segment<V>[] = [];
  let i = first.source === 'snapshot' ? 1 : 0;
  for (; i < obs.length; i++) {
    const o = obs[i]!;
    const next = o.source === 'snapshot' ? o.value : o.apply(current.value);
    if (opts.equals(next, current.value)) {
      current.evidence.push(o.evidence);
      continue;
    }
    if (o.timeMs > current.startMs) {
      current.endMs = o.timeMs;
      segments.push(current);
    }
    const unrecorded = o.source === 'snapshot';
    if (unrecorded && segments.length > 0) {
      const prev = segments[segments.length - 1]!;
      prev.confidence = 'inferred';
      prev.note = prev.note ?? 'its end is not recorded: a later snapshot shows a different state';
    }
    current = {
      startMs: o.timeMs,
      endMs: null,
      value: next,
      evidence: [o.evidence],
      confidence: unrecorded ? 'inferred' : 'certain',
      note: unrecorded ? 'the change that started it is not in the records: the snapshot shows it' : null,
    };
  }
  segments.push(current);
  return segments;
}

// ---- intervals ----------------------------------------------------------------------------------

export interface Interval {
  startMs: number;
  endMs: number | null;
}

export function overlaps(a: Interval, b: Interval): boolean {
  const aEnd = a.endMs ?? Infinity;
  const bEnd = b.endMs ?? Infinity;
  return a.startMs < bEnd && b.startMs < aEnd;
}

export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The non-empty values, once each, sorted. */
export const distinct = (xs: (string | null | undefined)[]): string[] => [...new Set(xs.filter((x): x is string => !!x))].sort();

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
