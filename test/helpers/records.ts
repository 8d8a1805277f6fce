// Small builders for classic unified-audit-log records, written after the shapes in the protocol
// reference (m365-protocols.md §5), for tests that need realistic input files.
import { randomUUID } from 'node:crypto';

export function mailItemsAccessed(i: number, opts: { user?: string; time?: string; id?: string } = {}): Record<string, unknown> {
  const user = opts.user ?? 'alex@contoso.com';
  return {
    CreationTime: opts.time ?? new Date(Date.UTC(2026, 4, 1, 10, 0, 0) + i * 1000).toISOString().slice(0, 19),
    Id: opts.id ?? randomUUID(),
    Operation: 'MailItemsAccessed',
    OrganizationId: '74d25673-0000-4211-a7c4-9930610fb7eb',
    RecordType: 50,
    ResultStatus: 'Succeeded',
    UserKey: '10032002359E261F',
    UserType: 0,
    Version: 1,
    Workload: 'Exchange',
    UserId: user,
    AppId: '00000002-0000-0ff1-ce00-000000000000',
    ClientIPAddress: '203.0.113.154',
    ClientInfoString: 'Client=OWA;Action=ViaProxy',
    ExternalAccess: false,
    InternalLogonType: 0,
    LogonType: 0,
    MailboxGuid: 'bd6abed2-0000-4206-aada-31ca71605e63',
    MailboxOwnerUPN: user,
    OperationProperties: [{ Name: 'MailAccessType', Value: 'Bind' }, { Name: 'IsThrottled', Value: 'False' }],
    OrganizationName: 'contoso.onmicrosoft.com',
    OriginatingServer: 'CY5PR05MB9143 (15.20.4200.000)\r\n',
    SessionId: 'e01c84f0-0000-439e-87bc-5ee52fdf90d4',
    Folders: [{ FolderItems: [{ InternetMessageId: `<msg-${i}@contoso.com>`, SizeInBytes: 1234 }], Id: 'LgAAAAAL', Path: '\\Inbox' }],
    OperationCount: 1,
  };
}

export function jsonl(records: unknown[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}
