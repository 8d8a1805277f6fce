import { spawn } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parse as csvParseSync } from 'csv-parse/sync';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it, vi } from 'vitest';
import { jsonl, mailItemsAccessed } from '../test/helpers/records.ts';
import { useTmp } from '../test/helpers/tmp.ts';
import { readChangeRecords, readSourceActivity, readThrottleMarkers } from '../db/analysis.ts';
import { CaseDataError } from '../db/auditData.ts';
import { eventDetail, listCopies, recordsWithDifferingCopies, timeline } from '../db/timeline.ts';
import { createCase, openCase, openCaseReadOnly, RECOVERY_ACTION } from './caseFolder.ts';
import type { CustodyEntry } from '../core/custody.ts';
import { BadInputError, CaseError, UsageError } from './errors.ts';
import { AUDIT_DATA_COLUMNS, AUDIT_DATA_JOIN, withAuditData } from '../db/auditData.ts';
import type { AuditDataRef } from '../db/auditData.ts';
import { BULK_CACHE_KIB, BULK_LOAD_BYTES, expandInputs, importFile } from './import.ts';
import type { ImportProgress } from './import.ts';
import { writeUalJsonl } from '../bench/ualGenerator.ts';
import { purviewCsvRow, PURVIEW_CSV_HEADER } from '../sim/export.ts';
import type { UalRecord } from '../sim/scenario/types.ts';
import { verify } from './bundle.ts';
import { durable } from './files.ts';
import { storePage } from './tenantSession.ts';
import type { WorkerMessage } from './parseSource.ts';

const tmp = useTmp('bs-import-');

function snapshotCase(dir: string) {
  const h = openCase(dir);
  const counts = {
    events: h.db.prepare('SELECT count(*) FROM events').pluck().get(),
    items: h.db.prepare('SELECT count(*) FROM access_items').pluck().get(),
    evidence: h.db.prepare('SELECT count(*) FROM evidence').pluck().get(),
    runs: h.db.prepare('SELECT count(*) FROM import_runs').pluck().get(),
    custody: readFileSync(join(dir, 'custody.jsonl'), 'utf8'),
    files: readdirSync(join(dir, 'evidence'), { recursive: true }).map(String).sort(),
  };
  h.close();
  return counts;
}

/** Records as a Purview audit search CSV export, written as the simulated tenant writes one (CR LF lines). */
function purviewCsv(records: Record<string, unknown>[]): string {
  return [PURVIEW_CSV_HEADER, ...records.map((r) => purviewCsvRow(r as UalRecord))].join('\r\n') + '\r\n';
}

/** `n` MailItemsAccessed records with ids `<prefix>-<i>`, each reading one message in the folder `path`. */
function recordsInFolder(n: number, prefix: string, path: string): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => {
    const r = mailItemsAccessed(i, { id: `${prefix}-${i}` });
    r.Folders = [{ FolderItems: [{ InternetMessageId: `<msg-${i}@contoso.com>`, SizeInBytes: 1234 }], Id: 'LgAAAAAL', Path: path }];
    return r;
  });
}

function newCase() {
  const dir = join(tmp(), 'case');
  createCase(dir, { name: 'Import test', examiner: 'tester' }).close();
  return dir;
}

/**
 * Runs `use` with a new case opened for it, then checks that the case is exactly as it was (counts,
 * custody log, evidence files); returns the case folder.
 */
async function leavesNewCaseAsItWas(use: (h: ReturnType<typeof openCase>, dir: string) => Promise<void>): Promise<string> {
  const dir = newCase();
  const before = snapshotCase(dir);
  const h = openCase(dir);
  try {
    await use(h, dir);
  } finally {
    h.close();
  }
  expect(snapshotCase(dir)).toEqual(before);
  return dir;
}

describe('the files an import is given', () => {
  it('walks folders but not a Blindspot case folder in them (the case itself, kept among the exports), and says which it skipped', () => {
    const root = tmp();
    writeFileSync(join(root, 'a.jsonl'), jsonl([mailItemsAccessed(0)]));
    writeFileSync(join(root, '.hidden.jsonl'), jsonl([mailItemsAccessed(1)]));
    const caseDir = join(root, 'case');
    createCase(caseDir, { name: 'c', examiner: 'e' }).close();
    const skipped: string[] = [];
    expect(expandInputs([root], (f) => skipped.push(f))).toEqual([join(root, 'a.jsonl')]);
    expect(skipped).toEqual([caseDir]);
  });

  it('walks a folder reached again through a link once, and says which link it skipped', () => {
    const root = tmp();
    const d = join(root, 'd');
    mkdirSync(d);
    writeFileSync(join(d, 'a.jsonl'), jsonl([mailItemsAccessed(0)]));
    symlinkSync('..', join(d, 'up')); // d/up -> root: a loop
    symlinkSync(d, join(root, 'again'));
    const skipped: string[][] = [];
    expect(expandInputs([root], (f, why) => skipped.push([f, why]))).toEqual([join(root, 'again', 'a.jsonl')]);
    expect(skipped).toEqual([[join(root, 'again', 'up'), `a link to ${realpathSync(root)}, which is read once`], [join(root, 'd'), `a link to ${realpathSync(d)}, which is read once`]]);
  });

  it('refuses to import nothing: an empty folder, one of hidden files, or a case folder alone', () => {
    const empty = tmp();
    const hidden = tmp();
    writeFileSync(join(hidden, '.x.jsonl'), jsonl([mailItemsAccessed(0)]));
    const caseDir = join(tmp(), 'case');
    createCase(caseDir, { name: 'c', examiner: 'e' }).close();
    for (const inputs of [[empty], [hidden], [caseDir], [empty, hidden]]) {
      const e = (() => { try { expandInputs(inputs); } catch (x) { return x; } return null; })() as BadInputError;
      expect(e, inputs.join(' ')).toBeInstanceOf(BadInputError);
      expect(e.message).toBe(`nothing to import: ${inputs.join(', ')} hold${inputs.length === 1 ? 's' : ''} no file to read (hidden files, whose names start with ".", and Blindspot case folders are skipped).`);
    }
  });
});

