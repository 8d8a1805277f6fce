// Authorised JSON calls with retries: the access token (refreshed once after a 401, e.g. when it expired
// mid-run), Retry-After and backoff from retry.ts, and a body that must be complete JSON (a 200 cut short is
// retried like a network failure). Refusals become ApiRefusal with what to grant and where.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleepMs } from 'node:timers/promises';
import { BlindspotError, EXIT } from '../services/errors.ts';
import type { Api, TokenProvider } from './auth.ts';
import { TokenThrottled } from './auth.ts';
import type { HttpClient, HttpRequest, HttpResponse } from './http.ts';
import { NetworkFailure } from './http.ts';
import { permissionHint } from './permissions.ts';
import type { Failure, RetryPolicy } from './retry.ts';
import { DEFAULT_RETRY, decideRetry, describeFailure, exoTransientException, isRetryable } from './retry.ts';

export class ApiRefusal extends BlindspotError {
  readonly status: number;
  readonly code: string | null;
  readonly api: Api;
  readonly detail: string;
  /** The refusing answer as received, with its request (an answer that decides something is kept as evidence). */
  readonly answer: CallResult | null;
  constructor(api: Api, status: number, code: string | null, detail: string, message: string, hint: string | null, answer: CallResult | null = null) {
    super(message, { exitCode: EXIT.remote, ...(hint ? { hint } : {}) });
    this.name = 'ApiRefusal';
    this.api = api;
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.answer = answer;
  }
}

/** The failure did not go away after the retries. */
export class RetriesExhausted extends BlindspotError {
  constructor(message: string) {
    super(message, { exitCode: EXIT.remote, hint: 'The service kept failing; run the same command again later to continue from the ledger.' });
    this.name = 'RetriesExhausted';
  }
}

export interface CallResult {
  res: HttpResponse;
  json: unknown;
  /** The request as sent, without the token (stored with the evidence). */
  request: { method: string; url: string; headers: Record<string, string>; body: string | null };
}

export interface ApiClientOptions {
  retry?: RetryPolicy;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  clientId: string;
  onRetry?: (e: { api: Api; url: string; attempt: number; why: string; delayMs: number }) => void;
}

/** Extracts a readable error code and message from Graph, Exchange and Management error bodies. */
export function errorInfo(api: Api, body: Buffer): { code: string | null; message: string } {
  const text = body.toString('utf8');
  if (/^\0*$/.test(text)) return { code: null, message: text.length ? '(a body of NUL bytes)' : '(no body)' };
  let j: unknown;
  try { j = JSON.parse(text); } catch { return { code: null, message: text.slice(0, 300) }; }
  const e = (j as { error?: unknown; Message?: unknown })?.error;
  if (e && typeof e === 'object') {
    const o = e as { code?: unknown; message?: unknown; innererror?: { internalexception?: { message?: unknown; type?: unknown } }; details?: { message?: unknown }[] };
    if (api === 'exchange') {
      const ie = o.innererror?.internalexception;
      const detail = typeof o.details?.[0]?.message === 'string' ? o.details[0].message.split('|').slice(2).join('|') : null;
      return { code: typeof ie?.type === 'string' ? ie.type : typeof o.code === 'string' ? o.code : null, message: String(ie?.message ?? detail ?? o.message ?? '') };
    }
    return { code: typeof o.code === 'string' ? o.code : null, message: String(o.message ?? '') };
  }
  if (typeof e === 'string') return { code: e, message: String((j as { error_description?: unknown }).error_description ?? '') };
  if (typeof (j as { Message?: unknown })?.Message === 'string') return { code: null, message: (j as { Message: string }).Message };
  return { code: null, message: text.slice(0, 300) };
}

/**
 * §1.7: a throttled token request is a failure to wait out (its Retry-After, else back off) and ask again,
 * like a throttled call; any other sign-in failure is rethrown as it is.
 */
function throttledTokenFailure(e: unknown): Failure {
  if (!(e instanceof TokenThrottled)) throw e;
  return { kind: 'status', status: e.status, retryAfter: e.retryAfter };
}

export class ApiClient {
  private readonly http: HttpClient;
  private readonly tokens: TokenProvider;
  private readonly o: ApiClientOptions;
  private readonly policy: RetryPolicy;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private made = 0;

  constructor(http: HttpClient, tokens: TokenProvider, o: ApiClientOptions) {
    this.http = http;
    this.tokens = tokens;
    this.o = o;
    this.policy = o.retry ?? DEFAULT_RETRY;
    this.sleep = o.sleep ?? ((ms, signal) => sleepMs(ms, undefined, signal ? { signal } : {}));
    this.random = o.random ?? Math.random;
  }

  get appOnly(): boolean {
    return this.tokens.appOnly;
  }

  /**
   * Every retry made through this client so far: each call or token request asked again, each new token
   * after a 401, and each retry a caller made above the calls (countRetry). The acquisition counts a
   * slice's retries as how far this moved while it collected the slice, so the retries of a call that
   * succeeded still count when a later call of the same slice fails.
   */
  get retriesMade(): number {
    return this.made;
  }

