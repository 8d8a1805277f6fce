// The `large` scenario must stream: generating more days must not grow memory. Asserts on heap, never
// on time (the generation rate is measured outside the tests).
import { describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createScenario } from './index.ts';

// A full collection before each sample, so heapUsed measures what is retained, not GC timing.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('large scenario', () => {
  it('streams many days with bounded heap', () => {
    const s = createScenario({ scenario: 'large', seed: 9, mailboxes: 300, days: 60, eventsPerDay: 6000, now: new Date('2026-11-20T12:00:00Z') });
    const heapAtDay: number[] = [];
    let n = 0;
    let lastDay = -1;
    const dayOf = (ct: string): number => Math.floor((Date.parse(`${ct}Z`) - s.range.start.getTime()) / 86_400_000);
    for (const r of s.recordsBetween(s.range.start.getTime(), s.range.end.getTime())) {
      n++;
      const d = dayOf(r.CreationTime);
      if (d !== lastDay) {
        gc();
        heapAtDay.push(process.memoryUsage().heapUsed);
        lastDay = d;
      }
    }
    expect(n).toBeGreaterThan(200_000);
    expect(heapAtDay.length).toBe(60);
    // Holding the records would add roughly 150 MB here (2.5 kB each); streaming keeps the heap flat.
    const early = median(heapAtDay.slice(5, 15));
    const late = median(heapAtDay.slice(-10));
    expect(late - early).toBeLessThan(16 * 1024 * 1024);
  });

  it('scales the volume with eventsPerDay and mailboxes', () => {
    const small = createScenario({ scenario: 'large', seed: 9, mailboxes: 100, days: 2, eventsPerDay: 2000, now: new Date('2026-11-18T12:00:00Z') });
    const big = createScenario({ scenario: 'large', seed: 9, mailboxes: 100, days: 2, eventsPerDay: 8000, now: new Date('2026-11-18T12:00:00Z') });
    const a = small.recordsForDay(0).length; // a Tuesday (full working day)
    const b = big.recordsForDay(0).length;
    expect(a).toBeGreaterThan(1000);
    expect(b / a).toBeGreaterThan(3);
    expect(b / a).toBeLessThan(5);
    expect(small.tenant.users).toHaveLength(100);
  });
});
