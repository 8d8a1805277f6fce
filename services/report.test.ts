import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import yauzl from 'yauzl';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { CustodyEntry } from '../core/custody.ts';
import { verifyCustodyChain } from '../core/custody.ts';
import { jsonl, mailItemsAccessed } from '../test/helpers/records.ts';
import { useTmp } from '../test/helpers/tmp.ts';
import { exposure } from './analysis.ts';
import { annotate } from './annotations.ts';
import { exportBundle, verify } from './bundle.ts';
import { createCase } from './caseFolder.ts';
import { UsageError } from './errors.ts';
import { importFile } from './import.ts';
import { durable } from './files.ts';
import { writeReport } from './report.ts';

const tmp = useTmp('bs-report-');

async function caseWithEvents(): Promise<string> {
  const dir = join(tmp(), 'case');
  const h = createCase(dir, { name: 'Report test', examiner: 'tester', number: 'R-1' });
  const src = join(tmp(), 'ual.jsonl');
  writeFileSync(src, jsonl(Array.from({ length: 20 }, (_, i) => mailItemsAccessed(i, { id: `rec-${i}` }))));
  await importFile(h, src);
  h.close();
  return dir;
}

const custody = (dir: string): CustodyEntry[] => verifyCustodyChain(readFileSync(join(dir, 'custody.jsonl'), 'utf8').trim().split('\n')).entries;

