// `blindspot sim …`: starts the simulated tenant, prints one JSON line when ready, serves until SIGINT or
// SIGTERM. Bad flags give a one-line error on stderr and exit code 2.
import { parseArgs } from 'node:util';
import { simInfo, startSim, type SimStartOptions } from './index.ts';

const USAGE = 'usage: blindspot sim [--port 0] [--scenario bec|quiet|large] [--seed N] [--mailboxes N] [--days N] [--events-per-day N] [--faults none|flaky|hostile] [--export-dir DIR] [--demo]';

class UsageError extends Error {}

function int(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got '${v}'`);
  return Number(v);
}

function oneOf<T extends string>(name: string, v: string | undefined, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got '${v}'`);
  return v as T;
}

export function parseSimArgs(argv: string[]): SimStartOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' }, scenario: { type: 'string' }, seed: { type: 'string' }, mailboxes: { type: 'string' },
        days: { type: 'string' }, 'events-per-day': { type: 'string' }, faults: { type: 'string' }, 'export-dir': { type: 'string' },
        demo: { type: 'boolean' },
      },
    }).values;
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message.split('\n')[0]! : String(e));
  }
  const s = (k: string): string | undefined => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const o: SimStartOptions = {};
  const set = <K extends keyof SimStartOptions>(k: K, v: SimStartOptions[K] | undefined): void => { if (v !== undefined) o[k] = v; };
  set('port', int('port', s('port'), 0, 65535));
  set('scenario', oneOf('scenario', s('scenario'), ['bec', 'quiet', 'large'] as const));
  set('seed', int('seed', s('seed'), 0, 2 ** 31 - 1));
  set('mailboxes', int('mailboxes', s('mailboxes'), 1, 1_000_000));
  set('days', int('days', s('days'), 1, 3650));
  set('eventsPerDay', int('events-per-day', s('events-per-day'), 0, 100_000_000));
  set('faults', oneOf('faults', s('faults'), ['none', 'flaky', 'hostile'] as const));
  const exportDir = s('export-dir');
  if (exportDir !== undefined && exportDir === '') throw new UsageError('--export-dir needs a directory');
  set('exportDir', exportDir);
  if (values.demo === true) o.demo = true;
  return o;
}

export async function runSimCommand(argv: string[]): Promise<number> {
  let opts: SimStartOptions;
  try {
    opts = parseSimArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) { process.stderr.write(`blindspot sim: ${e.message}\n${USAGE}\n`); return 2; }
    throw e;
  }
  let handle;
  try {
    handle = await startSim(opts);
  } catch (e) {
    process.stderr.write(`blindspot sim: could not start: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  process.stdout.write(`${JSON.stringify(simInfo(handle))}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => { process.off('SIGINT', stop); process.off('SIGTERM', stop); resolve(); };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await handle.close();
  return 0;
}
