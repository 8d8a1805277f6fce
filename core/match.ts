// How a value typed by a person (a filter on the command line or in the UI) can be stored in the case's
// normalised columns. Pure: db/ turns these candidate forms into SQL.
import { normaliseIp } from './ip.ts';

/** The stored form of a typed session id: lower case, as the import stores it (and migration 0012 made older cases'). */
export function sessionFilterValue(typed: string): string {
  return typed.trim().toLowerCase();
}

/**
 * The stored form of a typed client IP: normalised as the import normalises it (and as migration 0011
 * made older cases' values); the text as given (trimmed) when it is not an address, which matches nothing.
 */
export function ipFilterValue(typed: string): string {
  return normaliseIp(typed) ?? typed.trim();
}

/** A typed app id as matched (db/timeline.ts APP_MATCH compares without letter case): the text trimmed. */
export function appFilterValue(typed: string): string {
  return typed.trim();
}
