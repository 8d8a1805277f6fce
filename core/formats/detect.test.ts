import { describe, expect, it } from 'vitest';
import type { ParsedItem } from '../model.ts';
import { createParser, detectFormat } from './index.ts';
import { firstJsonValue } from './detect.ts';

/** The head services/import.ts gives detection: the first 256 KiB. */
const head = (text: string): string => text.slice(0, 262_144);
const pad = 'x'.repeat(2000);

const graphRecord = (i: number) => ({
  id: `g-${i}`, createdDateTime: '2026-11-15T09:00:00Z', auditLogRecordType: 'exchangeItem', operation: 'MailItemsAccessed',
  userPrincipalName: 'a@contoso.com',
  auditData: { CreationTime: '2026-11-15T09:00:00', Id: `g-${i}`, Operation: 'MailItemsAccessed', RecordType: 2, UserId: 'a@contoso.com', Workload: 'Exchange', Pad: pad },
});
const rawRecord = (i: number, big = '') => ({ CreationTime: '2026-11-15T09:00:00', Id: `r-${i}`, Operation: 'Send', RecordType: 2, UserId: 'a@contoso.com', Workload: 'Exchange', Note: big });
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

// Pages and records whose first JSON value is longer than the head (m365-protocols.md §2, §4.4)
const LARGE: [string, string, string][] = [
  ['a Graph audit page of 150 records', 'graph-json', JSON.stringify({ '@odata.context': 'https://graph.microsoft.com/beta/$metadata#x', value: range(150).map(graphRecord) })],
  ['an adminapi Search-UnifiedAuditLog page whose first AuditData is 300 KB', 'sual-json', JSON.stringify({
    '@odata.context': 'https://outlook.office.com/adminapi/beta/contoso.onmicrosoft.com/$metadata#Collection(Exchange.GenericHashTable)',
    'adminapi.warnings@odata.type': '#Collection(String)', '@adminapi.warnings': [],
    value: [{ RecordType: 'ExchangeItem', 'CreationDate@data.type': 'System.DateTime', CreationDate: '2026-11-15T09:00:00', UserIds: 'a@contoso.com', Operations: 'Send',
      AuditData: JSON.stringify(rawRecord(1, 'y'.repeat(300_000))), ResultIndex: 1, ResultCount: 1 }],
  })],
  ['an adminapi Get-Mailbox page whose first mailbox has 20,000 addresses', 'config-mailbox', JSON.stringify({
    '@odata.context': 'https://outlook.office.com/adminapi/beta/contoso.onmicrosoft.com/$metadata#Collection(Exchange.GenericHashTable)',
    value: [{ UserPrincipalName: 'a@contoso.com', RecipientTypeDetails: 'UserMailbox', AuditEnabled: true, AuditLogAgeLimit: '90.00:00:00',
      'EmailAddresses@odata.type': '#Collection(String)', EmailAddresses: range(20_000).map((i) => `smtp:alias${i}@contoso.com`) }],
  }, null, 2)],
  ['JSON lines whose first record is 300 KB', 'ual-json', `${JSON.stringify(rawRecord(1, 'y'.repeat(300_000)))}\n${JSON.stringify(rawRecord(2))}\n`],
  ['a JSON array whose first record is 300 KB', 'ual-json', JSON.stringify([rawRecord(1, 'y'.repeat(300_000)), rawRecord(2)])],
];

const events = (items: ParsedItem[]) => items.filter((i) => i.kind === 'event' || i.kind === 'config');
const rejects = (items: ParsedItem[]) => items.flatMap((i) => (i.kind === 'reject' ? [i.reason] : []));

