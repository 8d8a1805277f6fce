import { appendFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { useTmp } from '../test/helpers/tmp.ts';
import { createCase, CUSTODY_LOG, openCase, openCaseReadOnly } from './caseFolder.ts';
import { watchCase } from './caseWatch.ts';
import { importFile } from './import.ts';

const tmp = useTmp('bs-watch-');

function newCase(): string {
  const dir = join(tmp(), 'case');
  createCase(dir, { name: 'w', examiner: 'e' }).close();
  return dir;
}

/** Lets several settle periods and polls pass, so that a late or extra call would have been made. */
const settled = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('watchCase', () => {
  it('reports an import made by another handle once, after its commit', async () => {
    const dir = newCase();
    const file = join(tmp(), 'ual.jsonl');
    writeFileSync(file, JSON.stringify({ Id: 'a', CreationTime: '2026-01-01T00:00:00', RecordType: 1, Operation: 'Set-Mailbox', UserId: 'u@c.test' }) + '\n');
    const seen: number[] = [];
    const stop = watchCase(dir, () => {
      // What the UI reloads must already be there when it is told (the UI reads as this does).
      const c = openCaseReadOnly(dir);
      seen.push(c.db.prepare('SELECT count(*) FROM events').pluck().get() as number);
      c.close();
    }, { settleMs: 50 });
    try {
      const h = openCase(dir);
      await importFile(h, file); // appends two custody entries: evidence added, import
      h.close();
      await vi.waitFor(() => expect(seen).toEqual([1]), { timeout: 5000 });
      await settled(200);
      expect(seen).toEqual([1]);
    } finally {
      stop();
    }
  });

  it('notices an append by polling alone, ignores a touch that appends nothing, and is silent once stopped', async () => {
    const dir = newCase();
    const log = join(dir, CUSTODY_LOG);
    let calls = 0;
    const stop = watchCase(dir, () => { calls++; }, { notifications: false, pollMs: 20, settleMs: 10 });
    utimesSync(log, new Date(), new Date(Date.now() + 5000));
    await settled(150);
    expect(calls).toBe(0);
    appendFileSync(log, '');
    appendFileSync(log, ' ');
    await vi.waitFor(() => expect(calls).toBe(1), { timeout: 5000 });
    stop();
    appendFileSync(log, ' ');
    await settled(150);
    expect(calls).toBe(1);
  });
});
