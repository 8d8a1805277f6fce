// electron/main.ts under plain Node with a fake `electron` module: the wiring (window options, the
// one IPC channel and its sender check, the app scheme, permission and request blocking, navigation and
// window.open refusal) is exercised against a real case, without an Electron binary.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCase, openCase } from '../services/caseFolder.ts';
import { changeVersion } from '../services/caseWatch.ts';
import { EVENT_CHANNEL } from './channels.ts';
import { APP_URL, CONTENT_SECURITY_POLICY, IPC_CHANNEL } from './ipc.ts';
import { WEB_PREFERENCES } from './policy.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

type Fn = (...a: unknown[]) => unknown;
const fake = vi.hoisted(() => ({
  schemes: [] as unknown[],
  protocolHandlers: new Map<string, (req: { url: string; method: string }) => Promise<Response>>(),
  appHandlers: new Map<string, (...a: unknown[]) => unknown>(),
  ipc: new Map<string, (...a: unknown[]) => unknown>(),
  windows: [] as { opts: Record<string, unknown>; loaded: string[]; sent: unknown[][]; finishLoad(): void }[],
  permissionRequest: null as null | ((...a: unknown[]) => unknown),
  permissionCheck: null as null | ((...a: unknown[]) => unknown),
  beforeRequest: null as null | ((details: { url: string }, cb: (r: { cancel: boolean }) => void) => void),
  quit: 0,
  errors: [] as string[],
}));

vi.mock('electron', () => {
  class BrowserWindow {
    opts: Record<string, unknown>;
    loaded: string[] = [];
    sent: unknown[][] = [];
    listeners = new Map<string, (() => void)[]>();
    // A message sent before the page has loaded is lost in Electron: marked so, here.
    webContents = {
      send: (...a: unknown[]) => { this.sent.push(this.loaded.length > 0 ? a : ['lost before the page loaded', ...a]); },
      on: (ev: string, fn: () => void) => { this.listeners.set(ev, [...(this.listeners.get(ev) ?? []), fn]); },
    };
    constructor(opts: Record<string, unknown>) { this.opts = opts; fake.windows.push(this); }
    once() {}
    isDestroyed() { return false; }
    async loadURL(url: string) { this.loaded.push(url); this.finishLoad(); }
    /** The page finished loading (the first load, or a reload). */
    finishLoad() { for (const fn of this.listeners.get('did-finish-load') ?? []) fn(); }
  }
  return {
    app: {
      on: (ev: string, fn: Fn) => { fake.appHandlers.set(ev, fn); },
      whenReady: () => Promise.resolve(),
      quit: () => { fake.quit++; },
    },
    BrowserWindow,
    dialog: { showErrorBox: (_t: string, m: string) => { fake.errors.push(m); } },
    ipcMain: { handle: (ch: string, fn: Fn) => { fake.ipc.set(ch, fn); } },
    protocol: {
      registerSchemesAsPrivileged: (s: unknown[]) => { fake.schemes.push(...s); },
      handle: (scheme: string, fn: (req: { url: string; method: string }) => Promise<Response>) => { fake.protocolHandlers.set(scheme, fn); },
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (fn: Fn) => { fake.permissionRequest = fn; },
        setPermissionCheckHandler: (fn: Fn) => { fake.permissionCheck = fn; },
        webRequest: { onBeforeRequest: (fn: typeof fake.beforeRequest) => { fake.beforeRequest = fn; } },
      },
    },
  };
});

let work: string;
let caseDir: string;
const argv = process.argv;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'bs-electron-'));
  caseDir = join(work, 'case');
  createCase(caseDir, { name: 'Electron case', examiner: 'E' }).close();
  const dist = join(work, 'dist');
  mkdirSync(dist);
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Blindspot</title>');
  writeFileSync(join(work, 'secret.txt'), 'secret');
  process.env['BLINDSPOT_RENDERER_DIST'] = dist;
  process.argv = ['electron', 'out/electron/main.js', caseDir];
  Object.defineProperty(process, 'defaultApp', { value: true, configurable: true });
  await import('./main.ts');
  await vi.waitFor(() => expect(fake.windows[0]?.loaded).toEqual([APP_URL]));
});

afterAll(() => {
  process.argv = argv;
  delete process.env['BLINDSPOT_RENDERER_DIST'];
  fake.appHandlers.get('window-all-closed')?.();
  rmSync(work, { recursive: true, force: true });
});

const ipc = (frame: unknown, name: unknown, args: unknown) => fake.ipc.get(IPC_CHANNEL)!({ senderFrame: frame, sender: {} }, name, args) as Promise<unknown>;

