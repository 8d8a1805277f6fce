// Format detection and parsing over the project's own fixtures (test/fixtures/formats, written from the
// protocol reference), including chunk-boundary equivalence.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuditEvent, ConfigRecord, ParsedItem } from '../../core/model.ts';
import { FORMATS, createParser, detectFormat } from '../../core/formats/index.ts';
import type { FormatId } from '../../core/formats/types.ts';

const DIR = join(import.meta.dirname, '../fixtures/formats');
const read = (f: string): string => readFileSync(join(DIR, f), 'utf8');

function parseChunks(format: FormatId, text: string, size: number): ParsedItem[] {
  const p = createParser(format);
  const out: ParsedItem[] = [];
  for (let i = 0; i < text.length; i += size) out.push(...p.push(text.slice(i, i + size)));
  out.push(...p.end());
  return out;
}

function load(file: string): { format: FormatId; items: ParsedItem[] } {
  const text = read(file);
  const det = detectFormat(text.slice(0, 262_144), file);
  if (!det.ok) throw new Error(`not detected: ${det.reason}`);
  return { format: det.format, items: parseChunks(det.format, text, text.length) };
}

const events = (items: ParsedItem[]): AuditEvent[] => items.flatMap((i) => (i.kind === 'event' ? [i.event] : []));
const rejects = (items: ParsedItem[]): string[] => items.flatMap((i) => (i.kind === 'reject' ? [i.reason] : []));
const configs = (items: ParsedItem[]): ConfigRecord[] => items.flatMap((i) => (i.kind === 'config' ? [i.config] : []));

const EXPECTED: Record<string, [FormatId, string]> = {
  'ual-lines.jsonl': ['ual-json', 'json-lines'],
  'ual-blob.json': ['ual-json', 'json-array'],
  'ual-single.json': ['ual-json', 'json-object'],
  'envelopes.jsonl': ['ual-json', 'json-lines'],
  'purview.csv': ['purview-csv', 'csv'],
  'sual.json': ['sual-json', 'json-array'],
  'sual.csv': ['sual-csv', 'csv'],
  'sual-flat.csv': ['sual-csv', 'csv'],
  'graph-page.json': ['graph-json', 'json-object'],
  'graph.jsonl': ['graph-json', 'json-lines'],
  'mailbox-audit.csv': ['mailbox-audit-csv', 'csv'],
  'mailbox-audit.json': ['mailbox-audit-json', 'json-array'],
  'sentinel.csv': ['sentinel-csv', 'csv'],
  'sentinel.json': ['sentinel-json', 'json-array'],
  'config-mailbox.json': ['config-mailbox', 'json-array'],
  'config-mailbox.csv': ['config-mailbox', 'csv'],
  'config-bypass.csv': ['config-bypass', 'csv'],
  'config-bypass.json': ['config-bypass', 'json-lines'],
  'config-organization.json': ['config-organization', 'json-lines'],
  'config-adminauditlog.json': ['config-adminauditlog', 'json-lines'],
  'config-licence-users.json': ['config-licence', 'json-object'],
  'config-licence-details.json': ['config-licence', 'json-object'],
  'config-licence.csv': ['config-licence', 'csv'],
  'config-inboxrule.json': ['config-inboxrule', 'json-array'],
};

describe('FORMATS', () => {
  it('lists each format once with a title, and every fixture\'s format is among them', () => {
    const ids = FORMATS.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const f of FORMATS) expect(f.title.length).toBeGreaterThan(10);
    for (const [format] of Object.values(EXPECTED)) expect(ids).toContain(format);
  });
});

