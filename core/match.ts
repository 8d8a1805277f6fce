// How a value typed by a person (a filter on the command line or in the UI) can be stored in the case's
// normalised columns. Pure: db/ turns these candidate forms into SQL.
import { normaliseIp } from './ip.ts';

/**
 * The letter cases a session id (a GUID) may be stored in: sources write GUIDs in either case, and a
 * reviewer pastes them as found.
 */
export function sessionMatchValues(typed: string): string[] {
  const s = typed.trim();
  return [...new Set([s, s.toLowerCase(), s.toUpperCase()])];
}

/**
 * The stored form of a typed client IP: normalised as the import normalises it (and as migration 0011
 * made older cases' values); the text as given (trimmed) when it is not an address, which matches nothing.
 */
export function ipFilterValue(typed: string): string {
  return normaliseIp(typed) ?? typed.trim();
}
