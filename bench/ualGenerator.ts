// Writes N realistic unified-audit-log records as JSON lines (about 1.2 KB each): MailItemsAccessed
// Bind records with folders and items, Sync records, sends, deletes, inbox rule and admin cmdlets,
// sign-ins. Deterministic for a given N. Used by the import benchmark.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Rng } from '../sim/scenario/rng.ts';


function hex(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(r() * 16).toString(16);
  return s;
}

function guid(r: () => number): string {
  return `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-a${hex(r, 3)}-${hex(r, 12)}`;
}

export async function writeUalJsonl(file: string, n: number, seed = 7): Promise<{ bytes: number }> {
  const rng = new Rng('ual-bench', seed);
  const r = (): number => rng.next();
  const users = Array.from({ length: 500 }, (_, i) => `user${i}@contoso.onmicrosoft.com`);
  const ips = Array.from({ length: 300 }, (_, i) => (i % 10 === 0 ? `2001:db8::${i.toString(16)}` : `203.0.${i % 255}.${(i * 7) % 255}`));
  const sessions = Array.from({ length: 2000 }, () => guid(r));
  const folders = ['\\Inbox', '\\Sent Items', '\\Archive', '\\Inbox\\Projects', '\\Deleted Items'];
  const out = createWriteStream(file, { highWaterMark: 1 << 20 });
  let bytes = 0;
  const t0 = Date.UTC(2026, 3, 1);
  for (let i = 0; i < n; i++) {
    const user = users[Math.floor(r() * users.length)]!;
    const ip = ips[Math.floor(r() * ips.length)]!;
    const base = {
      CreationTime: new Date(t0 + Math.floor(i * 2.6e3)).toISOString().slice(0, 19),
      Id: guid(r),
      OrganizationId: '74d25673-0000-4211-a7c4-9930610fb7eb',
      ResultStatus: 'Succeeded',
      UserKey: `10032000${hex(r, 8).toUpperCase()}`,
      UserType: 0,
      Version: 1,
      Workload: 'Exchange',
      UserId: user,
    };
    const kind = r();
    let rec: Record<string, unknown>;
    if (kind < 0.55) {
      const nItems = 1 + Math.floor(r() * 3);
      const folder = folders[Math.floor(r() * folders.length)]!;
      rec = {
        ...base, Operation: 'MailItemsAccessed', RecordType: 50, AppId: '00000002-0000-0ff1-ce00-000000000000', ClientAppId: '',
        ClientIPAddress: ip, ClientInfoString: 'Client=OWA;Action=ViaProxy', ExternalAccess: false, InternalLogonType: 0, LogonType: 0,
        LogonUserSid: 'S-1-5-21-3007612343-326144747-4028531239-4420872', MailboxGuid: guid(r), MailboxOwnerSid: 'S-1-5-21-3007612343-326144747-4028531239-4420872',
        MailboxOwnerUPN: user, OperationProperties: [{ Name: 'MailAccessType', Value: 'Bind' }, { Name: 'IsThrottled', Value: 'False' }],
        OrganizationName: 'contoso.onmicrosoft.com', OriginatingServer: 'CY5PR05MB9143 (15.20.4200.000)\r\n', SessionId: sessions[Math.floor(r() * sessions.length)],
        Folders: [{ FolderItems: Array.from({ length: nItems }, () => ({ InternetMessageId: `<${hex(r, 24)}@CY5PR05MB9143.namprd05.prod.outlook.com>`, SizeInBytes: Math.floor(r() * 200000) })), Id: `LgAAAAALcWhVmnTeRJS8qp8HxA25AQC/yWJ3KK0XQJ7UyikjUZtEAAAAAAEMAAAB`, Path: folder }],
        OperationCount: nItems,
      };
    } else if (kind < 0.62) {
      rec = {
        ...base, Operation: 'MailItemsAccessed', RecordType: 50, AppId: 'd3590ed6-52b3-4102-aeff-aad2292ab01c', ClientAppId: 'd3590ed6-52b3-4102-aeff-aad2292ab01c',
        ClientIPAddress: ip, ClientInfoString: 'Client=MSExchangeRPC', ClientProcessName: 'OUTLOOK.EXE', ClientVersion: '16.0.17531.20140', ExternalAccess: false, InternalLogonType: 0, LogonType: 0,
        MailboxGuid: guid(r), MailboxOwnerUPN: user, OperationProperties: [{ Name: 'MailAccessType', Value: 'Sync' }, { Name: 'IsThrottled', Value: 'False' }],
        OrganizationName: 'contoso.onmicrosoft.com', OriginatingServer: 'SA2PR06MB7369 (15.20.4200.000)\r\n', SessionId: sessions[Math.floor(r() * sessions.length)],
        Folders: [{ Id: 'LgAAAAALcWhVmnTeRJS8qp8HxA25AQC/yWJ3KK0XQJ7UyikjUZtEAAAAAAEMAAAB', Path: '\\Inbox' }], OperationCount: 1,
      };
    } else if (kind < 0.75) {
      rec = {
        ...base, Operation: 'Send', RecordType: 2, ClientIP: ip, ClientIPAddress: ip, ClientInfoString: 'Client=OWA;Action=ViaProxy', AppId: '00000002-0000-0ff1-ce00-000000000000',
        ExternalAccess: false, InternalLogonType: 0, LogonType: 0, MailboxGuid: guid(r), MailboxOwnerUPN: user, OrganizationName: 'contoso.onmicrosoft.com',
        OriginatingServer: 'CY5PR05MB9143 (15.20.4200.000)\r\n', SessionId: sessions[Math.floor(r() * sessions.length)],
        Item: { Id: 'Unknown', InternetMessageId: `<${hex(r, 24)}@CY5PR05MB9143.namprd05.prod.outlook.com>`, ParentFolder: { Id: 'LgAAAAALcWhV', Path: '\\Drafts' }, SizeInBytes: Math.floor(r() * 90000), Subject: `Re: quarterly figures ${i % 97}` },
      };
    } else if (kind < 0.85) {
      rec = {
        ...base, Operation: 'SoftDelete', RecordType: 3, ClientIPAddress: ip, ClientInfoString: 'Client=OWA;Action=ViaProxy', ExternalAccess: false, InternalLogonType: 0, LogonType: 0,
        MailboxGuid: guid(r), MailboxOwnerUPN: user, OrganizationName: 'contoso.onmicrosoft.com', SessionId: sessions[Math.floor(r() * sessions.length)], CrossMailboxOperation: false,
        Folder: { Id: 'LgAAAA', Path: '\\Deleted Items' },
        AffectedItems: [{ Id: `RgAAAA${hex(r, 20)}`, InternetMessageId: `<${hex(r, 24)}@contoso.com>`, Subject: 'RE: Invoice', ParentFolder: { Id: 'LgAAAA', Path: '\\Deleted Items' }, Attachments: 'invoice.pdf (48213b)' }],
      };
    } else if (kind < 0.9) {
      rec = {
        ...base, Operation: 'New-InboxRule', RecordType: 1, ResultStatus: 'True', UserType: 2, ClientIP: ip, ObjectId: `${user.split('@')[0]}\\rule${i % 13}`,
        AppId: '', ClientAppId: '', ExternalAccess: false, OrganizationName: 'contoso.onmicrosoft.com', OriginatingServer: 'AM0PR04MB1234 (15.20.7472.010)',
        Parameters: [{ Name: 'AlwaysDeleteOutlookRulesBlob', Value: 'False' }, { Name: 'Force', Value: 'False' }, { Name: 'MoveToFolder', Value: 'RSS Feeds' }, { Name: 'Name', Value: `rule${i % 13}` }, { Name: 'SubjectOrBodyContainsWords', Value: 'invoice;payment' }, { Name: 'MarkAsRead', Value: 'True' }],
        SessionId: sessions[Math.floor(r() * sessions.length)],
      };
    } else {
      rec = {
        ...base, Operation: 'UserLoggedIn', RecordType: 15, Workload: 'AzureActiveDirectory', ResultStatus: 'Success', ClientIP: ip, ObjectId: '00000002-0000-0ff1-ce00-000000000000',
        ExtendedProperties: [{ Name: 'ResultStatusDetail', Value: 'Success' }, { Name: 'UserAgent', Value: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36' }, { Name: 'RequestType', Value: 'OAuth2:Authorize' }],
        Actor: [{ ID: guid(r), Type: 0 }, { ID: user, Type: 5 }], ActorIpAddress: ip, ApplicationId: '00000002-0000-0ff1-ce00-000000000000',
        DeviceProperties: [{ Name: 'OS', Value: 'Windows10' }, { Name: 'BrowserType', Value: 'Chrome' }], ErrorNumber: '0', IntraSystemId: guid(r), InterSystemsId: guid(r),
      };
    }
    const line = JSON.stringify(rec) + '\n';
    bytes += line.length;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { bytes };
}
