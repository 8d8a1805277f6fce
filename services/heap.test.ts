import { describe, expect, it } from 'vitest';
import { collectGarbage } from './heap.ts';

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
