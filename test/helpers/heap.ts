// Watching V8's young generation (new space) from a test, and loading it the way an acquisition does.
import v8 from 'node:v8';

export const MB = 1024 * 1024;

export function newSpaceBytes(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;
}

/**
 * Allocates like the pages of an acquisition (1,000 parsed records each, held until the page is done),
 * which is enough for V8 to grow an unbounded young generation. Returns the largest new space seen and
 * its size at the end: even when it is bounded, V8 lets it exceed its capacity for a moment (2 MB went
 * up to 4-6 MB at times), so the size it settles at is the steadier measure: the smallest seen over the
 * last SETTLE_PAGES pages (one reading at the end caught such a moment once on a loaded machine, 4.25
 * MB; a young generation that really grew stays above 16 MB on every page).
 */
const SETTLE_PAGES = 5;

export function churn(pages: number): { peak: number; settled: number } {
  let peak = newSpaceBytes();
  let held = 0;
  const last: number[] = [];
  for (let page = 0; page < pages; page++) {
    const records: unknown[] = [];
    for (let i = 0; i < 1000; i++) records.push(JSON.parse(JSON.stringify({ id: `${page}-${i}`, text: 'x'.repeat(200), items: Array.from({ length: 20 }, (_, k) => ({ k, v: `v${k}-${i}` })) })));
    held += records.length;
    const size = newSpaceBytes();
    peak = Math.max(peak, size);
    last.push(size);
    if (last.length > SETTLE_PAGES) last.shift();
  }
  if (held !== pages * 1000) throw new Error('churn: records lost');
  return { peak, settled: Math.min(...last) };
}
