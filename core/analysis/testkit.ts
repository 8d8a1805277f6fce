// Small builders for the analysis tests: configuration values and change records shaped after the
// protocol reference (§4.10, §5.3–5.6). Used only by tests.
import type { AdminAuditLogConfig, BypassAssociation, LicenceAssignment, MailboxConfig, OrganizationConfig } from '../model.ts';
import { DEFAULT_ACTIONS } from './auditSets.ts';
import type { CoverageInput } from './coverage.ts';
import { toChangeRecord } from './records.ts';
import type { ChangeRecord, ConfigObservation } from './types.ts';

export const T0 = Date.UTC(2024, 4, 1); // 2024-05-01
export const H = 3_600_000;
export const D = 86_400_000;

let rowSeq = 1;
export function obs<T>(value: T, asOfMs: number, raw: Record<string, unknown> = {}): ConfigObservation<T> {
  const id = rowSeq++;
  return { rowId: id, snapshotId: 1, asOfMs, value, raw };
}

export function mailbox(upn: string, over: Partial<MailboxConfig> = {}): MailboxConfig {
  const alias = upn.split('@')[0] ?? upn;
  return {
    identity: alias, userPrincipalName: upn, primarySmtpAddress: upn, displayName: alias, alias,
    exchangeGuid: null, externalDirectoryObjectId: null, recipientTypeDetails: 'UserMailbox', auditEnabled: true,
    auditLogAgeLimitDays: 90, auditOwner: [...DEFAULT_ACTIONS.Owner], auditDelegate: [...DEFAULT_ACTIONS.Delegate],
    auditAdmin: [...DEFAULT_ACTIONS.Admin], defaultAuditSet: ['Admin', 'Delegate', 'Owner'], persistedCapabilities: null,
    ...over,
  };
}

export function bypass(identity: string, enabled: boolean): BypassAssociation {
  return { identity, name: identity, auditBypassEnabled: enabled, whenChangedUtc: null };
}

export function org(auditDisabled: boolean | null): OrganizationConfig {
  return { name: 'contoso', auditDisabled };
}

export function adminAudit(enabled: boolean | null): AdminAuditLogConfig {
  return { unifiedAuditLogIngestionEnabled: enabled, unifiedAuditLogFirstOptInDate: null, adminAuditLogEnabled: true, adminAuditLogAgeLimitDays: 90 };
}

export function licence(upn: string, plans: string[], over: Partial<LicenceAssignment> = {}): LicenceAssignment {
  return {
    userPrincipalName: upn, skuPartNumber: plans.includes('M365_ADVANCED_AUDITING') ? 'SPE_E5' : 'SPE_E3', skuId: null,
    servicePlans: plans.map((name) => ({ name, status: 'Success' })), assignedVia: 'direct', groupId: null, state: 'Active', error: null,
    ...over,
  };
}

let recSeq = 1;
/** An Exchange admin record (RecordType 1) as the unified log carries it. */
export function adminRecord(operation: string, timeMs: number, params: [string, string][], over: Record<string, unknown> = {}): ChangeRecord {
  const id = `rec-${recSeq++}`;
  const data = {
    CreationTime: new Date(timeMs).toISOString().slice(0, 19), Id: id, Operation: operation, RecordType: 1, ResultStatus: 'True',
    UserId: 'admin@contoso.com', UserType: 2, Workload: 'Exchange', ObjectId: params.find(([n]) => n === 'Identity')?.[1] ?? '',
    Parameters: params.map(([Name, Value]) => ({ Name, Value })), ...over,
  };
  return toChangeRecord({
    recordId: id, timeMs, operation, recordType: 1, userId: String(data.UserId), userType: Number(data.UserType), mailbox: null,
    objectId: String(data.ObjectId), clientIp: null, resultStatus: String(data.ResultStatus), auditData: JSON.stringify(data),
  });
}

/** A mailbox record (RecordType 2) with OperationProperties. */
export function mailboxRecord(operation: string, timeMs: number, mailboxUpn: string, props: [string, string | undefined][], over: Record<string, unknown> = {}): ChangeRecord {
  const id = `rec-${recSeq++}`;
  const data = {
    CreationTime: new Date(timeMs).toISOString().slice(0, 19), Id: id, Operation: operation, RecordType: 2, ResultStatus: 'Succeeded',
    UserId: mailboxUpn, UserType: 0, Workload: 'Exchange', MailboxOwnerUPN: mailboxUpn, LogonType: 0, ClientIPAddress: '198.51.100.7',
    OperationProperties: props.map(([Name, Value]) => (Value === undefined ? { Name } : { Name, Value })), ...over,
  };
  return toChangeRecord({
    recordId: id, timeMs, operation, recordType: 2, userId: String(data.UserId), userType: 0, mailbox: mailboxUpn,
    objectId: null, clientIp: '198.51.100.7', resultStatus: 'Succeeded', auditData: JSON.stringify(data),
  });
}

export function emptyInput(startMs = T0, endMs = T0 + 30 * D): CoverageInput {
  return {
    range: { startMs, endMs }, mailboxes: [], bypass: [], organization: [], adminAuditLog: [], licences: null,
    changes: [], throttleMarkers: [], inferredThrottles: [], activity: [], ledger: null,
  };
}