describe('writeReport', () => {
  it('writes one HTML file into reports/ with the blind spots, findings, exposure runs and marked events, logged with its SHA-256 after the two analyses', async () => {
    const dir = await caseWithEvents();
    annotate(dir, 'rec-3', [{ kind: 'bookmark', text: null }, { kind: 'note', text: 'First read from the new IP.' }]);
    exposure(dir, { now: new Date('2026-12-07T10:00:00Z'), mailbox: 'alex@contoso.com' });
    // The flush opens the file for writing, so it must come before the file is made read-only (root, as
    // in CI, could open it anyway; any other user could not).
    const flushed: number[] = [];
    const flush = vi.spyOn(durable, 'file').mockImplementation((p) => { flushed.push(statSync(p).mode & 0o222); });
    const started = vi.fn();
    const r = writeReport(dir, { now: new Date('2026-12-07T10:00:00Z'), onStart: started });
    flush.mockRestore();
    expect(started).toHaveBeenCalledTimes(1);
    expect(flushed).toHaveLength(1);
    expect(flushed[0]).not.toBe(0);
    expect(statSync(r.path).mode & 0o222).toBe(0); // read-only once in place
    expect(r.path).toBe(join(dir, 'reports', 'report-20261207T100000Z.html'));
    const html = readFileSync(r.path, 'utf8');
    expect(r.sha256).toBe(createHash('sha256').update(html).digest('hex'));
    expect(html).toContain('<h1>Report test</h1>');
    expect(html).toContain('The absence of events in those windows proves nothing.');
    expect(html).toContain('First read from the new IP.');
    expect(html).toMatch(/Record <span class="mono">rec-3<\/span>; evidence <span class="mono">[0-9a-f]{64}, line 4<\/span>/); // where the marked record lies
    expect(html).toContain('<td>alex@contoso.com</td><td>from 2026-05-01T10:00:00.000Z, to 2026-05-01T10:00:19.001Z</td><td>20</td>'); // the exposure run: 20 messages
    expect(readdirSync(join(dir, 'reports'))).toEqual(['report-20261207T100000Z.html']); // nothing partial left
    const log = custody(dir);
    expect(log.slice(-3).map((e) => e.action)).toEqual(['analysis', 'analysis', 'report-written']);
    expect(log.slice(-3, -1).map((e) => e.details['kind'])).toEqual(['gaps', 'findings']);
    expect(log.at(-1)).toMatchObject({
      details: { path: 'reports/report-20261207T100000Z.html', bytes: Buffer.byteLength(html), analysisRuns: r.analysisRuns, markedEvents: 1, exposureRuns: 1 },
      objects: [{ sha256: r.sha256, path: 'reports/report-20261207T100000Z.html' }],
    });
    // The custody head the report names is the line before its own entry.
    const lines = readFileSync(join(dir, 'custody.jsonl'), 'utf8').trim().split('\n');
    expect(html).toContain(createHash('sha256').update(lines.at(-2)!).digest('hex'));
    expect((await verify(dir)).problems).toEqual([]);

    // The bundle carries it, listed in its manifest, and verifies intact; a report changed in the case
    // afterwards is named by verify, and one deleted is noted.
    const bundle = join(tmp(), 'b.zip');
    await exportBundle(dir, bundle);
    const entries = new Set<string>();
    await new Promise<void>((res, rej) => yauzl.open(bundle, { lazyEntries: true }, (err, zf) => {
      if (err || !zf) return rej(err ?? new Error('cannot open'));
      zf.on('entry', (e: yauzl.Entry) => { entries.add(e.fileName); zf.readEntry(); }).on('end', () => res()).on('error', rej);
      zf.readEntry();
    }));
    expect(entries.has('reports/report-20261207T100000Z.html')).toBe(true);
    expect((await verify(bundle)).intact).toBe(true);
    chmodSync(r.path, 0o644);
    writeFileSync(r.path, html.replace('First read from the new IP.', 'Nothing found.'));
    const changed = await verify(dir);
    expect(changed.problems).toEqual([{ kind: 'modified', path: 'reports/report-20261207T100000Z.html', detail: expect.stringMatching(new RegExp(`the custody log \\(line \\d+\\) recorded ${r.sha256} when it was written$`)) }]);
    rmSync(r.path);
    const gone = await verify(dir);
    expect(gone.problems).toEqual([]);
    expect(gone.notes).toEqual([{ path: 'reports/report-20261207T100000Z.html', detail: expect.stringMatching(/^a report the custody log records \(line \d+\) is no longer in the case folder$/) }]);
  });

  it('passes the range and the service accounts to both analyses, and the least severity to findings, as gaps and findings take them', async () => {
    const dir = await caseWithEvents();
    const range = { start: '2026-05-01T00:00:00.000Z', end: '2026-05-02T00:00:00.000Z' };
    const r = writeReport(dir, { range, serviceAccounts: ['svc-archive'], minSeverity: 'critical' });
    const analyses = custody(dir).filter((e) => e.action === 'analysis').map((e) => e.details);
    expect(analyses).toEqual([
      { kind: 'gaps', analysisRun: r.analysisRuns.gaps, analysisVersion: expect.any(String), options: { range, serviceAccounts: ['svc-archive'] } },
      { kind: 'findings', analysisRun: r.analysisRuns.findings, analysisVersion: expect.any(String), options: { range, serviceAccounts: ['svc-archive'], minSeverity: 'critical' } },
    ]);
    expect(readFileSync(r.path, 'utf8')).toContain('Analysed range: 2026-05-01T00:00:00.000Z to 2026-05-02T00:00:00.000Z');
    expect(readFileSync(r.path, 'utf8')).toContain('No findings at or above critical');
  });

  it('names a second report of the same second -2 rather than refuse it', async () => {
    const dir = await caseWithEvents();
    const now = new Date('2026-12-07T10:00:00.200Z');
    expect(writeReport(dir, { now }).path).toBe(join(dir, 'reports', 'report-20261207T100000Z.html'));
    expect(writeReport(dir, { now }).path).toBe(join(dir, 'reports', 'report-20261207T100000Z-2.html'));
    expect(readdirSync(join(dir, 'reports')).sort()).toEqual(['report-20261207T100000Z-2.html', 'report-20261207T100000Z.html']);
  });

  it('refuses, before computing anything, a file that exists, a folder that does not, and a place among the evidence', async () => {
    const dir = await caseWithEvents();
    const before = readFileSync(join(dir, 'custody.jsonl'), 'utf8');
    const taken = join(tmp(), 'taken.html');
    writeFileSync(taken, 'mine');
    const started = vi.fn();
    expect(() => writeReport(dir, { out: taken, onStart: started })).toThrow(UsageError);
    expect(started).not.toHaveBeenCalled(); // no "computing…" line above a refusal
    expect(() => writeReport(dir, { out: taken })).toThrow(`report: ${taken} already exists.`);
    expect(readFileSync(taken, 'utf8')).toBe('mine');
    expect(() => writeReport(dir, { out: join(tmp(), 'no', 'such', 'r.html') })).toThrow(/report: folder .* does not exist\./);
    mkdirSync(join(dir, 'evidence', 'ab'), { recursive: true });
    expect(() => writeReport(dir, { out: join(dir, 'evidence', 'ab', 'r.html') })).toThrow(/is inside the case's evidence folder/);
    expect(readFileSync(join(dir, 'custody.jsonl'), 'utf8')).toBe(before);
  });
});
