// Builders for classic unified-audit-log records (the AuditData object), following the shapes in the
// protocol reference §5: CreationTime without zone, numeric RecordType/UserType/LogonType,
// OperationProperties and Parameters as [{Name, Value}] strings, "True" for admin cmdlets and
// "Succeeded" for mailbox records, mailbox OriginatingServer ending in "\r\n".
import type { UalRecord } from './types.ts';
import type { MailboxProfile } from './tenant.ts';
import { iso } from './tenant.ts';

export const RT_EXCHANGE_ADMIN = 1;
export const RT_EXCHANGE_ITEM = 2;
export const RT_EXCHANGE_ITEM_GROUP = 3;
export const RT_STS_LOGON = 15;
export const RT_SCC_CMDLET = 18;
export const RT_EXCHANGE_ITEM_AGGREGATED = 50;

export const LOGON_OWNER = 0;
export const LOGON_ADMIN = 1;
export const LOGON_DELEGATE = 2;

/** A mail client as it appears in Exchange and Entra records. */
export interface Client {
  key: string;
  clientInfoString: string;
  appId: string;
  /** Entra sign-in application id (what the user signed in to). */
  signInAppId: string;
  processName?: string;
  version?: string;
  userAgent: string;
  os: string;
  browser: string;
  /** Produces Sync records (desktop Outlook only, A2). */
  syncs: boolean;
  /** Sync rendered as RecordType 50 with Folders[] (true) or RecordType 2 with Item.ParentFolder (false). */
  syncAggregated?: boolean;
}

export const EXCHANGE_APP = '00000002-0000-0ff1-ce00-000000000000';
export const OFFICE_APP = 'd3590ed6-52b3-4102-aeff-aad2292ab01c';

