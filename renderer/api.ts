// The typed client for the one API contract (core/api.ts). In the Electron window it calls the preload
// bridge (window.blindspot.invoke); in a browser it calls the local web bridge with the session token
// from the URL fragment. Either way the answer is an ApiResult: failures are data, never exceptions.
import type { Api, ApiName, ApiResult } from '../core/api.ts';

export type ApiArgs<K extends ApiName> = Parameters<Api[K]>[0];
export type ApiValue<K extends ApiName> = Awaited<ReturnType<Api[K]>>;
export type ApiClient = <K extends ApiName>(name: K, args: ApiArgs<K>) => Promise<ApiResult<ApiValue<K>>>;

/** What electron/preload.ts exposes on window (and nothing more). */
export interface BlindspotBridge {
  invoke(name: string, args: unknown): Promise<unknown>;
  on(event: string, cb: (payload: unknown) => void): () => void;
}

declare global {
  interface Window {
    blindspot?: BlindspotBridge;
  }
}

const TOKEN_KEY = 'blindspot.token';
const TOKEN_HEADER = 'X-Blindspot-Token';

/**
 * Takes the session token from `#token=…` once, keeps it in this tab's session storage (so a reload
 * still works) and removes it from the address bar.
 */
export function sessionToken(): string | null {
  const m = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(window.location.hash);
  if (m?.[1]) {
    try { window.sessionStorage.setItem(TOKEN_KEY, m[1]); } catch { /* storage may be off; the token still works for this page */ }
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
    return m[1];
  }
  try { return window.sessionStorage.getItem(TOKEN_KEY); } catch { return null; }
}

function isApiResult(x: unknown): x is ApiResult<unknown> {
  if (x === null || typeof x !== 'object') return false;
  const r = x as { ok?: unknown; error?: unknown };
  return r.ok === true || (r.ok === false && typeof r.error === 'object' && r.error !== null);
}

function lost(message: string): ApiResult<never> {
  return { ok: false, error: { kind: 'Internal', message } };
}

export function createClient(): ApiClient {
  const bridge = window.blindspot;
  if (bridge) {
    return async (name, args) => {
      try {
        const r = await bridge.invoke(name, args);
        return isApiResult(r) ? (r as ApiResult<never>) : lost(`${name}: unexpected answer from Blindspot.`);
      } catch (e) {
        return lost(`${name}: lost contact with Blindspot (${e instanceof Error ? e.message : String(e)}).`);
      }
    };
  }
  const token = sessionToken();
  return async (name, args) => {
    if (!token) return { ok: false, error: { kind: 'BadRequest', message: 'No session key in this page address. Open the URL that "blindspot ui" printed.' } };
    try {
      const res = await fetch(`./api/${encodeURIComponent(name)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', [TOKEN_HEADER]: token },
        body: JSON.stringify(args ?? {}),
        cache: 'no-store',
        credentials: 'omit',
      });
      const body: unknown = await res.json().catch(() => null);
      if (isApiResult(body)) return body as ApiResult<never>;
      return lost(`${name}: the Blindspot server answered ${res.status} ${res.statusText}.`);
    } catch (e) {
      return lost(`${name}: cannot reach the Blindspot server; is "blindspot ui" still running? (${e instanceof Error ? e.message : String(e)})`);
    }
  };
}
