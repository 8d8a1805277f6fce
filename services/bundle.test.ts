import { appendFileSync, chmodSync, cpSync, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable as ReadableStream, Writable } from 'node:stream';
import type { Readable } from 'node:stream';
import type * as Fs from 'node:fs';
import Database from 'better-sqlite3';
import yazl from 'yazl';
import yauzl from 'yauzl';
import { describe, expect, it, vi } from 'vitest';
import { jsonl, mailItemsAccessed } from '../test/helpers/records.ts';
import { useTmp } from '../test/helpers/tmp.ts';
import { createCase, openCase } from './caseFolder.ts';
import { exportBundle, verify } from './bundle.ts';
import type { BundleProgress } from './bundle.ts';
import { importFile } from './import.ts';
import { BadInputError, BlindspotError, CaseError } from './errors.ts';
import { writeReport } from './report.ts';
import { annotate } from './annotations.ts';

const tmp = useTmp('bs-bundle-');

// createWriteStream, wrapped so that a test can make the copy of a bundle's database fail as a full disk
// does (the other writes are the real ones).
const fullDisk = vi.hoisted(() => ({ on: false }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof Fs>();
  const createWriteStream = ((path: Fs.PathLike, opts?: Parameters<typeof fs.createWriteStream>[1]) => {
    if (!fullDisk.on || !String(path).endsWith(`${sep}case.sqlite`)) return fs.createWriteStream(path, opts);
    return new Writable({ write: (_c, _e, cb) => cb(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })) });
  }) as typeof fs.createWriteStream;
  return { ...fs, createWriteStream, default: { ...fs, createWriteStream } };
});

/** Runs `work` with os.tmpdir() a folder of its own, and returns what is left in it after. */
async function leftInTmp(work: () => Promise<unknown>): Promise<string[]> {
  const own = tmp();
  const before = process.env.TMPDIR;
  process.env.TMPDIR = own;
  try {
    await work();
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
  }
  return readdirSync(own);
}

async function caseWithEvidence(): Promise<{ dir: string; sha: string }> {
  const dir = join(tmp(), 'case');
  const h = createCase(dir, { name: 'Bundle test', examiner: 'tester', number: 'B-1' });
  const src = join(tmp(), 'ual.jsonl');
  writeFileSync(src, jsonl([0, 1, 2].map((i) => mailItemsAccessed(i))));
  const r = await importFile(h, src);
  h.close();
  return { dir, sha: r.sha256 };
}

/** Reads every entry of a zip into memory (test bundles are tiny). */
async function readZip(file: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const zf = await new Promise<yauzl.ZipFile>((res, rej) => yauzl.open(file, { lazyEntries: true }, (e, z) => (e || !z ? rej(e) : res(z))));
  await new Promise<void>((res, rej) => {
    zf.on('end', () => res());
    zf.on('entry', (entry: yauzl.Entry) => zf.openReadStream(entry, async (e, s) => {
      if (e || !s) return rej(e);
      const parts: Buffer[] = [];
      for await (const c of s) parts.push(c as Buffer);
      out.set(entry.fileName, Buffer.concat(parts));
      zf.readEntry();
    }));
    zf.readEntry();
  });
  return out;
}

async function writeZip(file: string, entries: Map<string, Buffer>): Promise<void> {
  const z = new yazl.ZipFile();
  for (const [name, buf] of entries) z.addBuffer(buf, name);
  z.end();
  await pipeline(z.outputStream as Readable, createWriteStream(file));
}

/** Writes a zip of these entries in this order (a name may come twice): bytes, or `size` bytes of newlines made as they are written. */
async function writeZipEntries(file: string, entries: [name: string, data: Buffer | { size: number }][]): Promise<void> {
  const z = new yazl.ZipFile();
  for (const [name, data] of entries) {
    if (Buffer.isBuffer(data)) { z.addBuffer(data, name); continue; }
    const newlines = function* () { for (let left = data.size; left > 0; left -= 1 << 20) yield Buffer.alloc(Math.min(left, 1 << 20), '\n'); };
    z.addReadStreamLazy(name, { size: data.size, compressionLevel: 1 }, (cb) => cb(null, ReadableStream.from(newlines())));
  }
  z.end();
  await pipeline(z.outputStream as Readable, createWriteStream(file));
}

/** Renames entries in a zip's bytes, in their local headers and the central directory (yazl refuses the names a forger writes). */
function renameEntries(file: string, names: [from: string, to: string][]): void {
  const bytes = readFileSync(file);
  for (const [from, to] of names) {
    expect(Buffer.byteLength(from)).toBe(Buffer.byteLength(to));
    for (let at = bytes.indexOf(from); at >= 0; at = bytes.indexOf(from, at + 1)) bytes.write(to, at);
  }
  writeFileSync(file, bytes);
}

