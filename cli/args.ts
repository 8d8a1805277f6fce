// Small helpers over node:util parseArgs so every command reports bad flags the same way.
import { normaliseIp } from '../core/ip.ts';
import { parseIsoUtc } from '../core/time.ts';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { UsageError } from '../services/errors.ts';

export type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses a command's flags; `positionals` is how many plain arguments it takes (1 unless said), and one
 * more is refused, never ignored (`verify a.zip b.zip` must not report b.zip intact unread).
 */
export function parse<O extends Options>(cmd: string, argv: string[], options: O, positionals = 1) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    // Node's parser explains over several lines. Its advice about '--' (an unknown option) does not apply
    // to our commands and is dropped; for a value that starts with a dash (`--limit -5`, "ambiguous"), its
    // advice becomes the hint, on one line.
    const [first = '', ...more] = (e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, '').split('\n');
    const msg = first.split('. To specify a positional')[0]!.replace(/\.$/, '');
    throw new UsageError(`${cmd}: ${msg}.`, more.length > 0 ? `${more.join(' ')} Run: blindspot help` : 'Run: blindspot help');
  }
  // An empty value is never meant: `--mailbox "$M"` with M unset would otherwise filter on nothing and
  // show every mailbox.
  for (const [name, v] of Object.entries(parsed.values)) {
    if (typeof v === 'string' && v.trim() === '') {
      throw new UsageError(`${cmd}: --${name} is empty.`, `Give --${name} a value, or leave it out. Run: blindspot help`);
    }
  }
  if (parsed.positionals.length > positionals) {
    throw new UsageError(`${cmd}: unexpected argument '${parsed.positionals[positionals]!}' (${cmd} takes ${positionals === 0 ? 'none' : positionals === 1 ? 'one' : positionals}).`, 'Run: blindspot help');
  }
  return parsed;
}

export function requireString(cmd: string, v: unknown, flag: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`${cmd}: ${flag} is required.`, 'Run: blindspot help');
  return v;
}

export function optionalString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function parseIsoArg(cmd: string, flag: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  const ms = parseIsoUtc(s);
  if (ms === null) throw new UsageError(`${cmd}: ${flag} ${s} is not an ISO 8601 date or date-time.`, 'Example: 2026-05-01 or 2026-05-01T12:00:00Z (UTC unless a zone is given).');
  return ms;
}

/** A client IP filter: refused unless it is an address (records without one are never matched). */
export function parseIpArg(cmd: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  if (normaliseIp(s) === null) throw new UsageError(`${cmd}: --ip ${JSON.stringify(s)} is not an IP address.`, 'Give an IPv4 or IPv6 address, e.g. 203.0.113.7 or 2001:db8::4e (a port or brackets are allowed).');
  return s;
}

export function parseIntArg(cmd: string, flag: string, v: unknown, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${cmd}: ${flag} must be a whole number from ${min} to ${Number.MAX_SAFE_INTEGER}.`);
  return n;
}

export function positional(cmd: string, positionals: string[], index: number, what: string): string {
  const v = positionals[index];
  if (v === undefined) throw new UsageError(`${cmd}: missing ${what}.`, 'Run: blindspot help');
  return v;
}
