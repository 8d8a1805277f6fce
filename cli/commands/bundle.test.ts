import { describe, expect, it } from 'vitest';
import { bundleProgressLine } from './bundle.ts';

describe('bundleProgressLine', () => {
  it('names each step of an export or verification, with its megabytes and how far the bar is', () => {
    expect(bundleProgressLine({ step: 'snapshot', done: 380e6, total: 1521e6 })).toEqual(['copying the case database, 380 of 1521 MB', 380 / 1521]);
    expect(bundleProgressLine({ step: 'hashing', done: 0, total: 2752e6 })).toEqual(['hashing the files, 0 of 2752 MB', 0]);
    expect(bundleProgressLine({ step: 'writing', done: 2752e6, total: 2752e6 })).toEqual(['writing the bundle, 2752 of 2752 MB', 1]);
    expect(bundleProgressLine({ step: 'hashing-bundle', done: 809e6, total: 1618e6 })).toEqual(['hashing the bundle, 809 of 1618 MB', 0.5]);
    expect(bundleProgressLine({ step: 'reading', done: 1618e6, total: 1618e6 })).toEqual(['reading and hashing the bundle, 1618 of 1618 MB', 1]);
  });

  it('does not divide by zero on an empty step', () => {
    expect(bundleProgressLine({ step: 'hashing', done: 0, total: 0 })[1]).toBe(0);
  });
});
