import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTmp } from '../test/helpers/tmp.ts';
import { CONTENT_SECURITY_POLICY, isAppUrl } from './ipc.ts';
import { APP_HEADERS, caseDirFromArgv, isAllowedRequest, resolveAppAsset, WEB_PREFERENCES } from './policy.ts';

const tmp = useTmp('bs-policy-');

describe('Electron window policy', () => {
  it('sandboxes the window: isolation on, Node off, web security on', () => {
    expect(WEB_PREFERENCES).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false, webSecurity: true, allowRunningInsecureContent: false, webviewTag: false, nodeIntegrationInSubFrames: false, nodeIntegrationInWorker: false });
    expect(APP_HEADERS['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
  });

  it('allows only the app origin (and devtools) to load anything', () => {
    expect(isAppUrl('blindspot://app/index.html')).toBe(true);
    expect(isAllowedRequest('blindspot://app/assets/index-1.js')).toBe(true);
    expect(isAllowedRequest('devtools://devtools/bundled/inspector.html')).toBe(true);
    for (const url of ['https://login.microsoftonline.com/', 'http://127.0.0.1:8080/', 'file:///etc/passwd', 'ws://127.0.0.1/', 'data:text/html,x',
      'blindspot://evil/index.html', 'blindspot://app.evil/x', 'blindspot://u:p@app/x', 'blindspot://app:8/x', 'about:blank', 'nonsense']) {
      expect(isAllowedRequest(url), url).toBe(false);
      expect(isAppUrl(url), url).toBe(false);
    }
  });

  it('serves files inside the built renderer only', () => {
    const root = tmp();
    const dist = join(root, 'dist');
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), 'x');
    writeFileSync(join(dist, 'assets', 'a.js'), 'x');
    writeFileSync(join(root, 'secret'), 'x');
    symlinkSync(join(root, 'secret'), join(dist, 'link'));
    expect(resolveAppAsset(dist, 'blindspot://app/')).toMatchObject({ file: join(dist, 'index.html'), type: 'text/html; charset=utf-8' });
    expect(resolveAppAsset(dist, 'blindspot://app/assets/a.js?x=1#y')).toMatchObject({ type: 'text/javascript; charset=utf-8' });
    for (const url of ['blindspot://app/../secret', 'blindspot://app/%2e%2e/secret', 'blindspot://app/assets/..%2f..%2fsecret', 'blindspot://app/link',
      'blindspot://app/assets', 'blindspot://app/%00', 'blindspot://app/%E0%A4%A', 'blindspot://other/index.html', 'https://app/index.html']) {
      expect(resolveAppAsset(dist, url), url).toBeNull();
    }
    expect(resolveAppAsset(join(root, 'missing'), 'blindspot://app/index.html')).toBeNull();
  });

  it('takes the case folder from the command line in development and packaged layouts', () => {
    expect(caseDirFromArgv(['electron', 'out/electron/main.js', '/cases/a'], true)).toBe('/cases/a');
    expect(caseDirFromArgv(['Blindspot.exe', '--inspect=0', 'C:\\cases\\a'], false)).toBe('C:\\cases\\a');
    expect(caseDirFromArgv(['electron', 'main.js'], true)).toBeNull();
  });
});
