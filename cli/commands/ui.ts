// blindspot ui <case> [--port N] [--no-open]: the investigation UI in a local browser, for machines
// without the desktop app. Serves the built renderer and the API on 127.0.0.1 until Ctrl-C.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHandlers } from '../../services/apiHandlers.ts';
import { EXIT, UsageError } from '../../services/errors.ts';
import { startWebBridge } from '../../services/webBridge.ts';
import { parse, parseIntArg, positional } from '../args.ts';

export const RENDERER_DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'renderer', 'dist');

function openBrowser(url: string): void {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', () => process.stderr.write('Could not open a browser; open the URL above yourself.\n'));
    child.unref();
  } catch {
    process.stderr.write('Could not open a browser; open the URL above yourself.\n');
  }
}

export async function uiCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('ui', argv, { port: { type: 'string' }, 'no-open': { type: 'boolean' } });
  const dir = positional('ui', positionals, 0, 'the case folder');
  const port = parseIntArg('ui', '--port', values.port, 0);
  if (port !== undefined && port > 65535) throw new UsageError('ui: --port must be at most 65535.');
  if (!existsSync(join(RENDERER_DIST, 'index.html'))) {
    throw new UsageError(`ui: the user interface is not built (${RENDERER_DIST} has no index.html).`, 'Run: npm run build:renderer');
  }
  const api = createHandlers(dir);
  let bridge;
  try {
    bridge = await startWebBridge({ handlers: api.handlers, events: api.onEvent, staticDir: RENDERER_DIST, ...(port !== undefined ? { port } : {}) });
  } catch (e) {
    api.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`ui: port ${port} is in use.`, 'Choose another --port, or leave it out to pick a free one.');
    throw e;
  }
  process.stdout.write(`Blindspot UI for ${api.dir}\n  ${bridge.url}\nOpen this URL (it carries this session's key). Ctrl-C to stop.\n`);
  if (!values['no-open']) openBrowser(bridge.url);
  await new Promise<void>((res) => {
    const stop = () => res();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await bridge.close();
  api.close();
  return EXIT.ok;
}