describe('import', () => {
  it('stores the file as evidence, indexes its records with provenance, and logs custody', async () => {
    const dir = newCase();
    const src = join(tmp(), 'ual.jsonl');
    writeFileSync(src, jsonl([0, 1, 2].map((i) => mailItemsAccessed(i))));
    const h = openCase(dir);
    const r = await importFile(h, src);
    expect(r).toMatchObject({ format: 'ual-json', records: 3, inserted: 3, duplicates: 0, rejected: 0 });
    const stored = join(dir, 'evidence', r.sha256.slice(0, 2), r.sha256);
    expect(readFileSync(stored, 'utf8')).toBe(readFileSync(src, 'utf8'));
    expect(statSync(stored).mode & 0o222).toBe(0);
    const ev = h.db.prepare('SELECT original_path, original_name, size, format, added_by FROM evidence').get();
    expect(ev).toEqual({ original_path: src, original_name: 'ual.jsonl', size: statSync(src).size, format: 'ual-json', added_by: h.actor });
    const rows = [...timeline(h.db, {})];
    expect(rows.map((x) => x.evidence)).toEqual([1, 2, 3].map((line) => ({ sha256: r.sha256, line, element: null })));
    expect(h.db.prepare('SELECT count(*) FROM access_items WHERE internet_message_id IS NOT NULL').pluck().get()).toBe(3);
    const actions = h.custodyEntries().map((e) => e.action);
    expect(actions).toEqual(['case-created', 'evidence-added', 'import']);
    h.close();
  });

  it('reads a JSON-lines record\'s AuditData from its line of the evidence file; other formats keep a copy; a changed or missing file is named', async () => {
    const dir = newCase();
    const src = join(tmp(), 'ual-crlf.jsonl');
    const ruleId = 'rule-1';
    const rule = { ...mailItemsAccessed(1), Id: ruleId, Operation: 'New-InboxRule', RecordType: 1, Parameters: [{ Name: 'Name', Value: 'Überfällig 会議 📎' }, { Name: 'DeleteMessage', Value: 'True' }] };
    const lines = [JSON.stringify(mailItemsAccessed(0)), JSON.stringify(rule)];
    writeFileSync(src, '\uFEFF' + lines.join('\r\n') + '\r\n');
    const h = openCase(dir);
    const r = await importFile(h, src);
    await importFile(h, join(import.meta.dirname, '../test/fixtures/formats/purview.csv'), { skipBad: true }); // its row 3 is broken on purpose
    expect(h.db.prepare('SELECT count(*) FROM event_data d JOIN events e ON e.id = d.event_id WHERE e.evidence_id = 1').pluck().get()).toBe(0);
    expect(h.db.prepare('SELECT count(*) FROM event_data d JOIN events e ON e.id = d.event_id WHERE e.evidence_id = 2 AND e.audit_data_start IS NULL').pluck().get()).toBeGreaterThan(0); // the CSV
    expect(eventDetail(h.db, ruleId)!.auditData).toEqual(rule);
    const change = readChangeRecords(h.db, ['New-InboxRule']).find((c) => c.recordId === ruleId);
    expect(change?.parameters.get('Name')).toBe('Überfällig 会議 📎');
    // A Management Activity API blob (a JSON array, pretty-printed here): each element is read from the file too.
    const blob = join(tmp(), 'blob.json');
    const blobRecords = [2, 3].map((i) => ({ ...mailItemsAccessed(i), Id: `blob-${i}` }));
    writeFileSync(blob, JSON.stringify(blobRecords, null, 2));
    const rb = await importFile(h, blob);
    expect(h.db.prepare('SELECT count(*) FROM events e JOIN evidence v ON v.id = e.evidence_id WHERE v.sha256 = ? AND e.audit_data_start IS NOT NULL AND NOT EXISTS (SELECT 1 FROM event_data d WHERE d.event_id = e.id)').pluck().get(rb.sha256)).toBe(2);
    expect(eventDetail(h.db, 'blob-3')!.auditData).toEqual(blobRecords[1]);

    const stored = join(dir, 'evidence', r.sha256.slice(0, 2), r.sha256);
    const original = readFileSync(stored);
    chmodSync(stored, 0o644);
    const at = original.indexOf('{', original.indexOf('\r\n')); // the second line, still where the case says it is
    writeFileSync(stored, Buffer.concat([original.subarray(0, at), Buffer.from('['), original.subarray(at + 1)]));
    expect(() => eventDetail(h.db, ruleId)).toThrow(/record .*: bytes \d+-\d+ of evidence\/.* is not the JSON record imported from it; .*run blindspot verify/);
    rmSync(stored);
    expect(() => readChangeRecords(h.db, ['New-InboxRule'])).toThrow(CaseDataError);
    expect(() => eventDetail(h.db, ruleId)).toThrow(/cannot be read \(ENOENT\); run blindspot verify on the case/);
    // A Purview CSV record's AuditData is a copy in event_data (its cell is not the JSON as is): still readable.
    expect(eventDetail(h.db, 'daf566de-0000-486c-b9f7-f8df1d07457f')!.auditData).toMatchObject({ Operation: 'MailItemsAccessed' });
    h.close();
  });

  it('flags an imported IsThrottled=True record, which the analysis then confirms from its AuditData', async () => {
    const dir = newCase();
    const src = join(tmp(), 'throttled.jsonl');
    const throttled = { ...mailItemsAccessed(1, { id: 'throttled-1', user: 'megan@contoso.com', time: '2026-05-01T10:00:01' }), OperationProperties: [{ Name: 'IsThrottled', Value: 'True' }] };
    writeFileSync(src, jsonl([mailItemsAccessed(0), throttled]));
    const h = openCase(dir);
    await importFile(h, src);
    expect(readThrottleMarkers(h.db)).toEqual([{ recordId: 'throttled-1', timeMs: Date.UTC(2026, 4, 1, 10, 0, 1), mailbox: 'megan@contoso.com' }]);
    h.close();
  });

  it('gives a sign-in the app it names as ApplicationId, so the look-up of what an app did finds the sign-ins through it', async () => {
    const dir = newCase();
    const src = join(tmp(), 'signin.jsonl');
    const app = 'ff8d92dc-3d82-41d6-bcbd-b9174d163620';
    const signIn = { Id: 'si-1', CreationTime: '2026-05-01T09:59:00', RecordType: 15, Operation: 'UserLoggedIn', Workload: 'AzureActiveDirectory', UserId: 'megan@contoso.com', ClientIP: '203.0.113.66', ApplicationId: app, ResultStatus: 'Success' };
    writeFileSync(src, jsonl([signIn, mailItemsAccessed(0)]));
    const h = openCase(dir);
    await importFile(h, src);
    expect([...timeline(h.db, { text: app })].map((e) => [e.id, e.appId])).toEqual([['si-1', app]]);
    expect(readSourceActivity(h.db, 'app', app, new Set(), 20)).toMatchObject({ total: 1, operations: [{ operation: 'UserLoggedIn', count: 1 }], records: [{ recordId: 'si-1' }] });
    h.close();
  });

  it('keeps each API answer\'s own request and response, also when its body was received before', async () => {
    const h = openCase(newCase());
    try {
      const answer = (url: string, date: string) => ({
        format: 'api-answer' as const, body: Buffer.from('{"value":[]}'), rows: 0,
        request: { method: 'GET', url, headers: { 'client-request-id': url }, body: null },
        response: { status: 200, headers: { date } },
      });
      await storePage(h, answer('https://graph.example/a', 'Mon, 01 Jun 2026 10:00:00 GMT'), {});
      await storePage(h, answer('https://graph.example/b', 'Mon, 01 Jun 2026 10:05:00 GMT'), {});
      expect(h.db.prepare('SELECT count(*) FROM evidence').pluck().get()).toBe(1); // one content, stored once
      const runs = h.db.prepare('SELECT file, request_json, response_json FROM import_runs ORDER BY id').all() as { file: string; request_json: string; response_json: string }[];
      expect(runs.map((r) => [r.file, JSON.parse(r.request_json).url, JSON.parse(r.request_json).headers['client-request-id'], JSON.parse(r.response_json).headers.date])).toEqual([
        ['https://graph.example/a', 'https://graph.example/a', 'https://graph.example/a', 'Mon, 01 Jun 2026 10:00:00 GMT'],
        ['https://graph.example/b', 'https://graph.example/b', 'https://graph.example/b', 'Mon, 01 Jun 2026 10:05:00 GMT'],
      ]);
    } finally {
      h.close();
    }
  });

  it('deduplicates on the record Id across files and counts every duplicate with its location', async () => {
    const dir = newCase();
    const recs = [0, 1, 2, 3].map((i) => mailItemsAccessed(i));
    const a = join(tmp(), 'a.jsonl');
    const b = join(tmp(), 'b.jsonl');
    writeFileSync(a, jsonl(recs.slice(0, 3)));
    writeFileSync(b, jsonl([recs[3], recs[1], recs[1]]));
    const h = openCase(dir);
    await importFile(h, a);
    const r = await importFile(h, b);
    expect(r).toMatchObject({ records: 3, inserted: 1, duplicates: 2 });
    expect(h.db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(4);
    expect(h.db.prepare('SELECT loc_line FROM event_duplicates ORDER BY loc_line').pluck().all()).toEqual([2, 3]);
    h.close();
  });

  it('compares user and mailbox identities case-insensitively', async () => {
    const dir = newCase();
    const src = join(tmp(), 'u.jsonl');
    writeFileSync(src, jsonl([mailItemsAccessed(0, { user: 'DebraB@Contoso.OnMicrosoft.com' }), mailItemsAccessed(1, { user: 'debrab@contoso.onmicrosoft.com' })]));
    const h = openCase(dir);
    await importFile(h, src);
    expect([...timeline(h.db, { mailbox: 'DEBRAB@contoso.onmicrosoft.com' })]).toHaveLength(2);
    expect([...timeline(h.db, { user: 'debrab@CONTOSO.onmicrosoft.com' })]).toHaveLength(2);
    h.close();
  });

  it('refuses a file with a malformed line, naming file and line, and leaves the case exactly as it was', async () => {
    const dir = newCase();
    const good = join(tmp(), 'good.jsonl');
    writeFileSync(good, jsonl([mailItemsAccessed(0)]));
    const h0 = openCase(dir);
    await importFile(h0, good);
    h0.close();
    const before = snapshotCase(dir);
    const bad = join(tmp(), 'bad.jsonl');
    writeFileSync(bad, jsonl([mailItemsAccessed(1), mailItemsAccessed(2)]) + '{"Id": "x", "CreationTime": \n' + jsonl([mailItemsAccessed(3)]));
    const h = openCase(dir);
    const err = await importFile(h, bad).catch((e: unknown) => e);
    h.close();
    expect(err).toBeInstanceOf(BadInputError);
    expect((err as Error).message).toContain(bad);
    expect((err as Error).message).toContain('line 3');
    expect((err as BadInputError).hint).toContain('--skip-bad');
    expect(snapshotCase(dir)).toEqual(before);
  });

  it('names where each bad record is once, in the refusal: a CSV row, a CSV cut inside a quote, a JSON array never closed', async () => {
    const audit = JSON.stringify({ Id: '1', CreationTime: '2023-09-20T04:05:03', RecordType: 2, Operation: 'Send', UserId: 'a@contoso.com' });
    const header = 'RecordId,CreationDate,RecordType,Operation,UserId,AuditData\n';
    const cases: [string, string, string][] = [
      ['purview.csv', `${header}1,9/20/2023 4:05:03 AM,2,Send,a@contoso.com,"${audit.replaceAll('"', '""')}"\n2,bad date,2,Send,a@contoso.com,"{}"\n`, 'row 2 (line 3): CreationDate "bad date"'],
      ['cut.csv', `${header}1,9/20/2023 4:05:03 AM,2,Send,a@contoso.com,"{""Id"":""1""\n`, 'row 1 (line 2): the file ends inside a quoted cell'],
      ['open.json', `[\n${audit}\n`, 'line 3: the JSON array is not closed'],
    ];
    for (const [name, text, where] of cases) {
      const file = join(tmp(), name);
      writeFileSync(file, text);
      const h = openCase(newCase());
      const err = await importFile(h, file).catch((e: unknown) => e);
      h.close();
      expect(err, name).toBeInstanceOf(BadInputError);
      expect((err as Error).message, name).toContain(`${file}: 1 malformed record: ${where}`);
    }
  });

  it('with skipBad imports the rest and keeps each rejected line with its reason', async () => {
    const dir = newCase();
    const bad = join(tmp(), 'bad.jsonl');
    writeFileSync(bad, jsonl([mailItemsAccessed(1)]) + 'not json at all\n' + jsonl([mailItemsAccessed(3)]));
    const h = openCase(dir);
    const r = await importFile(h, bad, { skipBad: true });
    expect(r).toMatchObject({ records: 2, inserted: 2, rejected: 1 });
    const rej = h.db.prepare('SELECT line, reason, text FROM rejected_lines').all() as { line: number; reason: string; text: string }[];
    expect(rej).toHaveLength(1);
    expect(rej[0]).toMatchObject({ line: 2, text: 'not json at all' });
    expect(rej[0]!.reason).toMatch(/JSON/);
    expect(h.db.prepare('SELECT rejected, status FROM import_runs').get()).toEqual({ rejected: 1, status: 'completed' });
    h.close();
  });

  it('refuses an unknown format, naming the formats tried, without touching the case', async () => {
    const src = join(tmp(), 'notes.txt');
    writeFileSync(src, 'Dear diary,\nnothing happened today.\n');
    await leavesNewCaseAsItWas(async (h) => {
      const err = (await importFile(h, src).catch((e: unknown) => e)) as BadInputError;
      expect(err).toBeInstanceOf(BadInputError);
      expect(err.message).toMatch(/format not recognised/);
      expect(err.message).toContain('purview-csv');
      expect(err.message).not.toContain('api-answer'); // acquisition's own format is never a candidate
      // Nor can it be asked for: a file "imported" as api-answer would enter the case with no records and no error.
      await expect(importFile(h, src, { format: 'api-answer' })).rejects.toThrow(/--format api-answer: unknown format/);
    });
  });

  it('reads UTF-16 text (what Windows PowerShell 5.1 writes with ">") as it is, LE and BE, with or without a byte-order mark, and keeps the file as received', async () => {
    // Records with text beyond Latin-1, a character outside the BMP (a surrogate pair) included.
    const records = recordsInFolder(40, 'u16', '\\Posteingang\\Überfällig 会議 📎');
    const text = jsonl(records).replaceAll('\n', '\r\n');
    const csv = purviewCsv(records);
    const le = (t: string) => Buffer.from(t, 'utf16le');
    const be = (t: string) => Buffer.from(t, 'utf16le').swap16();
    const files: [string, Buffer, string, string][] = [
      ['le-bom.jsonl', Buffer.concat([Buffer.from([0xff, 0xfe]), le(text)]), 'ual-json', 'utf-16le'],
      ['le-bare.jsonl', le(text), 'ual-json', 'utf-16le'],
      ['be-bom.csv', Buffer.concat([Buffer.from([0xfe, 0xff]), be(csv)]), 'purview-csv', 'utf-16be'],
      ['be-bare.csv', be(csv), 'purview-csv', 'utf-16be'],
    ];
    // What the same records read as UTF-8 give: the reference.
    const rowsOf = (h: ReturnType<typeof openCase>) => [...timeline(h.db, {})].map(({ evidence: _evidence, ...row }) => row);
    const reference = openCase(newCase());
    const utf8 = join(tmp(), 'utf8.jsonl');
    writeFileSync(utf8, text);
    await importFile(reference, utf8);
    const want = rowsOf(reference);
    const wantData = eventDetail(reference.db, 'u16-7')!.auditData;
    reference.close();
    expect(want).toHaveLength(40);

    for (const [name, bytes, format, encoding] of files) {
      const file = join(tmp(), name);
      writeFileSync(file, bytes);
      const dir = newCase();
      const h = openCase(dir);
      try {
        const r = await importFile(h, file);
        expect([r.format, r.encoding, r.inserted, r.rejected], name).toEqual([format, encoding, 40, 0]);
        expect(rowsOf(h), name).toEqual(want);
        expect(eventDetail(h.db, 'u16-7')!.auditData, name).toEqual(wantData);
        // the evidence is the file as it came, byte for byte, and the custody log says how it was read
        expect(readFileSync(join(dir, 'evidence', r.sha256.slice(0, 2), r.sha256)).equals(bytes), name).toBe(true);
        const custody = readFileSync(join(dir, 'custody.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; details: { encoding?: string } });
        expect(custody.find((c) => c.action === 'import')!.details.encoding, name).toBe(encoding);
      } finally {
        h.close();
      }
    }
  });

  it('reads a file that is not UTF-8 as Windows-1252 (Excel\'s "CSV"), keeps it as received, and says so', async () => {
    const records = recordsInFolder(5, 'ansi', '\\Posteingang\\Überfällig – Bestätigung');
    const csv = purviewCsv(records);
    const utf8 = join(tmp(), 'utf8.csv');
    writeFileSync(utf8, csv);
    const ansi = join(tmp(), 'excel.csv');
    // Ü, ä, – in Windows-1252: one byte each (0xDC, 0xE4, 0x96), none of them valid UTF-8 alone
    const bytes = Buffer.from(csv.replaceAll('–', '\u0096'), 'latin1');
    writeFileSync(ansi, bytes);
    const rowsOf = async (file: string) => {
      const dir = newCase();
      const h = openCase(dir);
      try {
        const r = await importFile(h, file);
        const detail = eventDetail(h.db, 'ansi-3')!;
        return { r, dir, rows: [...timeline(h.db, {})].map(({ evidence: _evidence, ...row }) => row), path: detail.items[0]!.folderPath, readAs: detail.evidenceFile.encoding };
      } finally {
        h.close();
      }
    };
    const want = await rowsOf(utf8);
    const got = await rowsOf(ansi);
    expect([got.r.format, got.r.encoding, got.r.inserted]).toEqual(['purview-csv', 'windows-1252', 5]);
    expect(got.rows).toEqual(want.rows);
    expect(got.path).toBe('\\Posteingang\\Überfällig – Bestätigung');
    expect([got.readAs, want.readAs]).toEqual(['windows-1252', null]); // the event's source says how its text was read
    expect(readFileSync(join(got.dir, 'evidence', got.r.sha256.slice(0, 2), got.r.sha256)).equals(bytes)).toBe(true);
    expect(readFileSync(join(got.dir, 'custody.jsonl'), 'utf8')).toContain('"encoding":"windows-1252"');
  });

  it('reads a CSV that Excel saved with semicolons (locales whose decimal mark is a comma) or as Unicode Text (UTF-16, tabs): the same records as the export as downloaded', async () => {
    const records = recordsInFolder(6, 'sep', '\\Inbox\\Q3; Bücher, final\tdraft');
    const csv = purviewCsv(records);
    const rows = csvParseSync(csv) as string[][];
    const resaved = (sep: string) => rows.map((cells) => cells.map((c) => (/[";,\t\r\n]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c)).join(sep)).join('\r\n') + '\r\n';
    const files: [string, Buffer, string | undefined][] = [
      ['downloaded.csv', Buffer.from(csv), undefined],
      ['excel-semicolons.csv', Buffer.from(resaved(';'), 'latin1'), 'windows-1252'],
      ['excel-utf8-semicolons.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(resaved(';'))]), undefined],
      ['excel-unicode-text.txt', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(resaved('\t'), 'utf16le')]), 'utf-16le'],
    ];
    expect(resaved(';')).not.toBe(csv);
    let want: unknown = null;
    const written = new Map<string, string>();
    for (const [name, bytes, encoding] of files) {
      const file = join(tmp(), name);
      writeFileSync(file, bytes);
      written.set(name, file);
      const h = openCase(newCase());
      try {
        const r = await importFile(h, file);
        expect([r.format, r.encoding, r.inserted, r.rejected], name).toEqual(['purview-csv', encoding, 6, 0]);
        const got = { rows: [...timeline(h.db, {})].map(({ evidence: _evidence, ...row }) => row), folder: eventDetail(h.db, 'sep-4')!.items[0]!.folderPath };
        expect(got.folder, name).toBe('\\Inbox\\Q3; Bücher, final\tdraft');
        want ??= got;
        expect(got, name).toEqual(want);
      } finally {
        h.close();
      }
    }
    // --format names the format; the separator is still told from the header
    const h = openCase(newCase());
    try {
      expect((await importFile(h, written.get('excel-semicolons.csv')!, { format: 'purview-csv' })).inserted).toBe(6);
    } finally {
      h.close();
    }
  });

  it('reads a file in the code page --encoding names, and refuses a name it does not know before copying anything', async () => {
    // Russian Excel writes its "CSV" in Windows-1251
    const cp1251 = new TextDecoder('windows-1251');
    const byLetter = new Map<string, number>();
    for (let b = 0xc0; b <= 0xff; b++) byLetter.set(cp1251.decode(Uint8Array.of(b)), b);
    const toCp1251 = (t: string) => Buffer.from([...t].map((ch) => (ch.charCodeAt(0) < 0x80 ? ch.charCodeAt(0) : byLetter.get(ch)!)));
    const r = mailItemsAccessed(0, { id: 'ru-0' });
    r.Folders = [{ FolderItems: [{ InternetMessageId: '<m@contoso.com>', SizeInBytes: 1 }], Id: 'LgAAAAAL', Path: '\\Входящие' }];
    const csv = purviewCsv([r]);
    const file = join(tmp(), 'excel-ru.csv');
    writeFileSync(file, toCp1251(csv));
    const folderAs = async (encoding?: string) => {
      const h = openCase(newCase());
      try {
        const res = await importFile(h, file, encoding ? { encoding } : {});
        return [res.encoding, eventDetail(h.db, 'ru-0')!.items[0]!.folderPath];
      } finally {
        h.close();
      }
    };
    expect(await folderAs('cp1251')).toEqual(['windows-1251', '\\Входящие']);
    // told from the file, it is read as Windows-1252, and says so: the letters are wrong
    expect(await folderAs()).toEqual(['windows-1252', '\\Âõîäÿùèå']);

    const dir = newCase();
    const before = snapshotCase(dir);
    const h = openCase(dir);
    const err = await importFile(h, file, { encoding: 'klingon' }).catch((e: unknown) => e);
    h.close();
    expect((err as Error).message).toBe('--encoding klingon: not an encoding known here.');
    expect(snapshotCase(dir)).toEqual(before);
    expect(readdirSync(join(dir, 'evidence')).filter((n) => !n.startsWith('.'))).toEqual([]);
  });

  it('says when a file imported again was read the first time with another encoding, whose text its records keep', async () => {
    const file = join(tmp(), 'twice.jsonl');
    writeFileSync(file, Buffer.from(jsonl([{ ...mailItemsAccessed(0, { id: 't-0' }), Note: 'Grüße' }]), 'latin1'));
    const dir = newCase();
    const h = openCase(dir);
    try {
      const first = await importFile(h, file); // not UTF-8: read as Windows-1252
      expect([first.encoding, first.inserted, first.readBefore]).toEqual(['windows-1252', 1, undefined]);
      expect(await importFile(h, file).then((r) => r.readBefore)).toBeUndefined(); // read the same way again
      const again = await importFile(h, file, { encoding: 'iso-8859-2' });
      expect([again.encoding, again.inserted, again.duplicates, again.readBefore]).toEqual(['iso-8859-2', 0, 1, { importRun: 1, encoding: 'windows-1252' }]);
      // the records keep the text of the first reading
      expect((eventDetail(h.db, 't-0')!.auditData as { Note: string }).Note).toBe('Grüße');
      // a run from before migration 0015 (no encoding) read its file as UTF-8
      h.db.prepare('UPDATE import_runs SET encoding = NULL WHERE id = 1').run();
      expect(await importFile(h, file, { encoding: 'utf-8' }).then((r) => r.readBefore)).toBeUndefined();
      expect(await importFile(h, file).then((r) => r.readBefore)).toEqual({ importRun: 1, encoding: 'utf-8' });
    } finally {
      h.close();
    }
  });

  it('builds, when migration 0016 runs again over its records, the same full-text index the import wrote', async () => {
    const dir = newCase();
    const h = openCase(dir);
    const generated = join(tmp(), 'mix.jsonl');
    await writeUalJsonl(generated, 400); // MailItemsAccessed with folders, sends, deletes, inbox rules, admin cmdlets, sign-ins
    await importFile(h, generated);
    // and records whose time and type came from a CSV's columns, not their AuditData
    const rule = { Id: 'csv-1', Operation: 'New-InboxRule', RecordType: 1, UserId: 'megan.bowen@fabrikam.example', ObjectId: 'megan.bowen\\Invoices', Parameters: [{ Name: 'ForwardTo', Value: 'ap-desk@fabrikam-billing.example' }, { Name: 'SubjectContainsWords', Value: 'invoice.pdf.exe' }] };
    const csv = join(tmp(), 'purview.csv');
    // (by hand: the simulator's writer takes the time from the record, and this one has none of its own)
    writeFileSync(csv, `${PURVIEW_CSV_HEADER}\r\ncsv-1,5/1/2026 10:00:00 AM,1,New-InboxRule,megan.bowen@fabrikam.example,"${JSON.stringify(rule).replaceAll('"', '""')}",,\r\n`);
    await importFile(h, csv);
    // every token of every record, probed as the timeline does (a prefix query per word)
    const words = new Set<string>();
    for (const r of withAuditData(h.db, (reader) => h.db.prepare(`SELECT e.operation, e.user_id, e.mailbox, e.client_ip, e.object_id, e.app_id, ${AUDIT_DATA_COLUMNS} FROM events e ${AUDIT_DATA_JOIN}`).all().map((row) => [row, reader.text(row as AuditDataRef)] as const))) {
      for (const t of JSON.stringify(r).split(/[^\p{L}\p{N}]+/u)) if (t.length >= 3) words.add(t.toLowerCase());
    }
    expect(words.size).toBeGreaterThan(200);
    const matchesIn = (db: typeof h.db) => Object.fromEntries([...words].map((w) => [w, db.prepare('SELECT rowid FROM events_fts WHERE events_fts MATCH ? ORDER BY rowid').pluck().all(`"${w}"*`).join(',')]));
    const written = matchesIn(h.db);
    expect(written.fabrikam).not.toBe(''); // word parts are there
    h.close();
    // run 0016 again, as an older case's upgrade does
    const again = openCase(dir);
    again.db.exec('ALTER TABLE event_duplicates DROP COLUMN differs; DROP TABLE custody_head; ALTER TABLE import_runs DROP COLUMN date_order'); // as before 0017-0019
    again.db.pragma('user_version = 15');
    again.close();
    const upgraded = openCase(dir);
    try {
      expect(upgraded.db.pragma('user_version', { simple: true })).toBe(19);
      expect(matchesIn(upgraded.db)).toEqual(written);
    } finally {
      upgraded.close();
    }
  });

  it('notes where a file read as UTF-8 first has bytes that are not, past the part its encoding was told from', async () => {
    const records = Array.from({ length: 300 }, (_, i) => mailItemsAccessed(i, { id: `n-${i}` }));
    const clean = Buffer.from(jsonl(records));
    expect(clean.length).toBeGreaterThan(256 * 1024); // the head that decides the encoding is all UTF-8
    const last = clean.lastIndexOf('"Workload"');
    const bad = Buffer.concat([clean.subarray(0, last), Buffer.from('"Note":"caf'), Buffer.from([0xe9]), Buffer.from('",'), clean.subarray(last)]);
    const offset = last + '"Note":"caf'.length;
    const files = { clean, bad };
    const got: Record<string, { notUtf8At?: number; inserted: number; note?: unknown; custody: string }> = {};
    for (const [name, bytes] of Object.entries(files)) {
      const file = join(tmp(), `${name}.jsonl`);
      writeFileSync(file, bytes);
      const dir = newCase();
      const h = openCase(dir);
      try {
        const r = await importFile(h, file);
        got[name] = { ...(r.notUtf8At !== undefined ? { notUtf8At: r.notUtf8At } : {}), inserted: r.inserted, note: (eventDetail(h.db, 'n-299')!.auditData as { Note?: string }).Note, custody: readFileSync(join(dir, 'custody.jsonl'), 'utf8') };
      } finally {
        h.close();
      }
    }
    expect(got.clean).toMatchObject({ inserted: 300, note: undefined });
    expect(got.clean!.notUtf8At).toBeUndefined();
    expect(got.clean!.custody).not.toContain('notUtf8At');
    expect(got.bad).toMatchObject({ notUtf8At: offset, inserted: 300, note: 'caf\uFFFD' });
    expect(got.bad!.custody).toContain(`"notUtf8At":${offset}`);
  });

  it('reads a UTF-16 file large enough for the parse worker, characters split between its reads included', async () => {
    const utf8 = join(tmp(), 'big.jsonl');
    await writeUalJsonl(utf8, 4000);
    // every line gains a pair of UTF-16 code units (an emoji), so that some fall across the 64 KiB reads
    const text = readFileSync(utf8, 'utf8').replaceAll('"Workload":"Exchange"', '"Workload":"Exchange","Note":"📎"');
    const file = join(tmp(), 'big-utf16.jsonl');
    writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    expect(statSync(file).size).toBeGreaterThan(8 << 20); // WORKER_PARSE_BYTES
    const h = openCase(newCase());
    try {
      const r = await importFile(h, file);
      expect([r.encoding, r.records, r.inserted, r.rejected]).toEqual(['utf-16le', 4000, 4000, 0]);
      const first = JSON.parse(text.slice(0, text.indexOf('\n'))) as { Id: string; Note?: string };
      expect((eventDetail(h.db, first.Id)!.auditData as { Note?: string }).Note).toBe(first.Note);
    } finally {
      h.close();
    }
  });

  it('refuses JSON named as a CSV format, and CSV named as a JSON one, instead of importing nothing', async () => {
    const json = join(tmp(), 'one.jsonl');
    writeFileSync(json, jsonl([mailItemsAccessed(0)]));
    const csv = join(tmp(), 'export.csv');
    writeFileSync(csv, 'RecordId,CreationDate,RecordType,Operation,UserId,AuditData\r\n');
    await leavesNewCaseAsItWas(async (h) => {
      await expect(importFile(h, json, { format: 'purview-csv' })).rejects.toThrow(/line 1: purview-csv expects CSV but the text starts with "\{" \(JSON\)/);
      await expect(importFile(h, json, { format: 'sentinel-csv' })).rejects.toThrow(BadInputError);
      await expect(importFile(h, csv, { format: 'ual-json' })).rejects.toThrow(/ual-json expects JSON/);
      // --skip-bad does not turn a file of another format into an evidence item with nothing imported.
      const err = (await importFile(h, json, { format: 'purview-csv', skipBad: true }).catch((e: unknown) => e)) as BadInputError;
      expect(err).toBeInstanceOf(BadInputError);
      expect(err.hint).toMatch(/--format/);
      await expect(importFile(h, csv, { format: 'ual-json', skipBad: true })).rejects.toThrow(/ual-json expects JSON/);
    });
  });

  it('refuses a compressed file or an archive by what it is, with what to do, whatever --format says; the case is unchanged', async () => {
    const gz = join(tmp(), 'ual.jsonl.gz');
    writeFileSync(gz, gzipSync(jsonl([mailItemsAccessed(0)])));
    const dir = await leavesNewCaseAsItWas(async (h) => {
      for (const format of ['auto', 'ual-json'] as const) {
        const err = (await importFile(h, gz, { format }).catch((e: unknown) => e)) as BadInputError;
        expect(err).toBeInstanceOf(BadInputError);
        expect(err.message).toBe(`${gz}: this is a gzip-compressed file, not an audit export. Nothing from it was imported.`);
        expect(err.hint).toMatch(/^Decompress it/);
      }
    });
    expect(readdirSync(join(dir, '.incoming'))).toEqual([]);
  });

  it('records the time a configuration export describes: --as-of, else the file modification time', async () => {
    const dir = newCase();
    const src = join(tmp(), 'org.json');
    writeFileSync(src, JSON.stringify({ Name: 'contoso.onmicrosoft.com', AuditDisabled: false, Identity: 'contoso.onmicrosoft.com', DistinguishedName: 'CN=Configuration', IsDehydrated: false, OrganizationId: 'x' }));
    utimesSync(src, new Date('2026-03-01T08:00:00Z'), new Date('2026-03-01T08:00:00Z'));
    const h = openCase(dir);
    const r1 = await importFile(h, src);
    expect(r1.format).toBe('config-organization');
    expect(r1.asOf).toEqual({ value: '2026-03-01T08:00:00.000Z', source: 'file-mtime' });
    const src2 = join(tmp(), 'org2.json');
    writeFileSync(src2, readFileSync(src, 'utf8').replace('false', 'true'));
    const r2 = await importFile(h, src2, { asOf: '2026-04-02T10:00:00+02:00' });
    expect(r2.asOf).toEqual({ value: '2026-04-02T08:00:00.000Z', source: 'option' });
    const snaps = h.db.prepare('SELECT kind, as_of, as_of_source FROM config_snapshots ORDER BY id').all();
    expect(snaps).toEqual([
      { kind: 'organization', as_of: '2026-03-01T08:00:00.000Z', as_of_source: 'file-mtime' },
      { kind: 'organization', as_of: '2026-04-02T08:00:00.000Z', as_of_source: 'option' },
    ]);
    const v = JSON.parse(h.db.prepare('SELECT value_json FROM config_rows ORDER BY id DESC LIMIT 1').pluck().get() as string);
    expect(v.auditDisabled).toBe(true);
    h.close();
  });

  it('refuses an --as-of after now (no export describes the future), and a file of the case\'s own evidence store, changing nothing', async () => {
    const dir = newCase();
    const src = join(tmp(), 'org.json');
    writeFileSync(src, JSON.stringify({ Name: 'contoso.onmicrosoft.com', AuditDisabled: false, Identity: 'contoso.onmicrosoft.com' }));
    const h = openCase(dir);
    const later = new Date(Date.now() + 3_600_000).toISOString();
    await expect(importFile(h, src, { asOf: later })).rejects.toThrow(new RegExp(`--as-of ${later}: .* is after now`));
    await expect(importFile(h, src, { asOf: later })).rejects.toBeInstanceOf(UsageError);
    const ual = join(tmp(), 'ual.jsonl');
    writeFileSync(ual, jsonl([mailItemsAccessed(0)]));
    const r = await importFile(h, ual);
    const stored = join(dir, 'evidence', r.sha256.slice(0, 2), r.sha256);
    const before = snapshotCase(dir);
    await expect(importFile(h, stored)).rejects.toThrow(/a file of this case's evidence store; it is already evidence/);
    h.close();
    expect(snapshotCase(dir)).toEqual(before);
  });

  it('leaves the case as it was when the importing process is killed mid-file', async () => {
    const dir = newCase();
    const before = snapshotCase(dir);
    const src = join(tmp(), 'big.jsonl');
    // ~20 MB, so the child reports progress (every 8 MB) before it finishes.
    const lines: string[] = [];
    for (let i = 0; i < 16_000; i++) lines.push(JSON.stringify(mailItemsAccessed(i)));
    writeFileSync(src, lines.join('\n') + '\n');
    const child = spawn(process.execPath, [join(import.meta.dirname, '../test/helpers/importChild.ts'), dir, src], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('progress')) { child.kill('SIGKILL'); resolve(); } });
      child.on('exit', () => resolve());
      child.on('error', reject);
    });
    await new Promise((r) => child.once('exit', r).once('close', r));
    expect(child.signalCode).toBe('SIGKILL');
    // The next open removes the cut-short evidence copy and says so in the custody log.
    expect(readdirSync(join(dir, '.incoming'))).toHaveLength(1);
    const h = openCase(dir);
    expect(h.custodyEntries().at(-1)).toMatchObject({ action: RECOVERY_ACTION, details: { uncommittedCopiesRemoved: [{ path: expect.stringMatching(/^\.incoming\//) }] } });
    expect(h.custodyEntries().at(-1)!.details['databaseWriteRolledBack']).toBeUndefined(); // a WAL write leaves no journal to play back
    h.close();
    expect(readdirSync(join(dir, '.incoming'))).toEqual([]);
    const after = snapshotCase(dir);
    expect(after.custody.startsWith(before.custody)).toBe(true);
    expect({ ...after, custody: before.custody }).toEqual(before);
    const report = await verify(dir);
    expect(report.problems).toEqual([]);
  });

  it('names a full disk, the database\'s or the evidence copy\'s, as the case\'s problem with what to do, and leaves the case as it was', async () => {
    const src = join(tmp(), 'ual.jsonl');
    writeFileSync(src, jsonl(Array.from({ length: 3000 }, (_, i) => mailItemsAccessed(i))));
    await leavesNewCaseAsItWas(async (h, dir) => {
      // The database may not grow by more than 20 pages: SQLite's own "database or disk is full".
      h.db.pragma(`max_page_count = ${(h.db.pragma('page_count', { simple: true }) as number) + 20}`);
      const err = (await importFile(h, src).catch((e: unknown) => e)) as CaseError;
      expect(err).toBeInstanceOf(CaseError);
      expect(err.message).toBe(`${src}: no space left to import it (database or disk is full). Nothing of this file was imported; the case is as it was.`);
      expect(err.hint).toContain(`Free space on the disk that holds ${dir}`);
      // The evidence copy fails as a full file system fails a write.
      h.stageFile = () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
      await expect(importFile(h, src)).rejects.toThrow(`${src}: no space left to import it (ENOSPC: no space left on device, write). Nothing of this file was imported`);
    });
  });

  it('after a bulk import killed mid-file, reading the case (openCaseReadOnly: case info, timeline, the UI) first undoes the cut-short write, and verify finds it intact', async () => {
    const dir = newCase();
    const before = snapshotCase(dir);
    const src = join(tmp(), 'big.jsonl');
    await writeUalJsonl(src, 30_000);
    expect(statSync(src).size).toBeGreaterThan(BULK_LOAD_BYTES);
    const child = spawn(process.execPath, [join(import.meta.dirname, '../test/helpers/importChild.ts'), dir, src], { stdio: ['ignore', 'pipe', 'inherit'] });
    let readingReports = 0;
    child.stdout.on('data', (d: Buffer) => {
      readingReports += (d.toString().match(/progress reading/g) ?? []).length;
      if (readingReports >= 2) child.kill('SIGKILL'); // 8 MB into the file: pages of the load are on disk
    });
    await new Promise((r) => child.once('close', r));
    expect(child.signalCode).toBe('SIGKILL');
    // The bulk load's rollback journal is left; a read-only connection cannot play it back.
    expect(existsSync(join(dir, 'case.sqlite-journal'))).toBe(true);
    const c = openCaseReadOnly(dir);
    try {
      expect(c.db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(0);
    } finally {
      c.close();
    }
    expect(existsSync(join(dir, 'case.sqlite-journal'))).toBe(false);
    expect(readdirSync(join(dir, '.incoming'))).toEqual([]); // the staged copy is gone too
    expect((await verify(dir)).problems).toEqual([]);
    // The database and evidence are as they were; the custody log gains what was undone, then verify.
    const after = snapshotCase(dir);
    expect(after.custody.startsWith(before.custody)).toBe(true);
    const added = after.custody.slice(before.custody.length).trim().split('\n').map((l) => JSON.parse(l) as CustodyEntry);
    expect(added.map((e) => e.action)).toEqual([RECOVERY_ACTION, 'verify']);
    expect(added[0]!.details).toMatchObject({ databaseWriteRolledBack: true, uncommittedCopiesRemoved: [{ bytes: statSync(src).size }] });
    expect({ ...after, custody: before.custody }).toEqual(before);
  });
});

/** A JSON-lines file of exactly `bytes` bytes, every line a record (the last padded to fit); returns its record count. */
function ualFileOfSize(path: string, bytes: number): number {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; ; i++) {
    const line = JSON.stringify(mailItemsAccessed(i)) + '\n';
    if (bytes - size - Buffer.byteLength(line) < 4096) {
      const pad = bytes - size - Buffer.byteLength(JSON.stringify({ ...mailItemsAccessed(i), Pad: '' }) + '\n');
      lines.push(JSON.stringify({ ...mailItemsAccessed(i), Pad: 'x'.repeat(pad) }) + '\n');
      break;
    }
    lines.push(line);
    size += Buffer.byteLength(line);
  }
  writeFileSync(path, lines.join(''));
  expect(statSync(path).size).toBe(bytes);
  return lines.length;
}

interface SeenWorker { items: number; done: boolean }

/**
 * The worker threads this thread starts while `run` runs, seen through Node's built-in 'worker_threads'
 * diagnostics channel, each with the items its batches carried: no hook in the code under test.
 */
async function workersDuring<T>(run: () => Promise<T>, count?: (started: () => number) => void): Promise<{ result: T; workers: SeenWorker[] }> {
  const workers: SeenWorker[] = [];
  count?.(() => workers.length);
  const onWorker = (m: unknown): void => {
    const worker = (m as { worker: Worker }).worker;
    const seen: SeenWorker = { items: 0, done: false };
    workers.push(seen);
    worker.on('message', (msg: WorkerMessage) => {
      if ('batch' in msg) seen.items += msg.batch.count;
      else if ('done' in msg) seen.done = true;
    });
  };
  subscribe('worker_threads', onWorker);
  try {
    return { result: await run(), workers };
  } finally {
    unsubscribe('worker_threads', onWorker);
  }
}

// 8 MiB is WORKER_PARSE_BYTES, written out here so that a changed threshold fails too, not only a broken
// branch: a file of 8 MiB (a modest export) is parsed on a worker thread while this thread writes; one
// byte less (or an acquired page) inline.
describe('where an import parses (files of 8 MiB or more on a worker thread)', () => {
  it('parses a file of 8 MiB on a worker thread: every record the case holds came from its batches', async () => {
    const src = join(tmp(), 'eight-mib.jsonl');
    const n = ualFileOfSize(src, 8 << 20);
    const h = openCase(newCase());
    const order: string[] = [];
    let started = (): number => 0;
    const stage = h.stageFile.bind(h);
    h.stageFile = (f: string) => { order.push(`stage with ${started()} worker(s)`); return stage(f); };
    const { result, workers } = await workersDuring(() => importFile(h, src), (get) => { started = get; });
    expect(result).toMatchObject({ records: n, inserted: n, rejected: 0 });
    expect(workers, 'one parse worker, which delivered every record and then its end').toEqual([{ items: n, done: true }]);
    expect(order, 'the worker loads while the file is copied in').toEqual(['stage with 1 worker(s)']);
    expect(h.db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(n);
    h.close();
  });

  it('parses a file one byte under 8 MiB, and a small one, inline: no worker thread is started', async () => {
    const src = join(tmp(), 'under.jsonl');
    const n = ualFileOfSize(src, (8 << 20) - 1);
    const small = join(tmp(), 'small.jsonl');
    writeFileSync(small, jsonl([0, 1, 2].map((i) => mailItemsAccessed(i))));
    const h = openCase(newCase());
    const { result, workers } = await workersDuring(async () => [await importFile(h, src), await importFile(h, small)]);
    expect(result).toMatchObject([{ records: n, inserted: n, rejected: 0 }, { records: 3, inserted: 3 }]);
    expect(workers).toEqual([]);
    h.close();
  });
});

describe('bulk loads (a file larger than the case and than BULK_LOAD_BYTES)', () => {
  const indexes = (h: ReturnType<typeof openCase>) => h.db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name").all();

  it('rebuilds every index with its sorts on disk and a helper thread, then puts every setting back; a refused one changes nothing', async () => {
    const dir = newCase();
    const src = join(tmp(), 'big.jsonl');
    await writeUalJsonl(src, 30_000);
    expect(statSync(src).size).toBeGreaterThan(BULK_LOAD_BYTES);
    const h = openCase(dir);
    const before = indexes(h);
    const pragmas: string[] = [];
    const pragma = h.db.pragma.bind(h.db);
    (h.db as { pragma: typeof pragma }).pragma = ((s: string, o?: { simple?: boolean }) => { pragmas.push(s); return pragma(s, o); }) as typeof pragma;
    const stage = h.stageFile.bind(h);
    h.stageFile = (f: string) => { pragmas.push('(file staged)'); return stage(f); };
    const flushed: string[] = [];
    const early = vi.spyOn(durable, 'early').mockImplementation((p) => { flushed.push(p); });
    let r;
    try {
      r = await importFile(h, src);
    } finally {
      early.mockRestore();
    }
    expect(r).toMatchObject({ records: 30_000, inserted: 30_000, rejected: 0 });
    // The database was sent to the disk after each index it rebuilt (the staged file once, when staged).
    expect(flushed.filter((p) => p === h.db.name)).toHaveLength(before.filter((i) => /^(events|access_items)_/.test((i as { name: string }).name)).length);
    // Out of WAL mode before the file is copied in: the sync that leaving it makes would otherwise wait
    // for the copy to be written back.
    expect(pragmas.indexOf('journal_mode = DELETE')).toBeLessThan(pragmas.indexOf('(file staged)'));
    // Each set during the load, then put back: the rollback journal, MEMORY (2), no helper thread, the
    // connection's 64 MiB page cache (8 MiB while loading, 2 MiB while rebuilding), foreign keys enforced.
    for (const [set, back] of [['journal_mode = DELETE', 'journal_mode = WAL'], ['temp_store = FILE', 'temp_store = 2'], ['threads = 2', 'threads = 0'], [`cache_size = ${-BULK_CACHE_KIB}`, 'cache_size = -65536'], ['cache_size = -2048', `cache_size = ${-BULK_CACHE_KIB}`], ['foreign_keys = OFF', 'foreign_keys = ON']]) {
      expect(pragmas, set).toContain(set);
      expect(pragmas.lastIndexOf(back!), back).toBeGreaterThan(pragmas.indexOf(set!));
    }
    // The small cache is in place before the file is loaded, and the rebuild's is put back to it.
    expect(pragmas.indexOf(`cache_size = ${-BULK_CACHE_KIB}`)).toBeLessThan(pragmas.indexOf('(file staged)'));
    expect(pragmas.lastIndexOf('cache_size = -65536')).toBeGreaterThan(pragmas.lastIndexOf(`cache_size = ${-BULK_CACHE_KIB}`));
    expect(indexes(h)).toEqual(before);
    expect(pragma('journal_mode', { simple: true })).toBe('wal');
    expect(pragma('temp_store', { simple: true })).toBe(2);
    expect(pragma('threads', { simple: true })).toBe(0);
    expect(pragma('cache_size', { simple: true })).toBe(-65536);
    expect(pragma('foreign_keys', { simple: true })).toBe(1);
    expect(pragma('foreign_key_check')).toEqual([]);
    h.close();

    // A bulk load into a new case with one broken line: refused, and the case (indexes included) as it was.
    const dir2 = newCase();
    const snap = snapshotCase(dir2);
    const bad = join(tmp(), 'big-bad.jsonl');
    writeFileSync(bad, readFileSync(src, 'utf8') + '{"Id": "cut\n');
    const h2 = openCase(dir2);
    const pragma2 = h2.db.pragma.bind(h2.db);
    const seen: string[] = [];
    (h2.db as { pragma: typeof pragma2 }).pragma = ((s: string, o?: { simple?: boolean }) => { seen.push(s); return pragma2(s, o); }) as typeof pragma2;
    await expect(importFile(h2, bad)).rejects.toThrow(BadInputError);
    expect(seen).toContain('journal_mode = DELETE'); // it was a bulk load
    expect(indexes(h2)).toEqual(before);
    expect(pragma2('journal_mode', { simple: true })).toBe('wal');
    h2.close();
    expect(snapshotCase(dir2)).toEqual(snap);
  });

  it('bulk-loads with the handle that created the case, whose migrations opened its temporary database', async () => {
    // Migration 0013 makes a TEMP table; SQLite then refuses to change temp_store inside a transaction,
    // which the rebuild once did ("temporary storage cannot be changed from within a transaction").
    const src = join(tmp(), 'big.jsonl');
    await writeUalJsonl(src, 30_000);
    const dir = join(tmp(), 'created');
    const h = createCase(dir, { name: 'Bulk after create', examiner: 'tester' });
    expect(statSync(src).size).toBeGreaterThan(statSync(join(dir, 'case.sqlite')).size); // a bulk load
    expect(await importFile(h, src)).toMatchObject({ records: 30_000, inserted: 30_000, rejected: 0 });
    expect(h.db.pragma('temp_store', { simple: true })).toBe(2);
    expect(h.db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'").pluck().get()).toBeGreaterThan(5);
    h.close();
  });

  it('reports its phases in order: copying and hashing, reading, then building each index (a small file has no index phase)', async () => {
    const src = join(tmp(), 'big.jsonl');
    await writeUalJsonl(src, 30_000);
    const size = statSync(src).size;
    const small = join(tmp(), 'small.jsonl');
    writeFileSync(small, jsonl([0, 1, 2].map((i) => mailItemsAccessed(i))));
    const h = openCase(newCase());
    const rebuilt = indexes(h).filter((i) => /^(events|access_items)_/.test((i as { name: string }).name)).length;
    const seen: ImportProgress[] = [];
    await importFile(h, src, { onProgress: (p) => seen.push(p) });
    const phases = seen.map((p) => p.phase).filter((p, i, all) => p !== all[i - 1]);
    expect(phases).toEqual(['copying', 'reading', 'indexing']);
    const of = <P extends ImportProgress['phase']>(phase: P) => seen.filter((p): p is Extract<ImportProgress, { phase: P }> => p.phase === phase);
    expect(of('copying').map((p) => p.bytesCopied)).toEqual([...of('copying').map((p) => p.bytesCopied)].sort((a, b) => a - b));
    expect(of('copying').at(-1)).toEqual({ phase: 'copying', file: src, bytesCopied: size, totalBytes: size });
    expect(of('reading').at(-1)).toEqual({ phase: 'reading', file: src, bytesRead: size, totalBytes: size, records: 30_000 });
    expect(of('indexing')).toEqual(Array.from({ length: rebuilt + 1 }, (_, built) => (
      { phase: 'indexing', file: src, records: 30_000, indexesBuilt: built, indexesTotal: rebuilt })));
    seen.length = 0;
    await importFile(h, small, { onProgress: (p) => seen.push(p) });
    expect(seen.map((p) => p.phase)).toEqual(['copying', 'reading']);
    h.close();
  });

  it('resolves duplicates when it rebuilds the record-Id index: the first record stays, each later copy is a duplicate at its line', async () => {
    const dir = newCase();
    const small = join(tmp(), 'earlier.jsonl');
    const earlier = Array.from({ length: 20 }, (_, i) => mailItemsAccessed(i));
    writeFileSync(small, jsonl(earlier));
    const src = join(tmp(), 'big-dups.jsonl');
    await writeUalJsonl(src, 30_000);
    const lines = readFileSync(src, 'utf8').trimEnd().split('\n');
    // Copies of 25 of the file's own lines, and of 5 records the case already holds, at the end; one of
    // the latter says something else (another user and IP) under the same Id.
    const altered = { ...earlier[4]!, UserId: 'mallory@evil.example', ClientIPAddress: '6.6.6.6' };
    const copies = [...lines.slice(100, 125), ...earlier.slice(0, 4).map((r) => JSON.stringify(r)), JSON.stringify(altered)];
    writeFileSync(src, [...lines, ...copies].join('\n') + '\n');
    const h = openCase(dir);
    await importFile(h, small);
    const r = await importFile(h, src);
    expect(r).toMatchObject({ records: 30_030, inserted: 30_000, duplicates: 30, differing: 1 });
    // The altered copy is kept with what it says, as the import of a small file (EventWriter) keeps it.
    expect(h.db.prepare('SELECT differs FROM event_duplicates WHERE differs IS NOT NULL').pluck().all()).toEqual([JSON.stringify({ user: 'mallory@evil.example', clientIp: '6.6.6.6' })]);
    const lastImport = readFileSync(join(dir, 'custody.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as CustodyEntry).filter((e) => e.action === 'import').at(-1)!;
    expect(lastImport.details).toMatchObject({ duplicates: 30, differing: 1 });
    const one = (sql: string) => h.db.prepare(sql).pluck().get();
    expect(one('SELECT count(*) FROM events')).toBe(30_020);
    // JSON lines: each event's AuditData is its line of the evidence file; no copy, and none left behind.
    expect(one('SELECT count(*) FROM event_data')).toBe(0);
    expect(one('SELECT count(*) FROM events WHERE audit_data_start IS NULL OR audit_data_end IS NULL')).toBe(0);
    const kept = h.db.prepare(`SELECT e.loc_line AS line, ${AUDIT_DATA_COLUMNS} FROM events e ${AUDIT_DATA_JOIN} WHERE e.record_id = ?`);
    const first = kept.get((JSON.parse(lines[100]!) as { Id: string }).Id) as AuditDataRef & { line: number };
    expect(first.line).toBe(101); // the first copy in the file stays, with its own bytes
    expect(withAuditData(h.db, (reader) => reader.text(first))).toBe(lines[100]);
    expect(one('SELECT count(*) FROM access_items WHERE event_id NOT IN (SELECT id FROM events)')).toBe(0);
    expect(one("SELECT count(*) FROM events_fts WHERE events_fts MATCH 'Exchange' AND rowid NOT IN (SELECT id FROM events)")).toBe(0);
    // Each duplicate names the first event with its Id, and the line of the copy, in file order.
    const dups = h.db.prepare('SELECT e.record_id AS id, e.import_run_id AS firstRun, d.loc_line AS line FROM event_duplicates d JOIN events e ON e.id = d.event_id ORDER BY d.rowid').all() as { id: string; firstRun: number; line: number }[];
    expect(dups.map((d) => d.line)).toEqual(copies.map((_, i) => lines.length + 1 + i));
    expect(dups.map((d) => d.id)).toEqual(copies.map((c) => (JSON.parse(c) as { Id: string }).Id));
    expect(new Set(dups.slice(25).map((d) => d.firstRun)).size).toBe(1);
    expect(dups[25]!.firstRun).toBeLessThan(dups[0]!.firstRun); // the case's own earlier record stays
    expect(one("SELECT count(*) FROM sqlite_master WHERE name LIKE 'bulk_duplicates%'")).toBe(0);
    expect(one("SELECT sql FROM sqlite_master WHERE name = 'events_record_id'")).toMatch(/UNIQUE/);
    h.close();
  });
});

describe('copies that say something else', () => {
  it('keeps a record received again under the same Id with what it says when it differs, and counts it; a true copy differs in nothing', async () => {
    const dir = newCase();
    const first = mailItemsAccessed(0, { id: 'id-1' });
    const a = join(tmp(), 'a.jsonl');
    writeFileSync(a, jsonl([first]));
    const b = join(tmp(), 'b.jsonl');
    // The same record (the user in other letter case), then one that gives another time, operation, user, mailbox and IP.
    writeFileSync(b, jsonl([{ ...first, UserId: 'ALEX@contoso.com' }, { ...first, CreationTime: '2026-11-20T13:00:00', Operation: 'HardDelete', RecordType: 2, UserId: 'mallory@evil.example', MailboxOwnerUPN: 'ceo@contoso.com', ClientIPAddress: '[2001:DB8::1]:443' }]));
    const h = openCase(dir);
    await importFile(h, a);
    const r = await importFile(h, b);
    expect(r).toMatchObject({ records: 2, inserted: 0, duplicates: 2, differing: 1 });
    const rows = h.db.prepare('SELECT loc_line AS line, differs FROM event_duplicates ORDER BY rowid').all();
    expect(rows).toEqual([
      { line: 1, differs: null },
      { line: 2, differs: JSON.stringify({ time: '2026-11-20T13:00:00.000Z', operation: 'HardDelete', user: 'mallory@evil.example', mailbox: 'ceo@contoso.com', clientIp: '2001:db8::1' }) },
    ]);
    // Read for the findings a record at a time: the copies of the first records only, and how many records there are.
    writeFileSync(b, jsonl([{ ...mailItemsAccessed(1, { id: 'id-2' }) }]));
    await importFile(h, b);
    const c = join(tmp(), 'c.jsonl');
    writeFileSync(c, jsonl([{ ...mailItemsAccessed(1, { id: 'id-2' }), Operation: 'Send' }]));
    await importFile(h, c);
    expect([...listCopies(h.db, { differingOnly: true, records: 1 })].map((x) => x.recordId)).toEqual(['id-1']);
    expect([...listCopies(h.db, { differingOnly: true })].map((x) => x.recordId)).toEqual(['id-1', 'id-2']);
    expect(recordsWithDifferingCopies(h.db)).toBe(2);
    // The record kept is the first, unchanged; its detail lists the copy with what it says.
    const d = eventDetail(h.db, 'id-1')!;
    expect(d).toMatchObject({ operation: 'MailItemsAccessed', user: 'alex@contoso.com' });
    expect(d.copies.map((c) => c.differs)).toEqual([null, { time: '2026-11-20T13:00:00.000Z', operation: 'HardDelete', user: 'mallory@evil.example', mailbox: 'ceo@contoso.com', clientIp: '2001:db8::1' }]);
    h.close();
  });
});

describe('dates written day first', () => {
  const header = '"Operation";"OperationResult";"LogonType";"MailboxOwnerUPN";"LogonUserDisplayName";"LastAccessed";"ClientIPAddress"\r\n';
  const row = (date: string, ip = '198.51.100.1') => `"HardDelete";"Succeeded";"Delegate";"dave@contoso.com";"Mallory";"${date}";"${ip}"\r\n`;

  it('refuses a file whose dates can only be day first, with --skip-bad too, leaving the case as it was; --date-order dmy reads them so', async () => {
    const dir = newCase();
    const f = join(tmp(), 'mbx-en-gb.csv');
    writeFileSync(f, header + row('03/04/2026 10:00:00') + row('25/04/2026 10:00:00'));
    const h = openCase(dir);
    const custody = () => readFileSync(join(dir, 'custody.jsonl'), 'utf8');
    const before = custody();
    for (const skipBad of [false, true]) {
      const e = await importFile(h, f, { skipBad }).then(() => null, (x: unknown) => x);
      expect(e).toBeInstanceOf(BadInputError);
      expect((e as BadInputError).message).toContain('row 2 (line 3): the date "25/04/2026 10:00:00" can only be read day first');
      expect((e as BadInputError).hint).toMatch(/--date-order dmy/);
    }
    expect(custody()).toBe(before);
    expect(h.db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(0);
    const r = await importFile(h, f, { dateOrder: 'dmy' });
    expect(r).toMatchObject({ records: 2, inserted: 2, dates: { order: 'dmy', how: 'option', slashDates: 2, ambiguous: 1 } });
    expect(h.db.prepare("SELECT date_order FROM import_runs WHERE status = 'completed'").pluck().all()).toEqual(['dmy']); // as verify --records reads it again
    expect([...timeline(h.db, {})].map((e) => e.time)).toEqual(['2026-04-03T10:00:00.000Z', '2026-04-25T10:00:00.000Z']);
    const entry = custody().trim().split('\n').map((l) => JSON.parse(l) as CustodyEntry).at(-1)!;
    expect(entry.details).toMatchObject({ dateOrder: 'dmy', dateOrderFrom: 'option' });
    h.close();
  });

  it('says a file whose slash dates read either way was read month first (assumed), and one with a month-first-only date so (told from the file)', async () => {
    const dir = newCase();
    const h = openCase(dir);
    const amb = join(tmp(), 'amb.csv');
    writeFileSync(amb, header + row('03/04/2026 10:00:00'));
    expect(await importFile(h, amb)).toMatchObject({ dates: { order: 'mdy', how: 'assumed', slashDates: 1, ambiguous: 1 } });
    const us = join(tmp(), 'us.csv');
    writeFileSync(us, header + row('03/04/2026 11:00:00', '198.51.100.2') + row('4/25/2026 10:00:00 AM', '198.51.100.2'));
    expect(await importFile(h, us)).toMatchObject({ dates: { order: 'mdy', how: 'file', slashDates: 2, ambiguous: 1 } });
    h.close();
  });

  it('passes the order to the parse worker of a large file', async () => {
    const dir = newCase();
    const f = join(tmp(), 'big-en-gb.csv');
    const rows: string[] = [header];
    for (let i = 0; rows.length < 85_000; i++) rows.push(row(`${String(1 + (i % 28)).padStart(2, '0')}/04/2026 10:${String(i % 60).padStart(2, '0')}:00`, `198.51.${(i >> 8) & 255}.${i & 255}`));
    writeFileSync(f, rows.join(''));
    expect(statSync(f).size).toBeGreaterThan(8 << 20); // WORKER_PARSE_BYTES: parsed on the worker
    const h = openCase(dir);
    await expect(importFile(h, f)).rejects.toThrow(/can only be read day first/);
    const r = await importFile(h, f, { dateOrder: 'dmy' });
    expect(r.dates).toMatchObject({ order: 'dmy', how: 'option' });
    expect(h.db.prepare("SELECT count(*) FROM events WHERE strftime('%m', time_ms / 1000, 'unixepoch') <> '04'").pluck().get()).toBe(0);
    h.close();
  });
});

describe('a CSV header that names a column twice', () => {
  it('refuses the file whole, saying which column, without calling it another format', async () => {
    const dir = newCase();
    const f = join(tmp(), 'dup-header.csv');
    writeFileSync(f, 'CreationTime,Id,Operation,UserId,ClientIP,clientip\r\n2026-11-15T09:00:00,dup-1,X,a@c.com,1.2.3.4,6.6.6.6\r\n');
    const h = openCase(dir);
    for (const skipBad of [false, true]) {
      const e = await importFile(h, f, { skipBad }).then(() => null, (x: unknown) => x) as BadInputError;
      expect(e).toBeInstanceOf(BadInputError);
      expect(e.message).toMatch(/header names a column more than once/);
      expect(e.message).not.toMatch(/: not [a-z-]+:/);
      expect(e.hint).toMatch(/repeated column/);
    }
    expect(h.db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(0);
    h.close();
  });
});
