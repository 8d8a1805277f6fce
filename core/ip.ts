// Client IP normalisation. Audit records write the client address as `1.2.3.4`, `1.2.3.4:5678`,
// `[2001:db8::1]:443`, `[1.2.3.4]:5678`, `2001:db8::1`, sometimes with spaces, sometimes as a placeholder
// (`Not Available`, `sanitized`). The normalised form drops the port and brackets and writes an IPv6
// address in its one canonical text form (RFC 5952: lower case, no leading zeros, the longest run of zero
// groups as `::`), so that `2001:DB8:0:0::4E` and `2001:db8::4e`, written by different sources for the same
// client, compare equal; an IPv4-mapped address (`::ffff:192.0.2.1`) is the IPv4 client it carries. A
// value that is not an address yields null; the record keeps the original.
import { z } from 'zod';

// IPv6 grammar is intricate (compression, embedded IPv4): use zod's validator rather than a home-made regex.
const ipv6 = z.ipv6();

/** Dotted-quad check by character scan (this runs once per record on the hot path). */
export function isIPv4(s: string): boolean {
  let parts = 0;
  let digitsInPart = 0;
  let value = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digitsInPart > 0 && value === 0) return false; // leading zero ("01") is not canonical dotted-quad
      value = value * 10 + (c - 48);
      digitsInPart++;
      if (digitsInPart > 3 || value > 255) return false;
    } else if (c === 46) {
      if (digitsInPart === 0) return false;
      parts++;
      digitsInPart = 0;
      value = 0;
    } else {
      return false;
    }
  }
  return digitsInPart > 0 && parts === 3;
}

export function isIPv6(s: string): boolean {
  return s.includes(':') && ipv6.safeParse(s).success;
}

/**
 * The RFC 5952 text of a valid IPv6 address (checked by the caller), or the IPv4 address it maps.
 * Written by hand: the rule is short, and Node's own parsers (net.SocketAddress, URL) are far slower
 * per call on the import's hot path.
 */
function canonicalIPv6(s: string): string {
  const groups: number[] = [];
  const parse = (part: string): void => {
    if (part === '') return;
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number];
        groups.push((a << 8) | b, (c << 8) | d);
      } else {
        groups.push(parseInt(g, 16));
      }
    }
  };
  const gap = s.indexOf('::');
  if (gap < 0) {
    parse(s);
  } else {
    parse(s.slice(0, gap));
    const head = groups.length;
    parse(s.slice(gap + 2));
    groups.splice(head, 0, ...new Array<number>(8 - groups.length).fill(0));
  }
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`;
  }
  // The longest run of two or more zero groups (the first of equals) becomes '::'.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  return best < 0 ? hex(groups) : `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}

/**
 * The address in a value, brackets, port and spaces removed: a valid IPv4 address, or text with colons
 * that may be an IPv6 one (checked by canonicalV6); null when there is none.
 */
function addressText(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  let s = value.trim();
  if (s.length === 0) return null;
  if (s.charCodeAt(0) === 91 /* [ */) {
    // `[host]` or `[host]:port`; the host is IPv6 as URLs write it, or IPv4 as some clients do (`[203.0.113.5]:443`)
    const close = s.indexOf(']');
    if (close < 0) return null;
    const rest = s.slice(close + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return null;
    s = s.slice(1, close).trim();
    return s.includes(':') || isIPv4(s) ? s : null;
  }
  const firstColon = s.indexOf(':');
  if (firstColon < 0) return isIPv4(s) ? s : null;
  if (s.indexOf(':', firstColon + 1) < 0) {
    // exactly one colon: IPv4 with a port
    const host = s.slice(0, firstColon);
    const port = s.slice(firstColon + 1);
    return isIPv4(host) && /^\d{1,5}$/.test(port) ? host : null;
  }
  return s;
}

/**
 * An IPv6 text's canonical form (or the IPv4 address it maps), null when it is not an address. Memoised:
 * this runs once per record on the import's hot path, where validating and rewriting cost about 1.4 µs,
 * and a log's client addresses repeat heavily. Bounded: cleared when full.
 */
const v6Seen = new Map<string, string | null>();
function canonicalV6(text: string): string | null {
  let c = v6Seen.get(text);
  if (c !== undefined) return c;
  c = isIPv6(text) ? canonicalIPv6(text) : null;
  if (v6Seen.size >= 4096) v6Seen.clear();
  v6Seen.set(text, c);
  return c;
}

/** Normalises a client address; null when the value is absent or not an IP address. */
export function normaliseIp(value: unknown): string | null {
  const t = addressText(value);
  return t === null || !t.includes(':') ? t : canonicalV6(t);
}