/** Sets the first byte of an entry's compressed data: 0xff begins a deflate block of the reserved type, which no inflater reads. */
async function damageEntry(file: string, name: string): Promise<void> {
  const zf = await new Promise<yauzl.ZipFile>((res, rej) => yauzl.open(file, { lazyEntries: true }, (e, z) => (e || !z ? rej(e) : res(z))));
  const offset = await new Promise<number>((res, rej) => {
    zf.on('entry', (entry: yauzl.Entry) => (entry.fileName === name ? res(entry.relativeOffsetOfLocalHeader) : zf.readEntry()));
    zf.on('end', () => rej(new Error(`no ${name}`)));
    zf.readEntry();
  });
  zf.close();
  const bytes = readFileSync(file);
  bytes[offset + 30 + bytes.readUInt16LE(offset + 26) + bytes.readUInt16LE(offset + 28)] = 0xff;
  writeFileSync(file, bytes);
}

/** Deletes an evidence item's row from a case database (as someone editing it outside Blindspot would). */
function deleteEvidenceRow(dbFile: string, sha256: string): void {
  const db = new Database(dbFile);
  db.pragma('foreign_keys = OFF');
  db.prepare('DELETE FROM evidence WHERE sha256 = ?').run(sha256);
  db.close();
}

describe('evidence bundles', () => {
  it('reports each step of an export and of a verification in bytes, each step ending at its total', async () => {
    const { dir } = await caseWithEvidence();
    const out = join(tmp(), 'bundle.zip');
    const seen: BundleProgress[] = [];
    const r = await exportBundle(dir, out, (p) => seen.push(p));
    const steps = (list: BundleProgress[]) => list.map((p) => p.step).filter((p, i, all) => p !== all[i - 1]);
    expect(steps(seen)).toEqual(['snapshot', 'hashing', 'writing', 'hashing-bundle']);
    const last = (list: BundleProgress[], step: BundleProgress['step']) => list.filter((p) => p.step === step).at(-1)!;
    // the files' steps are reported as they go, not only at their end (hashFile's own reports per read are
    // tested in files.test.ts; the snapshot and the bundle's hash of a case this small take one step each)
    for (const step of ['hashing', 'writing'] as const) expect(seen.some((p) => p.step === step && p.done > 0 && p.done < p.total), step).toBe(true);
    for (const step of ['snapshot', 'hashing', 'writing', 'hashing-bundle'] as const) {
      const of = seen.filter((p) => p.step === step);
      expect(of.map((p) => p.done), step).toEqual([...of.map((p) => p.done)].sort((a, b) => a - b));
      expect(new Set(of.map((p) => p.total)).size, step).toBe(1);
      expect(last(seen, step).done, step).toBe(last(seen, step).total);
    }
    const manifest = JSON.parse((await readZip(out)).get('manifest.json')!.toString()) as { files: { path: string; size: number }[] };
    const fileBytes = manifest.files.reduce((a, f) => a + f.size, 0);
    expect(last(seen, 'snapshot').total).toBe(manifest.files.find((f) => f.path === 'case.sqlite')!.size);
    expect(last(seen, 'hashing').total).toBe(fileBytes);
    expect(last(seen, 'writing').total).toBe(fileBytes);
    expect(last(seen, 'hashing-bundle').total).toBe(r.bytes);

    const checkedCase: BundleProgress[] = [];
    expect((await verify(dir, (p) => checkedCase.push(p))).intact).toBe(true);
    expect(steps(checkedCase)).toEqual(['hashing']);
    const evidenceBytes = manifest.files.filter((f) => f.path.startsWith('evidence/')).reduce((a, f) => a + f.size, 0);
    expect(checkedCase.at(-1)).toEqual({ step: 'hashing', done: evidenceBytes, total: evidenceBytes });
    const checkedBundle: BundleProgress[] = [];
    expect((await verify(out, (p) => checkedBundle.push(p))).intact).toBe(true);
    expect(steps(checkedBundle)).toEqual(['reading']);
    expect(checkedBundle.map((p) => p.done)).toEqual([...checkedBundle.map((p) => p.done)].sort((a, b) => a - b));
    expect(checkedBundle.some((p) => p.done > 0 && p.done < r.bytes)).toBe(true); // reported as the entries are read, not only at the end
    expect(checkedBundle.at(-1)).toEqual({ step: 'reading', done: r.bytes, total: r.bytes });
  });

  it('shows a case name holding a line break (a case from before such names were refused) escaped in the README, forging no line', async () => {
    const { dir } = await caseWithEvidence();
    const h = openCase(dir);
    h.db.prepare('UPDATE case_meta SET name = ? WHERE id = 1').run('Acme\nManifest:  manifest.json, SHA-256 0000');
    h.close();
    const out = join(tmp(), 'bundle.zip');
    await exportBundle(dir, out);
    const readme = (await readZip(out)).get('README.txt')!.toString();
    expect(readme).toContain('Case:      Acme\\u000aManifest:  manifest.json, SHA-256 0000 (B-1)\n');
    expect(readme.split('\n').filter((l) => l.startsWith('Manifest:'))).toHaveLength(1);
  });

  it('tells entries cut from the end of the custody log by the last entry the case database recorded; a log ahead of it is not a problem', async () => {
    const { dir } = await caseWithEvidence();
    const h = openCase(dir);
    for (let i = 0; i < 3; i++) h.logCustody('analysis', { kind: 'gaps', n: i });
    h.close();
    const log = join(dir, 'custody.jsonl');
    const whole = readFileSync(log, 'utf8');
    const lines = whole.trimEnd().split('\n');
    writeFileSync(log, lines.slice(0, -2).join('\n') + '\n'); // the last two entries removed: the rest still chains
    const cut = await verify(dir);
    expect(cut.intact).toBe(false);
    expect(cut.problems).toContainEqual({ kind: 'custody', path: 'custody.jsonl', detail: `the log ends at entry ${lines.length - 2}, but the case database recorded entry ${lines.length} as written (line SHA-256 ${createHash('sha256').update(lines.at(-1)!).digest('hex')}): entries were cut from its end` });
    // Put back, and the database's record set back one entry (as after a crash between the two writes): intact.
    writeFileSync(log, whole);
    const back = openCase(dir);
    back.db.prepare('UPDATE custody_head SET seq = ?, line_sha256 = ?').run(lines.length - 1, createHash('sha256').update(lines.at(-2)!).digest('hex'));
    back.close(); // (opening the case writes no entry)
    expect((await verify(dir)).problems).toEqual([]);
    // A case whose database recorded none (from before the record was kept): said, not a problem.
    const old = openCase(dir);
    old.db.exec('DELETE FROM custody_head');
    old.close();
    const r = await verify(dir);
    expect(r.intact).toBe(true);
    expect(r.notes).toContainEqual({ path: 'custody.jsonl', detail: expect.stringMatching(/^the case database records no last entry of the log/) });
  });

  it('names a custody line removed from the middle once, and numbers later entries after the last one, not twice', async () => {
    const { dir } = await caseWithEvidence();
    const h = openCase(dir);
    for (let i = 0; i < 3; i++) h.logCustody('analysis', { kind: 'gaps', n: i });
    h.close();
    const log = join(dir, 'custody.jsonl');
    const lines = readFileSync(log, 'utf8').trimEnd().split('\n');
    writeFileSync(log, [...lines.slice(0, 2), ...lines.slice(3)].join('\n') + '\n');
    const want = [
      { kind: 'custody', path: 'custody.jsonl:3', detail: 'sequence number 4 after 2 (entries removed, added or reordered)' },
      { kind: 'custody', path: 'custody.jsonl:3', detail: 'prev does not match the hash of the line before (that line was altered, removed or reordered)' },
    ];
    expect((await verify(dir)).problems).toEqual(want);
    // Its own entry (the verify above) took the number after the last: the same two problems, no third.
    expect((await verify(dir)).problems).toEqual(want);
    expect(JSON.parse(readFileSync(log, 'utf8').trimEnd().split('\n').at(-1)!).seq).toBe(lines.length + 2);
  });

  it('refuses to verify a case another process holds (its files may be changing), rather than report a file being committed', async () => {
    const { dir } = await caseWithEvidence();
    const before = readFileSync(join(dir, 'custody.jsonl'), 'utf8');
    writeFileSync(join(dir, '.lock'), JSON.stringify({ pid: process.ppid, host: hostname() })); // a live process other than this one
    const e = await verify(dir).then(() => null, (x: unknown) => x) as CaseError;
    expect(e).toBeInstanceOf(CaseError);
    expect(e.message).toMatch(/in use by another Blindspot process \(pid \d+\)\. Verifying it while it changes could name a file being committed as unexpected\./);
    expect(e.exitCode).toBe(4);
    rmSync(join(dir, '.lock'));
    expect(readFileSync(join(dir, 'custody.jsonl'), 'utf8')).toBe(before);
    expect((await verify(dir)).intact).toBe(true);
  });

  it('exports a bundle that verifies offline and records the export in custody', async () => {
    const { dir, sha } = await caseWithEvidence();
    const out = join(tmp(), 'bundle.zip');
    const r = await exportBundle(dir, out);
    const entries = await readZip(out);
    expect([...entries.keys()].sort()).toEqual(['README.txt', 'case.sqlite', 'custody.jsonl', `evidence/${sha.slice(0, 2)}/${sha}`, 'manifest.json'].sort());
    const manifest = JSON.parse(entries.get('manifest.json')!.toString());
    expect(manifest.files.map((f: { path: string }) => f.path).sort()).toEqual(['case.sqlite', 'custody.jsonl', `evidence/${sha.slice(0, 2)}/${sha}`].sort());
    expect(entries.get('README.txt')!.toString()).toContain(r.manifestSha256);
    // Enough for a recipient without Blindspot: the chain's rules and length, files not listed are problems.
    expect(entries.get('README.txt')!.toString()).toMatch(/"seq" runs 1, 2, 3 \.\.\. without a gap, line 1's "prev" is null/);
    expect(entries.get('README.txt')!.toString()).toContain(`the chain has ${readFileSync(join(dir, 'custody.jsonl'), 'utf8').trim().split('\n').length - 1} entries`); // (the export's own entry follows)
    expect(entries.get('README.txt')!.toString()).toContain('treat any file not listed there (other than this README) as a\n     problem');
    expect(entries.get('README.txt')!.toString()).toContain('Unzip the bundle into an empty folder and run: blindspot ui <folder>');
    expect(entries.get('README.txt')!.toString()).toContain('The examiner\'s own tags, notes and bookmarks on events are listed by: blindspot annotations <folder>');
    // The bundle's hash and size (in the custody entry below) are those of the file written.
    const written = readFileSync(out);
    expect(r).toMatchObject({ bundleSha256: createHash('sha256').update(written).digest('hex'), bytes: written.length });
    const v = await verify(out);
    expect(v).toMatchObject({ intact: true, kind: 'bundle', manifestSha256: r.manifestSha256, problems: [] });
    const h = openCase(dir);
    expect(h.custodyEntries().find((e) => e.action === 'export')?.details).toMatchObject({ bundleSha256: r.bundleSha256, manifestSha256: r.manifestSha256 });
    h.close();
    await expect(exportBundle(dir, out)).rejects.toThrow(/already exists/);
  });

  it('names a modified, a missing and an unexpected file in a bundle', async () => {
    const { dir, sha } = await caseWithEvidence();
    const out = join(tmp(), 'bundle.zip');
    await exportBundle(dir, out);
    const entries = await readZip(out);
    const evPath = `evidence/${sha.slice(0, 2)}/${sha}`;
    const tampered = new Map(entries);
    tampered.set(evPath, Buffer.concat([entries.get(evPath)!, Buffer.from('{"Id":"forged"}\n')]));
    tampered.delete('custody.jsonl');
    tampered.set('evidence/00/extra', Buffer.from('planted'));
    const bad = join(tmp(), 'tampered.zip');
    await writeZip(bad, tampered);
    const v = await verify(bad);
    expect(v.intact).toBe(false);
    const byKind = (k: string) => v.problems.filter((p) => p.kind === k).map((p) => p.path);
    expect(byKind('modified')).toContain(evPath);
    expect(byKind('missing')).toEqual(['custody.jsonl']);
    expect(byKind('unexpected')).toEqual(expect.arrayContaining(['evidence/00/extra']));
  });

  it('detects a custody log truncated consistently with a forged manifest', async () => {
    const { dir } = await caseWithEvidence();
    const out = join(tmp(), 'bundle.zip');
    await exportBundle(dir, out);
    const entries = await readZip(out);
    const lines = entries.get('custody.jsonl')!.toString().trim().split('\n');
    const shorter = Buffer.from(lines.slice(0, -1).join('\n') + '\n');
    const manifest = JSON.parse(entries.get('manifest.json')!.toString());
    const { createHash } = await import('node:crypto');
    for (const f of manifest.files) if (f.path === 'custody.jsonl') { f.sha256 = createHash('sha256').update(shorter).digest('hex'); f.size = shorter.length; }
    entries.set('custody.jsonl', shorter);
    entries.set('manifest.json', Buffer.from(JSON.stringify(manifest)));
    const bad = join(tmp(), 'tampered.zip');
    await writeZip(bad, entries);
    const v = await verify(bad);
    expect(v.intact).toBe(false);
    expect(v.problems.map((p) => p.kind)).toContain('custody');
  });

  it('names altered, missing and planted evidence in a case folder, and breaks on an edited custody line', async () => {
    const { dir, sha } = await caseWithEvidence();
    expect((await verify(dir)).intact).toBe(true);
    const ev = join(dir, 'evidence', sha.slice(0, 2), sha);
    chmodSync(ev, 0o644);
    appendFileSync(ev, 'x');
    writeFileSync(join(dir, 'evidence', 'planted'), 'x');
    const lines = readFileSync(join(dir, 'custody.jsonl'), 'utf8').split('\n');
    lines[0] = lines[0]!.replace('Bundle test', 'Other case');
    writeFileSync(join(dir, 'custody.jsonl'), lines.join('\n'));
    const v = await verify(dir);
    expect(v.intact).toBe(false);
    expect(v.problems).toEqual(expect.arrayContaining([
      expect.objectContaining({ kind: 'modified', path: `evidence/${sha.slice(0, 2)}/${sha}` }),
      expect.objectContaining({ kind: 'unexpected', path: 'evidence/planted' }),
      expect.objectContaining({ kind: 'custody', path: 'custody.jsonl:2' }),
    ]));
    rmSync(ev, { force: true });
    const v2 = await verify(dir);
    expect(v2.problems).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'missing', path: `evidence/${sha.slice(0, 2)}/${sha}` })]));
  });

  it('refuses to export a case whose evidence was altered', async () => {
    const { dir, sha } = await caseWithEvidence();
    const ev = join(dir, 'evidence', sha.slice(0, 2), sha);
    chmodSync(ev, 0o644);
    appendFileSync(ev, 'x');
    await expect(exportBundle(dir, join(tmp(), 'b.zip'))).rejects.toThrow(new RegExp(`^MODIFIED evidence/${sha.slice(0, 2)}/${sha}: content hashes to \\w{64}`));
    expect(readdirSync(tmp()).filter((f) => f.startsWith('b.zip'))).toEqual([]); // nor a partial bundle
  });

  it('refuses to export what the recipient\'s verify would fail: a stray evidence file, an annotation changed outside Blindspot', async () => {
    const { dir } = await caseWithEvidence();
    const body = 'y\n';
    const sha = createHash('sha256').update(body).digest('hex');
    mkdirSync(join(dir, 'evidence', sha.slice(0, 2)), { recursive: true });
    writeFileSync(join(dir, 'evidence', sha.slice(0, 2), sha), body); // named by its hash, in no record of the case
    await expect(exportBundle(dir, join(tmp(), 'b.zip'))).rejects.toThrow(`UNEXPECTED evidence/${sha.slice(0, 2)}/${sha}: evidence file not listed in the case database. Refusing to export.`);
    rmSync(join(dir, 'evidence', sha.slice(0, 2), sha));
    const h = openCase(dir);
    const id = h.db.prepare('SELECT record_id FROM events LIMIT 1').pluck().get() as string;
    h.close();
    annotate(dir, id, [{ kind: 'note', text: 'seen' }]);
    const t = openCase(dir);
    t.db.prepare("UPDATE annotations SET text = 'not seen'").run();
    t.close();
    await expect(exportBundle(dir, join(tmp(), 'c.zip'))).rejects.toThrow(/^CUSTODY annotations #1: the case database holds note "not seen" on record .*; the custody log \(line \d+\) recorded note "seen" on record .*\. Refusing to export\.$/);
  });

  it('refuses to export a case whose evidence file is missing, or into the case\'s evidence folder; the case is unchanged', async () => {
    const { dir, sha } = await caseWithEvidence();
    const custody = readFileSync(join(dir, 'custody.jsonl'), 'utf8');
    await expect(exportBundle(dir, join(dir, 'evidence', 'b.zip'))).rejects.toThrow(/inside the case's evidence folder/);
    await expect(exportBundle(dir, join(dir, 'evidence', '..b.zip'))).rejects.toThrow(/inside the case's evidence folder/);
    await expect(exportBundle(dir, join(dir, 'reports', 'b.zip'))).rejects.toThrow(`export: ${join(dir, 'reports', 'b.zip')} is inside the case's reports folder, which holds the reports Blindspot writes only.`);
    expect(readdirSync(join(dir, 'reports'))).toEqual([]);
    expect(existsSync(join(dir, 'evidence', 'b.zip'))).toBe(false);
    rmSync(join(dir, 'evidence', sha.slice(0, 2), sha), { force: true });
    await expect(exportBundle(dir, join(tmp(), 'b.zip'))).rejects.toThrow(CaseError);
    await expect(exportBundle(dir, join(tmp(), 'c.zip'))).rejects.toThrow(`1 evidence file is missing (evidence/${sha.slice(0, 2)}/${sha}); refusing to export.`);
    expect(readFileSync(join(dir, 'custody.jsonl'), 'utf8')).toBe(custody);
    expect(existsSync(join(dir, '.lock'))).toBe(false);
  });

  it('fails cleanly when an evidence file cannot be read while the bundle is written: no bundle, no partial file, custody unchanged', async () => {
    const { dir, sha } = await caseWithEvidence();
    const custody = readFileSync(join(dir, 'custody.jsonl'), 'utf8');
    const ev = join(dir, 'evidence', sha.slice(0, 2), sha);
    const out = join(tmp(), 'b.zip');
    // Hashed and found intact, then gone (a disk that fails) by the time the bundle reads it.
    await expect(exportBundle(dir, out, (p) => { if (p.step === 'writing') rmSync(ev, { force: true }); }))
      .rejects.toThrow(new RegExp(`^export: the bundle could not be written \\(ENOENT: .*${sha}'\\); nothing was written to ${out}\\.$`));
    expect(readdirSync(tmp()).filter((f) => f.startsWith('b.zip'))).toEqual([]);
    expect(readFileSync(join(dir, 'custody.jsonl'), 'utf8')).toBe(custody);
  });

  it('stops an export at any step when its signal aborts: no bundle, no partial file, no temporary copy, custody unchanged', async () => {
    const { dir } = await caseWithEvidence();
    const custody = readFileSync(join(dir, 'custody.jsonl'), 'utf8');
    for (const step of ['snapshot', 'hashing', 'writing', 'hashing-bundle'] as const) {
      const out = join(tmp(), `${step}.zip`);
      const ac = new AbortController();
      const stop = new Error(`stopped at ${step}`);
      const reached: string[] = [];
      const left = await leftInTmp(() => expect(exportBundle(dir, out, (p) => {
        reached.push(p.step);
        if (p.step === step) ac.abort(stop);
      }, ac.signal)).rejects.toBe(stop));
      expect(reached.at(-1), 'no step is begun after the abort').toBe(step);
      expect(left, step).toEqual([]);
      expect(readdirSync(dirname(out)).filter((f) => f.startsWith(`${step}.zip`)), step).toEqual([]);
      expect(readFileSync(join(dir, 'custody.jsonl'), 'utf8')).toBe(custody);
    }
  });

  it('stops a verification when its signal aborts, leaving no copy of the database and logging nothing', async () => {
    const { dir } = await caseWithEvidence();
    const out = join(tmp(), 'b.zip');
    await exportBundle(dir, out);
    const custody = readFileSync(join(dir, 'custody.jsonl'), 'utf8');
    for (const target of [out, dir]) {
      const ac = new AbortController();
      const stop = new Error('stopped');
      const left = await leftInTmp(() => expect(verify(target, () => ac.abort(stop), ac.signal)).rejects.toBe(stop));
      expect(left, target).toEqual([]);
    }
    expect(readFileSync(join(dir, 'custody.jsonl'), 'utf8')).toBe(custody);
  });

  it('names a bundle whose database cannot be copied out to be read (a full temporary folder), and leaves nothing there', async () => {
    const { dir } = await caseWithEvidence();
    const out = join(tmp(), 'b.zip');
    await exportBundle(dir, out);
    fullDisk.on = true;
    try {
      const left = await leftInTmp(async () => {
        const err = (await verify(out).catch((e: unknown) => e)) as BlindspotError;
        expect(err).toBeInstanceOf(BlindspotError);
        expect(err.exitCode).toBe(4); // not 1, which would say the bundle was found altered
        expect(err.message).toMatch(new RegExp(`^${out}: the bundle's case database could not be copied to .*blindspot-verify-\\w+ to be read \\(ENOSPC: no space left on device, write\\)\\.$`));
        expect(err.hint).toMatch(/TMPDIR/);
      });
      expect(left).toEqual([]);
    } finally {
      fullDisk.on = false;
    }
  });

  it('names a temporary folder too full for the copy of the case database, and writes nothing', async () => {
    const { dir } = await caseWithEvidence();
    const custody = readFileSync(join(dir, 'custody.jsonl'), 'utf8');
    const out = join(tmp(), 'b.zip');
    // SQLite's backup into a full folder fails on a write: SQLITE_FULL.
    const backup = vi.spyOn(Database.prototype, 'backup').mockRejectedValue(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }));
    try {
      const left = await leftInTmp(async () => {
        const err = (await exportBundle(dir, out).catch((e: unknown) => e)) as CaseError;
        expect(err).toBeInstanceOf(CaseError);
        expect(err.message).toMatch(new RegExp(`^export: no space left in the temporary folder .* for the copy of the case database \\(about \\d+ MB; database or disk is full\\); nothing was written to ${out}\\.$`));
        expect(err.hint).toMatch(/TMPDIR/);
      });
      expect(left).toEqual([]);
    } finally {
      backup.mockRestore();
    }
    expect(readdirSync(dirname(out))).toEqual([]);
    expect(readFileSync(join(dir, 'custody.jsonl'), 'utf8')).toBe(custody);
  });

  it('refuses something that is not a bundle with a clear message', async () => {
    const f = join(tmp(), 'x.zip');
    writeFileSync(f, 'not a zip');
    await expect(verify(f)).rejects.toThrow(/not a readable zip/);
  });

  it('names evidence the custody log records as added that is gone from the database and the evidence folder, in a case folder and a bundle; export refuses such a case', async () => {
    const { dir, sha } = await caseWithEvidence();
    const evPath = `evidence/${sha.slice(0, 2)}/${sha}`;
    const out = join(tmp(), 'b.zip');
    await exportBundle(dir, out);
    const addedAt = readFileSync(join(dir, 'custody.jsonl'), 'utf8').split('\n').findIndex((l) => l.includes('"action":"evidence-added"')) + 1;
    const gone = { kind: 'missing', path: evPath, detail: `the custody log (line ${addedAt}) records it as added; it is not present, nor listed in the case database` };
    deleteEvidenceRow(join(dir, 'case.sqlite'), sha);
    rmSync(join(dir, evPath));
    const v = await verify(dir);
    expect(v.problems).toEqual([gone]);
    expect(v.intact).toBe(false);
    await expect(exportBundle(dir, join(tmp(), 'c.zip'))).rejects.toThrow(`1 evidence file is missing (${evPath}); refusing to export.`);

    // The bundle exported before, with the row, the file and its manifest line taken out consistently.
    const entries = await readZip(out);
    const db = join(tmp(), 'snapshot.sqlite');
    writeFileSync(db, entries.get('case.sqlite')!);
    deleteEvidenceRow(db, sha);
    entries.set('case.sqlite', readFileSync(db));
    entries.delete(evPath);
    const manifest = JSON.parse(entries.get('manifest.json')!.toString()) as { files: { path: string; size: number; sha256: string }[] };
    manifest.files = manifest.files.filter((f) => f.path !== evPath);
    for (const f of manifest.files) if (f.path === 'case.sqlite') Object.assign(f, { size: entries.get('case.sqlite')!.length, sha256: createHash('sha256').update(entries.get('case.sqlite')!).digest('hex') });
    entries.set('manifest.json', Buffer.from(JSON.stringify(manifest)));
    const bad = join(tmp(), 'tampered.zip');
    await writeZip(bad, entries);
    expect((await verify(bad)).problems).toEqual([gone]);
  });

  it('names a bundle entry whose compressed data is damaged and one with an unsafe name, reads the other entries, and writes nothing outside its temporary folder', async () => {
    const { dir } = await caseWithEvidence();
    const out = join(tmp(), 'b.zip');
    await exportBundle(dir, out);
    const entries = await readZip(out);
    const base = tmp();
    const folder = join(base, 'place', 'for', 'the', 'bundle');
    mkdirSync(folder, { recursive: true });
    const bad = join(folder, 'tampered.zip');
    await writeZipEntries(bad, [
      ...[...entries].map(([name, data]): [string, Buffer] => [name, data]),
      ['XX/evil.txt', Buffer.from('x')], ['evidence/XX/XX/x', Buffer.from('x')], ['evidence|XX|XX|y', Buffer.from('x')], ['evidence/00/extra', Buffer.from('planted')],
    ]);
    renameEntries(bad, [['XX/evil.txt', '../evil.txt'], ['evidence/XX/XX/x', 'evidence/../../x'], ['evidence|XX|XX|y', 'evidence\\..\\..\\y']]);
    await damageEntry(bad, 'custody.jsonl');
    // Nothing extracted in the temporary folder, nor beside the bundle, nor above it.
    let v: Awaited<ReturnType<typeof verify>> | undefined;
    expect(await leftInTmp(async () => { v = await verify(bad); })).toEqual([]);
    expect(v!.intact).toBe(false);
    expect(v!.problems).toEqual([
      { kind: 'modified', path: 'custody.jsonl', detail: expect.stringMatching(/^the compressed data is damaged \(invalid block type\)$/) },
      { kind: 'unexpected', path: '../evil.txt', detail: 'an unsafe entry name, which unzipped could be written outside its folder (invalid relative path); not read' },
      { kind: 'unexpected', path: 'evidence/../../x', detail: 'an unsafe entry name, which unzipped could be written outside its folder (invalid relative path); not read' },
      { kind: 'unexpected', path: 'evidence\\..\\..\\y', detail: 'an unsafe entry name, which unzipped could be written outside its folder (invalid characters in fileName); not read' },
      // read after the damaged entry
      { kind: 'unexpected', path: 'evidence/00/extra', detail: 'in the bundle, not listed in manifest.json' },
      { kind: 'modified', path: 'evidence/00/extra', detail: expect.stringMatching(/not to its name$/) },
      { kind: 'unexpected', path: 'evidence/00/extra', detail: 'evidence file not listed in the case database' },
    ]);
    expect(readdirSync(base, { recursive: true })).toEqual(['place', join('place', 'for'), join('place', 'for', 'the'), join('place', 'for', 'the', 'bundle'), join('place', 'for', 'the', 'bundle', 'tampered.zip')]);
  });

  it('names an entry that comes twice in a bundle, whichever copy is the altered one, and a copy as it was', async () => {
    const { dir, sha } = await caseWithEvidence();
    const out = join(tmp(), 'b.zip');
    await exportBundle(dir, out);
    const entries = [...await readZip(out)];
    const evPath = `evidence/${sha.slice(0, 2)}/${sha}`;
    const custody = entries.find(([n]) => n === 'custody.jsonl')![1];
    const forged = Buffer.from(custody.toString().replace('Bundle test', 'Other case'));
    const second = 'a second entry of this name in the bundle (an unzip tool keeps either copy); only the first was checked';
    for (const [twice, copy] of [['custody.jsonl', forged], ['custody.jsonl', custody], [evPath, entries.find(([n]) => n === evPath)![1]]] as const) {
      for (const order of ['altered first', 'altered last']) {
        const list: [string, Buffer][] = [...entries];
        const at = list.findIndex(([n]) => n === twice);
        if (order === 'altered first') list.splice(at, 0, [twice, copy]);
        else list.push([twice, copy]);
        const bad = join(tmp(), `twice-${list.length}-${order.replace(' ', '-')}-${copy.length}.zip`);
        await writeZipEntries(bad, list);
        const v = await verify(bad);
        expect(v.intact, `${twice} ${order}`).toBe(false);
        const duplicate = { kind: 'unexpected', path: twice, detail: second };
        if (copy === forged && order === 'altered first') {
          // The first copy is the one read: its forgery is named against the manifest, beside the duplicate.
          expect(v.problems, `${twice} ${order}`).toContainEqual(duplicate);
          expect(v.problems, `${twice} ${order}`).toContainEqual(expect.objectContaining({ kind: 'modified', path: 'custody.jsonl' }));
        } else {
          // The copy read is the one exported: only the duplicate is a problem (a later copy is not read).
          expect(v.problems, `${twice} ${order}`).toEqual([duplicate]);
        }
      }
    }
  });

  it('names a report in a case folder or a bundle that Blindspot did not write, or one changed since it was written; export refuses both', async () => {
    const { dir } = await caseWithEvidence();
    const r = writeReport(dir, { now: new Date('2026-12-07T10:00:00Z') });
    const report = 'reports/report-20261207T100000Z.html';
    expect((await verify(dir)).problems).toEqual([]);
    const planted = { kind: 'unexpected', path: 'reports/planted.html', detail: 'not written by Blindspot (no report-written entry in the custody log)' };
    writeFileSync(join(dir, 'reports', 'planted.html'), '<p>Nothing found.</p>');
    expect((await verify(dir)).problems).toEqual([planted]);
    await expect(exportBundle(dir, join(tmp(), 'a.zip'))).rejects.toThrow(`UNEXPECTED reports/planted.html: ${planted.detail}. Refusing to export.`);
    rmSync(join(dir, 'reports', 'planted.html'));
    const html = readFileSync(r.path);
    chmodSync(r.path, 0o644);
    writeFileSync(r.path, Buffer.concat([html, Buffer.from('<p>Nothing found.</p>')]));
    await expect(exportBundle(dir, join(tmp(), 'a.zip'))).rejects.toThrow(new RegExp(`^MODIFIED ${report}: content hashes to \\w{64}, the custody log \\(line \\d+\\) recorded ${r.sha256} when it was written\\. Refusing to export\\.$`));
    expect(existsSync(join(tmp(), 'a.zip'))).toBe(false);
    writeFileSync(r.path, html);

    // In a bundle, changed with its manifest line to match, and one planted and listed.
    const out = join(tmp(), 'b.zip');
    await exportBundle(dir, out);
    expect((await verify(out)).problems).toEqual([]);
    const entries = await readZip(out);
    const changed = Buffer.concat([html, Buffer.from('<p>Nothing found.</p>')]);
    const extra = Buffer.from('<p>Nothing found.</p>');
    entries.set(report, changed);
    entries.set('reports/planted.html', extra);
    const manifest = JSON.parse(entries.get('manifest.json')!.toString()) as { files: { path: string; size: number; sha256: string }[] };
    const line = (b: Buffer) => ({ size: b.length, sha256: createHash('sha256').update(b).digest('hex') });
    for (const f of manifest.files) if (f.path === report) Object.assign(f, line(changed));
    manifest.files.push({ path: 'reports/planted.html', ...line(extra) });
    entries.set('manifest.json', Buffer.from(JSON.stringify(manifest)));
    const bad = join(tmp(), 'tampered.zip');
    await writeZip(bad, entries);
    expect((await verify(bad)).problems).toEqual([
      { kind: 'modified', path: report, detail: expect.stringMatching(new RegExp(`^content hashes to ${line(changed).sha256}, the custody log \\(line \\d+\\) recorded ${r.sha256} when it was written$`)) },
      planted,
    ]);
  });

  it('refuses a bundle whose manifest or custody log is too large to read into memory, without reading it', async () => {
    const { dir } = await caseWithEvidence();
    const out = join(tmp(), 'b.zip');
    await exportBundle(dir, out);
    const entries = [...await readZip(out)];
    for (const [name, size, message] of [
      ['manifest.json', (64 << 20) + 1, `manifest.json holds ${(64 << 20) + 1} bytes, more than any Blindspot manifest (at most 64 MiB); this is not a Blindspot evidence bundle.`],
      ['custody.jsonl', (128 << 20) + 1, `custody.jsonl holds ${(128 << 20) + 1} bytes, more than verify reads into memory (128 MiB); the bundle cannot be checked.`],
    ] as const) {
      const bad = join(tmp(), `large-${name}.zip`);
      await writeZipEntries(bad, entries.map(([n, data]) => [n, n === name ? { size } : data]));
      const read: BundleProgress[] = [];
      const err = (await verify(bad, (p) => read.push(p)).catch((e: unknown) => e)) as BadInputError;
      expect(err).toBeInstanceOf(BadInputError);
      expect(err.message).toBe(`${bad}: ${message}`);
      expect(read.at(-1)?.done ?? 0, 'not read').toBeLessThan(statSync(bad).size / 2);
    }
  });

  it('checks a case folder that lost its custody log or its database, and finds it not intact; a folder that is no case is refused', async () => {
    const { dir } = await caseWithEvidence();
    const copy = (): string => { const d = join(tmp(), `copy-${readdirSync(tmp()).length}`); cpSync(dir, d, { recursive: true }); return d; };
    const noLog = copy();
    rmSync(join(noLog, 'custody.jsonl'));
    const missingLog = { kind: 'missing', path: 'custody.jsonl', detail: 'the chain of custody is not in the case folder; the custody chain, the annotations and the reports could not be checked' };
    expect(await verify(noLog)).toMatchObject({ intact: false, problems: [missingLog], notLogged: 'the case folder has no custody.jsonl to write it to' });
    expect(existsSync(join(noLog, 'custody.jsonl'))).toBe(false); // not made anew
    const logFolder = copy();
    rmSync(join(logFolder, 'custody.jsonl'));
    mkdirSync(join(logFolder, 'custody.jsonl'));
    expect(await verify(logFolder)).toMatchObject({ intact: false, problems: [{ ...missingLog, detail: 'a folder, not the chain of custody; the custody chain, the annotations and the reports could not be checked' }] });
    const noDb = copy();
    rmSync(join(noDb, 'case.sqlite'));
    expect(await verify(noDb)).toMatchObject({ intact: false, problems: [{ kind: 'missing', path: 'case.sqlite', detail: 'the case database is not in the case folder; each evidence file was checked against its name only' }] });
    const other = join(tmp(), 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'x');
    await expect(verify(other)).rejects.toThrow(new CaseError(`${other} is not a Blindspot case folder.`));
  });
});
