// Retry policy: which failures are worth another try and how long to wait. Pure (the clock and the random
// source are arguments), so it is tested table-driven. Retry-After is honoured (seconds, decimal seconds as
// Exchange sends them, or an HTTP date); otherwise exponential backoff with "equal jitter" (half fixed, half random),
// capped at maxDelayMs; a 429 without Retry-After starts from twice the base (1-2 s by default, §3.4).

export interface RetryPolicy {
  /** Attempts in all, including the first. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest Retry-After honoured; longer answers are treated as a refusal. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 1000, maxDelayMs: 60_000, maxRetryAfterMs: 15 * 60_000 };

export type Failure =
  /** `transient`: an Exchange exception the module retries whatever the status (§4.7), named in the body. */
  | { kind: 'status'; status: number; retryAfter?: string | null; transient?: string | null }
  /** Connection reset, refused, timed out, TLS failure, socket closed mid-body. */
  | { kind: 'network'; code: string }
  /** A 2xx answer whose body is not the JSON it should be (e.g. cut short). */
  | { kind: 'bad-body' };

export type RetryDecision = { retry: true; delayMs: number; why: string } | { retry: false; why: string };

/** Parses a Retry-After header into milliseconds; null when absent or unusable. */
export function parseRetryAfter(v: string | null | undefined, nowMs: number): number | null {
  if (v === null || v === undefined) return null;
  const s = v.trim();
  if (s === '') return null;
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const at = Date.parse(s);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** §4.7: exceptions the Exchange module retries when error.details[0].message names them, whatever the status. */
const EXO_TRANSIENT = ['DCOverloadedException', 'SuitabilityDirectoryException', 'ServerInMMException', 'ADServerSettingsChangedException', 'StorageTransientException'] as const;

/** The §4.7 transient exception an Exchange error body names in error.details[0].message, if any. */
export function exoTransientException(body: Buffer): string | null {
  let j: unknown;
  try { j = JSON.parse(body.toString('utf8')); } catch { return null; }
  const m = (j as { error?: { details?: { message?: unknown }[] } } | null)?.error?.details?.[0]?.message;
  if (typeof m !== 'string') return null;
  return EXO_TRANSIENT.find((x) => m.includes(x)) ?? null;
}

export function isRetryable(f: Failure): boolean {
  if (f.kind === 'status') return RETRYABLE_STATUS.has(f.status) || !!f.transient;
  return true;
}

/**
 * Decides about the attempt that just failed (`attempt` is 1 for the first try).
 * `random` returns [0,1) and spreads clients apart (jitter).
 */
export function decideRetry(f: Failure, attempt: number, p: RetryPolicy, nowMs: number, random: () => number): RetryDecision {
  const what = describeFailure(f);
  if (!isRetryable(f)) return { retry: false, why: `${what} is not retryable` };
  if (attempt >= p.maxAttempts) return { retry: false, why: `${what}; gave up after ${attempt} attempts` };
  if (f.kind === 'status') {
    const ra = parseRetryAfter(f.retryAfter, nowMs);
    if (ra !== null) {
      if (ra > p.maxRetryAfterMs) return { retry: false, why: `${what} asking to wait ${Math.round(ra / 1000)} s, longer than the ${Math.round(p.maxRetryAfterMs / 1000)} s Blindspot waits` };
      return { retry: true, delayMs: ra, why: `${what}, Retry-After ${f.retryAfter}` };
    }
  }
  // A throttling answer without a usable Retry-After (Graph often omits it, §2.5; the Management API does not
  // document it, §3.4) backs off from 1-2 s rather than 0.5-1 s, as §3.4 advises; doubling from there, capped.
  const throttled = f.kind === 'status' && f.status === 429;
  const cap = Math.min(p.maxDelayMs, p.baseDelayMs * (throttled ? 2 : 1) * 2 ** (attempt - 1));
  return { retry: true, delayMs: Math.round(cap / 2 + random() * (cap / 2)), why: `${what}${throttled ? ' without Retry-After' : ''}, backing off` };
}

export function describeFailure(f: Failure): string {
  if (f.kind === 'status') return `HTTP ${f.status}${f.transient ? ` ${f.transient}` : ''}`;
  if (f.kind === 'network') return `network error ${f.code}`;
  return 'an unreadable response body';
}