describe('Electron main process (fake electron)', () => {
  it('registers the app scheme as standard and secure, opens one sandboxed window on the app URL', () => {
    expect(fake.errors).toEqual([]);
    expect(fake.schemes).toEqual([{ scheme: 'blindspot', privileges: expect.objectContaining({ standard: true, secure: true }) }]);
    const prefs = fake.windows[0]!.opts['webPreferences'] as Record<string, unknown>;
    expect(prefs).toMatchObject(WEB_PREFERENCES);
    expect(String(prefs['preload'])).toMatch(/preload\.cjs$/);
    expect(fake.windows).toHaveLength(1);
  });

  it('answers the one IPC channel for the app page only', async () => {
    expect([...fake.ipc.keys()]).toEqual([IPC_CHANNEL]);
    const top = { url: APP_URL, parent: null };
    expect(await ipc(top, 'case.summary', {})).toMatchObject({ ok: true, value: { name: 'Electron case', events: 0 } });
    expect(await ipc(top, 'timeline.query', { limit: 'x' })).toMatchObject({ ok: false, error: { kind: 'BadRequest' } });
    expect(await ipc(top, '__proto__', {})).toMatchObject({ ok: false, error: { kind: 'BadRequest' } });
    for (const frame of [{ url: 'https://evil.example/', parent: null }, { url: APP_URL, parent: { url: APP_URL } }, null, undefined, { url: 'file:///x', parent: null }]) {
      expect(await ipc(frame, 'case.summary', {}), JSON.stringify(frame)).toMatchObject({ ok: false, error: { message: expect.stringMatching(/did not come from the Blindspot window/) } });
    }
  });

  it('pushes the case version to the loaded page, then case.changed when another process changes the case', async () => {
    const win = fake.windows[0]!;
    expect(win.loaded).toEqual([APP_URL]);
    const first = changeVersion(caseDir);
    expect(win.sent).toEqual([[EVENT_CHANNEL, { event: 'case.changed', payload: { dir: caseDir, version: first } }]]);
    const h = openCase(caseDir);
    h.logCustody('note', { text: 'written by another process' });
    h.close();
    const next = changeVersion(caseDir);
    expect(next).toBeGreaterThan(first);
    await vi.waitFor(() => expect(win.sent.at(-1)).toEqual([EVENT_CHANNEL, { event: 'case.changed', payload: { dir: caseDir, version: next } }]), { timeout: 5000 });
    expect(win.sent).toHaveLength(2);
    // A reload (Ctrl+R, a crashed renderer) gets the version again, and pushes reach it once, not twice.
    win.finishLoad();
    expect(win.sent).toHaveLength(3);
    expect(win.sent.at(-1)).toEqual([EVENT_CHANNEL, { event: 'case.changed', payload: { dir: caseDir, version: next } }]);
    const h2 = openCase(caseDir);
    h2.logCustody('note', { text: 'after the reload' });
    h2.close();
    await vi.waitFor(() => expect(win.sent).toHaveLength(4), { timeout: 5000 });
    await new Promise((r) => setTimeout(r, 600));
    expect(win.sent).toHaveLength(4);
  });

  it('serves the renderer from the app scheme with the CSP, and nothing outside it', async () => {
    const handler = fake.protocolHandlers.get('blindspot')!;
    const ok = await handler({ url: 'blindspot://app/index.html', method: 'GET' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(await ok.text()).toContain('<title>Blindspot</title>');
    for (const url of ['blindspot://app/../secret.txt', 'blindspot://app/%2e%2e/secret.txt', 'blindspot://app/nope.js']) {
      expect((await handler({ url, method: 'GET' })).status, url).toBe(404);
    }
    expect((await handler({ url: 'blindspot://app/index.html', method: 'POST' })).status).toBe(404);
  });

  it('denies every permission and cancels every request that is not the app', () => {
    let granted: unknown = 'unset';
    fake.permissionRequest!({}, 'media', (g: boolean) => { granted = g; });
    expect(granted).toBe(false);
    expect(fake.permissionCheck!({}, 'clipboard-read')).toBe(false);
    const cancel = (url: string) => { let r: unknown; fake.beforeRequest!({ url }, (x) => { r = x.cancel; }); return r; };
    expect(cancel('https://graph.microsoft.com/')).toBe(true);
    expect(cancel('http://127.0.0.1:1/')).toBe(true);
    expect(cancel('file:///etc/passwd')).toBe(true);
    expect(cancel('blindspot://app/assets/x.js')).toBe(false);
  });

  it('refuses navigation away from the app, redirects, webviews and window.open', () => {
    const handlers = new Map<string, Fn>();
    let openHandler: Fn | null = null;
    const contents = { on: (ev: string, fn: Fn) => { handlers.set(ev, fn); }, setWindowOpenHandler: (fn: Fn) => { openHandler = fn; } };
    fake.appHandlers.get('web-contents-created')!({}, contents);
    const prevented = (ev: string, url?: string) => { let p = false; handlers.get(ev)!({ preventDefault: () => { p = true; } }, url); return p; };
    expect(prevented('will-navigate', 'https://evil.example/')).toBe(true);
    expect(prevented('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(prevented('will-navigate', 'blindspot://app/index.html')).toBe(false);
    expect(prevented('will-redirect', 'https://evil.example/')).toBe(true);
    expect(prevented('will-attach-webview')).toBe(true);
    expect(openHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    expect(openHandler!({ url: APP_URL })).toEqual({ action: 'deny' });
  });
});
