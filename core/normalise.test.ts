import { describe, expect, it } from 'vitest';
import { normaliseRecord, RecordError, canonicalJson } from './normalise.ts';

const bind = {
  CreationTime: '2022-10-25T18:23:04', Id: 'daf566de', Operation: 'MailItemsAccessed', RecordType: 50, UserType: 0,
  Workload: 'Exchange', UserId: 'nelson@contoso.com', UserKey: '10032002359E261F', ClientIPAddress: '203.0.113.154:5678',
  MailboxOwnerUPN: 'nelson@contoso.com', LogonType: 'Delegate', SessionId: 's1', ClientInfoString: 'Client=OWA',
  OperationProperties: [{ Name: 'MailAccessType', Value: 'Bind' }, { Name: 'IsThrottled', Value: 'False' }],
  Folders: [
    { Id: 'f1', Path: '\\Inbox', FolderItems: [{ InternetMessageId: '<a@x>', SizeInBytes: 10.6, Subject: 'Invoice' }, { InternetMessageId: '<a@x>' }] },
    { Id: 'f2', Path: '\\Archive' },
  ],
};

describe('normaliseRecord', () => {
  it('maps a MailItemsAccessed Bind record, keeping aggregated duplicates', () => {
    const ev = normaliseRecord(bind, '{"raw":true}');
    expect(ev.recordId).toBe('daf566de');
    expect(ev.idSynthetic).toBe(false);
    expect(ev.timeMs).toBe(Date.UTC(2022, 9, 25, 18, 23, 4));
    expect(ev.recordType).toBe(50);
    expect(ev.recordTypeName).toBe('ExchangeItemAggregated');
    expect(ev.clientIp).toBe('203.0.113.154');
    expect(ev.logonType).toBe(2);
    expect(ev.mailbox).toBe('nelson@contoso.com');
    expect(ev.auditDataText).toBe('{"raw":true}');
    expect(ev.auditData).toBe(bind); // nothing decoded: same object, no copy
    expect(ev.items).toEqual([
      { folderPath: '\\Inbox', folderId: 'f1', internetMessageId: '<a@x>', sizeBytes: 11, accessType: 'Bind', subject: 'Invoice' },
      { folderPath: '\\Inbox', folderId: 'f1', internetMessageId: '<a@x>', sizeBytes: null, accessType: 'Bind', subject: null },
    ]);
    expect(ev.searchText).toContain('Invoice');
    expect(ev.searchText).toContain('\\Inbox');
  });

  it('a RecordType 50 Sync record with folders and no items yields one Sync row per folder', () => {
    const ev = normaliseRecord({ ...bind, OperationProperties: [{ Name: 'MailAccessType', Value: 'Sync' }], Folders: [{ Id: 'f2', Path: '\\Archive' }] });
    expect(ev.items).toEqual([{ folderPath: '\\Archive', folderId: 'f2', internetMessageId: null, sizeBytes: null, accessType: 'Sync', subject: null }]);
  });

  it('a RecordType 2 Sync record uses ParentFolder.Name when Path is "Not Available"', () => {
    const ev = normaliseRecord({
      CreationTime: '2024-05-18T22:30:06', Id: 'x', Operation: 'MailItemsAccessed', RecordType: '2',
      OperationProperties: [{ Name: 'MailAccessType', Value: 'Sync' }],
      Item: { Id: 'i', ParentFolder: { Id: 'pf', Name: 'Inbox', Path: 'Not Available' } },
    });
    expect(ev.recordType).toBe(2);
    expect(ev.items).toEqual([{ folderPath: 'Inbox', folderId: 'pf', internetMessageId: null, sizeBytes: null, accessType: 'Sync', subject: null }]);
  });

  it('reads enum names and numeric strings for RecordType, UserType and LogonType', () => {
    const ev = normaliseRecord({ CreationTime: '2024-01-01T00:00:00', Id: 'a', RecordType: 'ExchangeAdmin', UserType: 'DcAdmin', LogonType: '1' });
    expect([ev.recordType, ev.userType, ev.logonType]).toEqual([1, 3, 1]);
    const unknown = normaliseRecord({ CreationTime: '2024-01-01T00:00:00', Id: 'b', RecordType: 'BrandNewWorkload' });
    expect(unknown.recordType).toBeNull();
    expect(unknown.recordTypeName).toBe('BrandNewWorkload');
  });

  it('decodes JSON-text fields into a copy and leaves the input untouched', () => {
    const rec = {
      CreationTime: '2024-01-01T00:00:00', Id: 'c', RecordType: 1, Operation: 'Set-Mailbox',
      Parameters: '[{"Name":"Identity","Value":"alex"},{"Name":"AuditEnabled","Value":"False"}]',
    };
    const ev = normaliseRecord(rec);
    expect(Array.isArray(ev.auditData.Parameters)).toBe(true);
    expect(typeof rec.Parameters).toBe('string');
    expect(ev.mailbox).toBe('alex');
    expect(ev.searchText).toContain('AuditEnabled False');
  });

  it('indexes the command-line parameters of Security & Compliance cmdlets for search', () => {
    const ev = normaliseRecord({
      CreationTime: '2026-12-01T02:30:00', Id: 'sc', RecordType: 18, Operation: 'New-ComplianceSearchAction', Workload: 'SecurityComplianceCenter',
      ObjectId: 'q4_Export', Parameters: '-SearchName "q4" -Export -Format FxStream -ExchangeArchiveFormat PerUserPst',
    });
    expect(ev.searchText).toContain('-Format FxStream');
    expect(ev.searchText).toContain('PerUserPst');
  });

  it('takes the admin cmdlet target from ObjectId when there is no Identity parameter, the mailbox of an inbox rule or folder from its identity', () => {
    const admin = (Operation: string, target: { ObjectId?: string; Identity?: string }) => normaliseRecord({
      CreationTime: '2024-01-01T00:00:00', Id: Operation, RecordType: 1, Operation, ObjectId: target.ObjectId,
      Parameters: [{ Name: 'Name', Value: 'r' }, ...(target.Identity ? [{ Name: 'Identity', Value: target.Identity }] : [])],
    });
    // New-InboxRule names the rule in ObjectId as mailbox\rule name; the record keeps it whole there
    const rule = admin('New-InboxRule', { ObjectId: 'megan.bowen\\..' });
    expect([rule.mailbox, rule.objectId]).toEqual(['megan.bowen', 'megan.bowen\\..']);
    expect(admin('set-inboxrule', { Identity: 'alex\\17835465129740861441', ObjectId: 'alex\\17835465129740861441' }).mailbox).toBe('alex');
    expect(admin('Add-MailboxFolderPermission', { Identity: 'alex@contoso.com:\\Calendar' }).mailbox).toBe('alex@contoso.com');
    expect(admin('Set-MailboxCalendarFolder', { Identity: 'alex:\\Calendar' }).mailbox).toBe('alex');
    // elsewhere a backslash may be part of the identity (a domain and an account), which stays whole
    expect(admin('Set-Mailbox', { Identity: 'CONTOSO\\alex' }).mailbox).toBe('CONTOSO\\alex');
    expect(admin('New-TransportRule', { ObjectId: 'Forward\\all' }).mailbox).toBe('Forward\\all');
    expect(admin('Remove-InboxRule', { Identity: 'rule-without-mailbox' }).mailbox).toBe('rule-without-mailbox');
  });

  it('reads appId/clientAppId from AppAccessContext when the top-level fields are empty', () => {
    const ev = normaliseRecord({ CreationTime: '2024-01-01T00:00:00', Id: 'e', AppId: '', AppAccessContext: { APIId: 'api', ClientAppId: 'capp' } });
    expect([ev.appId, ev.clientAppId]).toEqual(['api', 'capp']);
  });

  it('takes a sign-in\'s app from ApplicationId when it has no AppId (Entra sign-ins carry none)', () => {
    const ev = normaliseRecord({ CreationTime: '2024-01-01T00:00:00', Id: 's', RecordType: 15, Operation: 'UserLoggedIn', ApplicationId: 'ff8d92dc-3d82-41d6-bcbd-b9174d163620' });
    expect(ev.appId).toBe('ff8d92dc-3d82-41d6-bcbd-b9174d163620');
    const own = normaliseRecord({ CreationTime: '2024-01-01T00:00:00', Id: 't', AppId: 'app', ApplicationId: 'other' });
    expect(own.appId).toBe('app');
  });

  it('falls back from ClientIP to ClientIPAddress to ActorIpAddress, skipping placeholders', () => {
    const ev = normaliseRecord({ CreationTime: '2024-01-01T00:00:00', Id: 'f', ClientIP: 'sanitized', ActorIpAddress: '[2001:db8::5]:1' });
    expect(ev.clientIp).toBe('2001:db8::5');
  });

  it('gives a record without Id a stable synthetic id independent of key order', () => {
    const a = normaliseRecord({ CreationTime: '2024-01-01T00:00:00', Operation: 'X', Nested: { b: 1, a: 2 } });
    const b = normaliseRecord({ Nested: { a: 2, b: 1 }, Operation: 'X', CreationTime: '2024-01-01T00:00:00' });
    expect(a.idSynthetic).toBe(true);
    expect(a.recordId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(a.recordId).toBe(b.recordId);
    expect(canonicalJson({ b: [1, { d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[1,{"c":2,"d":1}]}');
  });

  it('reads lower-cased keys (SIEM exports) case-insensitively', () => {
    const ev = normaliseRecord({ creationtime: '2022-12-12 22:19:00', id: '111', operation: 'Set-Mailbox', recordtype: 1, clientip: '1.2.3.4', parameters: [{ Name: 'Identity', Value: 'homer' }] });
    expect([ev.recordId, ev.operation, ev.recordType, ev.clientIp, ev.mailbox]).toEqual(['111', 'Set-Mailbox', 1, '1.2.3.4', 'homer']);
    expect(ev.timeMs).toBe(Date.UTC(2022, 11, 12, 22, 19, 0));
  });

  it('bounds searchText', () => {
    const params = Array.from({ length: 500 }, (_, i) => ({ Name: `P${i}`, Value: 'x'.repeat(40) }));
    const ev = normaliseRecord({ CreationTime: '2024-01-01T00:00:00', Id: 'g', RecordType: 1, Parameters: params });
    expect(ev.searchText.length).toBeLessThanOrEqual(4096);
    expect(ev.searchText.startsWith('P0 ')).toBe(true);
  });

  it.each([
    [[1, 2], 'not-object', /an array/],
    [null, 'not-object', /null/],
    [{ Id: 'x', Operation: 'Send' }, 'no-time', /^no CreationTime$/],
    [{ Id: 'x', CreationTime: 'yesterday' }, 'bad-time', /CreationTime "yesterday" is not a date-time/],
  ])('throws a RecordError for %j', (rec, code, msg) => {
    let err: unknown;
    try { normaliseRecord(rec as Record<string, unknown>); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(RecordError);
    expect((err as RecordError).code).toBe(code);
    expect((err as RecordError).message).toMatch(msg);
  });
});
