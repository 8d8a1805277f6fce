// Exchange Online admin API emulation (§4): POST /adminapi/beta/{tenant}/InvokeCommand, routed on
// CmdletInput.CmdletName, with the OData envelope, Prefer: odata.maxpagesize paging (the client POSTs the
// same body to @odata.nextLink), Search-UnifiedAuditLog sessions and the audit-posture cmdlets.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LOGON_TYPES, RECORD_TYPES } from '../../core/recordTypes.ts';
import type { UalRecord } from '../scenario/types.ts';
import {
  EXO_DEFAULT_PAGE_SIZE, EXO_RATE_LIMIT_LIMIT, EXO_RETIRED_CMDLET_EXCEPTION, EXO_STATUS_BAD_PARAMETER, EXO_STATUS_NOT_FOUND,
  SMAL_DEFAULT_RESULT_SIZE, SMAL_MAX_RESULT_SIZE, SUAL_DEFAULT_RESULT_SIZE, SUAL_LARGE_SET_CAP, SUAL_MAX_RESULT_SIZE,
  SUAL_MIXED_CAP, SUAL_PREVIEW_CAP,
} from './assumptions.ts';
import { AuthFailure, authenticate, type Caller } from './auth.ts';
import type { SimContext } from './context.ts';
import { readBody, writeChunks } from './http.ts';
import { RecordCursor, shufflePage, toSualRow, type RecordFilter } from './records.ts';

/** An Exchange cmdlet failure, rendered as the §4.6 body. */
export class ExoError extends Error {
  readonly status: number;
  readonly exceptionType: string;
  readonly headers: Record<string, string>;
  constructor(status: number, exceptionType: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.exceptionType = exceptionType;
    this.headers = headers;
  }
}

const NOT_FOUND = 'Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException';
const PARAM_BINDING = 'System.Management.Automation.ParameterBindingException';
const AMBIGUOUS = 'Microsoft.Exchange.Configuration.Tasks.AmbiguousParameterSetException';
const CODE_BY_STATUS: Readonly<Record<number, string>> = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 429: 'TooManyRequests', 500: 'InternalServerError', 503: 'ServiceUnavailable' };

export function exoErrorBody(status: number, exceptionType: string, message: string): Record<string, unknown> {
  return {
    error: {
      code: CODE_BY_STATUS[status] ?? 'InternalServerError',
      message: 'Error executing cmdlet',
      details: [{ code: 'Client', target: '', message: `Ex${(status * 7919).toString(16).toUpperCase().slice(-6)}|${exceptionType}|${message}` }],
      innererror: {
        message,
        type: 'Microsoft.Exchange.Admin.OData.Core.ODataServiceException',
        stacktrace: '',
        internalexception: { message, type: exceptionType, stacktrace: '' },
      },
    },
  };
}

const COMMON_PARAMS = ['ErrorAction', 'WarningAction', 'ErrorVariable', 'WarningVariable', 'InformationAction', 'InformationVariable', 'Verbose', 'Debug', 'OutVariable', 'OutBuffer', 'PipelineVariable', 'Confirm', 'WhatIf'];
const CMDLET_PARAMS: Readonly<Record<string, string[]>> = {
  'Search-UnifiedAuditLog': ['StartDate', 'EndDate', 'RecordType', 'Operations', 'UserIds', 'ObjectIds', 'IPAddresses', 'SiteIds', 'FreeText', 'Formatted', 'HighCompleteness', 'LongerRetentionEnabled', 'ResultSize', 'SessionId', 'SessionCommand'],
  'Search-MailboxAuditLog': ['Identity', 'Mailboxes', 'ShowDetails', 'StartDate', 'EndDate', 'LogonTypes', 'Operations', 'ExternalAccess', 'HasAttachments', 'GroupMailbox', 'IncludeInactiveMailbox', 'ResultSize'],
  'Get-Mailbox': ['Identity', 'ResultSize', 'RecipientTypeDetails', 'Filter', 'IncludeInactiveMailbox', 'Anr'],
  'Get-MailboxAuditBypassAssociation': ['Identity', 'ResultSize'],
  'Get-OrganizationConfig': ['Identity'],
  'Get-AdminAuditLogConfig': ['Identity'],
  'Get-InboxRule': ['Mailbox', 'Identity', 'IncludeHidden', 'BypassScopeCheck', 'SweepRules'],
};

type Params = Record<string, unknown>;

/**
 * Search-UnifiedAuditLog sessions (and ad-hoc searches' paging state) kept at once. Each live session's
 * cursor holds the scenario day it is reading (about 65,000 records, 100+ MB, for the large tenant), so
 * the bound is small: a client works one session at a time, plus the ones it restarts.
 */
const MAX_LIVE_SESSIONS = 8;

