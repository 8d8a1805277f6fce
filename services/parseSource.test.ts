import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { EN, ET, PackedReader } from '../core/packedBatch.ts';
import type { PackedBatch } from '../core/packedBatch.ts';
import { mailItemsAccessed } from '../test/helpers/records.ts';
import { useTmp } from '../test/helpers/tmp.ts';
import { AHEAD, BATCH_ITEMS, PARSE_YOUNG_MB, ParseThread, parseFile } from './parseSource.ts';

const tmp = useTmp('bs-parse-');

async function collect(file: string, worker: boolean): Promise<PackedBatch[]> {
  const out: PackedBatch[] = [];
  for await (const b of parseFile(file, 'ual-json', { worker })) out.push(b);
  return out;
}

/** A file of n MailItemsAccessed records (behind a byte-order mark) with one broken line at index 700. */
function mixedFile(n: number): { file: string; recs: string[] } {
  const file = join(tmp(), `mixed-${n}.jsonl`);
  const recs = Array.from({ length: n }, (_, i) => JSON.stringify(mailItemsAccessed(i)));
  recs.splice(700, 0, '{"oops": ');
  writeFileSync(file, '\uFEFF' + recs.join('\n') + '\n');
  return { file, recs };
}

describe('parsing staged evidence', () => {
  it('streams packed batches with the stored AuditData text, the search body and rejects at their lines', async () => {
    const { file, recs } = mixedFile(1200);
    const batches = await collect(file, false);
    // 1,201 items (the broken line is one): full batches, then the rest; the reject is item 700.
    const full = Math.floor(1201 / BATCH_ITEMS);
    expect(batches.map((b) => b.count)).toEqual([...Array<number>(full).fill(BATCH_ITEMS), 1201 - full * BATCH_ITEMS]);
    const at = 700 % BATCH_ITEMS;
    expect(batches.flatMap((b) => b.others)).toEqual([{ at, item: expect.objectContaining({ kind: 'reject', loc: { line: 701 } }) }]);
    expect(batches[Math.floor(700 / BATCH_ITEMS)]!.others).toHaveLength(1);
    const r = new PackedReader(batches[0]!);
    r.advance();
    // Each record is a whole line: its AuditData travels as where it lies in the file (after the 3-byte
    // byte-order mark), not as text. Checked for every event, before and after the broken line.
    expect(r.str(ET.auditData)).toBeNull();
    const bytes = readFileSync(file);
    const seen: number[] = [];
    for (const b of batches) {
      for (const e = new PackedReader(b); e.advance(); ) {
        const line = e.num(EN.line)!;
        seen.push(line);
        expect(bytes.toString('utf8', e.num(EN.dataStart)!, e.num(EN.dataEnd)!)).toBe(recs[line - 1]);
      }
    }
    expect(seen).toHaveLength(1200);
    expect(r.str(ET.searchBody)).toContain('Inbox');
    expect(r.str(ET.searchBody)).not.toContain('msg-0@contoso.com'); // message ids are found through access_items (db/timeline.ts)
    expect(batches.at(-1)!.bytesRead).toBe(Buffer.byteLength(`\uFEFF${recs.join('\n')}\n`));
  });

  it('gives the same batches from the worker thread as inline, with the worker held a few batches ahead', async () => {
    // More batches than the worker may run ahead, so it has to wait for the writer.
    const records = BATCH_ITEMS * (AHEAD + 8) + 7;
    const { file } = mixedFile(records);
    const inline = await collect(file, false);
    const viaWorker: PackedBatch[] = [];
    let mostQueued = 0;
    for await (const b of parseFile(file, 'ual-json', { worker: true, onQueued: (n) => { mostQueued = Math.max(mostQueued, n); } })) {
      viaWorker.push(b);
      await new Promise((r) => setTimeout(r, 5)); // a slow writer
    }
    expect(viaWorker).toHaveLength(Math.ceil((records + 1) / BATCH_ITEMS)); // the broken line is an item too
    expect(viaWorker).toEqual(inline);
    expect(mostQueued).toBeGreaterThan(1);
    expect(mostQueued).toBeLessThanOrEqual(AHEAD);
  });

  // Which descriptors of this process (the worker's included) have the file open: /proc is Linux's.
  it.runIf(process.platform === 'linux')('stops the worker when the writer stops early: the file is no longer held open', async () => {
    const { file } = mixedFile(6000);
    const openOnFile = () => readdirSync('/proc/self/fd').filter((fd) => { try { return readlinkSync(`/proc/self/fd/${fd}`) === file; } catch { return false; } });
    let seen = 0;
    let openWhileParsing: string[] = [];
    for await (const b of parseFile(file, 'ual-json', { worker: true })) {
      seen += b.count;
      openWhileParsing = openOnFile();
      break;
    }
    expect(seen).toBe(BATCH_ITEMS);
    expect(openWhileParsing).toHaveLength(1); // the worker, waiting for the writer with the file open
    expect(openOnFile()).toEqual([]); // gone once the writer stops
  });

  it('reports a parse that fails in the worker, a worker that throws and a worker that exits, instead of waiting for them', async () => {
    await expect(collect(join(tmp(), 'missing.jsonl'), true)).rejects.toThrow(/parsing .*missing\.jsonl: .*ENOENT/);
    const { file } = mixedFile(10);
    const dying = (name: string, body: string): URL => {
      const script = join(tmp(), name);
      writeFileSync(script, body);
      return pathToFileURL(script);
    };
    const run = async (workerScript: URL) => { for await (const _ of parseFile(file, 'ual-json', { worker: true, workerScript })) { /* none arrive */ } };
    await expect(run(dying('throws.mjs', "throw new Error('the parser broke');"))).rejects.toThrow('the parser broke');
    await expect(run(dying('exits.mjs', 'process.exit(7);'))).rejects.toThrow(/the parser thread stopped \(exit code 7\) before the end of .*mixed-10\.jsonl/);
    // Started ahead (as an import does while it copies the file in) and dead before the file is given: said when it is.
    const early = new ParseThread(dying('throws-early.mjs', "throw new Error('broke while loading');"));
    await new Promise((r) => setTimeout(r, 300));
    await expect((async () => { for await (const _ of early.parse({ file, format: 'ual-json', encoding: 'utf-8', dateOrder: 'auto' })) { /* none arrive */ } })()).rejects.toThrow('broke while loading');
  });

  it('parses on a thread started before its file was known, and ends a thread that was never given one', async () => {
    const { file } = mixedFile(1000);
    const inline = await collect(file, false);
    const thread = new ParseThread();
    await new Promise((r) => setTimeout(r, 300)); // it loads meanwhile
    const batches: PackedBatch[] = [];
    for await (const b of parseFile(file, 'ual-json', { worker: true, thread })) batches.push(b);
    expect(batches).toEqual(inline);
    // A thread started for a file that never reached it (its copy failed) ends when closed, instead of
    // waiting for a file and keeping the process alive.
    const started: Worker[] = [];
    const onWorker = (m: unknown): void => { started.push((m as { worker: Worker }).worker); };
    subscribe('worker_threads', onWorker); // Node's own channel: no hook in the code under test
    const unused = new ParseThread();
    unsubscribe('worker_threads', onWorker);
    expect(started).toHaveLength(1);
    // Its young generation is capped, not held at V8's initial size nor left to grow (PARSE_YOUNG_MB).
    expect(started[0]!.resourceLimits?.maxYoungGenerationSizeMb).toBe(PARSE_YOUNG_MB);
    const exited = new Promise<number>((r) => started[0]!.once('exit', r));
    await unused.close();
    expect(typeof await exited).toBe('number');
  });
});
