// The local web bridge: the UI served over HTTP on 127.0.0.1 for machines without Electron, and for the
// browser tests. Static files come from the built renderer; POST /api/<name> goes through the same
// check-and-call function as Electron IPC (electron/ipc.ts callApi). A random per-run token must be in
// the X-Blindspot-Token header; the printed URL carries it in the fragment (#token=…), which browsers
// never send to a server, so another local page or process cannot call the API without it. The Host
// header must name this server (no DNS rebinding) and an Origin, when sent, must be this server's.
// GET /events, under the same checks, is a server-sent event stream of what the workstation pushes
// (core/api.ts ApiEvents), read by the page with fetch because EventSource cannot send the token header;
// a stream starts with the latest push of each event.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { callApi, CONTENT_SECURITY_POLICY } from '../electron/ipc.ts';
import type { ApiHandlers } from '../electron/ipc.ts';
import type { ApiPush } from '../core/api.ts';
import { MIME_TYPES } from '../core/mime.ts';

export const TOKEN_HEADER = 'x-blindspot-token';
const MAX_BODY = 64 * 1024;

const TYPES = MIME_TYPES;

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export interface WebBridgeOptions {
  handlers: ApiHandlers;
  /** The built renderer (renderer/dist). */
  staticDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** For tests; by default 32 random bytes. */
  token?: string;
  /** Where pushed events come from (CaseApi.onEvent); without it the event stream stays silent. */
  events?: (push: (p: ApiPush) => void) => () => void;
  /** A comment line on every open event stream this often, so idle connections stay open. */
  heartbeatMs?: number;
}

export interface WebBridge {
  port: number;
  token: string;
  origin: string;
  /** The URL to open: the token rides in the fragment, which never reaches a server or a Referer. */
  url: string;
  /** How many pages hold an event stream open. */
  openStreams(): number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: string | Buffer, type: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), 'application/json; charset=utf-8');
}

function sameToken(got: string | string[] | undefined, want: Buffer): boolean {
  if (typeof got !== 'string') return false;
  const b = Buffer.from(got, 'utf8');
  return b.length === want.length && timingSafeEqual(b, want);
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((res, rej) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) over = true;
      else chunks.push(c);
    });
    req.on('end', () => res(over ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', rej);
  });
}