describe('detectFormat: a first record longer than the head', () => {
  it.each(LARGE)('%s is detected from what the head holds, and parses whole', (_what, format, text) => {
    expect(text.length).toBeGreaterThan(262_144);
    const det = detectFormat(head(text), 'page.json');
    expect(det).toMatchObject({ ok: true, format });
    const p = createParser(format as Parameters<typeof createParser>[0]);
    const items = [...p.push(text), ...p.end()];
    expect(rejects(items)).toEqual([]);
    expect(events(items).length).toBeGreaterThan(0);
  });

  it('reads a head cut shorter than 256 KiB characters (UTF-16 text, multi-byte UTF-8)', () => {
    const [, , graph] = LARGE[0]!;
    expect(detectFormat(graph.slice(0, 131_072), 'page.json')).toMatchObject({ ok: true, format: 'graph-json' });
  });

  it('names the keys of a cut first record that matches no export', () => {
    const det = detectFormat(head(JSON.stringify({ value: [{ foo: 1, bar: 'z'.repeat(300_000) }] })), 'odd.json');
    expect(det).toMatchObject({ ok: false, reason: 'odd.json: JSON objects with keys foo, bar match no known audit or configuration export' });
  });
});

describe('detectFormat: what the message says when no object is read', () => {
  it('a record followed by a NUL is detected; the parser names the line it cannot read', () => {
    const line = JSON.stringify(rawRecord(1, 'y'.repeat(200)));
    const text = `${line}\u0000\n`;
    expect(detectFormat(text, 'nul.jsonl')).toMatchObject({ ok: true, format: 'ual-json' });
    const p = createParser('ual-json');
    expect(rejects([...p.push(text), ...p.end()])).toEqual([expect.stringMatching(/^line 1: not valid JSON \(Unexpected non-whitespace character after JSON/)]);
  });

  it('a small file that is not JSON gives the reason, not a size of "0 KiB"', () => {
    const det = detectFormat('{"CreationTime": nope}\n', 'bad.jsonl');
    expect(det.ok).toBe(false);
    if (!det.ok) {
      expect(det.reason).toMatch(/^bad\.jsonl starts like JSON but its first record is not readable \(line 1: not valid JSON/);
      expect(det.reason).not.toMatch(/KiB/);
    }
  });

  it('a cut head with no object in it says how much was read', () => {
    const det = detectFormat(head(`["${'z'.repeat(300_000)}"]`), 'strings.json');
    expect(det).toMatchObject({ ok: false, reason: 'strings.json starts like JSON but holds no readable JSON object in its first 256 KiB' });
  });
});

describe('detectFormat: an empty API page', () => {
  it('says it holds no record to tell its export by, and how to keep it, rather than list its wrapper\'s keys', () => {
    const det = detectFormat('{"@odata.context":"https://outlook.office365.com/adminapi/beta/t/$metadata#Collection(Exchange.GenericHashTable)","value":[]}', 'rules.json');
    expect(det).toMatchObject({ ok: false, reason: 'rules.json is an API page whose "value" holds no record, so nothing in it tells which export it is; name it with --format (and --as-of for a configuration export) to keep it as evidence of the empty answer' });
  });
});

describe('firstJsonValue', () => {
  it.each([
    ['{"a":1,"b":"x', { a: 1, b: null }],                  // a value cut off keeps its key
    ['{"a":1,"b":12', { a: 1, b: null }],                  // a number may go on
    ['{"a":1,"b"', { a: 1, b: null }],
    ['{"a":1,"b":', { a: 1, b: null }],
    ['{"a":1,"bc', { a: 1 }],                              // a key cut off is dropped
    ['{"a":1,', { a: 1 }],
    ['{"a":"q\\"}","v":[{"c":true},{"d":"\\\\', { a: 'q"}', v: [{ c: true }, { d: null }] }],
    ['[{"a":1},{"b":[1,2', [{ a: 1 }, { b: [1] }]],         // an element cut off is dropped
    ['\uFEFF {"a":{"b":{}}} trailing', { a: { b: {} } }],  // a complete value is read as it is
    ['{"a":1}\u0000', { a: 1 }],
  ])('%j → %j', (text, value) => {
    expect(firstJsonValue(text)).toEqual(value);
  });

  it.each([[''], ['abc'], ['{"a" 1, "b":'], ['[1, oops]']])('%j → undefined', (text) => {
    expect(firstJsonValue(text)).toBeUndefined();
  });
});
