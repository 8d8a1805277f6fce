// The bundles Electron would load: the sandboxed preload must be one CommonJS file that requires only
// 'electron' and exposes exactly invoke() and on(); it is run here in a VM with a fake electron.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTmp } from '../test/helpers/tmp.ts';
import { buildElectron } from './build.ts';
import { EVENT_CHANNEL, IPC_CHANNEL } from './channels.ts';

const tmp = useTmp('bs-ebuild-');
let preloadSrc = '';
let mainSrc = '';

beforeAll(async () => {
  const out = join(tmp(), 'dist');
  const r = await buildElectron(out);
  preloadSrc = readFileSync(r.preload, 'utf8');
  mainSrc = readFileSync(r.main, 'utf8');
});

function loadPreload() {
  const exposed: Record<string, unknown> = {};
  const invoked: unknown[][] = [];
  const listeners = new Map<string, Set<(...a: unknown[]) => void>>();
  const required: string[] = [];
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => { exposed[key] = api; } },
    ipcRenderer: {
      invoke: async (...a: unknown[]) => { invoked.push(a); return { ok: true, value: 'answer' }; },
      on: (ch: string, fn: (...a: unknown[]) => void) => { if (!listeners.has(ch)) listeners.set(ch, new Set()); listeners.get(ch)!.add(fn); },
      removeListener: (ch: string, fn: (...a: unknown[]) => void) => { listeners.get(ch)?.delete(fn); },
    },
  };
  const module = { exports: {} };
  runInNewContext(preloadSrc, {
    require: (id: string) => { required.push(id); if (id !== 'electron') throw new Error(`sandboxed preload cannot require ${id}`); return electron; },
    module, exports: module.exports,
  });
  const emit = (message: unknown) => { for (const fn of listeners.get(EVENT_CHANNEL) ?? []) fn({ sender: 'the IpcRendererEvent' }, message); };
  return { exposed, invoked, listeners, required, emit };
}

describe('Electron bundles', () => {
  it('bundles the preload into one small CommonJS file that requires only electron', () => {
    const requires = [...preloadSrc.matchAll(/require\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
    expect(requires).toEqual(['electron']);
    expect(preloadSrc).not.toMatch(/^\s*import\s/m);
    expect(preloadSrc.length).toBeLessThan(5000); // no zod, no app code
  });

  it('exposes exactly invoke and on, forwarding invoke on the one channel', async () => {
    const p = loadPreload();
    expect(p.required).toEqual(['electron']);
    expect(Object.keys(p.exposed)).toEqual(['blindspot']);
    const api = p.exposed['blindspot'] as { invoke: (n: unknown, a: unknown) => Promise<unknown>; on: (e: unknown, cb: unknown) => () => void };
    expect(Object.keys(api).sort()).toEqual(['invoke', 'on']);
    expect(await api.invoke('case.summary', {})).toEqual({ ok: true, value: 'answer' });
    await api.invoke({ toString: () => 'case.summary' }, {});
    expect(p.invoked).toEqual([[IPC_CHANNEL, 'case.summary', {}], [IPC_CHANNEL, '', {}]]);
  });

  it('delivers only known events, only their payload (never the IPC event object), and unsubscribes', () => {
    const p = loadPreload();
    const api = p.exposed['blindspot'] as { on: (e: unknown, cb: unknown) => () => void };
    const got: unknown[] = [];
    expect(typeof api.on('not.an.event', () => got.push('bad'))).toBe('function');
    expect(typeof api.on('case.changed', 'not a function')).toBe('function');
    expect(p.listeners.get(EVENT_CHANNEL)?.size ?? 0).toBe(0);
    const off = api.on('case.changed', (...a: unknown[]) => got.push(a));
    p.emit({ event: 'case.changed', payload: { dir: '/c' } });
    p.emit({ event: 'something.else', payload: 1 });
    p.emit(null);
    expect(got).toEqual([[{ dir: '/c' }]]);
    off();
    p.emit({ event: 'case.changed', payload: { dir: '/c' } });
    expect(got).toHaveLength(1);
  });

  it('bundles main as an ES module that keeps electron and better-sqlite3 external', () => {
    expect(mainSrc).toMatch(/from "electron"/);
    // loaded once, after URI filenames are switched on for it (db/sqlite.ts), and by nothing before
    expect(mainSrc.match(/["']better-sqlite3["']/g)).toEqual(['"better-sqlite3"']);
    expect(mainSrc.indexOf('process.env["SQLITE_USE_URI"] ??= "1"')).toBeGreaterThan(0);
    expect(mainSrc.indexOf('process.env["SQLITE_USE_URI"] ??= "1"')).toBeLessThan(mainSrc.indexOf('await import("better-sqlite3")'));
    expect(mainSrc).toContain('registerSchemesAsPrivileged');
  });
});
