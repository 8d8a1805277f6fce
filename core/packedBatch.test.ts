import { describe, expect, it } from 'vitest';
import { mailItemsAccessed } from '../test/helpers/records.ts';
import type { AuditEvent, ParsedItem } from './model.ts';
import { normaliseRecord } from './normalise.ts';
import { EN, ET, EVENT_NUMS, EVENT_TEXT, IN, ITEM_TEXT, PackedReader, WORD_PARTS_MAX, ftsBody, packItems, throttleMarker } from './packedBatch.ts';

const event = (e: AuditEvent, line: number): ParsedItem => ({ kind: 'event', event: e, loc: { line } });

describe('packed batches', () => {
  it('give back every field of every event and item, nulls and non-Latin text included, in batch order', () => {
    const a = normaliseRecord(mailItemsAccessed(1));
    a.items.push({ folderPath: '\\Posteingang\\Überfällig', folderId: null, internetMessageId: null, sizeBytes: null, accessType: 'Sync', subject: '会議の議事録 📎' });
    const b = normaliseRecord({ ...mailItemsAccessed(2), Operation: 'Set-Mailbox', RecordType: 1 });
    b.items = [];
    b.recordType = null;
    b.userType = null;
    b.clientIp = null;
    b.auditDataText = '{"kept":"exactly as received"}';
    // A whole line of the file: only where it lies travels (the writer stores the range, not the text).
    const c = normaliseRecord(mailItemsAccessed(3));
    c.auditDataText = JSON.stringify(mailItemsAccessed(3));
    c.auditDataBytes = { start: 1200, end: 1200 + c.auditDataText.length };
    const items: ParsedItem[] = [
      event(a, 3),
      { kind: 'reject', loc: { line: 4 }, reason: 'line 4: not JSON' },
      { kind: 'event', event: b, loc: { offset: 7 } },
      event(c, 5),
    ];
    const batch = packItems(items, 999);
    expect(batch).toMatchObject({ count: 4, bytesRead: 999, others: [{ at: 1, item: items[1] }] });

    const r = new PackedReader(batch);
    expect(r.advance()).toBe(true);
    const strings = (e: AuditEvent) => [e.recordId, e.recordTypeName, e.operation, e.workload, e.userId, e.userKey, e.mailbox, e.objectId, e.clientIp, e.sessionId, e.appId, e.clientAppId, e.resultStatus, e.clientInfo];
    expect(EVENT_TEXT.slice(0, 14).map((_, i) => r.str(i))).toEqual(strings(a));
    expect(JSON.parse(r.str(ET.auditData)!)).toEqual(a.auditData);
    expect(r.str(ET.searchBody)).toBe(ftsBody(a));
    expect(EVENT_NUMS.map((_, i) => r.num(i))).toEqual([0, a.timeMs, 50, 0, 0, 0, 3, null, null, null, 2]);
    expect([0, 1].map((k) => [...ITEM_TEXT.map((_, f) => r.itemStr(k, f)), r.itemNum(k, IN.sizeBytes)])).toEqual([
      ['\\Inbox', 'LgAAAAAL', '<msg-1@contoso.com>', 'Bind', null, 1234],
      ['\\Posteingang\\Überfällig', null, null, 'Sync', '会議の議事録 📎', null],
    ]);

    expect(r.advance()).toBe(true);
    expect(r.str(ET.operation)).toBe('Set-Mailbox');
    expect(r.str(ET.clientIp)).toBeNull();
    expect(r.str(ET.auditData)).toBe('{"kept":"exactly as received"}');
    expect([r.num(EN.recordType), r.num(EN.userType), r.num(EN.line), r.num(EN.offset), r.itemCount()]).toEqual([null, null, null, 7, 0]);

    expect(r.advance()).toBe(true);
    expect(r.str(ET.recordId)).toBe(c.recordId);
    expect(r.str(ET.auditData)).toBeNull();
    expect([r.num(EN.line), r.num(EN.dataStart), r.num(EN.dataEnd)]).toEqual([5, 1200, c.auditDataBytes.end]);
    expect(r.advance()).toBe(false);
  });

  it('carry AuditData as text when an event has a byte range but no text as received (the range locates text, not a re-serialisation)', () => {
    const e = normaliseRecord(mailItemsAccessed(4));
    e.auditDataBytes = { start: 0, end: 10 };
    const r = new PackedReader(packItems([event(e, 1)], 0));
    r.advance();
    expect(JSON.parse(r.str(ET.auditData)!)).toEqual(e.auditData);
    expect([r.num(EN.dataStart), r.num(EN.dataEnd)]).toEqual([null, null]);
  });

  it('write a mailbox into the search body only when it is not the actor (the index keeps no counts)', () => {
    const own = normaliseRecord(mailItemsAccessed(1, { user: 'Alex@Contoso.com' }));
    own.mailbox = 'alex@contoso.com';
    expect(ftsBody(own).split(' ').filter((t) => t.toLowerCase() === 'alex@contoso.com')).toHaveLength(1);
    const other = normaliseRecord(mailItemsAccessed(2, { user: 'admin@contoso.com' }));
    other.mailbox = 'megan@contoso.com';
    expect(ftsBody(other).split(' ')).toEqual(expect.arrayContaining(['admin@contoso.com', 'megan@contoso.com']));
  });

  it('add word parts to the search body: the domain and later name parts of the user and mailbox, every later part of the object, client and searchText, once each and within WORD_PARTS_MAX', () => {
    const e = normaliseRecord({
      CreationTime: '2026-05-01T10:00:00', Id: 'p-1', Operation: 'New-InboxRule', RecordType: 1, UserId: 'megan.bowen@fabrikam.example',
      ObjectId: 'https://contoso.sharepoint.com/sites/x/invoice.pdf.exe', Parameters: [{ Name: 'ForwardTo', Value: 'ap-desk@fabrikam-billing.example' }],
    });
    e.mailbox = 'alex@contoso.com';
    const words = ftsBody(e).split(' ');
    expect(words).toEqual(expect.arrayContaining(['bowen@fabrikam.example', 'fabrikam.example', 'contoso.com', 'exe', 'pdf.exe', 'sharepoint.com', 'fabrikam-billing.example', 'billing.example']));
    expect(words.filter((w) => w === 'example')).toHaveLength(1);
    expect(words).not.toContain('example.com'); // no part from inside a user's or mailbox's domain beyond the domain itself
    const many = normaliseRecord({
      CreationTime: '2026-05-01T10:00:00', Id: 'p-2', Operation: 'Set-Mailbox', RecordType: 1, UserId: 'a@b.example',
      Parameters: Array.from({ length: 400 }, (_, i) => ({ Name: 'ForwardTo', Value: `someone.${i}@domain-${i}.example` })),
    });
    const body = ftsBody(many);
    expect(body.length).toBeLessThanOrEqual(many.searchText.length + WORD_PARTS_MAX + 200);
    expect(many.searchText.length).toBeLessThanOrEqual(4096);
  });

  it('carry the throttling-candidate flag of a record that names IsThrottled True, and not of one that names it False', () => {
    const throttled = normaliseRecord({ ...mailItemsAccessed(5), OperationProperties: [{ Name: 'MailAccessType', Value: 'Bind' }, { Name: 'IsThrottled', Value: 'True' }] });
    const r = new PackedReader(packItems([event(throttled, 1), event(normaliseRecord(mailItemsAccessed(6)), 2)], 0));
    r.advance();
    expect(r.num(EN.throttleMarker)).toBe(1);
    r.advance();
    expect(r.num(EN.throttleMarker)).toBe(0);
  });

  it('mark throttling candidates: a MailItemsAccessed record naming IsThrottled and then True', () => {
    expect(throttleMarker('MailItemsAccessed', '{"Name":"IsThrottled","Value":"True"}')).toBe(1);
    expect(throttleMarker('mailitemsaccessed', '{"Name":"IsThrottled","Value":"True"}')).toBe(1);
    expect(throttleMarker('MailItemsAccessed', '{"Name":"IsThrottled","Value":"False"}')).toBe(0);
    expect(throttleMarker('MailItemsAccessed', '{"Value":"True","Name":"IsThrottled"}')).toBe(0); // the GLOB's order, confirmed later by parsing
    expect(throttleMarker('Send', '{"Name":"IsThrottled","Value":"True"}')).toBe(0);
    expect(throttleMarker(null, '{"Name":"IsThrottled","Value":"True"}')).toBe(0);
  });
});
