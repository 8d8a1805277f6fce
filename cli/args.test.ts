import { afterEach, describe, expect, it } from 'vitest';
import { parse, parseIsoArg } from './args.ts';
import { UsageError } from '../services/errors.ts';

const zone = process.env['TZ'];
afterEach(() => {
  if (zone === undefined) delete process.env['TZ'];
  else process.env['TZ'] = zone;
});

describe('parseIsoArg', () => {
  it("reads a time without a zone as UTC whatever the machine's zone, and honours a zone when given", () => {
    process.env['TZ'] = 'America/New_York';
    expect(new Date(2026, 4, 1).getTimezoneOffset()).toBe(240); // the zone is in effect for this process
    expect(parseIsoArg('t', '--from', '2026-05-01T10:00:05')).toBe(Date.UTC(2026, 4, 1, 10, 0, 5));
    expect(parseIsoArg('t', '--from', '2026-05-01')).toBe(Date.UTC(2026, 4, 1));
    expect(parseIsoArg('t', '--from', '2026-05-01T10:00:05+02:00')).toBe(Date.UTC(2026, 4, 1, 8, 0, 5));
    expect(parseIsoArg('t', '--from', '2026-05-01T10:00:05.250Z')).toBe(Date.UTC(2026, 4, 1, 10, 0, 5, 250));
    expect(parseIsoArg('t', '--from', undefined)).toBeUndefined();
  });

  it('refuses what is not ISO 8601, or not a real date', () => {
    for (const bad of ['1', 'May.1.2026', '2026-02-30', '2026-13-01', '2026-05-01T25:00', 'yesterday', '']) {
      expect(() => parseIsoArg('timeline', '--from', bad), bad).toThrow(/--from .* is not an ISO 8601 date/);
    }
  });
});

describe('parse', () => {
  const opts = { limit: { type: 'string' }, json: { type: 'boolean' } } as const;
  const refusal = (argv: string[]): UsageError => {
    try {
      parse('timeline', argv, opts);
    } catch (e) {
      return e as UsageError;
    }
    throw new Error(`accepted ${argv.join(' ')}`);
  };

  it("refuses bad flags in one line and a hint: Node's advice on '--' is dropped, its advice on a value starting with a dash kept", () => {
    const unknown = refusal(['c', '--nope']);
    expect(unknown).toBeInstanceOf(UsageError);
    expect(unknown.message).toBe("timeline: Unknown option '--nope'.");
    expect(unknown.hint).toBe('Run: blindspot help');
    const dashed = refusal(['c', '--limit', '-5']);
    expect(dashed.message).toBe("timeline: Option '--limit' argument is ambiguous.");
    expect(dashed.hint).toMatch(/^Did you forget to specify the option argument for '--limit'\? To specify an option argument starting with a dash use '--limit=-XYZ'\. Run: blindspot help$/);
    for (const e of [unknown, dashed]) expect(`${e.message}${e.hint}`).not.toContain('\n');
    expect(refusal(['c', '--limit']).message).toBe("timeline: Option '--limit <value>' argument missing.");
    expect(refusal(['c', 'd']).message).toMatch(/^timeline: unexpected argument 'd'/);
    expect(parse('timeline', ['c', '--limit=-5'], opts).values.limit).toBe('-5');
  });

  it('refuses an option given an empty value (a shell variable left unset), which would otherwise filter on nothing', () => {
    for (const argv of [['c', '--limit', ''], ['c', '--limit=  ']]) {
      const e = refusal(argv);
      expect(e.message).toBe('timeline: --limit is empty.');
      expect(e.hint).toBe('Give --limit a value, or leave it out. Run: blindspot help');
    }
  });
});
