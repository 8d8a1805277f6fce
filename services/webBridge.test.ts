import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiPush } from '../core/api.ts';
import type { ApiHandlers } from '../electron/ipc.ts';
import { CONTENT_SECURITY_POLICY } from '../electron/ipc.ts';
import { useTmp } from '../test/helpers/tmp.ts';
import { startWebBridge, TOKEN_HEADER } from './webBridge.ts';
import type { WebBridge } from './webBridge.ts';

const tmp = useTmp('bs-web-');
const bridges: WebBridge[] = [];
afterEach(async () => { for (const b of bridges.splice(0)) await b.close(); });

const summary = { dir: '/c', name: 'Web', number: null, client: null, examiner: 'e', timeZone: 'UTC', createdAt: 't', events: 3, evidenceItems: 1, mailboxes: 1, firstEvent: null, lastEvent: null, version: 1 };

function handlers(calls: unknown[]): ApiHandlers {
  return {
    'case.open': async () => summary,
    'case.summary': async (a) => { calls.push(a); return summary; },
    'timeline.query': async (a) => { calls.push(a); return { rows: [], next: null }; },
    'timeline.count': async () => ({ count: 3 }),
    'event.get': async () => { throw new Error('unreachable'); },
    'gaps.get': async () => ({ analysisVersion: '1', range: { start: 't', end: 't' }, rangeNote: 'n', mailboxes: [], unseen: [] }),
    'annotation.add': async () => { throw new Error('unreachable'); },
    'annotation.remove': async () => { throw new Error('unreachable'); },
    'report.write': async () => { throw new Error('unreachable'); },
    'findings.get': async () => { throw new Error('unreachable'); },
    'exposure.compute': async () => { throw new Error('unreachable'); },
    'exposure.items': async () => { throw new Error('unreachable'); },
  };
}

