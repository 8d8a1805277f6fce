// Client IP normalisation. Audit records write the client address as `1.2.3.4`, `1.2.3.4:5678`,
// `[2001:db8::1]:443`, `2001:db8::1`, sometimes with spaces, sometimes as a placeholder (`Not Available`,
// `sanitized`). The normalised form drops the port and brackets and keeps IPv6 (lower-cased so equal
// addresses compare equal). A value that is not an address yields null; the record keeps the original.
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

/** Normalises a client address; null when the value is absent or not an IP address. */
export function normaliseIp(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  let s = value.trim();
  if (s.length === 0) return null;
  if (s.charCodeAt(0) === 91 /* [ */) {
    const close = s.indexOf(']');
    if (close < 0) return null;
    s = s.slice(1, close);
    return isIPv6(s) ? s.toLowerCase() : null;
  }
  const firstColon = s.indexOf(':');
  if (firstColon < 0) return isIPv4(s) ? s : null;
  if (s.indexOf(':', firstColon + 1) < 0) {
    // exactly one colon: IPv4 with a port
    const host = s.slice(0, firstColon);
    const port = s.slice(firstColon + 1);
    return isIPv4(host) && /^\d{1,5}$/.test(port) ? host : null;
  }
  return isIPv6(s) ? s.toLowerCase() : null;
}
