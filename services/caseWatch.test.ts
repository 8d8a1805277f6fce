import { appendFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import type * as Fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { useTmp } from '../test/helpers/tmp.ts';
import { createCase, CUSTODY_LOG, openCase, openCaseReadOnly } from './caseFolder.ts';
import { changeVersion, watchCase } from './caseWatch.ts';
import { importFile } from './import.ts';
import { exportBundle, verify } from './bundle.ts';

const tmp = useTmp('bs-watch-');

// fs.watch, wrapped to count the watchers open (the real one does the watching).
const watchers = vi.hoisted(() => ({ open: 0 }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof Fs>();
  const watch = (...args: Parameters<typeof fs.watch>): FSWatcher => {
    const w = fs.watch(...args);
    watchers.open++;
    const close = w.close.bind(w);
    w.close = () => { watchers.open--; close(); };
    return w;
  };
  return { ...fs, watch, default: { ...fs, watch } };
});

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
    const seen: number[] = [];
    const stop = watchCase(dir, (v) => { seen.push(v); }, { notifications: false, pollMs: 20, settleMs: 10 });
    utimesSync(log, new Date(), new Date(Date.now() + 5000));
    await settled(150);
    expect(seen).toEqual([]);
    appendFileSync(log, '');
    appendFileSync(log, '{"action":"note"}\n');
    await vi.waitFor(() => expect(seen).toEqual([statSync(log).size]), { timeout: 5000 });
    stop();
    appendFileSync(log, '{"action":"note"}\n');
    await settled(150);
    expect(seen).toHaveLength(1);
  });

  it('reports a line appended in two writes once it is whole', async () => {
    const dir = newCase();
    const log = join(dir, CUSTODY_LOG);
    const seen: number[] = [];
    const stop = watchCase(dir, (v) => { seen.push(v); }, { notifications: false, pollMs: 20, settleMs: 10 });
    try {
      appendFileSync(log, '{"action":"imp');
      await settled(150);
      expect(seen).toEqual([]);
      appendFileSync(log, 'ort"}\n');
      await vi.waitFor(() => expect(seen).toEqual([statSync(log).size]), { timeout: 5000 });
    } finally {
      stop();
    }
  });
  it('reports a burst of appends at most once per settle period, not once per append nor once in all', () => {
    const dir = newCase();
    const log = join(dir, CUSTODY_LOG);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    let calls = 0;
    const stop = watchCase(dir, () => { calls++; }, { notifications: false, pollMs: 10, settleMs: 50 });
    try {
      for (let k = 0; k < 20; k++) {
        appendFileSync(log, `{"action":"acquisition-page","n":${k}}\n`);
        vi.advanceTimersByTime(15); // an append every 15 ms for 300 ms
      }
      vi.advanceTimersByTime(200);
      expect(calls).toBeGreaterThanOrEqual(300 / 60);
      expect(calls).toBeLessThanOrEqual(300 / 50 + 1);
    } finally {
      stop();
      vi.useRealTimers();
    }
  });

  it('says nothing of a verify or an export, which only read the case; reports the next change', async () => {
    const dir = newCase();
    let calls = 0;
    const stop = watchCase(dir, () => { calls++; }, { settleMs: 20 });
    try {
      await verify(dir);
      await exportBundle(dir, join(tmp(), 'b.zip'));
      await settled(200);
      expect(calls).toBe(0);
      appendFileSync(join(dir, CUSTODY_LOG), '{"action":"import"}\n');
      await vi.waitFor(() => expect(calls).toBe(1), { timeout: 5000 });
    } finally {
      stop();
    }
  });

  it('closes its file watcher and its poll when stopped', () => {
    const dir = newCase();
    const set = vi.spyOn(globalThis, 'setInterval');
    const clear = vi.spyOn(globalThis, 'clearInterval');
    try {
      const before = watchers.open;
      const stop = watchCase(dir, () => {});
      expect(watchers.open).toBe(before + 1);
      const poll = set.mock.results.at(-1)!.value as NodeJS.Timeout;
      stop();
      expect(watchers.open).toBe(before);
      expect(clear).toHaveBeenCalledWith(poll);
    } finally {
      set.mockRestore();
      clear.mockRestore();
    }
  });
});

describe('changeVersion', () => {
  it('is where the last entry that changed the case ends: reads and a line still being written do not count', async () => {
    const dir = newCase();
    const log = join(dir, CUSTODY_LOG);
    const created = statSync(log).size;
    expect(changeVersion(dir)).toBe(created);
    await verify(dir);
    expect(changeVersion(dir)).toBe(created);
    appendFileSync(log, '{"seq":9,"action":"import","details":{"file":"Bücher/ü.json"}}\n');
    const imported = statSync(log).size;
    expect(changeVersion(dir)).toBe(imported);
    appendFileSync(log, '{"seq":10,"action":"export"}\n{"seq":11,"action":"database-compacted"}\n{"seq":12,"action":"imp');
    expect(changeVersion(dir)).toBe(imported);
    appendFileSync(log, 'ort"}\n');
    expect(changeVersion(dir)).toBe(statSync(log).size);
  });

  it('finds the change behind more than 64 KiB of reads, and counts an unreadable line as a change', () => {
    const dir = newCase();
    const log = join(dir, CUSTODY_LOG);
    // A change whose line straddles a 64 KiB step back from the end, with multi-byte characters on both sides.
    appendFileSync(log, `{"action":"import","details":{"note":"${'é'.repeat(40_000)}"}}\n`);
    const change = statSync(log).size;
    for (let k = 0; k < 700; k++) appendFileSync(log, `{"action":"verify","details":{"n":${k},"pad":"${'ü'.repeat(40)}"}}\n`);
    expect(statSync(log).size - change).toBeGreaterThan(64 << 10);
    expect(changeVersion(dir)).toBe(change);
    // A change as the last line of a log longer than one step back, and one long unfinished line after it.
    appendFileSync(log, `{"action":"import","details":{"pad":"${'ä'.repeat(50_000)}"}}\n`);
    const last = statSync(log).size;
    expect(last).toBeGreaterThan(64 << 10);
    expect(changeVersion(dir)).toBe(last);
    appendFileSync(log, `{"action":"import","details":{"pad":"${'x'.repeat(150_000)}`);
    expect(changeVersion(dir)).toBe(last);
    writeFileSync(log, '\n{"action":"import"}\n');
    expect(changeVersion(dir)).toBe(statSync(log).size); // a blank first line
    writeFileSync(log, '{"action":"verify"}\nnot json\n{"action":"export"}\n');
    expect(changeVersion(dir)).toBe('{"action":"verify"}\nnot json\n'.length);
    writeFileSync(log, '{"action":"verify"}\n\n');
    expect(changeVersion(dir)).toBe(0);
    writeFileSync(log, '');
    expect(changeVersion(dir)).toBe(0);
  });
});
