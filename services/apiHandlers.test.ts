import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import type { AnnotationsView, EventDetail, ExposureView, FindingsView, TimelineEntry } from '../core/api.ts';
import { callApi } from '../electron/ipc.ts';
import { jsonl, mailItemsAccessed } from '../test/helpers/records.ts';
import { useTmp } from '../test/helpers/tmp.ts';
import { createHandlers } from './apiHandlers.ts';
import type { CaseApi } from './apiHandlers.ts';
import type * as CaseWatch from './caseWatch.ts';
import { createCase, openCase, openCaseReadOnly } from './caseFolder.ts';
import { exposureItems, findings } from './analysis.ts';
import type { Scenario } from '../sim/scenario/types.ts';
import { changeVersion } from './caseWatch.ts';
import { exportBundle, verify } from './bundle.ts';
import { importFile } from './import.ts';

const tmp = useTmp('bs-api-');

// watchCase, wrapped to count the case watchers running (the real one does the watching).
const watching = vi.hoisted(() => ({ active: 0 }));
vi.mock('./caseWatch.ts', async (importOriginal) => {
  const m = await importOriginal<typeof CaseWatch>();
  return {
    ...m,
    watchCase: (...args: Parameters<typeof m.watchCase>) => {
      const stop = m.watchCase(...args);
      watching.active++;
      return () => { watching.active--; stop(); };
    },
  };
});

/** Runs `use` with the handlers over the case in `dir`, and closes them. */
async function withApi(dir: string, use: (api: CaseApi) => Promise<void>): Promise<void> {
  const api = createHandlers(dir);
  try {
    await use(api);
  } finally {
    api.close();
  }
}

async function makeCase(): Promise<{ dir: string; sha256: string }> {
  const dir = join(tmp(), 'case');
  const h = createCase(dir, { name: 'API test', examiner: 'tester', number: 'C-7', timeZone: 'Europe/London' });
  const recs = Array.from({ length: 25 }, (_, i) => mailItemsAccessed(i, { user: i % 2 ? 'debra@contoso.com' : 'alex@contoso.com', id: `rec-${i}` }));
  recs.push({
    CreationTime: '2026-05-01T10:00:30', Id: 'admin-1', Operation: 'New-InboxRule', RecordType: 1, ResultStatus: 'True', UserId: 'eve@contoso.com',
    ClientIP: '198.51.100.7:51515', ObjectId: 'alex\\.', Workload: 'Exchange', Parameters: [{ Name: 'ForwardTo', Value: 'drop@evil.example' }],
  });
  const src = join(tmp(), 'ual.jsonl');
  writeFileSync(src, jsonl(recs));
  const r = await importFile(h, src);
  h.close();
  return { dir, sha256: r.sha256 };
}