  /** Counts a retry made above the calls (a Search-UnifiedAuditLog session started again). */
  countRetry(): void {
    this.made++;
  }

  /**
   * An access token outside a call (the sign-in check before a run, the tenant id): a throttled token request
   * (§1.7) is waited out and asked again, like a throttled call, and counted in retriesMade like one (the
   * tenant id is asked for inside the first Management API slice, the check before a run inside none).
   */
  async token(api: Api, signal?: AbortSignal): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      try {
        return await this.tokens.getToken(api);
      } catch (e) {
        const d = decideRetry(throttledTokenFailure(e), attempt, this.policy, Date.now(), this.random);
        if (!d.retry) throw e;
        this.made++;
        this.o.onRetry?.({ api, url: 'token', attempt, why: `token request: ${d.why}`, delayMs: d.delayMs });
        await this.sleep(d.delayMs, signal);
      }
    }
  }

  /** Decodes the tenant id (tid) from an access token: the Management API wants the GUID. */
  async tenantIdFromToken(api: Api): Promise<string | null> {
    const t = await this.token(api);
    try {
      const p = JSON.parse(Buffer.from(t.split('.')[1] ?? '', 'base64url').toString('utf8')) as { tid?: unknown };
      return typeof p.tid === 'string' ? p.tid : null;
    } catch {
      return null;
    }
  }

  /**
   * One logical call. `accept` lists statuses returned to the caller rather than refused (e.g. 400 for
   * Management AF20024 "already enabled"). The body must parse as JSON unless `raw` is set.
   */
  async call(api: Api, r: HttpRequest & { what: string; accept?: number[]; raw?: boolean }, signal?: AbortSignal): Promise<CallResult> {
    const headers: Record<string, string> = { Accept: 'application/json', 'client-request-id': randomUUID(), ...r.headers };
    if (r.body !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
    const request = { method: r.method, url: r.url, headers: { ...headers }, body: r.body ?? null };
    // A 401 (expired or revoked token) asks once for a new token: the next token request skips the cache,
    // and is waited out and asked again like any other when the token endpoint throttles it (§1.7).
    let refreshed = false;
    let refresh = false;
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      let failure: Failure;
      let res: HttpResponse | null = null;
      let token: string | null = null;
      try {
        token = await this.tokens.getToken(api, refresh ? { forceRefresh: true } : undefined);
        refresh = false;
      } catch (e) {
        failure = throttledTokenFailure(e);
      }
      if (token !== null) {
        try {
          res = await this.http.send({ method: r.method, url: r.url, headers: { ...headers, Authorization: `Bearer ${token}` }, ...(r.body !== undefined ? { body: r.body } : {}) }, signal);
        } catch (e) {
          if (!(e instanceof NetworkFailure)) throw e;
          failure = { kind: 'network', code: e.code };
        }
      }
      if (res) {
        if (res.status === 401 && !refreshed) {
          refreshed = refresh = true;
          this.made++;
          continue;
        }
        if ((res.status >= 200 && res.status < 300) || r.accept?.includes(res.status)) {
          if (r.raw) return { res, json: null, request };
          const text = res.body.toString('utf8');
          try {
            return { res, json: text.trim() === '' ? null : JSON.parse(text), request };
          } catch {
            failure = { kind: 'bad-body' };
          }
        } else {
          failure = { kind: 'status', status: res.status, retryAfter: res.headers['retry-after'] ?? null, ...(api === 'exchange' ? { transient: exoTransientException(res.body) } : {}) };
        }
      }
      const f = failure!;
      const d = decideRetry(f, attempt, this.policy, Date.now(), this.random);
      if (!d.retry) {
        if (f.kind === 'status' && res) {
          const info = errorInfo(api, res.body);
          const hint = permissionHint({ api, status: res.status, code: info.code, clientId: this.o.clientId, appOnly: this.tokens.appOnly, what: r.what, path: new URL(r.url).pathname });
          const name = api === 'graph' ? 'Graph' : api === 'exchange' ? 'Exchange Online' : 'The Management Activity API';
          throw new ApiRefusal(api, res.status, info.code, info.message,
            `${r.what}: ${name} returned ${res.status}${info.code ? ` ${info.code}` : ''}${info.message ? `: ${info.message.replace(/[.\s]+$/, '')}` : ''}${isRetryable(f) ? ` (${d.why})` : ''}${hint ? `. To fix: ${hint}` : ''}`, hint,
            { res, json: null, request });
        }
        throw new RetriesExhausted(`${r.what}: ${d.why} (${describeFailure(f)} on ${token === null ? 'the token request for' : r.method} ${new URL(r.url).pathname}).`);
      }
      this.made++;
      this.o.onRetry?.({ api, url: r.url, attempt, why: d.why, delayMs: d.delayMs });
      await this.sleep(d.delayMs, signal);
    }
  }
}
