// Keeping a long-running collection's memory near what it actually holds, without command-line flags (a
// flag would need the CLI to re-exec itself, and a kill -9 of the parent would orphan the child).
// Measured on an acquisition of 180,669 records, peak RSS 381 MB: V8's heap 171 MB, SQLite's page cache
// 64 MB (db/database.ts), the node binary 61 MB, the rest malloc and thread arenas. The live JavaScript
// heap never exceeded 40 MB, but V8 had grown its young generation (new space) to 134 MB, the most it
// allows on a machine with this much memory, and kept it committed, and empty, for the rest of the run.
// - boundYoungGeneration() holds the young generation at its initial 2 MB while a collection runs. V8
//   multiplies its size by --semi-space-growth-factor each time it grows it, and reads that flag then
//   (--max-semi-space-size is read once at start-up), so a factor of 1 stops the growth; one "last-resort"
//   collection first gives back what an earlier phase grew. Measured (bench/acquire.ts): peak 372-377 ->
//   234 MB on 180,669 records, 389 -> 243 MB on 1,054,574 (the 468 MB was measured some commits
//   earlier), records per second unchanged within the machine's noise (1,902 -> 1,956 on the 1,054,574);
//   the acquirer's own CPU time was up to 6% higher, the price of promoting more of each page out of a
//   small young generation.
// - collectGarbage() after every page: with a small young generation more of a page's objects reach the
//   old generation, which V8 lets grow to hundreds of MB before collecting it when no heap limit is given
//   (measured on 180,669 records with the young generation bounded and a 16 MB page cache: 299 MB peak
//   without it, 194 MB with it).
// - Left alone: a smaller page cache for the case connection during acquisition saves up to its size
//   (32 MB instead of 64: 20-45 MB less) but costs 3-5% in speed (pages evicted are read back).
// Both functions reach V8 through v8.setFlagsFromString after start-up, which Node documents as possibly
// doing nothing on another V8: services/heap.test.ts checks that both still take effect.
import v8 from 'node:v8';
import vm from 'node:vm';

type Gc = (options?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async'; flavor?: 'regular' | 'last-resort' }) => void;

let gc: Gc | null | undefined;

/** V8's own default for --semi-space-growth-factor, put back when the last bound is released. */
const DEFAULT_GROWTH_FACTOR = 2;
let bounds = 0;

/** The gc function, enabled at run time and read from a new context (V8 creates it per context). */
function collector(): Gc | null {
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      const fn: unknown = vm.runInNewContext('typeof gc === "function" ? gc : null');
      gc = typeof fn === 'function' ? (fn as Gc) : null;
    } catch {
      gc = null;
    }
  }
  return gc;
}

/** A full garbage collection, when the runtime allows it; returns whether one ran. */
export function collectGarbage(): boolean {
  const fn = collector();
  if (!fn) return false;
  fn();
  return true;
}

/**
 * Holds V8's young generation at its initial size until the returned function is called (it is safe to
 * call twice). Bounds nest: the default growth comes back when the last one is released. Process-wide:
 * meant for a long job (an acquisition) that is most of what the process is doing. A bulk import caps its
 * parse worker's young generation instead (services/parseSource.ts PARSE_YOUNG_MB): holding the whole
 * process at this size slowed its parse by a fifth.
 */
export function boundYoungGeneration(): () => void {
  if (bounds++ === 0) {
    v8.setFlagsFromString('--semi-space-growth-factor=1');
    collector()?.({ type: 'major', execution: 'sync', flavor: 'last-resort' }); // shrinks a young generation grown before
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--bounds === 0) v8.setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH_FACTOR}`);
  };
}