describe('detectFormat', () => {
  it('covers every fixture file', () => {
    expect(readdirSync(DIR).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s → %j', (file, [format, container]) => {
    expect(detectFormat(read(file).slice(0, 262_144), file)).toEqual({ ok: true, format, container });
  });

  it('decides by content, not by extension', () => {
    const det = detectFormat(read('sentinel.json'), 'export.csv');
    expect(det).toMatchObject({ ok: true, format: 'sentinel-json' });
  });

  it('tells Graph, raw UAL and Sentinel JSON lines apart', () => {
    const raw = '{"CreationTime":"2024-01-01T00:00:00","Id":"1","Operation":"Send","RecordType":2}\n';
    const graph = '{"id":"1","createdDateTime":"2024-01-01T00:00:00Z","auditLogRecordType":"ExchangeItem","auditData":{"CreationTime":"2024-01-01T00:00:00Z"}}\n';
    const sentinel = '{"TimeGenerated":"2024-01-01T00:00:00Z","Operation":"Send","OfficeWorkload":"Exchange","OfficeId":"1"}\n';
    expect(detectFormat(raw, 'a.jsonl')).toMatchObject({ format: 'ual-json', container: 'json-lines' });
    expect(detectFormat(graph, 'a.jsonl')).toMatchObject({ format: 'graph-json', container: 'json-lines' });
    expect(detectFormat(sentinel, 'a.jsonl')).toMatchObject({ format: 'sentinel-json', container: 'json-lines' });
  });

  it('accepts a BOM and a sample that ends mid-record', () => {
    const text = '\uFEFF' + read('ual-lines.jsonl');
    expect(text.indexOf('\n') + 1).toBeLessThan(2100); // the cut falls inside a later record
    expect(detectFormat(text.slice(0, 2100), 'x')).toMatchObject({ ok: true, format: 'ual-json' });
  });

  it.each([
    ['', /is empty/],
    ['hello world\n', /neither JSON nor a CSV/],
    ['a,b,c\n1,2,3\n', /CSV header \(a, b, c\) matches no known export/],
    ['{"foo":1,"bar":2}\n', /keys foo, bar match no known/],
    ['[1,2,3]', /holds no readable JSON object/],
  ])('reports an unknown format for %j', (sample, reason) => {
    const det = detectFormat(sample, 'mystery.txt');
    expect(det.ok).toBe(false);
    if (!det.ok) {
      expect(det.tried.sort()).toEqual(FORMATS.map((f) => f.id).filter((id) => id !== 'api-answer').sort());
      expect(det.reason).toMatch(reason);
    }
  });
});

describe('chunk boundaries', () => {
  it.each(Object.entries(EXPECTED))('%s parses the same at 1 and 7 characters per push', (file, [format]) => {
    const text = read(file);
    const whole = parseChunks(format, text, text.length);
    expect(whole.length).toBeGreaterThan(0);
    expect(parseChunks(format, text, 1)).toEqual(whole);
    expect(parseChunks(format, text, 7)).toEqual(whole);
  });
});

describe('ual-json', () => {
  it('JSON lines: events, readable rejects with line numbers, blank lines skipped', () => {
    const { items } = load('ual-lines.jsonl');
    expect(rejects(items)).toEqual([
      expect.stringMatching(/^line 5: not valid JSON \(Unterminated string/),
      'line 6: no CreationTime',
    ]);
    const evs = events(items);
    expect(evs.map((e) => e.recordId.slice(0, 8))).toEqual(['daf566de', '5c1e0000', '5c1e0000', 'sha256:f', '5c1e0000']);
    expect(items.filter((i) => i.kind === 'event').map((i) => i.loc.line)).toEqual([1, 2, 4, 7, 8]);
    const lines = read('ual-lines.jsonl').split('\n');
    expect(evs[0]?.auditDataText).toBe(lines[0]); // the exact line, for verbatim storage
    expect(evs[0]?.items.map((i) => i.internetMessageId)).toEqual([
      '<ceafc3fa@az.westcentralus.production.microsoft.com>', '<ae042a57@az.westeurope.production.microsoft.com>', '<CY5PR05MB9143@CY5PR05MB9143.namprd05.prod.outlook.com>',
    ]);
    expect(evs[0]?.items[1]?.sizeBytes).toBe(153806);
    expect(evs[1]?.items).toEqual([{ folderPath: 'Inbox', folderId: 'LgAAAAsync', internetMessageId: null, sizeBytes: null, accessType: 'Sync', subject: null }]);
    expect(evs[1]?.clientIp).toBe('198.51.100.218');
    expect(evs[2]).toMatchObject({ recordType: 1, userType: 2, clientIp: '2001:db8::7', mailbox: 'alex', appId: null });
    expect(evs[3]).toMatchObject({ idSynthetic: true, mailbox: 'svc-archive', timeMs: Date.parse('2024-04-28T09:12:00.123Z') });
    expect(evs[4]?.items).toEqual([{ folderPath: '\\Drafts', folderId: 'LgAAAAdrafts', internetMessageId: null, sizeBytes: null, accessType: 'Sync', subject: null }]);
  });

  it('JSON array (Management API blob): element offsets, strings with brackets, bad elements rejected and skipped', () => {
    const { items } = load('ual-blob.json');
    expect(items.map((i) => [i.kind, i.loc.offset])).toEqual([['event', 0], ['event', 1], ['reject', 2], ['reject', 3], ['event', 4]]);
    expect(rejects(items)[0]).toBe('element 2 (line 18): expected a JSON object, found "not a record"');
    expect(rejects(items)[1]).toMatch(/^element 3 \(line 19\): not valid JSON/);
    const evs = events(items);
    expect(evs[0]?.auditData.Note).toBe('braces } and ] and "quotes" inside strings, and a backslash \\');
    expect(JSON.parse(evs[0]?.auditDataText ?? '')).toEqual(evs[0]?.auditData);
    expect(evs[1]).toMatchObject({ recordType: 3, userType: 0, mailbox: 'alex@contoso.com' });
    expect(evs[1]?.searchText).toContain('RE: Invoice');
    expect(evs[2]).toMatchObject({ operation: 'AttachmentAccess', appId: 'abcdabcd-1234-12ab-1a2b-ad1234567890', clientAppId: 'bbbbbbbb-1234-12ab-1a2b-ad1234567890' });
    expect(evs[2]?.items).toEqual([{ folderPath: '\\Inbox', folderId: 'LgAAAAmsgfolder', internetMessageId: '<att@example.com>', sizeBytes: 2048, accessType: 'Bind', subject: null }]);
  });

  it('a single pretty-printed object with string-typed numbers', () => {
    const { items } = load('ual-single.json');
    const [ev] = events(items);
    expect(items).toHaveLength(1);
    expect(ev).toMatchObject({ recordId: '6c3454e1-1a13-411b-bed1-08d7adfc0c09', recordType: 1, userType: 3, userId: 'NT AUTHORITY\\SYSTEM (Microsoft.Exchange.ServiceHost)' });
  });

  it('unwraps pipeline envelopes, rejects ambiguous ones', () => {
    const { items } = load('envelopes.jsonl');
    expect(events(items).map((e) => e.recordId)).toEqual(['env-1', 'env-2', 'env-3', 'env-4', 'env-5']);
    expect(events(items)[2]?.clientIp).toBe('192.0.2.44');
    expect(events(items)[3]?.items[0]?.internetMessageId).toBe('<env4@contoso.com>');
    // event.original is the exact record text: kept for verbatim storage
    expect(events(items)[4]?.auditDataText).toBe('{"CreationTime":"2024-06-01T10:00:04","Id":"env-5","Operation":"Create","RecordType":"2","Workload":"Exchange"}');
    expect(rejects(items)).toEqual([
      'line 6: ambiguous envelope: 2 nested objects look like audit records (left, right); none imported',
      'line 7: no CreationTime',
    ]);
  });

  it('reports a truncated JSON array', () => {
    const p = createParser('ual-json');
    const items = [...p.push('[{"CreationTime":"2024-01-01T00:00:00","Id":"a"},{"CreationTime":'), ...p.end()];
    expect(events(items)).toHaveLength(1);
    expect(rejects(items)).toEqual(['element 1 (line 1): the file ends inside this record (truncated?)']);
  });
});

describe('a CSV header that names a column twice', () => {
  const row = '2026-11-15T09:00:00,d-1,Send,a@contoso.com,1.2.3.4,6.6.6.6\n';
  it.each([
    ['the same name', 'CreationTime,Id,Operation,UserId,ClientIP,ClientIP\n', 'line 1: the header names a column more than once: ClientIP (columns 5, 6);'],
    ['names that differ in letter case', 'CreationTime,Id,Operation,UserId,ClientIP,clientip\n', 'line 1: the header names a column more than once: ClientIP and clientip (columns 5, 6);'],
    ['two names, after a #TYPE line', '#TYPE Deserialized.Thing\nCreationTime,Id,Operation,UserId,ClientIP,ClientIP,userid\n', 'line 2: the header names columns more than once: UserId and userid (columns 4, 7); ClientIP (columns 5, 6);'],
  ])('%s: the whole file is refused, naming them', (_what, header, reason) => {
    for (const size of [1, 1000]) {
      const items = parseChunks('sual-csv', header + row + row, size);
      expect(items).toEqual([{ kind: 'reject', loc: { line: reason.startsWith('line 2') ? 2 : 1 }, reason: expect.stringContaining(reason), text: expect.any(String), wholeFile: 'header' }]);
    }
  });

  it('refuses a configuration CSV too, and reads a header with several unnamed columns', () => {
    expect(parseChunks('config-mailbox', 'Identity,AuditEnabled,auditenabled\nalex,True,False\n', 5)).toEqual([expect.objectContaining({ kind: 'reject', wholeFile: 'header' })]);
    const items = parseChunks('sual-csv', 'CreationTime,Id,Operation,UserId,ClientIP,,\n' + '2026-11-15T09:00:00,d-1,Send,a@contoso.com,1.2.3.4,,\n', 7);
    expect(rejects(items)).toEqual([]);
    expect(events(items)).toEqual([expect.objectContaining({ recordId: 'd-1', clientIp: '1.2.3.4' })]);
  });
});

describe('purview-csv', () => {
  it('a file cut inside a quoted cell is reported, not read as complete', () => {
    const text = read('purview.csv');
    const cut = text.slice(0, text.lastIndexOf('""Operation""'));
    for (const size of [cut.length, 7]) {
      const items = parseChunks('purview-csv', cut, size);
      expect(rejects(items).at(-1)).toMatch(/ends inside a quoted cell/);
    }
  });

  it('names a cell cut to Excel\'s 32,767 characters as such, and reads a longer whole one', () => {
    const record = { Id: 'big', CreationTime: '2026-05-01T10:00:00', Operation: 'Send', RecordType: 2, UserId: 'a@contoso.com', Item: { Subject: 'x'.repeat(40_000) } };
    const row = (auditData: string) => `big,5/1/2026 10:00:00 AM,2,Send,a@contoso.com,"${auditData.replaceAll('"', '""')}"\r\n`;
    const header = 'RecordId,CreationDate,RecordType,Operation,UserId,AuditData\r\n';
    const json = JSON.stringify(record);
    const cut = parseChunks('purview-csv', header + row(json.slice(0, 32767)), 4096);
    expect(rejects(cut)).toEqual([expect.stringMatching(/^row 1 \(line 2\): AuditData is cut at 32767 characters, the most an Excel cell holds: the file was probably opened and saved in Excel/)]);
    // a cut at any other length is only invalid JSON
    expect(rejects(parseChunks('purview-csv', header + row(json.slice(0, 32766)), 4096))).toEqual([expect.stringMatching(/AuditData is not valid JSON/)]);
    expect(events(parseChunks('purview-csv', header + row(json), 4096)).map((e) => e.recordId)).toEqual(['big']);
  });

  it('reads the AuditData cell (doubled quotes, escaped slashes, multi-line) and keeps it verbatim', () => {
    const { items } = load('purview.csv');
    expect(items.map((i) => [i.kind, i.loc.line, i.loc.row])).toEqual([['event', 2, 1], ['event', 3, 2], ['reject', 5, 3], ['event', 6, 4]]);
    expect(rejects(items)[0]).toMatch(/^row 3 \(line 5\): AuditData is not valid JSON/);
    const [mia, send, admin] = events(items);
    expect(mia?.auditData.ObjectId).toBe('https://outlook.office.com/mail');
    expect(mia?.auditDataText).toContain('"ObjectId":"https:\\/\\/outlook.office.com\\/mail"');
    expect(JSON.parse(mia?.auditDataText ?? '')).toEqual(mia?.auditData);
    expect(mia?.items.map((i) => i.internetMessageId)).toEqual(['<p1@contoso.com>']);
    expect(send?.auditDataText).toContain('\n');
    expect(send?.searchText).toContain('Hello There');
    expect(admin).toMatchObject({ recordType: 1, mailbox: 'alex', timeMs: Date.UTC(2023, 8, 21) });
  });
});

describe('sual', () => {
  it('JSON: AuditData as text or nested object; enum names; broken AuditData rejected', () => {
    const { items } = load('sual.json');
    const [a, b] = events(items);
    expect(a).toMatchObject({ recordType: 50, mailbox: 'alex@contoso.com' });
    expect(a?.auditDataText).toMatch(/^\{"CreationTime":"2024-05-01T10:15:22"/);
    expect(b).toMatchObject({ recordType: 1, recordTypeName: 'ExchangeAdmin', userType: 2, mailbox: 'svc-archive' });
    expect(b?.auditDataText).toBeUndefined();
    expect(rejects(items)).toEqual([expect.stringMatching(/^element 2 \(line 35\): AuditData is not valid JSON/)]);
  });

  it('CSV with a pretty-printed multi-line AuditData cell', () => {
    const { items } = load('sual.csv');
    const evs = events(items);
    expect(items.map((i) => i.loc.line)).toEqual([2, 21]);
    expect(evs.map((e) => [e.recordType, e.userType, e.clientIp])).toEqual([[1, 3, null], [2, null, '2603:10b6:8::12']]);
    expect(evs[0]?.mailbox).toBe('contoso.onmicrosoft.com\\alex');
  });

  it('flattened CSV: Parameters[0].Name columns rebuilt, empty padding dropped, envelope columns not in auditData', () => {
    const { items } = load('sual-flat.csv');
    const evs = events(items);
    expect(evs[0]?.auditData.Parameters).toEqual([{ Name: 'Identity', Value: 'alex' }, { Name: 'AuditEnabled', Value: 'False' }]);
    expect(evs[0]?.auditData.AppAccessContext).toEqual({ APIId: 'api-1' });
    expect(evs[0]?.auditData.CreationDate).toBeUndefined();
    expect(evs[0]).toMatchObject({ appId: 'api-1', clientIp: '2603:10b6:8::12', mailbox: 'alex', timeMs: Date.UTC(2025, 2, 12, 22, 23, 3) });
    expect(evs[1]?.auditData.Parameters).toHaveLength(3);
    expect(evs[1]?.clientIp).toBe('198.51.100.9');
  });
});

describe('graph-json', () => {
  it('page envelope: crossed user fields, annotation keys ignored, auditData kept as received', () => {
    const { items } = load('graph-page.json');
    const [signin, mia] = events(items);
    expect(items.map((i) => i.loc.offset)).toEqual([0, 1]);
    expect(signin).toMatchObject({ recordType: 15, userId: 'rob@contoso.com', userKey: 'bbcfc3c5-0000-0000-0000-18477a9fb504', clientIp: '2001:db8::1038' });
    expect(signin?.auditData['RecordType@odata.type']).toBe('#Int64');
    expect(mia).toMatchObject({ recordType: 50, logonType: 1, mailbox: 'ceo@contoso.com' });
    expect(mia?.items).toEqual([{ folderPath: '\\Inbox', folderId: 'LgAAAAg', internetMessageId: '<g1@contoso.com>', sizeBytes: 5120, accessType: 'Bind', subject: null }]);
  });

  it('JSON lines; a record without auditData is rejected with the reason', () => {
    const { items } = load('graph.jsonl');
    expect(events(items).map((e) => e.operation)).toEqual(['Send']);
    expect(rejects(items)).toEqual(['line 2: Graph record has no auditData object (the classic record); not imported']);
  });
});

describe('mailbox-audit', () => {
  it('CSV with #TYPE line: LastAccessed, LogonType names, message-id lists, Sync rows, synthetic ids', () => {
    const { items } = load('mailbox-audit.csv');
    const evs = events(items);
    expect(items.filter((i) => i.kind !== 'dates').map((i) => i.loc.line)).toEqual([3, 4, 5, 6]);
    // 5/1/2024 reads either way: month first, as en-US writes it, assumed (the import says so)
    expect(items.at(-1)).toMatchObject({ kind: 'dates', order: 'mdy', how: 'assumed' });
    expect(evs.map((e) => [e.operation, e.logonType, e.recordTypeName, e.recordType, e.idSynthetic])).toEqual([
      ['MailItemsAccessed', 2, 'MailboxAuditLog', null, true],
      ['MailItemsAccessed', 0, 'MailboxAuditLog', null, true],
      ['SoftDelete', 0, 'MailboxAuditLog', null, true],
    ]);
    expect(evs[0]?.timeMs).toBe(Date.UTC(2024, 4, 1, 9, 15));
    expect(evs[0]?.items.map((i) => [i.accessType, i.internetMessageId, i.folderPath])).toEqual([['Bind', '<a1@contoso.com>', '\\Inbox'], ['Bind', '<a2@contoso.com>', '\\Inbox']]);
    expect(evs[1]?.items).toEqual([{ folderPath: '\\Sent Items', folderId: 'LgAAAAsent', internetMessageId: null, sizeBytes: null, accessType: 'Sync', subject: null }]);
    expect(evs[1]?.clientIp).toBe('2001:db8::20');
    expect(evs[2]?.items).toEqual([]);
    expect(evs[2]?.searchText).toContain('Board minutes');
    expect(new Set(evs.map((e) => e.recordId)).size).toBe(3);
    expect(rejects(items)).toEqual(['row 4 (line 6): no LastAccessed']);
  });

  it('JSON: OperationProperties arrays, /Date()/ times, id lists as arrays', () => {
    const { items } = load('mailbox-audit.json');
    const evs = events(items);
    expect(evs[0]).toMatchObject({ logonType: 1, clientIp: '198.51.100.30', sessionId: 'sess-j' });
    expect(evs[0]?.items[0]).toMatchObject({ internetMessageId: '<j1@contoso.com>', subject: 'Payroll', accessType: 'Bind' });
    expect(evs[1]?.timeMs).toBe(1714636800000);
    expect(evs[1]?.items.map((i) => i.internetMessageId)).toEqual(['<j2@contoso.com>', '<j3@contoso.com>']);
  });
});

describe('sentinel', () => {
  it('CSV: TimeGenerated, OfficeId, JSON-text Folders/OperationProperties/Parameters', () => {
    const { items } = load('sentinel.csv');
    const [mia, bypass] = events(items);
    expect(mia).toMatchObject({ recordId: 'aa000000-0000-4000-8000-000000000001', recordType: 50, workload: 'Exchange', userType: 0, logonType: 2, clientIp: '203.0.113.40', timeMs: Date.parse('2024-05-01T10:15:22.123Z') });
    expect(mia?.items).toEqual([{ folderPath: '\\Inbox', folderId: 'LgAAAAinbox', internetMessageId: '<sn1@contoso.com>', sizeBytes: 1000, accessType: 'Bind', subject: null }]);
    expect(mia?.auditData.OperationProperties).toEqual([{ Name: 'MailAccessType', Value: 'Bind' }, { Name: 'IsThrottled', Value: 'True' }]);
    expect(bypass).toMatchObject({ recordType: 1, mailbox: 'svc-archive', clientIp: '198.51.100.40' });
  });

  // The Azure portal's Export to CSV names each date-time column with the time zone it shows.
  const portalHeader = (zone: string) => `TenantId,TimeGenerated [${zone}],OfficeWorkload,RecordType,Operation,UserId,Client_IPAddress,OfficeId,MailboxOwnerUPN,Type\n`;
  const portalRow = 't1,"11/15/2026, 9:05:00.000 AM",Exchange,ExchangeItem,HardDelete,eve@contoso.com,203.0.113.50:5555,aaaa-1,eve@contoso.com,OfficeActivity\n';

  it('CSV from the Azure portal, with only TimeGenerated [UTC], is detected and read', () => {
    const text = portalHeader('UTC') + portalRow;
    expect(detectFormat(text, 'query_data.csv')).toEqual({ ok: true, format: 'sentinel-csv', container: 'csv' });
    expect(events(parseChunks('sentinel-csv', text, 7))).toEqual([
      expect.objectContaining({ recordId: 'aaaa-1', operation: 'HardDelete', clientIp: '203.0.113.50', timeMs: Date.parse('2026-11-15T09:05:00Z') }),
    ]);
  });

  it('CSV from the Azure portal in local time is detected, and its rows refused with the reason', () => {
    const text = portalHeader('Local Time') + portalRow;
    expect(detectFormat(text, 'query_data.csv')).toMatchObject({ ok: true, format: 'sentinel-csv' });
    expect(rejects(parseChunks('sentinel-csv', text, text.length))).toEqual([
      expect.stringMatching(/^row 1 \(line 2\): TimeGenerated \[Local Time\] is in the time zone of the browser that exported it, which the file does not say; export it again/),
    ]);
  });

  it('JSON: a row without any time is rejected', () => {
    const { items } = load('sentinel.json');
    expect(events(items)[0]).toMatchObject({ operation: 'New-InboxRule', clientIp: '2001:db8::40', objectId: 'ceo\\Hidden' });
    expect(rejects(items)).toEqual(['element 1 (line 3): no CreationTime and no TimeGenerated']);
  });
});

describe('configuration exports', () => {
  it('reads a configuration export\'s dates in the file\'s order, as audit records are: refused when one can only be day first, read so when told', () => {
    const csv = 'Identity,AuditBypassEnabled,WhenChanged\r\nadm.patti,True,03/04/2026 10:00:00\r\nsvc,True,25/04/2026 10:00:00\r\n';
    const parse = (order: 'auto' | 'dmy') => { const p = createParser('config-bypass', undefined, order); return [...p.push(csv), ...p.end()]; };
    expect(parse('auto').filter((i) => i.kind === 'reject' && i.wholeFile === 'date-order')).toHaveLength(1);
    const told = parse('dmy');
    expect(configs(told).map((c) => (c.kind === 'bypass' ? c.value.whenChangedUtc : null))).toEqual(['2026-04-03T10:00:00.000Z', '2026-04-25T10:00:00.000Z']);
    expect(told.at(-1)).toMatchObject({ kind: 'dates', order: 'dmy', how: 'option', slashDates: 2 });
  });

  it('refuses a row whose setting it exists for cannot be read, rather than keep it as unknown (the blind-spot analysis would claim knowledge it lacks)', () => {
    const reasons = (format: FormatId, csv: string) => rejects(parseChunks(format, csv, 1 << 20));
    expect(reasons('config-organization', 'Identity,AuditDisabled\r\ncontoso.onmicrosoft.com,Maybe\r\n')).toEqual(['row 1 (line 2): AuditDisabled "Maybe" is not true or false: a Get-OrganizationConfig row must say whether mailbox auditing is off for the organisation']);
    expect(reasons('config-adminauditlog', 'Identity,AdminAuditLogEnabled\r\nAdmin Audit Log Settings,True\r\n')).toEqual(['row 1 (line 2): UnifiedAuditLogIngestionEnabled null is not true or false: a Get-AdminAuditLogConfig row must say whether the unified audit log is on']);
    expect(reasons('config-mailbox', 'Identity,AuditEnabled,AuditLogAgeLimit\r\nalex,Yes please,90.00:00:00\r\nbob,True,ninety days\r\ncarol,True,\r\n')).toEqual([
      'row 1 (line 2): AuditEnabled "Yes please" cannot be read', 'row 2 (line 3): AuditLogAgeLimit "ninety days" cannot be read',
    ]); // carol's limit is absent, not unreadable: kept
    expect(reasons('config-inboxrule', '{"CreationTime":"2026-11-15T09:00:00","Id":"a","Operation":"X"}\n')).toEqual(['line 1: inbox rule row has no Identity or Name']);
  });

  it('Get-Mailbox JSON: lists, TimeSpan days, booleans from strings, annotations ignored', () => {
    const { items } = load('config-mailbox.json');
    const [alex, shared] = configs(items);
    expect(alex?.kind === 'mailbox' && alex.value).toMatchObject({ identity: 'alex', exchangeGuid: '0f5e0000-0000-4000-8000-000000000001', auditEnabled: true, auditLogAgeLimitDays: 90, defaultAuditSet: ['Admin', 'Delegate', 'Owner'] });
    expect(alex?.kind === 'mailbox' && alex.value.auditOwner).toContain('MailItemsAccessed');
    expect(shared?.kind === 'mailbox' && shared.value).toMatchObject({ auditEnabled: false, auditLogAgeLimitDays: 30.5, auditOwner: ['Update'] });
    expect(rejects(items)).toEqual(['element 2 (line 13): mailbox row has no Identity, UserPrincipalName, PrimarySmtpAddress or ExchangeGuid']);
  });

  it('Get-Mailbox CSV with #TYPE: multi-valued cells in every spelling', () => {
    const { items } = load('config-mailbox.csv');
    const [alex, bob] = configs(items).map((c) => (c.kind === 'mailbox' ? c.value : null));
    expect(alex).toMatchObject({ auditOwner: ['Update', 'MoveToDeletedItems'], auditDelegate: ['Update', 'SoftDelete', 'HardDelete'], auditAdmin: ['Update', 'Create'], defaultAuditSet: ['Admin', 'Delegate', 'Owner'], auditEnabled: true });
    expect(bob).toMatchObject({ auditEnabled: false, auditLogAgeLimitDays: 180, auditOwner: [], auditDelegate: [], defaultAuditSet: ['Admin'] });
  });

  it('bypass associations: CSV and JSON; an unreadable boolean is rejected, not guessed', () => {
    const csv = load('config-bypass.csv').items;
    expect(configs(csv).map((c) => (c.kind === 'bypass' ? [c.value.identity, c.value.auditBypassEnabled, c.value.whenChangedUtc] : null))).toEqual([
      ['svc-archive', true, '2024-04-28T09:12:00.000Z'], ['alex', false, '2024-03-01T10:00:00.000Z'],
    ]);
    expect(rejects(csv)).toEqual(['row 3 (line 4): AuditBypassEnabled "maybe" is not true or false']);
    expect(configs(load('config-bypass.json').items)[0]).toMatchObject({ kind: 'bypass', value: { auditBypassEnabled: true } });
  });

  it('organisation and admin audit log config', () => {
    expect(configs(load('config-organization.json').items)).toMatchObject([{ kind: 'organization', value: { name: 'contoso.onmicrosoft.com', auditDisabled: false } }]);
    expect(configs(load('config-adminauditlog.json').items)).toMatchObject([{ kind: 'adminAuditLog', value: {
      unifiedAuditLogIngestionEnabled: false, adminAuditLogEnabled: true, adminAuditLogAgeLimitDays: 90, unifiedAuditLogFirstOptInDate: '2020-01-01T12:00:00.000Z',
    } }]);
  });

  it('inbox rules: forwarding, folder moves, flags and the owning mailbox', () => {
    expect(configs(load('config-inboxrule.json').items)).toMatchObject([
      { kind: 'inboxRule', value: { mailbox: 'alex', name: '.', enabled: true, forwardTo: ['"drop@evil.example" [SMTP:drop@evil.example]'], redirectTo: [], moveToFolder: 'alex:\\RSS Feeds', markAsRead: true, deleteMessage: false, stopProcessingRules: true, whenChanged: '2024-05-02T08:01:10.000Z' } },
      { kind: 'inboxRule', value: { mailbox: 'bob', enabled: false, forwardTo: [] } },
    ]);
  });

  it('licences: Graph users (direct vs group), licenseDetails page (UPN from the context), flat CSV', () => {
    const users = configs(load('config-licence-users.json').items).map((c) => (c.kind === 'licence' ? c.value : null));
    expect(users.map((u) => [u?.userPrincipalName, u?.skuId, u?.assignedVia, u?.groupId])).toEqual([
      ['alex@contoso.com', '06ebc4ee-1bb5-47dd-8120-11324bc54e06', 'group', 'grp-e5'],
      ['alex@contoso.com', '18181a46-0d4e-45cd-891e-60aabd171b4e', 'direct', null],
      ['bob@contoso.com', '18181a46-0d4e-45cd-891e-60aabd171b4e', null, null],
    ]);
    const details = configs(load('config-licence-details.json').items);
    expect(details).toMatchObject([{ kind: 'licence', value: { userPrincipalName: 'alex@contoso.com', skuPartNumber: 'SPE_E5' } }]);
    expect(details[0]?.kind === 'licence' && details[0].value.servicePlans[0]).toEqual({ name: 'M365_ADVANCED_AUDITING', status: 'Success' });
    const flat = load('config-licence.csv').items;
    expect(configs(flat).map((c) => (c.kind === 'licence' ? [c.value.userPrincipalName, c.value.assignedVia, c.value.servicePlans.find((p) => p.name === 'M365_ADVANCED_AUDITING')?.status] : null))).toEqual([
      ['alex@contoso.com', 'group', 'Success'], ['bob@contoso.com', 'direct', 'Disabled'],
    ]);
    expect(rejects(flat)).toEqual([expect.stringMatching(/^row 3 \(line 4\): licence record has no userPrincipalName/)]);
  });
});

describe('createParser guards', () => {
  it('a JSON-only format given CSV text says so', () => {
    const p = createParser('graph-json');
    const items = [...p.push('a,b\n1,2\n'), ...p.end()];
    expect(rejects(items)).toEqual(['line 1: graph-json expects JSON but the text does not start with "[" or "{"']);
  });
  it('a CSV row with the wrong number of cells is rejected and parsing continues', () => {
    const p = createParser('purview-csv');
    const items = [...p.push('RecordId,CreationDate,RecordType,Operation,UserId,AuditData\nx,y\n'), ...p.end()];
    expect(rejects(items)).toEqual(['row 1 (line 2): has 2 cells but the header has 6']);
  });
});

describe('byte ranges of JSON records (where a record lies in its evidence file)', () => {
  const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');
  const rec = (id: string, subject: string) => JSON.stringify({ CreationTime: '2024-06-01T10:00:00', Id: id, Operation: 'Send', RecordType: 2, Workload: 'Exchange', Item: { Subject: subject } });

  function parseFileBytes(bytes: Buffer, chunk: number): ParsedItem[] {
    const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    const text = bytes.toString('utf8', bom);
    const p = createParser('ual-json', { byteBase: bom, utf8Length });
    const out: ParsedItem[] = [];
    for (let i = 0; i < text.length; i += chunk) out.push(...p.push(text.slice(i, i + chunk)));
    return [...out, ...p.end()];
  }

  it('locate each whole-line record by its bytes through multi-byte text, CRLF, blank lines and a byte-order mark, whatever the chunking', () => {
    const lines = [rec('a', 'Überfällig'), rec('b', '会議の議事録 📎'), '', rec('c', 'plain'), '  ', rec('d', 'é\u00e9')];
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(lines.join('\r\n') + '\n', 'utf8')]);
    for (const chunk of [1, 5, 64, bytes.length]) {
      const evs = events(parseFileBytes(bytes, chunk));
      expect(evs.map((e) => e.recordId)).toEqual(['a', 'b', 'c', 'd']);
      for (const e of evs) expect(bytes.toString('utf8', e.auditDataBytes!.start, e.auditDataBytes!.end)).toBe(e.auditDataText);
    }
  });

  it('locate each element of a JSON array (a Management API blob) and each object of a pretty-printed sequence, whatever the chunking', () => {
    const a = JSON.parse(rec('a', 'Überfällig')) as unknown;
    const b = JSON.parse(rec('b', '会議の議事録 📎')) as unknown;
    const c = JSON.parse(rec('c', 'plain')) as unknown;
    const files = {
      array: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`[\r\n  ${JSON.stringify(a, null, 2)},\r\n  ${JSON.stringify(b)} , ${JSON.stringify(c, null, 4)}\r\n]\r\n`)]),
      sequence: Buffer.from(`${JSON.stringify(a, null, 2)}\n${JSON.stringify(b, null, 2)}\n\n${JSON.stringify(c, null, 2)}\n`),
    };
    for (const [kind, bytes] of Object.entries(files)) {
      for (const chunk of [1, 5, 64, bytes.length]) {
        const evs = events(parseFileBytes(bytes, chunk));
        expect(evs.map((e) => e.recordId), `${kind}, chunks of ${chunk}`).toEqual(['a', 'b', 'c']);
        for (const e of evs) expect(bytes.toString('utf8', e.auditDataBytes!.start, e.auditDataBytes!.end), `${kind}, chunks of ${chunk}`).toBe(e.auditDataText);
      }
    }
  });

  it('give no range to a record unwrapped from an envelope (its AuditData is not the line), nor without a way to count bytes', () => {
    const wrapped = JSON.stringify({ event: JSON.parse(rec('w', 'x')) as unknown, host: 'collector-1' });
    const evs = events(parseFileBytes(Buffer.from(`${rec('a', 'x')}\n${wrapped}\n`), 1000));
    expect(evs.map((e) => [e.recordId, e.auditDataBytes === undefined])).toEqual([['a', false], ['w', true]]);
    expect(events(parseChunks('ual-json', rec('a', 'x') + '\n', 100))[0]!.auditDataBytes).toBeUndefined();
  });

  it('stop giving ranges at a byte that is not UTF-8: the decoder replaced it, so later offsets cannot be trusted', () => {
    const bytes = Buffer.concat([Buffer.from(rec('a', 'ok') + '\n'), Buffer.from(rec('b', 'bad ') + '\n'), Buffer.from(rec('c', 'ok') + '\n')]);
    const bad = bytes.indexOf('bad ') + 3;
    bytes[bad] = 0xff; // the space after "bad" becomes an invalid byte
    const evs = events(parseFileBytes(bytes, 100));
    expect(evs.map((e) => [e.recordId, e.auditDataBytes !== undefined])).toEqual([['a', true], ['b', false], ['c', false]]);
    const array = Buffer.concat([Buffer.from('['), Buffer.from(rec('a', 'ok') + ','), Buffer.from(rec('b', 'bad ') + ','), Buffer.from(rec('c', 'ok') + ']')]);
    array[array.indexOf('bad ') + 3] = 0xff;
    expect(events(parseFileBytes(array, 7)).map((e) => [e.recordId, e.auditDataBytes !== undefined])).toEqual([['a', true], ['b', false], ['c', false]]);
    expect(evs[1]!.auditDataText).toContain('bad\uFFFD'); // stored as the decoder gave it (db/auditData.ts never sees a range for it)
  });
});
