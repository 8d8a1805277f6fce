import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { blindWindowsForExposure, distinctSyncedFolders, exposureToCsv } from './exposure.ts';
import { csvField, csvRow } from '../csv.ts';
import type { ExposedItem, ExposureResult } from './exposure.ts';
import type { BlindWindow } from './types.ts';

const w = (kind: BlindWindow['kind'], start: string, end: string | null, actions: string[]): BlindWindow => ({
  mailbox: 'm@contoso.com', kind, start, end, scope: { actions, logonTypes: ['Owner'] }, confidence: 'certain', reason: 'r', evidence: [],
});

describe('blindWindowsForExposure', () => {
  const from = Date.parse('2024-05-02T00:00:00Z');
  const to = Date.parse('2024-05-03T00:00:00Z');
  it.each([
    { name: 'throttled inside', win: w('throttled', '2024-05-02T05:00:00.000Z', '2024-05-03T05:00:00.000Z', ['MailItemsAccessed']), want: true },
    { name: 'bypass open-ended from before', win: w('bypass', '2024-04-01T00:00:00.000Z', null, ['*']), want: true },
    { name: 'ends exactly at the scope start', win: w('bypass', '2024-04-01T00:00:00.000Z', '2024-05-02T00:00:00.000Z', ['*']), want: false },
    { name: 'starts at the scope end', win: w('throttled', '2024-05-03T00:00:00.000Z', null, ['MailItemsAccessed']), want: false },
    { name: 'does not blind MailItemsAccessed', win: w('actions-not-audited', '2024-04-01T00:00:00.000Z', null, ['SoftDelete']), want: false },
    // Only the mailbox's own copy aged out: the unified log's MailItemsAccessed records are still there.
    { name: 'mailbox audit store retention', win: { ...w('retention', '2024-04-01T00:00:00.000Z', '2024-05-10T00:00:00.000Z', ['*']), store: 'mailbox-audit' as const }, want: false },
    { name: 'mailbox audit store capacity', win: { ...w('capacity', '2024-04-01T00:00:00.000Z', '2024-05-10T00:00:00.000Z', ['*']), store: 'mailbox-audit' as const }, want: false },
    { name: 'unified audit log retention', win: { ...w('retention', '2024-04-01T00:00:00.000Z', '2024-05-10T00:00:00.000Z', ['*']), store: 'unified-audit-log' as const }, want: true },
    { name: 'unlicensed (MailItemsAccessed only)', win: w('unlicensed', '2024-04-01T00:00:00.000Z', null, ['MailItemsAccessed']), want: true },
  ])('$name → $want', ({ win, want }) => {
    expect(blindWindowsForExposure([win], from, to)).toEqual(want ? [win] : []);
  });
});

describe('CSV', () => {
  const result: ExposureResult = {
    mailbox: 'm@contoso.com',
    scope: { mailbox: 'm@contoso.com', session: null, ip: null, app: null, from: null, to: null },
    items: { count: 1, accessRecords: 2 },
    syncedFolders: [{ folder: '\\Inbox', time: '2024-05-02T03:00:00.000Z', sessionId: 's3', ip: '2001:db8::1', client: 'Client=MSExchangeRPC' }],
    blindWindows: [w('throttled', '2024-05-02T05:00:00.000Z', null, ['MailItemsAccessed'])],
    contentSearches: [],
  };

  const items: ExposedItem[] = [{
    internetMessageId: '<a,b"c@x>', folder: '\\Inbox\nSub', firstAccess: '2024-05-02T01:00:00.000Z', lastAccess: '2024-05-02T02:00:00.000Z',
    accessCount: 2, sessions: ['s1', 's2'], ips: ['203.0.113.9'], accessTypes: ['Bind'],
  }];

  it('round-trips through an RFC 4180 parser with hostile values intact', () => {
    const text = exposureToCsv(result, items);
    expect(text.endsWith('\r\n')).toBe(true);
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({ record: 'message', internet_message_id: '<a,b"c@x>', folder: '\\Inbox\nSub', access_count: '2', sessions: 's1; s2' });
    expect(rows[1]).toMatchObject({ record: 'synced-folder', folder: '\\Inbox', ips: '2001:db8::1', client: 'Client=MSExchangeRPC' });
    expect(rows[2]).toMatchObject({ record: 'blind-window', blind_kind: 'throttled', blind_end: 'open' });
  });

  it('a content search that could reach the mailbox is a row of its own, statement included', () => {
    const withSearch: ExposureResult = {
      ...result,
      contentSearches: [{
        name: 'S1', scope: 'all', locations: ['All'], query: 'wire', actors: ['adm@contoso.com'], ips: ['203.0.113.91'],
        first: '2024-05-02T01:40:00.000Z', last: '2024-05-02T02:30:00.000Z', actions: ['export'], contentRead: true,
        statement: 'Content search "S1" covers every mailbox: messages may have been exported; the item list cannot show them.', evidence: ['event:r1'],
      }],
    };
    const rows = parse(exposureToCsv(withSearch, items), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(4);
    expect(rows[3]).toMatchObject({ record: 'content-search', mailbox: 'm@contoso.com', first_access: '2024-05-02T01:40:00.000Z', ips: '203.0.113.91', access_types: 'export', blind_kind: 'content-search' });
    expect(rows[3]!.blind_reason).toContain('the item list cannot show them');
  });

  it.each([['plain', 'plain'], ['a,b', '"a,b"'], ['say "hi"', '"say ""hi"""'], ['l1\r\nl2', '"l1\r\nl2"'], [null, ''], [3, '3']])('csvField(%j) = %j', (v, want) => {
    expect(csvField(v as string | number | null)).toBe(want);
  });

  it('a report cell a spreadsheet would run as a formula gets a leading apostrophe; numbers and other text are as they were', () => {
    expect(csvRow(['=HYPERLINK("http://x","open")', '+1', '-Archive', '@SUM(A1)', '\tx', '\rx', -2, 0, 'plain', 'a=b', null, ['=a', 'b']])).toBe(
      `"'=HYPERLINK(""http://x"",""open"")",'+1,'-Archive,'@SUM(A1),'\tx,"'\rx",-2,0,plain,a=b,,'=a;b\r\n`,
    );
    // In the exposure report: a folder an attacker named, and a message id they chose.
    const hostile: ExposedItem[] = [{ ...items[0]!, internetMessageId: "=cmd|' /C calc'!A0", folder: '@Archive' }];
    const rows = parse(exposureToCsv(result, hostile), { columns: true }) as Record<string, string>[];
    expect(rows[0]).toMatchObject({ internet_message_id: "'=cmd|' /C calc'!A0", folder: "'@Archive", access_count: '2' });
  });

});

describe('synced folders', () => {
  it('are counted once each, whether written with a leading backslash or not, in any letter case', () => {
    const at = (folder: string | null) => ({ folder, time: 't', sessionId: null, ip: null, client: null });
    expect(distinctSyncedFolders([at('\\Inbox'), at('Inbox'), at('\\inbox'), at('\\Sent Items'), at(null), at('Archive')])).toEqual(['\\Inbox', '\\Sent Items', 'Archive']);
    expect(distinctSyncedFolders([])).toEqual([]);
  });
});