async function start(calls: unknown[] = [], extra: Partial<Parameters<typeof startWebBridge>[0]> = {}) {
  const root = tmp();
  const dist = join(root, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Blindspot</title>');
  writeFileSync(join(dist, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(root, 'secret.txt'), 'outside the dist folder');
  symlinkSync(join(root, 'secret.txt'), join(dist, 'link.txt'));
  const b = await startWebBridge({ handlers: handlers(calls), staticDir: dist, token: 'T'.repeat(43), ...extra });
  bridges.push(b);
  return b;
}

/** A raw HTTP request, so Host, paths and headers are exactly what a hostile client would send. */
function raw(b: WebBridge, o: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((res, rej) => {
    const req = request({ host: '127.0.0.1', port: b.port, method: o.method ?? 'GET', path: o.path, headers: { host: `127.0.0.1:${b.port}`, ...o.headers } }, (r) => {
      let body = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => { body += c; });
      r.on('end', () => res({ status: r.statusCode ?? 0, headers: r.headers, body }));
    });
    req.on('error', rej);
    if (o.body !== undefined) req.write(o.body);
    req.end();
  });
}

const api = (b: WebBridge, name: string, body: unknown, headers: Record<string, string> = {}) =>
  raw(b, { method: 'POST', path: `/api/${name}`, headers: { 'content-type': 'application/json', [TOKEN_HEADER]: b.token, ...headers }, body: JSON.stringify(body) });

describe('web bridge', () => {
  it('prints a loopback URL carrying the token in the fragment, not the query', async () => {
    const b = await start();
    expect(b.url).toBe(`http://127.0.0.1:${b.port}/#token=${b.token}`);
    expect(new URL(b.url).search).toBe('');
    // Refuses to start without a built UI rather than serving an empty page.
    await expect(startWebBridge({ handlers: handlers([]), staticDir: tmp() })).rejects.toThrow(/build the renderer/);
  });

  it('makes a fresh random token per run', async () => {
    const dist = join(tmp(), 'd');
    mkdirSync(dist);
    writeFileSync(join(dist, 'index.html'), 'x');
    const a = await startWebBridge({ handlers: handlers([]), staticDir: dist });
    const c = await startWebBridge({ handlers: handlers([]), staticDir: dist });
    bridges.push(a, c);
    expect(a.token).not.toBe(c.token);
    expect(a.token.length).toBeGreaterThanOrEqual(43);
  });

  it('serves the built UI with the CSP and hardening headers', async () => {
    const b = await start();
    const r = await raw(b, { path: '/' });
    expect(r.status).toBe(200);
    expect(r.body).toContain('<title>Blindspot</title>');
    expect(r.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toMatch(/default-src 'none'/);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/https?:|unsafe-inline|unsafe-eval|\*/);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('DENY');
    const js = await raw(b, { path: '/assets/app.js?v=1' });
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
  });

  it('never serves files outside the built UI', async () => {
    const b = await start();
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/link.txt', '/%00', '/%E0%A4%A', '/assets']) {
      const r = await raw(b, { path });
      expect([400, 404], path).toContain(r.status);
      expect(r.body, path).not.toContain('outside the dist folder');
    }
  });

  it('answers API calls with ApiResult data through the shared check', async () => {
    const calls: unknown[] = [];
    const b = await start(calls);
    const ok = await api(b, 'case.summary', {});
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ ok: true, value: summary });
    expect(ok.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    const bad = await api(b, 'timeline.query', { limit: 'lots' });
    expect(JSON.parse(bad.body)).toMatchObject({ ok: false, error: { kind: 'BadRequest' } });
    for (const name of ['__proto__', 'constructor', 'nope', '%2e%2e', '']) {
      const r = await api(b, name, {});
      expect(JSON.parse(r.body), name).toMatchObject({ ok: false, error: { kind: 'BadRequest' } });
    }
    const polluted = await raw(b, { method: 'POST', path: '/api/timeline.query', headers: { 'content-type': 'application/json', [TOKEN_HEADER]: b.token }, body: '{"__proto__":{"limit":1},"user":"u"}' });
    expect(JSON.parse(polluted.body)).toEqual({ ok: true, value: { rows: [], next: null } });
    expect(calls).toEqual([{}, { user: 'u', limit: 500 }]);
  });

  it('refuses API calls without the token, from another origin or host, or not as JSON', async () => {
    const calls: unknown[] = [];
    const b = await start(calls);
    expect((await api(b, 'case.summary', {}, { [TOKEN_HEADER]: '' })).status).toBe(403);
    const wrong = await api(b, 'case.summary', {}, { [TOKEN_HEADER]: 'T'.repeat(42) + 'U' });
    expect(wrong.status).toBe(403);
    // A refusal the page shows as such (no retry can help), not a bad request of its own.
    expect(JSON.parse(wrong.body)).toMatchObject({ ok: false, error: { kind: 'Unauthorized', message: expect.stringMatching(/open the URL that blindspot ui printed/) } });
    expect((await raw(b, { method: 'POST', path: '/api/case.summary', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(403);
    expect((await api(b, 'case.summary', {}, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await api(b, 'case.summary', {}, { origin: 'null' })).status).toBe(403);
    expect((await api(b, 'case.summary', {}, { host: `evil.example:${b.port}` })).status).toBe(421);
    expect((await raw(b, { path: '/', headers: { host: 'rebind.example' } })).status).toBe(421);
    expect((await api(b, 'case.summary', {}, { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await raw(b, { method: 'GET', path: '/api/case.summary', headers: { [TOKEN_HEADER]: b.token } })).status).toBe(405);
    expect((await raw(b, { method: 'POST', path: '/api/case.summary', headers: { 'content-type': 'application/json', [TOKEN_HEADER]: b.token }, body: '{not json' })).status).toBe(400);
    expect((await raw(b, { method: 'POST', path: '/api/case.summary', headers: { 'content-type': 'application/json', [TOKEN_HEADER]: b.token }, body: JSON.stringify({ text: 'x'.repeat(70_000) }) })).status).toBe(413);
    expect(calls).toEqual([]);
    // The same origin (either loopback name) is accepted.
    expect((await api(b, 'case.summary', {}, { origin: `http://127.0.0.1:${b.port}` })).status).toBe(200);
    expect((await api(b, 'case.summary', {}, { origin: `http://localhost:${b.port}`, host: `localhost:${b.port}` })).status).toBe(200);
  });

  it('streams pushed events to a page holding the token, and stops the subscription when closed', async () => {
    const pushes: ((p: ApiPush) => void)[] = [];
    let unsubscribed = 0;
    const events = (push: (p: ApiPush) => void) => { pushes.push(push); return () => { unsubscribed++; }; };
    const b = await start([], { events, heartbeatMs: 20 });
    expect(pushes).toHaveLength(1);
    const { status, type, chunks, done } = await stream(b, { [TOKEN_HEADER]: b.token });
    expect(status).toBe(200);
    expect(type).toBe('text/event-stream; charset=utf-8');
    await vi.waitFor(() => expect(chunks.join('')).toMatch(/^: connected\n\n/));
    pushes[0]!({ event: 'case.changed', payload: { dir: '/c', version: 7 } });
    await vi.waitFor(() => expect(chunks.join('')).toContain('data: {"event":"case.changed","payload":{"dir":"/c","version":7}}\n\n'));
    await vi.waitFor(() => expect(chunks.join('')).toContain(': alive\n\n'));
    await b.close();
    bridges.splice(bridges.indexOf(b), 1);
    await done;
    expect(unsubscribed).toBe(1);
  });

  it('starts every stream, a late or a repeated one, with the latest push of each event', async () => {
    const pushes: ((p: ApiPush) => void)[] = [];
    const b = await start([], { events: (push) => { pushes.push(push); return () => {}; } });
    const first = await stream(b, { [TOKEN_HEADER]: b.token });
    await vi.waitFor(() => expect(first.chunks.join('')).toBe(': connected\n\n')); // nothing pushed yet
    pushes[0]!({ event: 'case.changed', payload: { dir: '/c', version: 3 } });
    pushes[0]!({ event: 'case.changed', payload: { dir: '/c', version: 9 } });
    first.abort();
    // The page lost its stream while the case changed; its next stream opens with where the case is now.
    const again = await stream(b, { [TOKEN_HEADER]: b.token });
    await vi.waitFor(() => expect(again.chunks.join('')).toBe(': connected\n\ndata: {"event":"case.changed","payload":{"dir":"/c","version":9}}\n\n'));
  });

  it('forgets a stream whose page went away, sends no CORS header, and ends streams and the heartbeat when closed', async () => {
    const set = vi.spyOn(globalThis, 'setInterval');
    const clear = vi.spyOn(globalThis, 'clearInterval');
    try {
      const b = await start([], { events: () => () => {}, heartbeatMs: 20 });
      const heartbeat = set.mock.results.at(-1)!.value as NodeJS.Timeout;
      const gone = await stream(b, { [TOKEN_HEADER]: b.token });
      const kept = await stream(b, { [TOKEN_HEADER]: b.token });
      expect(gone.headers['access-control-allow-origin']).toBeUndefined();
      await vi.waitFor(() => expect(b.openStreams()).toBe(2));
      gone.abort();
      await vi.waitFor(() => expect(b.openStreams()).toBe(1));
      await b.close();
      bridges.splice(bridges.indexOf(b), 1);
      await kept.done;
      expect(kept.chunks.join('')).toMatch(/: alive\n\n/);
      expect(clear).toHaveBeenCalledWith(heartbeat);
    } finally {
      set.mockRestore();
      clear.mockRestore();
    }
  });

  it('refuses the event stream without the token, from another origin, or not as GET', async () => {
    const b = await start([], { events: () => () => {} });
    expect((await raw(b, { path: '/events' })).status).toBe(403);
    expect((await raw(b, { path: '/events', headers: { [TOKEN_HEADER]: 'T'.repeat(42) + 'U' } })).status).toBe(403);
    expect((await raw(b, { path: '/events', headers: { [TOKEN_HEADER]: b.token, origin: 'http://evil.example' } })).status).toBe(403);
    expect((await raw(b, { method: 'POST', path: '/events', headers: { [TOKEN_HEADER]: b.token } })).status).toBe(405);
    expect((await raw(b, { path: '/events', headers: { [TOKEN_HEADER]: b.token, host: 'rebind.example' } })).status).toBe(421);
  });
});

/** Opens the event stream and collects what arrives until the server ends it. */
function stream(b: WebBridge, headers: Record<string, string>): Promise<{ status: number; type: unknown; headers: IncomingHttpHeaders; chunks: string[]; done: Promise<void>; abort(): void }> {
  return new Promise((res, rej) => {
    const req = request({ host: '127.0.0.1', port: b.port, path: '/events', headers: { host: `127.0.0.1:${b.port}`, ...headers } }, (r) => {
      const chunks: string[] = [];
      r.setEncoding('utf8');
      r.on('data', (c: string) => chunks.push(c));
      r.on('error', () => {}); // an aborted stream
      const done = new Promise<void>((d) => r.on('close', () => d()));
      res({ status: r.statusCode ?? 0, type: r.headers['content-type'], headers: r.headers, chunks, done, abort: () => req.destroy() });
    });
    req.on('error', rej);
    req.end();
  });
}