export async function startWebBridge(opts: WebBridgeOptions): Promise<WebBridge> {
  const root = realpathSync(resolve(opts.staticDir));
  if (!existsSync(join(root, 'index.html'))) throw new Error(`${root}: no index.html; build the renderer first (npm run build:renderer).`);
  const token = opts.token ?? randomBytes(32).toString('base64url');
  const tokenBytes = Buffer.from(token, 'utf8');
  let allowedHosts: string[] = [];
  let origin = '';
  let allowedOrigins: string[] = [];

  const serveStatic = (req: IncomingMessage, res: ServerResponse, pathname: string): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'Method not allowed' });
    let rel: string;
    try {
      rel = decodeURIComponent(pathname === '/' ? '/index.html' : pathname);
    } catch {
      return send(res, 400, 'Bad path', 'text/plain; charset=utf-8');
    }
    if (rel.includes('\0')) return send(res, 400, 'Bad path', 'text/plain; charset=utf-8');
    const file = resolve(root, '.' + rel);
    if (file !== root && !file.startsWith(root + sep)) return send(res, 404, 'Not found', 'text/plain; charset=utf-8');
    let real: string;
    try {
      real = realpathSync(file);
    } catch {
      return send(res, 404, 'Not found', 'text/plain; charset=utf-8');
    }
    if (!real.startsWith(root + sep) || !statSync(real).isFile()) return send(res, 404, 'Not found', 'text/plain; charset=utf-8');
    const body = readFileSync(real);
    const type = TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream';
    if (req.method === 'HEAD') {
      res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': body.length });
      return void res.end();
    }
    send(res, 200, body, type);
  };

  const streams = new Set<ServerResponse>();
  // The latest push of each event, written to a stream as it connects: the events are states (the case's
  // change version), and a page that connects late, or again after a drop, must not miss one made meanwhile.
  const latest = new Map<string, string>();
  /** Why a request may not use the API or the event stream, or null when it may. */
  const refusal = (req: IncomingMessage): string | null => {
    if (!sameToken(req.headers[TOKEN_HEADER], tokenBytes)) return 'Missing or wrong session token: open the URL that blindspot ui printed (each run of it prints a new one).';
    if (req.headers.origin !== undefined && !allowedOrigins.includes(req.headers.origin)) return 'Refused: request from another origin.';
    return null;
  };

  const serveEvents = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET') return sendJson(res, 405, { ok: false, error: { kind: 'BadRequest', message: 'Use GET.' } });
    const refused = refusal(req);
    if (refused) return sendJson(res, 403, { ok: false, error: { kind: 'Unauthorized', message: refused } });
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8' });
    res.write(': connected\n\n');
    for (const message of latest.values()) res.write(message);
    streams.add(res);
    res.on('close', () => streams.delete(res));
  };
  const serveApi = async (req: IncomingMessage, res: ServerResponse, name: string): Promise<void> => {
    if (req.method !== 'POST') return sendJson(res, 405, { ok: false, error: { kind: 'BadRequest', message: 'Use POST.' } });
    const refused = refusal(req);
    if (refused) return sendJson(res, 403, { ok: false, error: { kind: 'Unauthorized', message: refused } });
    if (!/^application\/json(;|$)/i.test(req.headers['content-type'] ?? '')) {
      return sendJson(res, 415, { ok: false, error: { kind: 'BadRequest', message: 'Send JSON (Content-Type: application/json).' } });
    }
    const text = await readBody(req);
    if (text === null) return sendJson(res, 413, { ok: false, error: { kind: 'BadRequest', message: 'Request too large.' } });
    let args: unknown;
    try {
      args = text.trim() === '' ? {} : JSON.parse(text);
    } catch {
      return sendJson(res, 400, { ok: false, error: { kind: 'BadRequest', message: 'The request body is not valid JSON.' } });
    }
    const result = await callApi(opts.handlers, name, args);
    sendJson(res, 200, result);
  };

  const server = createServer((req, res) => {
    // DNS rebinding: a page on another name resolving to 127.0.0.1 sends its own Host.
    if (!allowedHosts.includes(req.headers.host ?? '')) return send(res, 421, 'Wrong host', 'text/plain; charset=utf-8');
    const pathname = (req.url ?? '/').split(/[?#]/, 1)[0] ?? '/';
    if (pathname === '/events') return serveEvents(req, res);
    if (pathname.startsWith('/api/')) {
      let name: string;
      try {
        name = decodeURIComponent(pathname.slice('/api/'.length));
      } catch {
        name = '';
      }
      serveApi(req, res, name).catch((e: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { ok: false, error: { kind: 'Internal', message: e instanceof Error ? e.message : String(e) } });
        else res.destroy();
      });
      return;
    }
    serveStatic(req, res, pathname);
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(opts.port ?? 0, '127.0.0.1', () => res());
  });
  // Subscribed only once the server listens: a port in use leaves nothing behind.
  const unsubscribe = opts.events?.((p) => {
    const message = `data: ${JSON.stringify(p)}\n\n`;
    latest.set(p.event, message);
    for (const s of streams) s.write(message);
  });
  const heartbeat = setInterval(() => { for (const s of streams) s.write(': alive\n\n'); }, opts.heartbeatMs ?? 25_000);
  heartbeat.unref();
  const port = (server.address() as AddressInfo).port;
  allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  origin = `http://127.0.0.1:${port}`;
  allowedOrigins = allowedHosts.map((h) => `http://${h}`);
  return {
    port,
    token,
    origin,
    url: `${origin}/#token=${token}`,
    openStreams: () => streams.size,
    close: () => new Promise<void>((res) => {
      unsubscribe?.();
      clearInterval(heartbeat);
      for (const s of streams) s.end();
      server.close(() => res());
      server.closeAllConnections();
    }),
  };
}
