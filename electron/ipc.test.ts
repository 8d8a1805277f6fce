import { describe, expect, it, vi } from 'vitest';
import { ApiProblem } from '../core/api.ts';
import type { ApiHandlers } from './ipc.ts';
import { APP_URL, callApi, checkRequest, handleIpc, isApiName, isTrustedSender } from './ipc.ts';

const summary = { dir: '/c', name: 'n', number: null, client: null, examiner: 'e', timeZone: 'UTC', createdAt: 't', events: 0, evidenceItems: 0, mailboxes: 0, firstEvent: null, lastEvent: null };

function fakeHandlers() {
  const calls: { name: string; args: unknown }[] = [];
  const rec = (name: string, value: unknown) => async (args: unknown) => { calls.push({ name, args }); return value; };
  const handlers = {
    'case.open': rec('case.open', summary),
    'case.summary': rec('case.summary', summary),
    'timeline.query': rec('timeline.query', { rows: [], next: null }),
    'timeline.count': rec('timeline.count', { count: 0 }),
    'event.get': rec('event.get', null),
  } as unknown as ApiHandlers;
  return { handlers, calls };
}

const ME = { url: APP_URL, isMainFrame: true };

describe('IPC checking', () => {
  it('knows only the contract names, not inherited properties', () => {
    for (const n of ['case.open', 'case.summary', 'timeline.query', 'timeline.count', 'event.get']) expect(isApiName(n)).toBe(true);
    for (const n of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '', 'case.delete', 'CASE.OPEN', ' case.open', 42, null, undefined, {}, ['case.open']]) {
      expect(isApiName(n), String(n)).toBe(false);
    }
  });

  it('trusts only the app page in the top frame', () => {
    expect(isTrustedSender(ME)).toBe(true);
    expect(isTrustedSender({ url: 'blindspot://app/', isMainFrame: true })).toBe(true);
    for (const url of [
      'https://evil.example/', 'http://127.0.0.1:5173/index.html', 'file:///work/main/renderer/dist/index.html',
      'blindspot://app.evil.example/index.html', 'blindspot://evil/index.html', 'blindspot://user@app/index.html',
      'blindspot://app:1/index.html', 'devtools://devtools/bundled/inspector.html', 'about:blank', 'data:text/html,hi',
      'javascript:alert(1)', 'not a url', '',
    ]) {
      expect(isTrustedSender({ url, isMainFrame: true }), url).toBe(false);
    }
    expect(isTrustedSender({ url: APP_URL, isMainFrame: false })).toBe(false);
    expect(isTrustedSender({ url: undefined, isMainFrame: true })).toBe(false);
    expect(isTrustedSender({ url: null, isMainFrame: true })).toBe(false);
  });

  it('refuses a foreign sender before looking at the request, and never calls a handler', async () => {
    const { handlers, calls } = fakeHandlers();
    const r = await handleIpc(handlers, { url: 'https://evil.example/', isMainFrame: true }, 'case.summary', {});
    expect(r).toEqual({ ok: false, error: { kind: 'Unauthorized', message: expect.stringMatching(/did not come from the Blindspot window/) } });
    expect(calls).toEqual([]);
    expect(await handleIpc(handlers, ME, 'case.summary', {})).toEqual({ ok: true, value: summary });
    expect(calls).toHaveLength(1);
  });

  it('answers unknown names and prototype keys as BadRequest data without calling anything', async () => {
    const { handlers, calls } = fakeHandlers();
    for (const name of ['__proto__', 'constructor', 'toString', 'case.delete', 7, null, undefined, { toString: () => 'case.open' }]) {
      const r = await handleIpc(handlers, ME, name, {});
      expect(r.ok, String(name)).toBe(false);
      if (!r.ok) expect(r.error.kind).toBe('BadRequest');
    }
    expect(calls).toEqual([]);
  });

  it('rejects wrong argument types with a message naming the field', async () => {
    const { handlers, calls } = fakeHandlers();
    const bad: [string, unknown][] = [
      ['timeline.query', { limit: 'all' }],
      ['timeline.query', { limit: 100000 }],
      ['timeline.query', { limit: 0 }],
      ['timeline.query', { from: 'yesterday' }],
      ['timeline.query', { operations: 'Send' }],
      ['timeline.query', { operations: Array.from({ length: 51 }, () => 'x') }],
      ['timeline.query', { after: { timeMs: 1.5, id: 1 } }],
      ['timeline.query', { user: 'x'.repeat(513) }],
      ['event.get', { id: '' }],
      ['event.get', { id: 5 }],
      ['event.get', {}],
      ['case.open', { dir: ['a'] }],
      ['case.summary', 'x'],
      ['case.summary', null],
      ['case.summary', [1, 2]],
      ['timeline.count', 42],
    ];
    for (const [name, args] of bad) {
      const r = await callApi(handlers, name, args);
      expect(r.ok, `${name} ${JSON.stringify(args)}`).toBe(false);
      if (!r.ok) expect(r.error.kind).toBe('BadRequest');
    }
    const r = await callApi(handlers, 'timeline.query', { limit: 'all' });
    expect(!r.ok && r.error.message).toMatch(/^timeline\.query: limit: /);
    expect(calls).toEqual([]);
  });

  it('passes the parsed arguments (defaults applied, unknown and prototype keys dropped) to the handler', async () => {
    const { handlers, calls } = fakeHandlers();
    const hostile = JSON.parse('{"user":"a@b.c","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"extra":1}');
    const r = await callApi(handlers, 'timeline.query', hostile);
    expect(r.ok).toBe(true);
    expect(calls).toEqual([{ name: 'timeline.query', args: { user: 'a@b.c', limit: 500 } }]);
    expect(Object.getPrototypeOf(calls[0]!.args)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>)['polluted']).toBeUndefined();
    // Missing arguments mean "no arguments".
    expect(checkRequest('case.summary', undefined)).toEqual({ ok: true, name: 'case.summary', args: {} });
  });

  it('turns handler failures into error data: ApiProblem keeps its kind, anything else is Internal', async () => {
    const { handlers } = fakeHandlers();
    handlers['event.get'] = vi.fn(async () => { throw new ApiProblem('NotFound', 'No event with id x.'); });
    handlers['case.summary'] = vi.fn(async () => { throw new TypeError('boom'); });
    handlers['timeline.count'] = vi.fn(() => { throw 'a string'; }) as unknown as ApiHandlers['timeline.count'];
    expect(await callApi(handlers, 'event.get', { id: 'x' })).toEqual({ ok: false, error: { kind: 'NotFound', message: 'No event with id x.' } });
    expect(await callApi(handlers, 'case.summary', {})).toEqual({ ok: false, error: { kind: 'Internal', message: 'case.summary failed: boom' } });
    expect(await callApi(handlers, 'timeline.count', {})).toEqual({ ok: false, error: { kind: 'Internal', message: 'timeline.count failed: a string' } });
  });
});
