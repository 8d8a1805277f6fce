// The typed client for the one API contract (core/api.ts). In the Electron window it calls the preload
// bridge (window.blindspot.invoke); in a browser it calls the local web bridge with the session token
// from the URL fragment. Either way the answer is an ApiResult: failures are data, never exceptions.
// Pushed events (case.changed) come from the preload's on() in the window, and from the web bridge's
// GET /events stream in a browser.
import type { Api, ApiEventName, ApiEvents, ApiName, ApiResult } from '../core/api.ts';
import { isApiEventName } from '../core/apiEvents.ts';

export type ApiArgs<K extends ApiName> = Parameters<Api[K]>[0];
export type ApiValue<K extends ApiName> = Awaited<ReturnType<Api[K]>>;
export type ApiClient = <K extends ApiName>(name: K, args: ApiArgs<K>) => Promise<ApiResult<ApiValue<K>>>;
/** Subscribes to one pushed event; returns the unsubscribe. */
export type ApiEventsClient = <K extends ApiEventName>(event: K, cb: (payload: ApiEvents[K]) => void) => () => void;

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

let pageToken: string | null = null;

/**
 * Takes the session token from `#token=…` once, keeps it in this tab's session storage (so a reload
 * still works) and removes it from the address bar. The API client and the event stream share it.
 */
export function sessionToken(): string | null {
  if (pageToken) return pageToken;
  const m = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(window.location.hash);
  if (m?.[1]) {
    try { window.sessionStorage.setItem(TOKEN_KEY, m[1]); } catch { /* storage may be off; the token still works for this page */ }
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
    return (pageToken = m[1]);
  }
  try { return (pageToken = window.sessionStorage.getItem(TOKEN_KEY)); } catch { return null; }
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
    if (!token) return { ok: false, error: { kind: 'Unauthorized', message: 'No session key in this page address. Open the URL that "blindspot ui" printed.' } };
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

const RETRY_MS = 3000;

/**
 * The server-sent event stream of the web bridge, read with fetch (EventSource cannot send the token
 * header). The bridge writes only `data: <JSON>` lines and `:` comments, so those are all this reads.
 * A dropped stream is opened again; a refused one (the server restarted with a new key) is given up.
 */
function webEvents(token: string, deliver: (event: string, payload: unknown) => void): void {
  const dispatch = (block: string) => {
    for (const line of block.split('\n')) {
      if (!line.startsWith('data: ')) continue;
      try {
        const m = JSON.parse(line.slice('data: '.length)) as { event?: unknown; payload?: unknown };
        if (isApiEventName(m.event)) deliver(m.event, m.payload);
      } catch { /* not ours: ignored */ }
    }
  };
  const open = async (): Promise<void> => {
    for (;;) {
      try {
        const res = await fetch('./events', { headers: { [TOKEN_HEADER]: token }, cache: 'no-store', credentials: 'omit' });
        if (res.status === 403 || res.status === 404) return;
        if (res.ok && res.body) {
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffered = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffered += value;
            let end: number;
            while ((end = buffered.indexOf('\n\n')) >= 0) {
              dispatch(buffered.slice(0, end));
              buffered = buffered.slice(end + 2);
            }
          }
        }
      } catch { /* the server went away for a moment: try again below */ }
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  };
  void open();
}

export function createEvents(): ApiEventsClient {
  const bridge = window.blindspot;
  if (bridge) return (event, cb) => bridge.on(event, cb as (payload: unknown) => void);
  const listeners = new Map<string, Set<(payload: never) => void>>();
  let started = false;
  return (event, cb) => {
    const set = listeners.get(event) ?? new Set();
    listeners.set(event, set);
    set.add(cb as (payload: never) => void);
    const token = sessionToken();
    if (!started && token) {
      started = true;
      webEvents(token, (name, payload) => { for (const l of listeners.get(name) ?? []) (l as (p: unknown) => void)(payload); });
    }
    return () => { set.delete(cb as (payload: never) => void); };
  };
}