describe('API handlers over a case', () => {
  it('summarises the case: metadata, counts, first and last event', async () => {
    const { dir } = await makeCase();
    await withApi(dir, async (api) => {
      const r = await callApi(api.handlers, 'case.summary', {});
      expect(r).toEqual({
        ok: true,
        value: {
          dir: api.dir, name: 'API test', number: 'C-7', client: null, examiner: 'tester', timeZone: 'Europe/London', createdAt: expect.any(String),
          events: 26, evidenceItems: 1, mailboxes: 2, firstEvent: '2026-05-01T10:00:00.000Z', lastEvent: '2026-05-01T10:00:30.000Z',
          version: statSync(join(dir, 'custody.jsonl')).size, // the import was the last entry
        },
      });
      expect(await callApi(api.handlers, 'case.open', { dir })).toEqual(r);
      const other = await callApi(api.handlers, 'case.open', { dir: '/etc' });
      expect(other).toEqual({ ok: false, error: { kind: 'NotFound', message: expect.stringMatching(/blindspot ui \/etc/) } });
    });
  });

  it('pages the timeline with keyset positions until next is null, and counts with the same filters', async () => {
    const { dir, sha256 } = await makeCase();
    await withApi(dir, async (api) => {
      const allRows = async (newestFirst: boolean) => {
        const rows: TimelineEntry[] = [];
        let after: { timeMs: number; id: number } | undefined;
        for (let i = 0; i < 20; i++) {
          const r = await callApi(api.handlers, 'timeline.query', { limit: 10, ...(newestFirst ? { newestFirst } : {}), ...(after ? { after } : {}) });
          if (!r.ok) throw new Error(r.error.message);
          const page = r.value as { rows: TimelineEntry[]; next: typeof after | null };
          rows.push(...page.rows);
          if (!page.next) break;
          after = page.next;
        }
        return rows;
      };
      const rows = await allRows(false);
      expect(rows.map((r) => r.id)).toEqual([...Array.from({ length: 25 }, (_, i) => `rec-${i}`), 'admin-1']);
      expect((await allRows(true)).map((r) => r.id)).toEqual(rows.map((r) => r.id).reverse());
      expect(await callApi(api.handlers, 'timeline.query', { newestFirst: 'yes' })).toMatchObject({ ok: false, error: { kind: 'BadRequest' } });
      expect(rows[0]).toEqual({
        id: 'rec-0', rowId: expect.any(Number), timeMs: Date.UTC(2026, 4, 1, 10), time: '2026-05-01T10:00:00.000Z', recordType: 50,
        recordTypeName: expect.any(String), operation: 'MailItemsAccessed', workload: 'Exchange', user: 'alex@contoso.com', mailbox: 'alex@contoso.com',
        clientIp: '203.0.113.154', sessionId: 'e01c84f0-0000-439e-87bc-5ee52fdf90d4', appId: '00000002-0000-0ff1-ce00-000000000000',
        resultStatus: 'Succeeded', evidence: { sha256, line: 1, element: null },
      });
      // No database column names leak through.
      expect(Object.keys(rows[0]!)).not.toContain('record_id');

      const count = (a: object) => callApi(api.handlers, 'timeline.count', a);
      expect(await count({})).toEqual({ ok: true, value: { count: 26 } });
      expect(await count({ user: 'Debra@Contoso.com' })).toEqual({ ok: true, value: { count: 12 } });
      expect(await count({ operations: ['New-InboxRule'] })).toEqual({ ok: true, value: { count: 1 } });
      expect(await count({ text: 'drop@evil.example' })).toEqual({ ok: true, value: { count: 1 } });
      expect(await count({ text: 'evil' })).toEqual({ ok: true, value: { count: 1 } }); // the domain inside the address
      // Punctuation alone is refused, not quietly taken for "no text filter" with the box still filled.
      expect(await count({ text: '%' })).toMatchObject({ ok: false, error: { kind: 'BadRequest', message: expect.stringMatching(/no letter or digit/) } });
      expect(await count({ ip: '198.51.100.7' })).toEqual({ ok: true, value: { count: 1 } });
      expect(await count({ ip: '198.51.100.7:443' })).toEqual({ ok: true, value: { count: 1 } });
      expect(await count({ ip: 'megan' })).toMatchObject({ ok: false, error: { kind: 'BadRequest', message: expect.stringMatching(/Not an IP address/) } });
      expect(await count({ from: '2026-05-01T10:00:10Z', to: '2026-05-01T11:00:20+01:00' })).toEqual({ ok: true, value: { count: 10 } });
      expect(await count({ app: '00000002-0000-0FF1-CE00-000000000000' })).toEqual({ ok: true, value: { count: 25 } });
      expect(await count({ app: 'x'.repeat(257) })).toMatchObject({ ok: false, error: { kind: 'BadRequest' } });
      // Blank filter fields mean "no filter", as an emptied input box should.
      expect(await count({ user: '  ', text: ' ', operations: [' '] })).toEqual({ ok: true, value: { count: 26 } });

      const filtered = await callApi(api.handlers, 'timeline.query', { user: 'debra@contoso.com', limit: 100 });
      expect(filtered.ok && (filtered.value as { rows: TimelineEntry[] }).rows.every((r) => r.user === 'debra@contoso.com')).toBe(true);
      expect(filtered.ok && (filtered.value as { rows: TimelineEntry[] }).rows).toHaveLength(12);

      const backwards = await callApi(api.handlers, 'timeline.query', { from: '2026-05-02T00:00:00Z', to: '2026-05-01T00:00:00Z' });
      expect(backwards).toEqual({ ok: false, error: { kind: 'BadRequest', message: expect.stringMatching(/must be before/) } });
    });
  });

  it('returns an event with its AuditData, access items and evidence location; unknown ids are NotFound', async () => {
    const { dir, sha256 } = await makeCase();
    await withApi(dir, async (api) => {
      const r = await callApi(api.handlers, 'event.get', { id: 'rec-3' });
      if (!r.ok) throw new Error(r.error.message);
      const d = r.value as EventDetail;
      expect(d.user).toBe('debra@contoso.com');
      expect((d.auditData as Record<string, unknown>)['Id']).toBe('rec-3');
      expect((d.auditData as Record<string, unknown>)['Operation']).toBe('MailItemsAccessed');
      expect(d.items).toEqual([{ folderPath: '\\Inbox', internetMessageId: '<msg-3@contoso.com>', accessType: 'Bind', sizeBytes: 1234 }]);
      expect(d.evidence).toEqual({ sha256, line: 4, element: null });
      expect(d.evidenceFile).toEqual({ source: 'file', format: 'ual-json', origin: expect.stringMatching(/\/ual\.jsonl$/), encoding: null });
      expect(d).toMatchObject({ copies: [], copiesTotal: 0 });
      expect(await callApi(api.handlers, 'event.get', { id: 'nope' })).toEqual({ ok: false, error: { kind: 'NotFound', message: 'No event with id nope in this case.' } });
    });
  });

  it('annotates the event shown: added and removed through the case opened for writing, in the custody log, with the window\'s versions', async () => {
    const { dir } = await makeCase();
    await withApi(dir, async (api) => {
      const add = (a: object) => callApi(api.handlers, 'annotation.add', a);
      const tagged = await add({ id: 'REC-3', kind: 'tag', text: ' Exfil ' });
      if (!tagged.ok) throw new Error(tagged.error.message);
      const v = tagged.value as AnnotationsView;
      expect(v.annotations).toEqual([{ id: 1, kind: 'tag', text: 'Exfil', author: expect.any(String), createdAt: expect.any(String) }]);
      expect(v.marks).toEqual({ bookmarked: false, tags: ['Exfil'], notes: 0 });
      expect(v.versionAfter).toBeGreaterThan(v.versionBefore);
      expect(v.versionAfter).toBe(changeVersion(dir)); // the window is up to date with its own change
      const marked = await add({ id: 'rec-3', kind: 'bookmark', text: null });
      expect(marked.ok && (marked.value as AnnotationsView).marks).toEqual({ bookmarked: true, tags: ['Exfil'], notes: 0 });
      // The event detail and the timeline page show them.
      const d = await api.handlers['event.get']({ id: 'rec-3' });
      expect(d.annotations.map((n) => n.kind)).toEqual(['tag', 'bookmark']);
      const page = await api.handlers['timeline.query']({ limit: 100 });
      expect(page.rows.find((r) => r.id === 'rec-3')!.marks).toEqual({ bookmarked: true, tags: ['Exfil'], notes: 0 });
      expect(page.rows.filter((r) => r.marks !== undefined)).toHaveLength(1);
      // The marks as filters of the timeline and its count.
      expect((await api.handlers['timeline.query']({ tag: 'EXFIL', limit: 10 })).rows.map((r) => r.id)).toEqual(['rec-3']);
      expect(await api.handlers['timeline.count']({ bookmarked: true })).toEqual({ count: 1 });
      expect(await api.handlers['timeline.count']({ tag: 'other' })).toEqual({ count: 0 });
      expect(await callApi(api.handlers, 'timeline.count', { tag: 'x'.repeat(65) })).toMatchObject({ ok: false, error: { kind: 'BadRequest' } });
      // Refused: the same again, an unknown event, a bad tag, another event's annotation.
      expect(await add({ id: 'rec-3', kind: 'tag', text: 'exfil' })).toEqual({ ok: false, error: { kind: 'BadRequest', message: 'The event already has this tag.' } });
      expect(await add({ id: 'nope', kind: 'tag', text: 'x' })).toEqual({ ok: false, error: { kind: 'NotFound', message: 'No event with id nope in this case.' } });
      expect(await add({ id: 'rec-3', kind: 'tag', text: 'a\nb' })).toEqual({ ok: false, error: { kind: 'BadRequest', message: 'Tag "a\\nb": a tag is one line.' } });
      expect(await add({ id: 'rec-3', kind: 'flag', text: 'x' })).toMatchObject({ ok: false, error: { kind: 'BadRequest' } });
      expect(await add({ id: 'rec-4', kind: 'bookmark', text: 'x' })).toEqual({ ok: false, error: { kind: 'BadRequest', message: 'Bookmark "x": a bookmark holds no text.' } });
      expect(await callApi(api.handlers, 'annotation.remove', { id: 'rec-4', annotationId: 1 })).toEqual({ ok: false, error: { kind: 'NotFound', message: 'Event rec-4 has no annotation 1.' } });
      const removed = await callApi(api.handlers, 'annotation.remove', { id: 'rec-3', annotationId: 1 });
      expect(removed.ok && (removed.value as AnnotationsView).annotations.map((n) => n.id)).toEqual([2]);
      const log = readFileSync(join(dir, 'custody.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { action: string }).action);
      expect(log.slice(-3)).toEqual(['annotation-added', 'annotation-added', 'annotation-removed']);
    });
  });

  it('writes the case report from the window, in the case\'s reports folder and the custody log; an empty case is Empty', async () => {
    const { dir } = await makeCase();
    await withApi(dir, async (api) => {
      const r = await api.handlers['report.write']({});
      expect(r.path).toMatch(new RegExp(`^${dir.replaceAll('/', '\\/')}\\/reports\\/report-\\d{8}T\\d{6}Z\\.html$`));
      expect(createHash('sha256').update(readFileSync(r.path)).digest('hex')).toBe(r.sha256);
      expect(r.versionAfter).toBeGreaterThan(r.versionBefore);
      expect(r.versionAfter).toBe(changeVersion(dir));
      expect(await callApi(api.handlers, 'report.write', { out: '/etc/x.html' })).toMatchObject({ ok: false, error: { kind: 'BadRequest' } }); // no arguments: the window cannot name a path
    });
    const empty = join(tmp(), 'empty');
    createCase(empty, { name: 'e', examiner: 'e' }).close();
    await withApi(empty, async (api) => {
      expect(await callApi(api.handlers, 'report.write', {})).toMatchObject({ ok: false, error: { kind: 'Empty' } });
    });
  });

  it('cites a record inside a JSON array by its element, and lists every copy of it received later', async () => {
    const { dir, sha256 } = await makeCase();
    const page = join(tmp(), 'page.json');
    writeFileSync(page, JSON.stringify([mailItemsAccessed(40, { id: 'arr-0' }), mailItemsAccessed(41, { id: 'rec-3' }), mailItemsAccessed(42, { id: 'arr-2' })]));
    const again = join(tmp(), 'again.jsonl');
    writeFileSync(again, jsonl([mailItemsAccessed(43, { id: 'other' }), mailItemsAccessed(44, { id: 'arr-2' })]));
    const h = openCase(dir);
    const pageSha = (await importFile(h, page)).sha256;
    const againSha = (await importFile(h, again)).sha256;
    h.close();
    await withApi(dir, async (api) => {
      const arr = await api.handlers['event.get']({ id: 'arr-2' });
      expect(arr.evidence).toEqual({ sha256: pageSha, line: 1, element: 2 });
      // The copies here carry other times under the same Ids: each is listed with what it says otherwise.
      expect(arr.copies).toEqual([{ sha256: againSha, line: 2, element: null, format: 'ual-json', origin: again, differs: { time: '2026-05-01T10:00:44.000Z' } }]);
      expect(arr.copiesTotal).toBe(1);
      const first = await api.handlers['event.get']({ id: 'rec-3' });
      expect(first.evidence).toEqual({ sha256, line: 4, element: null }); // the first one received is the event
      expect(first.copies).toEqual([{ sha256: pageSha, line: 1, element: 1, format: 'ual-json', origin: page, differs: expect.objectContaining({ time: '2026-05-01T10:00:41.000Z' }) }]);
      const rows = (await api.handlers['timeline.query']({ limit: 100 })).rows.filter((r) => r.id.startsWith('arr-'));
      expect(rows.map((r) => r.evidence)).toEqual([{ sha256: pageSha, line: 1, element: 0 }, { sha256: pageSha, line: 1, element: 2 }]);
    });
  });

  it('reports an evidence file that no longer holds the records read from it as the case\'s problem, in the detail and in the blind spots', async () => {
    const { dir, sha256 } = await makeCase();
    await withApi(dir, async (api) => {
      // The New-InboxRule record's line, still where the case says it is, no longer a JSON object.
      const stored = join(dir, 'evidence', sha256.slice(0, 2), sha256);
      const bytes = readFileSync(stored);
      const at = bytes.lastIndexOf('{"CreationTime":"2026-05-01T10:00:30"');
      chmodSync(stored, 0o644);
      writeFileSync(stored, Buffer.concat([bytes.subarray(0, at), Buffer.from('['), bytes.subarray(at + 1)]));
      const problem = { ok: false, error: { kind: 'CaseProblem', message: expect.stringMatching(/record admin-1: bytes \d+-\d+ of evidence\/.* the evidence file has changed: run blindspot verify/) } };
      expect(await callApi(api.handlers, 'event.get', { id: 'admin-1' })).toEqual(problem);
      expect(await callApi(api.handlers, 'gaps.get', {})).toEqual(problem); // the analysis reads the rule's AuditData
      expect((await callApi(api.handlers, 'event.get', { id: 'rec-3' })).ok).toBe(true); // other lines still read
    });
  });

  it('reports a case another process holds for a bulk import as the case\'s problem, saying why, not as an internal failure', async () => {
    const { dir } = await makeCase();
    // A bulk import leaves WAL for a rollback journal and keeps the database locked while it loads
    // (services/import.ts); a window opened before its first write then finds every query locked out.
    const writer = new Database(join(dir, 'case.sqlite'));
    writer.pragma('journal_mode = DELETE');
    await withApi(dir, async (api) => {
      writer.exec('BEGIN EXCLUSIVE');
      try {
        expect(await callApi(api.handlers, 'timeline.count', {})).toEqual({
          ok: false,
          error: { kind: 'CaseProblem', message: `${dir}: the case is being written by another Blindspot process and cannot be read until it finishes (a large import keeps the database to itself while it loads).` },
        });
      } finally {
        writer.exec('ROLLBACK');
      }
      expect(await callApi(api.handlers, 'timeline.count', {})).toEqual({ ok: true, value: { count: 26 } });
    });
    writer.close();
  });

  it('reports a damaged case database as the case\'s problem, with what to do', async () => {
    const { dir } = await makeCase();
    const db = join(dir, 'case.sqlite');
    const bytes = readFileSync(db);
    bytes.fill(0x5a, 16384); // every page after the header and schema
    writeFileSync(db, bytes);
    await withApi(dir, async (api) => {
      expect(await callApi(api.handlers, 'timeline.count', {})).toEqual({
        ok: false,
        error: { kind: 'CaseProblem', message: expect.stringMatching(/the case database is damaged \(database disk image is malformed\)\. Run: blindspot verify <case>/) },
      });
    });
  });

  it('validates arguments even when a handler is called directly', async () => {
    const { dir } = await makeCase();
    await withApi(dir, async (api) => {
      await expect(api.handlers['timeline.query']({ limit: -1 })).rejects.toMatchObject({ name: 'ApiProblem', kind: 'BadRequest' });
      await expect(api.handlers['event.get']({ id: 3 as unknown as string })).rejects.toMatchObject({ kind: 'BadRequest' });
    });
  });

  it('pushes the version to each new subscriber, then case.changed to every subscriber when another handle changes the case, until each unsubscribes', async () => {
    const { dir } = await makeCase();
    const a: unknown[] = [];
    const b: unknown[] = [];
    const note = (text: string) => { const h = openCase(dir); h.logCustody('note', { text }); h.close(); };
    await withApi(dir, async (api) => {
      const changed = (version: number) => ({ event: 'case.changed', payload: { dir: api.dir, version } });
      const v0 = (await api.handlers['case.summary']({})).version;
      const offA = api.onEvent((p) => a.push(p));
      expect(a).toEqual([changed(v0)]);
      note('between the two subscriptions');
      const v1 = changeVersion(dir);
      await vi.waitFor(() => expect(a).toEqual([changed(v0), changed(v1)]), { timeout: 5000 });
      api.onEvent((p) => b.push(p));
      expect(b).toEqual([changed(v1)]); // the version now, to the new subscriber alone
      note('first');
      const v2 = changeVersion(dir);
      await vi.waitFor(() => { expect(a.at(-1)).toEqual(changed(v2)); expect(b.at(-1)).toEqual(changed(v2)); }, { timeout: 5000 });
      offA();
      note('second');
      const v3 = changeVersion(dir);
      await vi.waitFor(() => expect(b).toEqual([changed(v1), changed(v2), changed(v3)]), { timeout: 5000 });
      expect(a).toEqual([changed(v0), changed(v1), changed(v2)]);
      expect((await api.handlers['case.summary']({})).version).toBe(v3);
      expect(v0 < v1 && v1 < v2 && v2 < v3).toBe(true);
    });
  });

  it("gives the summary the case's change version, which a verify, an export or a compaction leaves as it was", async () => {
    const { dir } = await makeCase();
    await withApi(dir, async (api) => {
      const before = (await api.handlers['case.summary']({})).version;
      expect(before).toBeGreaterThan(0);
      await verify(dir);
      await exportBundle(dir, join(tmp(), 'b.zip'));
      const h = openCase(dir);
      h.compact();
      h.close();
      expect((await api.handlers['case.summary']({})).version).toBe(before);
      expect((await api.handlers['case.open']({ dir })).version).toBe(before);
    });
  });

  it('runs one case watcher while anyone listens, stops it when the last leaves or the API closes, and refuses a listener after close', async () => {
    const { dir } = await makeCase();
    const api = createHandlers(dir);
    const before = watching.active;
    const offA = api.onEvent(() => {});
    const offB = api.onEvent(() => {});
    expect(watching.active).toBe(before + 1);
    offA();
    expect(watching.active).toBe(before + 1);
    offB();
    expect(watching.active).toBe(before);
    api.onEvent(() => {});
    expect(watching.active).toBe(before + 1);
    api.close();
    expect(watching.active).toBe(before);
    expect(() => api.onEvent(() => {})).toThrow(/closed/);
    expect(watching.active).toBe(before);
  });

  it('refuses a folder that is not a case when the handlers are created', () => {
    expect(() => createHandlers(tmp())).toThrow(/not a Blindspot case/);
  });
});

/** A case of the simulated tenant's bec scenario, imported from its export (records and configuration). */
async function becCase(): Promise<{ dir: string; h: ReturnType<typeof createCase>; scenario: Scenario }> {
  const { createScenario } = await import('../sim/scenario/index.ts');
  const { writeScenarioExport } = await import('../sim/export.ts');
  const { expandInputs } = await import('./import.ts');
  const scenario = createScenario({ scenario: 'bec', seed: 7 });
  const exportDir = join(tmp(), 'export');
  await writeScenarioExport(scenario, exportDir);
  const dir = join(tmp(), 'case');
  const h = createCase(dir, { name: 'bec', examiner: 't' });
  for (const f of expandInputs([exportDir]).filter((f) => f.endsWith('.json') && !f.endsWith('ground-truth.json') || f.endsWith('.jsonl'))) await importFile(h, f, { asOf: scenario.groundTruth().range.end });
  return { dir, h, scenario };
}

describe('blind spots for the UI', () => {
  it('computes the windows from a read-only case (nothing stored) and refuses an empty case as data', async () => {
    const { dir, h, scenario } = await becCase();
    const runsBefore = h.db.prepare('SELECT count(*) FROM analysis_runs').pluck().get();
    h.close();
    await withApi(dir, async (api) => {
      const r = await callApi(api.handlers, 'gaps.get', {});
      expect(r.ok).toBe(true);
      const v = (r as { ok: true; value: { mailboxes: { mailbox: string; accountKind: string; windows: { kind: string; start: string; end: string | null }[] }[] } }).value;
      const patti = v.mailboxes.find((m) => m.mailbox.startsWith('adm.patti'));
      const truth = scenario.groundTruth().blindWindows.find((w) => w.kind === 'bypass' && w.mailbox.startsWith('adm.patti'))!;
      expect(patti?.accountKind).toBe('admin');
      expect(patti?.windows.filter((w) => w.kind === 'bypass').map((w) => [w.start, w.end])).toEqual([[truth.start, truth.end]]);
      expect(await callApi(api.handlers, 'gaps.get', { extra: 1 })).toMatchObject({ ok: false, error: { kind: 'BadRequest' } });
    });
    const c = openCaseReadOnly(dir);
    expect(c.db.prepare('SELECT count(*) FROM analysis_runs').pluck().get()).toBe(runsBefore);
    c.close();
    const empty = join(tmp(), 'empty');
    createCase(empty, { name: 'empty', examiner: 't' }).close();
    const api2 = createHandlers(empty);
    try {
      expect(await callApi(api2.handlers, 'gaps.get', {})).toMatchObject({ ok: false, error: { kind: 'Empty', message: expect.stringContaining('no events') } });
    } finally {
      api2.close();
    }
  });

  it('a case with an acquisition ledger and no events has a range to analyse, the span of its ledger slices', async () => {
    const dir = join(tmp(), 'ledger-only');
    const h = createCase(dir, { name: 'ledger only', examiner: 't' });
    h.db.prepare(`INSERT INTO ledger (plan_hash, source, slice_start, slice_end, status, query_json, reason, updated_at) VALUES ('p', 'graph', ?, ?, 'incomplete', '{}', 'cap', ?)`)
      .run('2024-05-01T00:00:00.000Z', '2024-05-02T00:00:00.000Z', '2024-05-03T00:00:00.000Z');
    h.close();
    await withApi(dir, async (api) => {
      const r = await callApi(api.handlers, 'gaps.get', {});
      expect(r).toMatchObject({ ok: true, value: { range: { start: '2024-05-01T00:00:00.000Z', end: '2024-05-02T00:00:00.000Z' }, rangeNote: 'the acquired range (from the completeness ledger)' } });
    });
  });
});

describe('findings for the UI', () => {
  it('lists the findings the findings command stores, computed from the read-only case (nothing stored), with their evidence said and citable', async () => {
    const { dir, h } = await becCase();
    const runs = () => h.db.prepare('SELECT count(*) FROM analysis_runs').pluck().get();
    const runsBefore = runs();
    h.close();
    let shown: FindingsView | undefined;
    await withApi(dir, async (api) => {
      const r = await callApi(api.handlers, 'findings.get', {});
      expect(r.ok).toBe(true);
      shown = (r as { ok: true; value: FindingsView }).value;
      // Every event cited opens in the window.
      const events = shown.findings.flatMap((f) => f.evidence.flatMap((e) => (e.kind === 'event' ? [e.recordId] : [])));
      expect(events.length).toBeGreaterThan(10);
      for (const id of new Set(events)) expect(await callApi(api.handlers, 'event.get', { id })).toMatchObject({ ok: true, value: { id } });
      expect(await callApi(api.handlers, 'findings.get', { minSeverity: 'high' })).toMatchObject({ ok: false, error: { kind: 'BadRequest' } });
    });
    const c = openCaseReadOnly(dir);
    expect(c.db.prepare('SELECT count(*) FROM analysis_runs').pluck().get()).toBe(runsBefore);
    // A configuration row is said as its export, whose row, as of when, with its evidence file and line.
    const bypassRow = c.db.prepare("SELECT r.id, r.identity, r.loc_line AS line, e.sha256, s.as_of AS asOf FROM config_rows r JOIN config_snapshots s ON s.id = r.snapshot_id JOIN evidence e ON e.id = s.evidence_id WHERE r.kind = 'bypass' AND r.identity LIKE 'adm.patti%'").get() as { identity: string; line: number | null; sha256: string; asOf: string };
    c.close();
    const bypass = shown!.findings.find((f) => f.kind === 'bypass' && f.severity === 'critical')!;
    // An event is listed by when, what and who.
    expect(bypass.evidence).toContainEqual({ kind: 'event', recordId: expect.any(String), time: expect.stringMatching(/^\d{4}-.*Z$/), operation: 'Set-MailboxAuditBypassAssociation', user: expect.stringMatching(/^adm\.patti@/) });
    expect(bypass.evidence).toContainEqual({ kind: 'config', text: `Get-MailboxAuditBypassAssociation row for ${bypassRow.identity}, as of ${bypassRow.asOf}`, sha256: bypassRow.sha256, line: bypassRow.line });
    // The same findings as the command's stored run, in the same order; related ids name listed findings only.
    const stored = findings(dir, { now: new Date() }).result.findings;
    expect(shown!.findings.map((f) => [f.id, f.severity, f.title, f.remediation])).toEqual(stored.map((f) => [f.id, f.severity, f.title, f.remediation]));
    const ids = new Set(shown!.findings.map((f) => f.id));
    expect(shown!.findings.some((f) => f.related.length > 0)).toBe(true);
    for (const f of shown!.findings) for (const rel of f.related) expect(ids.has(rel)).toBe(true);
    const empty = join(tmp(), 'empty');
    createCase(empty, { name: 'empty', examiner: 't' }).close();
    await withApi(empty, async (api) => {
      expect(await callApi(api.handlers, 'findings.get', {})).toMatchObject({ ok: false, error: { kind: 'Empty', message: expect.stringContaining('nothing to find') } });
    });
  });
});

describe('exposure for the UI', () => {
  it('computes a mailbox\'s exposure as a stored, logged run (as the command does), pages its messages, and says what it refuses', async () => {
    const { dir, h } = await becCase();
    h.close();
    const megan = 'megan.bowen@contoso.onmicrosoft.com';
    await withApi(dir, async (api) => {
      const r = await callApi(api.handlers, 'exposure.compute', { mailbox: megan, ip: ' ', session: '' });
      expect(r.ok).toBe(true);
      const v = (r as { ok: true; value: ExposureView }).value;
      expect(v.versionAfter).toBeGreaterThan(v.versionBefore);
      expect(v.result.mailbox).toBe(megan);
      expect(v.result.scope).toMatchObject({ ip: null, session: null });
      expect(v.result.items.count).toBeGreaterThan(10);
      // The same messages as the command's, page by page.
      const all = [...exposureItems(dir, v.runId)];
      const pages = [];
      for (let offset = 0; offset < all.length; offset += 7) pages.push(...(await api.handlers['exposure.items']({ runId: v.runId, offset, limit: 7 })).items);
      expect(pages).toEqual(all);
      const log = readFileSync(join(dir, 'custody.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; details: { kind?: string; analysisRun?: number } });
      expect(log.at(-1)).toMatchObject({ action: 'analysis', details: { kind: 'exposure', analysisRun: v.runId } });
      expect(await callApi(api.handlers, 'exposure.compute', { mailbox: 'nobody@nowhere.example' })).toMatchObject({ ok: false, error: { kind: 'NotFound' } });
      expect(await callApi(api.handlers, 'exposure.compute', { mailbox: megan, ip: 'not-an-ip' })).toMatchObject({ ok: false, error: { kind: 'BadRequest', message: expect.stringContaining('Not an IP address') } });
      expect(await callApi(api.handlers, 'exposure.compute', { mailbox: ' ' })).toMatchObject({ ok: false, error: { kind: 'BadRequest' } });
      // A scope that cannot be is a bad request, not an unknown mailbox.
      expect(await callApi(api.handlers, 'exposure.compute', { mailbox: megan, from: '2026-12-02T00:00:00Z', to: '2026-12-01T00:00:00Z' })).toMatchObject({ ok: false, error: { kind: 'BadRequest', message: expect.stringContaining('is not after') } });
      // Pages are served for exposure runs only: not for a run of another kind, nor one not in the case.
      const otherRun = findings(dir, { now: new Date() }).runId;
      expect(await callApi(api.handlers, 'exposure.items', { runId: otherRun, offset: 0, limit: 5 })).toMatchObject({ ok: false, error: { kind: 'NotFound' } });
      expect(await callApi(api.handlers, 'exposure.items', { runId: otherRun + 1, offset: 0, limit: 5 })).toMatchObject({ ok: false, error: { kind: 'NotFound' } });
    });
  });
});
