// Ctrl-C (SIGINT) and SIGTERM (kill, a service manager, a closing terminal) for long commands: the first
// asks the work to stop through its AbortSignal and says what happens now; a second quits at once.
import { EXIT } from '../services/errors.ts';

export function withCtrlC(stopping: string): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const on = (sig: NodeJS.Signals): void => {
    if (ac.signal.aborted) process.exit(EXIT.interrupted);
    process.stderr.write(`\n${sig === 'SIGTERM' ? 'SIGTERM received: s' : 'S'}topping ${stopping} (Ctrl-C again to quit at once)...\n`);
    ac.abort();
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return { signal: ac.signal, dispose: () => { process.off('SIGINT', on); process.off('SIGTERM', on); } };
}

/**
 * Runs work that stops at once on Ctrl-C (it throws once its signal aborts, leaving nothing behind):
 * its result, or null when it was interrupted.
 */
export async function untilCtrlC<T>(stopping: string, work: (signal: AbortSignal) => Promise<T>): Promise<T | null> {
  const c = withCtrlC(stopping);
  try {
    return await work(c.signal);
  } catch (e) {
    if (c.signal.aborted) return null;
    throw e;
  } finally {
    c.dispose();
  }
}