interface SualSession {
  cursor: RecordCursor;
  total: number;
  /** position where the next plain call's batch starts */
  delivered: number;
  modes: Set<string>;
  dead: boolean;
  lastBatch: UalRecord[];
}

interface PageToken {
  /** cache key of the session or cursor */
  k: string;
  /** position of the next row */
  p: number;
  /** end of this batch (exclusive) */
  e: number;
}

export function createExchange(ctx: SimContext): { handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> } {
  const sessions = new Map<string, SualSession>();
  const smalCursors = new Map<string, RecordCursor>();

  const param = (p: Params, name: string): unknown => {
    const k = Object.keys(p).find((x) => x.toLowerCase() === name.toLowerCase());
    return k === undefined ? undefined : p[k];
  };
  const str = (p: Params, name: string): string | undefined => {
    const v = param(p, name);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new ExoError(400, PARAM_BINDING, `Cannot convert the value of parameter '${name}' to type 'System.String'.`);
  };
  const list = (p: Params, name: string): string[] => {
    const v = param(p, name);
    if (v === undefined || v === null) return [];
    if (Array.isArray(v)) return v.map(String);
    return String(v).split(',').map((s) => s.trim()).filter(Boolean);
  };
  const isSwitch = (p: Params, name: string): boolean => {
    const v = param(p, name);
    return v === true || v === 'true' || v === 'True' || v === '$true';
  };

  function parseDate(name: string, v: string | undefined): number {
    if (v === undefined || v === '') throw new ExoError(400, PARAM_BINDING, `Cannot process command because of one or more missing mandatory parameters: ${name}.`);
    const s = v.trim();
    let ms = Number.NaN;
    if (/^\d{4}-\d{2}-\d{2}$/.test(s)) ms = Date.parse(`${s}T00:00:00Z`);
    else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s)) ms = Date.parse(`${s}Z`);
    else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([zZ]|[+-]\d{2}:\d{2})$/.test(s)) ms = Date.parse(s);
    else {
      const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM)?)?$/i.exec(s);
      if (m) {
        let h = Number(m[4] ?? 0);
        if (m[7]) h = (h % 12) + (m[7].toUpperCase() === 'PM' ? 12 : 0);
        ms = Date.UTC(Number(m[3]), Number(m[1]) - 1, Number(m[2]), h, Number(m[5] ?? 0), Number(m[6] ?? 0));
      }
    }
    if (!Number.isFinite(ms)) throw new ExoError(400, PARAM_BINDING, `Cannot bind parameter '${name}'. Cannot convert value "${s}" to type "System.DateTime". Error: "String was not recognized as a valid DateTime."`);
    return ms;
  }

  function intParam(p: Params, name: string, def: number, min: number, max: number, allowUnlimited = false): number {
    const v = param(p, name);
    if (v === undefined || v === null) return def;
    if (allowUnlimited && String(v).toLowerCase() === 'unlimited') return Number.POSITIVE_INFINITY;
    const n = typeof v === 'number' ? v : /^\s*\d+\s*$/.test(String(v)) ? Number(v) : Number.NaN;
    if (!Number.isInteger(n)) throw new ExoError(400, PARAM_BINDING, `Cannot bind parameter '${name}'. Cannot convert value "${String(v)}" to type "System.Int32".`);
    if (n < min) throw new ExoError(400, 'System.Management.Automation.ValidationMetadataException', `Cannot validate argument on parameter '${name}'. The ${n} argument is less than the minimum allowed range of ${min}. Supply an argument that is greater than or equal to ${min} and then try the command again.`);
    if (n > max) throw new ExoError(400, 'System.Management.Automation.ValidationMetadataException', `Cannot validate argument on parameter '${name}'. The ${n} argument is greater than the maximum allowed range of ${max}. Supply an argument that is less than or equal to ${max} and then try the command again.`);
    return n;
  }

  /** RecordType: a code, an exact enum name, or a unique prefix (§4.6: prefixes match; ambiguous ones return nothing). */
  function recordTypeParam(v: string | undefined): number | null | 'none' {
    if (v === undefined) return null;
    if (/^\d+$/.test(v)) return Number(v);
    const names = Object.entries(RECORD_TYPES);
    const exact = names.find(([, n]) => n.toLowerCase() === v.toLowerCase());
    if (exact) return Number(exact[0]);
    const pre = names.filter(([, n]) => n.toLowerCase().startsWith(v.toLowerCase()));
    if (pre.length === 1) return Number(pre[0]![0]);
    if (pre.length > 1) return 'none';
    throw new ExoError(400, PARAM_BINDING, `Cannot bind parameter 'RecordType'. Cannot convert value "${v}" to type "Microsoft.Exchange.Management.SystemConfigurationTasks.AuditRecordType". Error: "Unable to match the identifier name ${v} to a valid enumerator name. Specify one of the following enumerator names and try again: ${Object.values(RECORD_TYPES).join(', ')}"`);
  }

  function findMailbox(identity: string): Record<string, unknown> {
    const k = identity.toLowerCase();
    const keys = ['Identity', 'Alias', 'Name', 'UserPrincipalName', 'PrimarySmtpAddress', 'ExchangeGuid', 'Guid', 'ExternalDirectoryObjectId', 'DisplayName'];
    const m = ctx.scenario.tenant.mailboxes.find((mb) => keys.some((f) => typeof mb[f] === 'string' && (mb[f] as string).toLowerCase() === k));
    if (!m) throw new ExoError(EXO_STATUS_NOT_FOUND, NOT_FOUND, `The operation couldn't be performed because object '${identity}' couldn't be found on 'AM0PR04A001DC01.EURPR04A001.prod.outlook.com'.`);
    return m;
  }

  function checkParams(cmdlet: string, p: Params): void {
    const allowed = CMDLET_PARAMS[cmdlet];
    if (!allowed) return;
    const all = [...allowed, ...COMMON_PARAMS].map((s) => s.toLowerCase());
    for (const k of Object.keys(p)) {
      if (!all.includes(k.toLowerCase()) && !k.includes('@')) {
        throw new ExoError(EXO_STATUS_BAD_PARAMETER, AMBIGUOUS, `A parameter cannot be found that matches parameter name '${k}'.`);
      }
    }
  }

  // ---- Search-UnifiedAuditLog -----------------------------------------------------------------

  interface Batch { rows: Record<string, unknown>[]; token: PageToken | null }

  function sualFilter(p: Params): { filter: RecordFilter; start: number; end: number; none: boolean } {
    const start = parseDate('StartDate', str(p, 'StartDate'));
    const end = parseDate('EndDate', str(p, 'EndDate'));
    if (start >= end) throw new ExoError(400, 'Microsoft.Exchange.Management.SystemConfigurationTasks.InvalidStartDateException', 'The StartDate should be earlier than the EndDate.');
    const rt = recordTypeParam(str(p, 'RecordType'));
    const ft = str(p, 'FreeText');
    return {
      start, end, none: rt === 'none',
      filter: {
        recordTypes: typeof rt === 'number' ? new Set([rt]) : undefined,
        operations: new Set(list(p, 'Operations').map((s) => s.toLowerCase())),
        userIds: new Set(list(p, 'UserIds').map((s) => s.toLowerCase())),
        objectIds: new Set(list(p, 'ObjectIds').map((s) => s.toLowerCase())),
        ipAddresses: new Set(list(p, 'IPAddresses')),
        freeText: ft ? ft.toLowerCase() : undefined,
      },
    };
  }

  function newSession({ filter, start, end, none }: ReturnType<typeof sualFilter>): SualSession {
    const from = Math.max(start, ctx.ualHorizonMs());
    const cursor = new RecordCursor((ms) => (none ? [][Symbol.iterator]() : ctx.scenario.recordsBetween(ms, end)), from, filter);
    return { cursor, total: none || from >= end ? 0 : cursor.count(), delivered: 0, modes: new Set(), dead: false, lastBatch: [] };
  }

  function sualRows(req: IncomingMessage, path: string, key: string, s: SualSession, pos: number, end: number, pageSize: number, shuffle: boolean): Batch {
    const take = Math.min(pageSize, end - pos);
    const recs = s.cursor.page(pos, take);
    const ordered = shuffle ? shufflePage(recs, pos + 1) : recs;
    let rows = ordered.map((r, i) => toSualRow(r, pos + i + 1, s.total));
    // Repeats the end of the previous batch, or on a session's first page some rows of this one (see assumptions.ts).
    const dup = ctx.faults.takeSpecial('duplicate', req.method ?? 'POST', path, { available: s.lastBatch.length || rows.length });
    if (dup && s.lastBatch.length > 0) {
      const n = Math.min(dup.duplicates ?? 3, s.lastBatch.length);
      const prev = s.lastBatch.slice(-n).map((r, i) => toSualRow(r, pos - n + i + 1, s.total));
      rows = [...prev, ...rows];
    } else if (dup) {
      rows = [...rows, ...rows.slice(0, Math.min(dup.duplicates ?? 3, rows.length))];
    }
    s.lastBatch = ordered;
    const next = pos + recs.length;
    return { rows, token: recs.length === take && next < end ? { k: key, p: next, e: end } : null };
  }

  function searchUnifiedAuditLog(req: IncomingMessage, path: string, caller: Caller, p: Params, token: PageToken | null, pageSize: number): Batch {
    if (token) {
      const s = sessions.get(token.k);
      if (!s) throw new ExoError(400, 'Microsoft.Exchange.Admin.OData.Core.InvalidSkipTokenException', 'The skip token is not valid or has expired. Run the search again.');
      if (s.dead) return { rows: [], token: null };
      return sualRows(req, path, token.k, s, token.p, token.e, pageSize, s.modes.has('returnlargeset') && !s.modes.has('returnnextpreviewpage'));
    }
    const resultSize = intParam(p, 'ResultSize', SUAL_DEFAULT_RESULT_SIZE, 1, SUAL_MAX_RESULT_SIZE);
    const sessionId = str(p, 'SessionId');
    const command = str(p, 'SessionCommand');
    if (command !== undefined && !['returnlargeset', 'returnnextpreviewpage'].includes(command.toLowerCase())) {
      throw new ExoError(400, PARAM_BINDING, `Cannot bind parameter 'SessionCommand'. Cannot convert value "${command}" to type "Microsoft.Exchange.Management.SystemConfigurationTasks.UnifiedAuditSessionCommand". Error: "Unable to match the identifier name ${command} to a valid enumerator name. Specify one of the following enumerator names and try again: ReturnLargeSet, ReturnNextPreviewPage"`);
    }
    const search = sualFilter(p); // validates the parameters on every call, even for a known session
    const key = sessionId !== undefined ? `${caller.clientId}|${caller.upn ?? ''}|${sessionId}` : `adhoc|${randomUUID()}`;
    let s = sessions.get(key);
    if (!s) {
      s = newSession(search);
      // Bounded like the service's own session store: the least recently used sessions expire (a later
      // page of an expired session answers like an expired skip token). Without a bound, a long
      // acquisition of a large tenant grew the emulator's heap until it ran out of memory.
      if (sessions.size >= MAX_LIVE_SESSIONS) sessions.delete(sessions.keys().next().value!);
    } else {
      sessions.delete(key); // re-inserted below: the Map's order is least recently used first
    }
    sessions.set(key, s);
    if (s.dead) return { rows: [], token: null };
    const mode = (command ?? 'returnnextpreviewpage').toLowerCase();
    s.modes.add(mode);
    const cap = s.modes.size > 1 ? SUAL_MIXED_CAP : s.modes.has('returnlargeset') ? SUAL_LARGE_SET_CAP : SUAL_PREVIEW_CAP;
    const batchStart = sessionId !== undefined ? s.delivered : 0;
    const batchEnd = Math.min(batchStart + resultSize, cap, s.total);
    if (batchEnd <= batchStart) return { rows: [], token: null };
    s.delivered = batchEnd;
    // §4.8 step 5 puts no position on the timed-out batch: the first call of a session can time out too.
    const timeout = sessionId !== undefined ? ctx.faults.takeSpecial('sessionTimeout', req.method ?? 'POST', path) : null;
    if (timeout) {
      // §4.8: the server timed out inside the session: rows with ResultIndex -1 / ResultCount 0, session unusable.
      s.dead = true;
      const recs = s.cursor.page(batchStart, Math.min(pageSize, batchEnd - batchStart));
      return { rows: recs.map((r) => toSualRow(r, -1, 0)), token: null };
    }
    return sualRows(req, path, key, s, batchStart, batchEnd, pageSize, mode === 'returnlargeset' && s.modes.size === 1);
  }

  // ---- Search-MailboxAuditLog -----------------------------------------------------------------

  const LOGON_CODES: Readonly<Record<string, number>> = Object.fromEntries(Object.entries(LOGON_TYPES).map(([c, n]) => [n.toLowerCase(), Number(c)]));

  function smalRow(r: UalRecord, mailbox: Record<string, unknown>): Record<string, unknown> {
    const item = (r.Item ?? {}) as Record<string, unknown>;
    const parent = (item.ParentFolder ?? {}) as Record<string, unknown>;
    const folder = (r.Folder ?? {}) as Record<string, unknown>;
    const folders = Array.isArray(r.Folders) ? (r.Folders as Record<string, unknown>[]) : [];
    const affected = Array.isArray(r.AffectedItems) ? (r.AffectedItems as Record<string, unknown>[]) : [];
    const msgIds = [...folders.flatMap((f) => (Array.isArray(f.FolderItems) ? (f.FolderItems as Record<string, unknown>[]) : []).map((i) => i.InternetMessageId)), ...affected.map((i) => i.InternetMessageId)].filter((x): x is string => typeof x === 'string');
    const props = Array.isArray(r.OperationProperties) ? (r.OperationProperties as { Name?: unknown; Value?: unknown }[]).map((o) => `${String(o.Name)}:${String(o.Value)}`) : [];
    const lt = Number(r.LogonType ?? 0);
    return {
      Operation: r.Operation,
      OperationResult: r.ResultStatus ?? 'Succeeded',
      LogonType: LOGON_TYPES[lt] ?? String(lt),
      ExternalAccess: r.ExternalAccess ?? false,
      InternalLogonType: LOGON_TYPES[Number(r.InternalLogonType ?? 0)] ?? String(r.InternalLogonType),
      CrossMailboxOperation: r.CrossMailboxOperation ?? r.CrossMailboxOperations ?? false,
      FolderId: folder.Id ?? parent.Id ?? folders[0]?.Id ?? null,
      FolderPathName: folder.Path ?? parent.Path ?? folders[0]?.Path ?? null,
      FolderName: folder.Name ?? parent.Name ?? null,
      ClientInfoString: r.ClientInfoString ?? null,
      ClientIPAddress: r.ClientIPAddress ?? null,
      ClientIP: r.ClientIP ?? r.ClientIPAddress ?? null,
      ClientMachineName: r.ClientMachineName ?? null,
      ClientProcessName: r.ClientProcessName ?? null,
      ClientVersion: r.ClientVersion ?? null,
      MailboxOwnerUPN: r.MailboxOwnerUPN ?? null,
      MailboxOwnerSid: r.MailboxOwnerSid ?? null,
      LogonUserDisplayName: r.LogonUserDisplayName ?? r.UserId ?? null,
      LogonUserSid: r.LogonUserSid ?? null,
      'SourceItemInternetMessageIdsList@odata.type': '#Collection(String)',
      SourceItemInternetMessageIdsList: msgIds,
      ItemId: item.Id ?? null,
      ItemSubject: item.Subject ?? null,
      ItemInternetMessageId: item.InternetMessageId ?? null,
      SessionId: r.SessionId ?? null,
      'OperationProperties@odata.type': '#Collection(String)',
      OperationProperties: props,
      AppId: r.AppId ?? null,
      ClientAppId: r.ClientAppId ?? null,
      OriginatingServer: r.OriginatingServer ?? null,
      'MailboxGuid@data.type': 'System.Guid',
      MailboxGuid: r.MailboxGuid ?? mailbox.ExchangeGuid ?? null,
      MailboxResolvedOwnerName: mailbox.DisplayName ?? mailbox.Name ?? null,
      'LastAccessed@data.type': 'System.DateTime',
      LastAccessed: String(r.CreationTime).replace(/Z$/, ''),
      Identity: r.Id,
      IsValid: true,
      ObjectState: 'Unchanged',
    };
  }

  function searchMailboxAuditLog(p: Params, token: PageToken | null, pageSize: number): Batch {
    if (ctx.scenario.tenant.mailboxAuditLogRetired) {
      throw new ExoError(400, EXO_RETIRED_CMDLET_EXCEPTION, "The term 'Search-MailboxAuditLog' is not recognized as a name of a cmdlet, function, script file, or executable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.");
    }
    const identity = str(p, 'Identity');
    const many = list(p, 'Mailboxes');
    const details = isSwitch(p, 'ShowDetails');
    if (many.length > 0 && details) throw new ExoError(400, AMBIGUOUS, 'Parameter set cannot be resolved using the specified named parameters. The Mailboxes parameter cannot be used with ShowDetails.');
    if (!identity && many.length === 0) throw new ExoError(400, PARAM_BINDING, 'Specify the Identity (with ShowDetails) or Mailboxes parameter.');
    const resultSize = intParam(p, 'ResultSize', SMAL_DEFAULT_RESULT_SIZE, 1, SMAL_MAX_RESULT_SIZE);
    const now = ctx.clock();
    const start = str(p, 'StartDate') !== undefined ? parseDate('StartDate', str(p, 'StartDate')) : now - 15 * 86_400_000;
    const end = str(p, 'EndDate') !== undefined ? parseDate('EndDate', str(p, 'EndDate')) : now;
    const ops = new Set(list(p, 'Operations').map((s) => s.toLowerCase()));
    const logonNames = list(p, 'LogonTypes').map((s) => s.toLowerCase());
    for (const n of logonNames) if (!['admin', 'delegate', 'owner'].includes(n)) throw new ExoError(400, PARAM_BINDING, `Cannot bind parameter 'LogonTypes'. Specify one of the following enumerator names and try again: Admin, Delegate, Owner`);
    if (logonNames.includes('owner') && !details) throw new ExoError(400, 'Microsoft.Exchange.Management.Tasks.TaskArgumentException', 'The Owner logon type can be used only with the ShowDetails switch.');
    const logons = new Set(logonNames.map((n) => LOGON_CODES[n]));
    const filter: RecordFilter = {
      operations: ops.has('default') ? undefined : ops,
      predicate: logons.size > 0 ? (r) => logons.has(Number(r.LogonType ?? 0)) : undefined,
    };
    if (!details) {
      const rows = (many.length > 0 ? many : [identity!]).map((id) => {
        const mb = findMailbox(id);
        const upn = String(mb.UserPrincipalName);
        let last: string | null = null;
        const c = new RecordCursor((ms) => ctx.scenario.mailboxAuditRecords(upn, ms, end), start, filter);
        for (let pos = 0; ; pos += 1000) { const pg = c.page(pos, 1000); if (pg.length === 0) break; last = String(pg[pg.length - 1]!.CreationTime); }
        return { 'MailboxGuid@data.type': 'System.Guid', MailboxGuid: mb.ExchangeGuid ?? null, MailboxResolvedOwnerName: mb.DisplayName ?? mb.Name ?? null, LastAccessed: last, Identity: mb.Identity ?? id, IsValid: true, ObjectState: 'Unchanged' };
      });
      return { rows, token: null };
    }
    const mb = findMailbox(identity!);
    const upn = String(mb.UserPrincipalName);
    let key: string;
    let pos: number;
    let endPos: number;
    let cursor: RecordCursor | undefined;
    if (token) {
      key = token.k; pos = token.p; endPos = token.e;
      cursor = smalCursors.get(key);
    } else {
      key = `smal|${randomUUID()}`; pos = 0; endPos = resultSize;
    }
    if (!cursor) {
      cursor = new RecordCursor((ms) => ctx.scenario.mailboxAuditRecords(upn, ms, end), start, filter, endPos);
      smalCursors.set(key, cursor);
      if (smalCursors.size > 256) smalCursors.delete(smalCursors.keys().next().value!);
    }
    const recs = cursor.page(pos, Math.min(pageSize, endPos - pos));
    const next = pos + recs.length;
    const more = recs.length === Math.min(pageSize, endPos - pos) && next < endPos && cursor.page(next, 1).length === 1;
    return { rows: recs.map((r) => smalRow(r, mb)), token: more ? { k: key, p: next, e: endPos } : null };
  }

  // ---- configuration cmdlets ---------------------------------------------------------------

  function listPage(all: Record<string, unknown>[], token: PageToken | null, pageSize: number, resultSize: number): Batch {
    const end = Math.min(all.length, resultSize);
    const pos = token?.p ?? 0;
    const rows = all.slice(pos, Math.min(pos + pageSize, end));
    return { rows, token: pos + rows.length < end ? { k: 'list', p: pos + rows.length, e: end } : null };
  }

  function run(req: IncomingMessage, path: string, caller: Caller, cmdlet: string, p: Params, token: PageToken | null, pageSize: number, warnings: string[]): Batch {
    switch (cmdlet) {
      case 'Search-UnifiedAuditLog':
        return searchUnifiedAuditLog(req, path, caller, p, token, pageSize);
      case 'Search-MailboxAuditLog':
        return searchMailboxAuditLog(p, token, pageSize);
      case 'Get-Mailbox': {
        const identity = str(p, 'Identity');
        const resultSize = intParam(p, 'ResultSize', 1000, 1, Number.MAX_SAFE_INTEGER, true);
        let all = identity ? [findMailbox(identity)] : ctx.scenario.tenant.mailboxes;
        const rtd = list(p, 'RecipientTypeDetails').map((s) => s.toLowerCase());
        if (rtd.length > 0) all = all.filter((m) => rtd.includes(String(m.RecipientTypeDetails).toLowerCase()));
        const f = str(p, 'Filter');
        if (f) {
          const m = /^\s*\(?\s*(\w+)\s+-eq\s+'([^']*)'\s*\)?\s*$/i.exec(f);
          if (!m) throw new ExoError(400, 'Microsoft.Exchange.Management.Tasks.FilterParsingException', `The emulator understands only "Property -eq 'value'" filters; got: ${f}`);
          all = all.filter((mb) => String(mb[Object.keys(mb).find((k) => k.toLowerCase() === m[1]!.toLowerCase()) ?? ''] ?? '').toLowerCase() === m[2]!.toLowerCase());
        }
        if (all.length > resultSize && !token) warnings.push('There are more results available than are currently displayed. To view them, increase the value for the ResultSize parameter.');
        return listPage(all, token, pageSize, resultSize);
      }
      case 'Get-MailboxAuditBypassAssociation': {
        const identity = str(p, 'Identity');
        const resultSize = intParam(p, 'ResultSize', 1000, 1, Number.MAX_SAFE_INTEGER, true);
        let all = ctx.scenario.tenant.bypassAssociations;
        if (identity) {
          const k = identity.toLowerCase();
          let hit = all.filter((b) => ['Identity', 'Name', 'Id', 'Guid', 'ExchangeObjectId'].some((f) => String(b[f] ?? '').toLowerCase() === k));
          if (hit.length === 0) {
            const mb = findMailbox(identity);
            hit = all.filter((b) => String(b.Name ?? '').toLowerCase() === String(mb.Alias ?? mb.Name ?? '').toLowerCase() || String(b.Guid ?? '') === String(mb.Guid ?? '-'));
          }
          if (hit.length === 0) throw new ExoError(EXO_STATUS_NOT_FOUND, NOT_FOUND, `The operation couldn't be performed because object '${identity}' couldn't be found.`);
          all = hit;
        }
        return listPage(all, token, pageSize, resultSize);
      }
      case 'Get-OrganizationConfig':
        return { rows: [ctx.scenario.tenant.organizationConfig], token: null };
      case 'Get-AdminAuditLogConfig':
        return { rows: [ctx.scenario.tenant.adminAuditLogConfig], token: null };
      case 'Get-InboxRule': {
        const mailbox = str(p, 'Mailbox');
        const identity = str(p, 'Identity');
        let mbId = mailbox;
        let ruleId: string | undefined;
        if (!mbId && identity) {
          const i = identity.indexOf('\\');
          if (i >= 0) { mbId = identity.slice(0, i); ruleId = identity.slice(i + 1); } else mbId = identity;
        }
        if (!mbId) throw new ExoError(400, PARAM_BINDING, 'An app-only session must name the mailbox: specify -Mailbox or -Identity.');
        const mb = findMailbox(mbId);
        let rules = ctx.scenario.tenant.inboxRules[String(mb.UserPrincipalName).toLowerCase()] ?? [];
        if (ruleId !== undefined) {
          rules = rules.filter((r) => String(r.RuleIdentity ?? '') === ruleId || String(r.Name ?? '') === ruleId || String(r.Identity ?? '').endsWith(`\\${ruleId}`));
          if (rules.length === 0) throw new ExoError(EXO_STATUS_NOT_FOUND, NOT_FOUND, `The operation couldn't be performed because object '${identity ?? ''}' couldn't be found.`);
        }
        return listPage(rules, token, pageSize, Number.MAX_SAFE_INTEGER);
      }
      default:
        throw new ExoError(400, 'System.Management.Automation.CommandNotFoundException', `The term '${cmdlet}' is not recognized as a name of a cmdlet, function, script file, or executable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.`);
    }
  }

  function selectProps(rows: Record<string, unknown>[], select: string | null): Record<string, unknown>[] {
    if (!select) return rows;
    const keep = select.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    return rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => keep.includes(k.split('@')[0]!.toLowerCase()))));
  }

  function authorize(caller: Caller): void {
    if (caller.appOnly) {
      if (!caller.permissions.includes('Exchange.ManageAsApp')) throw new AuthFailure(401, 'The access token has no Exchange.ManageAsApp application role.');
      if (!caller.client?.hasDirectoryRole) throw new AuthFailure(403, 'The service principal has the Exchange.ManageAsApp role but no Entra directory role (for example Global Reader or Exchange Administrator) that allows this cmdlet.');
    } else {
      if (!caller.permissions.includes('Exchange.Manage')) throw new AuthFailure(401, 'The access token has no Exchange.Manage delegated permission.');
      if (caller.userKind !== 'admin') throw new AuthFailure(403, `The user '${caller.upn ?? ''}' has no Exchange role that allows this cmdlet.`);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const appHeaders: Record<string, string> = { 'request-id': randomUUID(), 'X-CalculatedBETarget': 'AM0PR04MB1234.eurprd04.prod.outlook.com' };
    const fail = (e: ExoError | AuthFailure): void => {
      const status = e.status;
      const type = e instanceof ExoError ? e.exceptionType : status === 401 ? 'System.UnauthorizedAccessException' : 'Microsoft.Exchange.Management.Tasks.AccessDeniedException';
      const body = JSON.stringify(exoErrorBody(status, type, e.message));
      const headers: Record<string, string> = { ...appHeaders, 'Content-Type': 'application/json;odata.metadata=minimal;charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)), 'x-ExceptionType': type.split('.').pop() ?? type };
      if (e instanceof ExoError) Object.assign(headers, e.headers);
      if (status === 401) headers['WWW-Authenticate'] = `Bearer client_id="00000002-0000-0ff1-ce00-000000000000", trusted_issuers="00000001-0000-0000-c000-000000000000@*", token_types="app_asserted_user_v1 service_asserted_app_v1", authorization_uri="${ctx.origin}/common/oauth2/authorize", error="invalid_token"`;
      res.writeHead(status, headers);
      res.end(body);
    };
    try {
      const parts = url.pathname.split('/').filter(Boolean);
      // adminapi / beta|v1.0 / {tenant} / InvokeCommand
      if (parts.length !== 4 || (parts[1] !== 'beta' && parts[1] !== 'v1.0') || parts[3] !== 'InvokeCommand' || req.method !== 'POST') {
        throw new ExoError(404, 'Microsoft.Exchange.Admin.OData.Core.ResourceNotFoundException', `No resource at ${req.method ?? ''} ${url.pathname}. Use POST /adminapi/beta/{tenant}/InvokeCommand.`);
      }
      const caller = authenticate(ctx, req, 'exchange');
      const tenantSeg = parts[2]!;
      if (tenantSeg.toLowerCase() !== ctx.tenantId.toLowerCase() && tenantSeg.toLowerCase() !== ctx.domain.toLowerCase()) {
        throw new AuthFailure(401, `The tenant '${tenantSeg}' in the request URL is not the tenant of the access token.`);
      }
      authorize(caller);
      appHeaders['X-Ms-Appid'] = caller.clientId;
      let body: unknown;
      try { body = JSON.parse((await readBody(req)).toString('utf8')); } catch { throw new ExoError(400, 'Microsoft.Exchange.Admin.OData.Core.ODataServiceException', 'The request body is not valid JSON.'); }
      const input = (body as { CmdletInput?: { CmdletName?: unknown; Parameters?: unknown } } | null)?.CmdletInput;
      if (!input || typeof input.CmdletName !== 'string') throw new ExoError(400, 'Microsoft.Exchange.Admin.OData.Core.ODataServiceException', 'The request body must be {"CmdletInput":{"CmdletName":…,"Parameters":{…}}}.');
      const params = (input.Parameters ?? {}) as Params;
      if (typeof params !== 'object' || Array.isArray(params)) throw new ExoError(400, PARAM_BINDING, 'CmdletInput.Parameters must be an object.');
      const cmdlet = Object.keys(CMDLET_PARAMS).find((c) => c.toLowerCase() === input.CmdletName!.toString().toLowerCase()) ?? input.CmdletName;
      checkParams(cmdlet, params);
      const prefer = /odata\.maxpagesize\s*=\s*(\d+)/i.exec(String(req.headers.prefer ?? ''));
      const pageSize = Math.max(1, Math.min(prefer ? Number(prefer[1]) : EXO_DEFAULT_PAGE_SIZE, EXO_DEFAULT_PAGE_SIZE));
      let token: PageToken | null = null;
      const skip = url.searchParams.get('$skiptoken');
      if (skip !== null) {
        try {
          const t = JSON.parse(Buffer.from(skip, 'base64url').toString('utf8')) as PageToken & { c?: string };
          if (typeof t.k !== 'string' || typeof t.p !== 'number' || typeof t.e !== 'number' || t.c !== cmdlet) throw new Error('bad');
          token = t;
        } catch {
          throw new ExoError(400, 'Microsoft.Exchange.Admin.OData.Core.InvalidSkipTokenException', 'The $skiptoken is not valid for this request: POST the same body to the @odata.nextLink URL.');
        }
      }
      const warnings: string[] = [];
      const path = url.pathname + url.search;
      const batch = run(req, path, caller, cmdlet, params, token, pageSize, warnings);
      const rows = selectProps(batch.rows, url.searchParams.get('$select'));
      const base = `${ctx.origin}/adminapi/${parts[1]}/${tenantSeg}`;
      const next = batch.token ? `${base}/InvokeCommand?%24skiptoken=${Buffer.from(JSON.stringify({ ...batch.token, c: cmdlet })).toString('base64url')}` : null;
      res.writeHead(200, {
        ...appHeaders,
        'Content-Type': 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8',
        'OData-Version': '4.0',
        'Preference-Applied': prefer ? `odata.include-annotations="*",odata.maxpagesize=${pageSize}` : 'odata.include-annotations="*"',
        'Rate-Limit-Limit': String(EXO_RATE_LIMIT_LIMIT),
        'Rate-Limit-Remaining': String(EXO_RATE_LIMIT_LIMIT - 1),
        'Rate-Limit-Reset': new Date(Math.ceil(Date.now() / 60_000) * 60_000).toISOString(),
      });
      function* chunks(): Generator<string> {
        yield `{"@odata.context":${JSON.stringify(`${base}/$metadata#Collection(Exchange.GenericHashTable)`)},"adminapi.warnings@odata.type":"#Collection(String)","@adminapi.warnings":${JSON.stringify(warnings)},"value":[`;
        let buf = '';
        for (let i = 0; i < rows.length; i++) {
          buf += (i ? ',' : '') + JSON.stringify(rows[i]);
          if (buf.length > 65536) { yield buf; buf = ''; }
        }
        yield buf;
        yield next ? `],"@odata.nextLink":${JSON.stringify(next)}}` : ']}';
      }
      await writeChunks(res, chunks());
    } catch (e) {
      if (e instanceof ExoError || e instanceof AuthFailure) { fail(e); return; }
      throw e;
    }
  }

  return { handle };
}

