import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, decideRetry, exoTransientException, parseRetryAfter } from './retry.ts';

const NOW = Date.parse('2026-05-01T10:00:00Z');
const half = (): number => 0.5;

describe('parseRetryAfter', () => {
  it('reads seconds, decimal seconds (Exchange) and HTTP dates', () => {
    expect(parseRetryAfter('7', NOW)).toBe(7000);
    expect(parseRetryAfter('1.5', NOW)).toBe(1500);
    expect(parseRetryAfter('Fri, 01 May 2026 10:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfter('Fri, 01 May 2026 09:00:00 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('soon', NOW)).toBeNull();
    expect(parseRetryAfter(undefined, NOW)).toBeNull();
  });
});

describe('decideRetry', () => {
  it('honours Retry-After on 429 and 503', () => {
    expect(decideRetry({ kind: 'status', status: 429, retryAfter: '2.5' }, 1, DEFAULT_RETRY, NOW, half)).toMatchObject({ retry: true, delayMs: 2500 });
    expect(decideRetry({ kind: 'status', status: 503, retryAfter: '3' }, 2, DEFAULT_RETRY, NOW, half)).toMatchObject({ retry: true, delayMs: 3000 });
  });
  it('backs off exponentially with jitter, capped', () => {
    const d = (attempt: number, r: number): number => {
      const x = decideRetry({ kind: 'network', code: 'ECONNRESET' }, attempt, { ...DEFAULT_RETRY, maxAttempts: 99 }, NOW, () => r);
      if (!x.retry) throw new Error('expected a retry');
      return x.delayMs;
    };
    expect(d(1, 0)).toBe(500);
    expect(d(1, 0.999)).toBeLessThanOrEqual(1000);
    expect(d(3, 0)).toBe(2000);
    expect(d(20, 0.999)).toBeLessThanOrEqual(DEFAULT_RETRY.maxDelayMs);
    expect(d(20, 0)).toBe(DEFAULT_RETRY.maxDelayMs / 2);
  });
  it('a 429 without Retry-After (Graph often omits it, the Management API does not document it) backs off from 1-2 s, doubling, capped', () => {
    const d = (attempt: number, r: number, retryAfter?: string | null): number => {
      const x = decideRetry({ kind: 'status', status: 429, ...(retryAfter !== undefined ? { retryAfter } : {}) }, attempt, { ...DEFAULT_RETRY, maxAttempts: 99 }, NOW, () => r);
      if (!x.retry) throw new Error('expected a retry');
      expect(x.why).toMatch(/HTTP 429 without Retry-After, backing off/);
      return x.delayMs;
    };
    expect(d(1, 0)).toBe(1000);
    expect(d(1, 0.999)).toBeLessThanOrEqual(2000);
    expect(d(2, 0)).toBe(2000);
    expect(d(3, 0, null)).toBe(4000);
    expect(d(4, 0, 'soon')).toBe(8000); // an unusable value counts as absent
    expect(d(30, 0.999)).toBeLessThanOrEqual(DEFAULT_RETRY.maxDelayMs);
    expect(d(30, 0)).toBe(DEFAULT_RETRY.maxDelayMs / 2);
    // a 503 without Retry-After keeps the ordinary 0.5-1 s start
    expect(decideRetry({ kind: 'status', status: 503 }, 1, DEFAULT_RETRY, NOW, () => 0)).toMatchObject({ retry: true, delayMs: 500 });
  });
  it('does not retry client errors, and gives up after the last attempt', () => {
    expect(decideRetry({ kind: 'status', status: 403 }, 1, DEFAULT_RETRY, NOW, half).retry).toBe(false);
    expect(decideRetry({ kind: 'status', status: 400 }, 1, DEFAULT_RETRY, NOW, half).retry).toBe(false);
    const last = decideRetry({ kind: 'status', status: 503 }, DEFAULT_RETRY.maxAttempts, DEFAULT_RETRY, NOW, half);
    expect(last).toMatchObject({ retry: false });
    expect(last.why).toMatch(/gave up after 6 attempts/);
    expect(decideRetry({ kind: 'bad-body' }, 1, DEFAULT_RETRY, NOW, half).retry).toBe(true);
  });
  it('retries an Exchange error whose body names a §4.7 transient exception, whatever the status', () => {
    const body = (m: string): Buffer => Buffer.from(JSON.stringify({ error: { code: 'BadRequest', message: 'Error executing cmdlet', details: [{ code: 'Client', target: '', message: m }] } }));
    expect(exoTransientException(body('Ex1A2B3C|Microsoft.Exchange.Data.Directory.DCOverloadedException|busy'))).toBe('DCOverloadedException');
    expect(exoTransientException(body('Ex1A2B3C|Microsoft.Exchange.Data.Storage.StorageTransientException|x'))).toBe('StorageTransientException');
    expect(exoTransientException(body('Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|x'))).toBeNull();
    expect(exoTransientException(Buffer.alloc(32, 0))).toBeNull();
    const x = decideRetry({ kind: 'status', status: 400, transient: 'DCOverloadedException' }, 1, DEFAULT_RETRY, NOW, () => 0);
    expect(x).toMatchObject({ retry: true, delayMs: 500 });
    expect(x.why).toMatch(/HTTP 400 DCOverloadedException, backing off/);
    expect(decideRetry({ kind: 'status', status: 400, transient: null }, 1, DEFAULT_RETRY, NOW, half).retry).toBe(false);
  });
  it('refuses to sleep for an unreasonable Retry-After', () => {
    const x = decideRetry({ kind: 'status', status: 429, retryAfter: '86400' }, 1, DEFAULT_RETRY, NOW, half);
    expect(x.retry).toBe(false);
    expect(x.why).toMatch(/longer than/);
  });
});