export const CLIENTS: Record<string, Client> = {
  owa: { key: 'owa', clientInfoString: 'Client=OWA;Action=ViaProxy', appId: EXCHANGE_APP, signInAppId: '00000002-0000-0ff1-ce00-000000000000', userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0', os: 'Windows10', browser: 'Edge 131.0.0', syncs: false },
  outlook: { key: 'outlook', clientInfoString: 'Client=MSExchangeRPC', appId: OFFICE_APP, signInAppId: OFFICE_APP, processName: 'OUTLOOK.EXE', version: '16.0.17531.20140', userAgent: 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17531; Pro)', os: 'Windows10', browser: 'Rich Client 16.0.17531', syncs: true },
  macoutlook: { key: 'macoutlook', clientInfoString: 'Client=REST;Client=RESTSystem;;', appId: OFFICE_APP, signInAppId: OFFICE_APP, processName: 'Microsoft Outlook', version: '16.89.24091630', userAgent: 'Microsoft Outlook for Mac/16.89', os: 'MacOs', browser: 'Rich Client 16.89', syncs: true, syncAggregated: true },
  mobile: { key: 'mobile', clientInfoString: 'Client=REST;Client=RESTSystem;;', appId: '27922004-5251-4030-b22d-91ecd9a37ea4', signInAppId: '27922004-5251-4030-b22d-91ecd9a37ea4', userAgent: 'Outlook-iOS/2.0', os: 'Ios', browser: 'Mobile Safari', syncs: false },
  ews: { key: 'ews', clientInfoString: 'Client=WebServices;Mozilla/4.0 (compatible; MSIE 6.0; MS Web Services Client Protocol 4.0.30319.42000);', appId: 'a3883eba-fbe9-48bd-9ed3-dca3e0e84250', signInAppId: 'a3883eba-fbe9-48bd-9ed3-dca3e0e84250', userAgent: 'ArchiveConnector/4.2', os: 'Windows Server 2019', browser: '', syncs: false },
};

export interface RecordContext {
  orgId: string;
  orgName: string;
}

function originatingServer(p: MailboxProfile): string {
  return `${p.server} (15.20.8198.018)\r\n`;
}

/** Fields common to every mailbox record (RecordType 2, 3, 50). */
export function mailboxBase(ctx: RecordContext, id: string, t: number, op: string, recordType: number,
  owner: MailboxProfile, actor: MailboxProfile, logonType: number, client: Client, ip: string, sessionId: string): UalRecord {
  const rec: UalRecord = {
    CreationTime: iso(t),
    Id: id,
    Operation: op,
    OrganizationId: ctx.orgId,
    RecordType: recordType,
    ResultStatus: 'Succeeded',
    UserKey: actor.user.userKey,
    UserType: logonType === LOGON_ADMIN ? 2 : 0,
    Version: 1,
    Workload: 'Exchange',
    UserId: actor.user.userPrincipalName,
    AppId: client.appId,
    ClientAppId: client.appId === EXCHANGE_APP ? '' : client.appId,
    ClientIPAddress: ip,
    ClientInfoString: client.clientInfoString,
    ExternalAccess: false,
    InternalLogonType: 0,
    LogonType: logonType,
    LogonUserSid: actor.user.sid,
    MailboxGuid: owner.user.mailboxGuid,
    MailboxOwnerSid: owner.user.sid,
    MailboxOwnerUPN: owner.user.userPrincipalName,
    OrganizationName: ctx.orgName,
    OriginatingServer: originatingServer(owner),
    SessionId: sessionId,
  };
  if (client.processName) rec.ClientProcessName = client.processName;
  if (client.version) rec.ClientVersion = client.version;
  return rec;
}

/** Fields common to Exchange admin cmdlet records (RecordType 1). */
export function adminBase(ctx: RecordContext, id: string, t: number, op: string, actor: MailboxProfile, ip: string,
  objectId: string, parameters: { Name: string; Value: string }[], sessionId: string, tokenObjectId: string): UalRecord {
  return {
    CreationTime: iso(t),
    Id: id,
    Operation: op,
    OrganizationId: ctx.orgId,
    RecordType: RT_EXCHANGE_ADMIN,
    ResultStatus: 'True',
    UserKey: actor.user.userKey,
    UserType: actor.kind === 'admin' ? 2 : 0,
    Version: 1,
    Workload: 'Exchange',
    ClientIP: ip,
    ObjectId: objectId,
    UserId: actor.user.userPrincipalName,
    AppId: '',
    ClientAppId: '',
    ExternalAccess: false,
    OrganizationName: ctx.orgName,
    // Real admin records carry the server without the trailing CRLF (A3 sample).
    OriginatingServer: `${actor.server} (15.20.8198.018)`,
    Parameters: parameters,
    SessionId: sessionId,
    TokenObjectId: tokenObjectId,
    TokenTenantId: ctx.orgId,
  };
}

/** Entra sign-in (AzureActiveDirectoryStsLogon, UserLoggedIn). */
export function signInRecord(ctx: RecordContext, id: string, t: number, actor: MailboxProfile, client: Client, ip: string,
  aadSessionId: string, correlationId: string): UalRecord {
  return {
    CreationTime: iso(t),
    Id: id,
    Operation: 'UserLoggedIn',
    OrganizationId: ctx.orgId,
    RecordType: RT_STS_LOGON,
    ResultStatus: 'Success',
    UserKey: actor.user.id,
    UserType: 0,
    Version: 1,
    Workload: 'AzureActiveDirectory',
    ClientIP: ip,
    ObjectId: EXCHANGE_APP,
    UserId: actor.user.userPrincipalName,
    AzureActiveDirectoryEventType: 1,
    ExtendedProperties: [
      { Name: 'ResultStatusDetail', Value: 'Success' },
      { Name: 'UserAgent', Value: client.userAgent },
      { Name: 'RequestType', Value: 'OAuth2:Authorize' },
    ],
    ModifiedProperties: [],
    Actor: [{ ID: actor.user.id, Type: 0 }, { ID: actor.user.userPrincipalName, Type: 5 }],
    ActorContextId: ctx.orgId,
    ActorIpAddress: ip,
    InterSystemsId: correlationId,
    IntraSystemId: id,
    SupportTicketId: '',
    Target: [{ ID: EXCHANGE_APP, Type: 0 }],
    TargetContextId: ctx.orgId,
    ApplicationId: client.signInAppId,
    DeviceProperties: [
      { Name: 'OS', Value: client.os },
      { Name: 'BrowserType', Value: client.browser },
      { Name: 'IsCompliantAndManaged', Value: 'False' },
      { Name: 'SessionId', Value: aadSessionId },
    ],
    ErrorNumber: '0',
  };
}

/** Security & Compliance cmdlet record (eDiscovery). Parameters is a single string in these records. */
export function complianceRecord(ctx: RecordContext, id: string, t: number, op: string, actor: MailboxProfile, ip: string,
  objectId: string, parameters: string): UalRecord {
  return {
    CreationTime: iso(t),
    Id: id,
    Operation: op,
    OrganizationId: ctx.orgId,
    RecordType: RT_SCC_CMDLET,
    ResultStatus: 'True',
    UserKey: actor.user.userKey,
    UserType: 2,
    Version: 1,
    Workload: 'SecurityComplianceCenter',
    ObjectId: objectId,
    UserId: actor.user.userPrincipalName,
    ClientIP: ip,
    ClientApplication: 'EMC',
    CmdletVersion: '',
    EffectiveOrganization: ctx.orgName,
    UserServicePlan: 'SPE_E5',
    Parameters: parameters,
    StartTime: iso(t - 1000),
  };
}
