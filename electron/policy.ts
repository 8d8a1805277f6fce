// The Electron window's security settings and the app-scheme file resolver, as plain data and pure
// functions (no `electron` import) so they are unit-tested under Node. electron/main.ts applies them.
import { realpathSync, statSync } from 'node:fs';
import { extname, resolve, sep } from 'node:path';
import { CONTENT_SECURITY_POLICY, isAppUrl } from './ipc.ts';
import { MIME_TYPES } from '../core/mime.ts';

/** webPreferences for every window: sandboxed, isolated, no Node, web security on. */
export const WEB_PREFERENCES = {
  sandbox: true,
  contextIsolation: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  experimentalFeatures: false,
  navigateOnDragDrop: false,
  spellcheck: false,
  safeDialogs: true,
} as const;

/** Response headers for everything served from the app scheme. */
export const APP_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
};

/**
 * Requests the app's session may make: its own files, and Chromium's devtools. Everything else
 * (http, https, file, ws, data: pages) is cancelled, so nothing remote is ever loaded even if a
 * bug let content ask for it.
 */
export function isAllowedRequest(url: string): boolean {
  if (isAppUrl(url)) return true;
  return url.startsWith('devtools://');
}

/** Maps blindspot://app/<path> to a file inside the built renderer, or null (404) for anything else. */
export function resolveAppAsset(distDir: string, url: string): { file: string; type: string } | null {
  if (!isAppUrl(url)) return null;
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url).pathname);
  } catch {
    return null;
  }
  if (pathname.includes('\0')) return null;
  let root: string;
  try {
    root = realpathSync(resolve(distDir));
  } catch {
    return null;
  }
  const rel = pathname === '/' || pathname === '' ? '/index.html' : pathname;
  const candidate = resolve(root, '.' + rel);
  if (!candidate.startsWith(root + sep)) return null;
  let real: string;
  try {
    real = realpathSync(candidate);
    if (!statSync(real).isFile()) return null;
  } catch {
    return null;
  }
  if (!real.startsWith(root + sep)) return null;
  return { file: real, type: MIME_TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream' };
}

/** The case folder from the command line: the first argument after the app path that is not a switch. */
export function caseDirFromArgv(argv: readonly string[], defaultApp: boolean): string | null {
  // Packaged: [exe, ...args]; development (`electron main.js ...`): [electron, main.js, ...args].
  const args = argv.slice(defaultApp ? 2 : 1);
  const dir = args.find((a) => !a.startsWith('-'));
  return dir ?? null;
}
