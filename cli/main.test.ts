import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from './main.ts';

// A command whose step fails as a full disk fails it, outside the places that name it themselves.
const failure = vi.hoisted(() => ({ error: null as Error | null }));
vi.mock('./commands/case.ts', () => ({ caseCommand: () => Promise.reject(failure.error) }));

describe('main', () => {
  afterEach(() => { vi.restoreAllMocks(); });

  it('turns a full disk (ENOSPC, SQLITE_FULL) that no command named into the case\'s problem, exit 4, with what to do', async () => {
    for (const [message, code] of [['ENOSPC: no space left on device, write', 'ENOSPC'], ['database or disk is full', 'SQLITE_FULL']] as const) {
      failure.error = Object.assign(new Error(message), { code });
      const err: string[] = [];
      vi.spyOn(process.stderr, 'write').mockImplementation((s) => { err.push(String(s)); return true; });
      expect(await main(['case', 'compact', '/c'])).toBe(4);
      vi.restoreAllMocks();
      expect(err.join('')).toMatch(new RegExp(`^blindspot case: no space left on the disk \\(${message}\\); the step being written was not kept \\(each is one transaction; steps before it stay\\)\\.\\n  Free space on the disk that holds the case`));
    }
  });

  it('turns a case database locked past the wait (SQLITE_BUSY, met by a query after the open) into the case\'s problem, exit 4', async () => {
    failure.error = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => { err.push(String(s)); return true; });
    expect(await main(['case', 'info', '/c'])).toBe(4);
    vi.restoreAllMocks();
    expect(err.join('')).toBe('blindspot case: the case database is locked by another process writing it (database is locked); a large import keeps it to itself while it loads.\n  Run it again when that has finished; this step was not kept.\n');
  });

  it('lets any other failure through as the internal error it is', async () => {
    failure.error = new TypeError('a bug');
    await expect(main(['case', 'info', '/c'])).rejects.toThrow('a bug');
  });
});
