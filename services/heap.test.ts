import { describe, expect, it } from 'vitest';
import { boundYoungGeneration, collectGarbage } from './heap.ts';
import { churn, MB, newSpaceBytes } from '../test/helpers/heap.ts';

describe('garbage collection between pages', () => {
  it('reaches the collector without a command-line flag, and frees unreachable memory', () => {
    let big: number[] | null = new Array(5_000_000).fill(1);
    expect(big.length).toBe(5_000_000);
    const before = process.memoryUsage().heapUsed;
    big = null;
    expect(collectGarbage()).toBe(true);
    expect(process.memoryUsage().heapUsed).toBeLessThan(before - 20_000_000);
  });
});

describe('bounding the young generation', () => {
  it('gives back a grown young generation and keeps it at its initial size until released', () => {
    // unbounded, V8 grows it well past its initial 2 MB under this load (to 134 MB in a long acquisition)
    expect(churn(60).settled).toBeGreaterThan(16 * MB);
    const release = boundYoungGeneration();
    try {
      expect(newSpaceBytes()).toBeLessThanOrEqual(4 * MB);
      const bounded = churn(60);
      expect(bounded.settled).toBeLessThanOrEqual(4 * MB);
      expect(bounded.peak).toBeLessThan(16 * MB);
      // bounds nest: an inner release (twice, even) leaves the outer bound in force
      const inner = boundYoungGeneration();
      inner();
      inner();
      expect(churn(30).settled).toBeLessThanOrEqual(4 * MB);
    } finally {
      release();
    }
    expect(churn(60).settled).toBeGreaterThan(16 * MB);
  });
});
