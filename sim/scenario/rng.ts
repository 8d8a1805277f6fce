// Small deterministic PRNG and identifier helpers for the simulated tenant.
// Hand-written on purpose: the generator must be byte-identical across runs and machines, must be
// seedable per (seed, day, stream) so any day can be generated alone, and must be fast (>100k
// records/s). sfc32 with a splitmix-style seed hash is ~20 lines and has no dependency to drift.

/** 32-bit integer hash of a list of numbers and strings (order-sensitive). */
export function hash32(...parts: (number | string)[]): number {
  let h = 0x811c9dc5 ^ parts.length;
  for (const p of parts) {
    if (typeof p === 'number') {
      // mix both halves so seeds and millisecond times above 2^32 keep all their bits
      h = mix32(h ^ (p >>> 0));
      h = mix32(h ^ Math.floor(p / 4294967296));
    } else {
      for (let i = 0; i < p.length; i++) h = Math.imul(h ^ p.charCodeAt(i), 0x01000193);
      h = mix32(h);
    }
  }
  return h >>> 0;
}

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(...seedParts: (number | string)[]) {
    this.a = hash32(1, ...seedParts);
    this.b = hash32(2, ...seedParts);
    this.c = hash32(3, ...seedParts);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** Uniform unsigned 32-bit integer (sfc32). */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const v = items[Math.floor(this.next() * items.length)];
    if (v === undefined) throw new Error('Rng.pick: empty list');
    return v;
  }

  /** Poisson-distributed count (Knuth for small means, normal approximation above 30). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 30) {
      const u = Math.max(this.next(), 1e-12);
      const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
      return Math.max(0, Math.round(mean + z * Math.sqrt(mean)));
    }
    const l = Math.exp(-mean);
    let k = 0;
    let p = 1;
    do {
      k++;
      p *= this.next();
    } while (p > l);
    return k - 1;
  }

  guid(): string {
    return guidFrom(this.u32(), this.u32(), this.u32(), this.u32());
  }

  hex(chars: number): string {
    let s = '';
    while (s.length < chars) s += hex8(this.u32());
    return s.slice(0, chars).toUpperCase();
  }
}

const HEX = '0123456789abcdef';

export function hex8(x: number): string {
  let s = '';
  for (let i = 28; i >= 0; i -= 4) s += HEX[(x >>> i) & 15];
  return s;
}

/** A version-4-shaped GUID from four 32-bit words. */
export function guidFrom(w0: number, w1: number, w2: number, w3: number): string {
  const a = hex8(w0);
  const b = hex8(((w1 & 0xffff0fff) | 0x4000) >>> 0);
  const c = hex8(((w2 & 0x3fffffff) | 0x80000000) >>> 0);
  const d = hex8(w3);
  return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`;
}

/** A GUID that depends only on its name parts (stable identifiers for tenant objects). */
export function stableGuid(...parts: (number | string)[]): string {
  return guidFrom(hash32(11, ...parts), hash32(12, ...parts), hash32(13, ...parts), hash32(14, ...parts));
}
