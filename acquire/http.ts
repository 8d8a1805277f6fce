// The one HTTP client acquisition uses: undici with its own Agent (the simulated tenant's CA, when given,
// is trusted for this client only; nothing process-wide), the network allow-list checked before every
// request, no redirects followed, bodies read whole (pages are bounded by the page size) and returned as
// the exact bytes received. Retrying is decided by the caller with retry.ts, because a 200 whose JSON is
// cut short is only detectable by parsing it.
import { Agent, request } from 'undici';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import type { NetworkPolicy } from './netPolicy.ts';

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpResponse {
  url: string;
  status: number;
  /** Lower-cased header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
}

/** A transport failure (no complete response): connection reset, refused, timeout, TLS. */
export class NetworkFailure extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'NetworkFailure';
    this.code = code;
  }
}

export interface HttpClientOptions {
  policy: NetworkPolicy;
  /** Extra CA certificate(s), PEM: trusted by this client only. */
  ca?: string;
  /** Headers and body timeouts in ms (a stalled server). Default 5 minutes each. */
  timeoutMs?: number;
  /** Largest body accepted (a guard against a hostile server). Default 256 MiB. */
  maxBodyBytes?: number;
}

function normHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function errCode(e: unknown): string {
  const any = e as { code?: unknown; cause?: { code?: unknown } };
  if (typeof any?.code === 'string') return any.code;
  if (typeof any?.cause?.code === 'string') return any.cause.code;
  return e instanceof Error ? e.name : 'UNKNOWN';
}

export class HttpClient {
  readonly policy: NetworkPolicy;
  private readonly agent: Agent;
  private readonly maxBody: number;

  constructor(o: HttpClientOptions) {
    this.policy = o.policy;
    const t = o.timeoutMs ?? 300_000;
    this.agent = new Agent({
      connect: o.ca ? { ca: o.ca } : {},
      headersTimeout: t,
      bodyTimeout: t,
      connections: 8,
    });
    this.maxBody = o.maxBodyBytes ?? 256 * 1024 * 1024;
  }

  /** One attempt. Throws NetworkPolicyError (not allowed), NetworkFailure (no complete response) or AbortError. */
  async send(r: HttpRequest, signal?: AbortSignal): Promise<HttpResponse> {
    const url = this.policy.check(r.url);
    let res;
    try {
      res = await request(url, {
        method: r.method, headers: r.headers ?? {}, body: r.body ?? null, dispatcher: this.agent, ...(signal ? { signal } : {}),
      });
    } catch (e) {
      if (signal?.aborted) throw e;
      throw new NetworkFailure(errCode(e), `${r.method} ${url.origin}${url.pathname}: ${(e as Error).message}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const c of res.body) {
        const b = c as Buffer;
        size += b.length;
        if (size > this.maxBody) {
          res.body.destroy();
          throw new NetworkFailure('BODY_TOO_LARGE', `${r.method} ${url.origin}${url.pathname}: the response body is larger than ${this.maxBody} bytes`);
        }
        chunks.push(b);
      }
    } catch (e) {
      if (e instanceof NetworkFailure) throw e;
      if (signal?.aborted) throw e;
      throw new NetworkFailure(errCode(e), `${r.method} ${url.origin}${url.pathname}: the connection broke while reading the body (${(e as Error).message})`);
    }
    return { url: url.toString(), status: res.statusCode, headers: normHeaders(res.headers as Record<string, string | string[] | undefined>), body: Buffer.concat(chunks, size) };
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** A throttled token answer (§1.7): 429, or a server error MSAL treats the same way. */
export function isThrottledStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * What MSAL's own requests met that its errors do not say, reset before each token request: the status
 * and Retry-After of a throttled answer (MSAL puts the status on a client-credentials error but not on a
 * refresh-token one), and a request that got no answer at all (MSAL reports an unreachable sign-in service
 * and an untrusted one alike, as endpoints_resolution_error).
 */
export class MsalTraffic {
  /** The status of the last 429 or 5xx answer; null when there was none. */
  throttledStatus: number | null = null;
  retryAfter: string | null = null;
  failure: NetworkFailure | null = null;
  reset(): void {
    this.throttledStatus = null;
    this.retryAfter = null;
    this.failure = null;
  }
}

/**
 * MSAL's network module over the same client: MSAL's own requests (discovery, token) go through the
 * allow-list and trust the same CA, without touching global fetch or process-wide TLS settings; `traffic`
 * notes what they met.
 */
export function msalNetworkModule(http: HttpClient, traffic: MsalTraffic): INetworkModule {
  const go = async <T>(method: 'GET' | 'POST', url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> => {
    let res: HttpResponse;
    try {
      res = await http.send({ method, url, ...(options?.headers ? { headers: options.headers } : {}), ...(options?.body !== undefined ? { body: options.body } : {}) });
    } catch (e) {
      if (e instanceof NetworkFailure) traffic.failure = e;
      throw e;
    }
    if (isThrottledStatus(res.status)) {
      traffic.throttledStatus = res.status;
      traffic.retryAfter = res.headers['retry-after'] ?? null;
    }
    let body: unknown = {};
    const text = res.body.toString('utf8');
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = { error: 'invalid_response', error_description: `the sign-in service answered HTTP ${res.status} with a body that is not JSON` };
      }
    }
    return { headers: res.headers, body: body as T, status: res.status };
  };
  return {
    sendGetRequestAsync: <T>(url: string, options?: NetworkRequestOptions) => go<T>('GET', url, options),
    sendPostRequestAsync: <T>(url: string, options?: NetworkRequestOptions) => go<T>('POST', url, options),
  };
}
