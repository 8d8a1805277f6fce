// The Electron main process: one sandboxed window showing one case. The UI is served from the
// privileged app scheme (blindspot://app/) out of the built renderer, with the same CSP as the web
// bridge; every other request is cancelled, navigation and new windows are refused, permission
// requests are denied, and the single IPC channel goes through electron/ipc.ts handleIpc (sender,
// name and argument checks) to the same handlers the web bridge uses.
//
//   node electron/build.ts && npm run build:renderer
//   electron out/electron/main.js <case-folder>
import { app, BrowserWindow, dialog, ipcMain, protocol, session } from 'electron';
import type { WebContents } from 'electron';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHandlers } from '../services/apiHandlers.ts';
import type { CaseApi } from '../services/apiHandlers.ts';
import { EVENT_CHANNEL } from './channels.ts';
import { APP_SCHEME, APP_URL, handleIpc, IPC_CHANNEL, isAppUrl } from './ipc.ts';
import { APP_HEADERS, caseDirFromArgv, isAllowedRequest, resolveAppAsset, WEB_PREFERENCES } from './policy.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Next to the bundles in out/electron/: the preload; the built renderer is two levels up. */
const PRELOAD = join(HERE, 'preload.cjs');
const RENDERER_DIST = process.env['BLINDSPOT_RENDERER_DIST'] ?? join(HERE, '..', '..', 'renderer', 'dist');

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } },
]);

let api: CaseApi | null = null;

function harden(contents: WebContents): void {
  contents.on('will-navigate', (e, url) => { if (!isAppUrl(url)) e.preventDefault(); });
  contents.on('will-redirect', (e, url) => { if (!isAppUrl(url)) e.preventDefault(); });
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

async function start(): Promise<void> {
  const caseDir = caseDirFromArgv(process.argv, process.defaultApp === true);
  if (!caseDir) {
    dialog.showErrorBox('Blindspot', 'Start Blindspot with a case folder: blindspot-app <case-folder>');
    app.quit();
    return;
  }
  try {
    api = createHandlers(caseDir);
  } catch (e) {
    dialog.showErrorBox('Blindspot', `Cannot open the case: ${e instanceof Error ? e.message : String(e)}`);
    app.quit();
    return;
  }
  const { handlers, onEvent } = api;

  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !isAllowedRequest(details.url) }));

  protocol.handle(APP_SCHEME, async (request) => {
    const asset = resolveAppAsset(RENDERER_DIST, request.url);
    if (!asset || request.method !== 'GET') return new Response('Not found', { status: 404, headers: APP_HEADERS });
    const body = await readFile(asset.file);
    return new Response(body, { status: 200, headers: { ...APP_HEADERS, 'Content-Type': asset.type } });
  });

  ipcMain.handle(IPC_CHANNEL, (event, name: unknown, args: unknown) => {
    const frame = event.senderFrame;
    return handleIpc(handlers, { url: frame?.url, isMainFrame: frame?.parent === null }, name, args);
  });

  const win = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 1024,
    minHeight: 640,
    title: 'Blindspot',
    show: false,
    webPreferences: { ...WEB_PREFERENCES, preload: PRELOAD },
  });
  win.once('ready-to-show', () => win.show());
  // Another process changing the case (the CLI importing beside the window) is pushed to the page. The
  // subscription is made each time the page has loaded (its listener is there, also after a reload), so
  // that its first push, the case's version now, reaches the page.
  let unsubscribe: (() => void) | null = null;
  win.webContents.on('did-finish-load', () => {
    unsubscribe?.();
    unsubscribe = onEvent((p) => { if (!win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, p); });
  });
  await win.loadURL(APP_URL);
}

app.on('web-contents-created', (_e, contents) => harden(contents));
app.on('window-all-closed', () => {
  api?.close();
  api = null;
  app.quit();
});
app.whenReady().then(start).catch((e: unknown) => {
  dialog.showErrorBox('Blindspot', e instanceof Error ? e.message : String(e));
  app.quit();
});
