// Configuration exports (Get-Mailbox, Get-MailboxAuditBypassAssociation, Get-OrganizationConfig,
// Get-AdminAuditLogConfig, licences) → ConfigRecord items. Input is a JSON object (ConvertTo-Json, Graph)
// or a CSV row (Export-Csv, every value a string). Keys containing `@` (OData / PowerShell annotations) are
// ignored; keys are matched case-insensitively.
import type { ConfigRecord, LicenceAssignment, ParsedItem, ServicePlan, SourceLocation } from '../model.ts';
import type { FormatId } from './types.ts';
import { parseTimeMs, parseTimeSpanDays, formatIso } from '../time.ts';
import type { DateReading } from '../time.ts';
import { rejectAt } from './containers.ts';
import { isObj } from './records.ts';

type Obj = Record<string, unknown>;

/** Lower-cased key → value, annotation keys dropped. */
function fields(o: Obj): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (const k in o) if (!k.includes('@')) m.set(k.toLowerCase(), o[k]);
  return m;
}

function text(v: unknown): string | null {
  if (typeof v === 'string') { const t = v.trim(); return t === '' ? null : t; }
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

export function parseBool(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1 ? true : v === 0 ? false : null;
  if (typeof v !== 'string') return null;
  const t = v.trim().toLowerCase().replace(/^\$/, '');
  if (t === 'true' || t === '1' || t === 'yes') return true;
  if (t === 'false' || t === '0' || t === 'no') return false;
  return null;
}

/**
 * A multi-valued property: a JSON array, or CSV text `{Update, MoveToDeletedItems}`,
 * `Update MoveToDeletedItems`, `Update,MoveToDeletedItems` or `Update;MoveToDeletedItems`.
 */
export function parseList(v: unknown): string[] | null {
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x.trim() : String(x))).filter((x) => x !== '');
  if (typeof v !== 'string') return null;
  let t = v.trim();
  if (t.startsWith('[')) {
    try { const a: unknown = JSON.parse(t); if (Array.isArray(a)) return parseList(a); } catch { /* not JSON: split below */ }
  }
  if (t.startsWith('{') && t.endsWith('}')) t = t.slice(1, -1);
  if (t === '') return [];
  return t.split(/[\s,;]+/).filter((x) => x !== '');
}

/** A time as ISO UTC, read as the file's dates are (`dates`: the order of dates written with slashes); else the text as given. */
function isoOrText(v: unknown, dates?: DateReading): string | null {
  const ms = dates ? dates.parse(v) : parseTimeMs(v);
  return ms === null ? text(v) : formatIso(ms);
}

/** The first of the columns named that the row has, not empty, but whose value `read` cannot read: why; null when none. */
function unreadable(f: Map<string, unknown>, columns: readonly [key: string, name: string, read: (v: unknown) => unknown][]): string | null {
  for (const [key, name, read] of columns) {
    const v = f.get(key);
    if (v !== undefined && v !== null && v !== '' && read(v) === null) return `${name} ${JSON.stringify(v)} cannot be read`;
  }
  return null;
}

function reject(loc: SourceLocation, reason: string, raw: unknown): ParsedItem {
  return rejectAt(loc, reason, typeof raw === 'string' ? raw : JSON.stringify(raw));
}

function item(config: ConfigRecord, loc: SourceLocation): ParsedItem {
  return { kind: 'config', config, loc };
}

function mailbox(f: Map<string, unknown>, raw: Obj): ConfigRecord {
  return {
    kind: 'mailbox',
    raw,
    value: {
      identity: text(f.get('identity')),
      userPrincipalName: text(f.get('userprincipalname')),
      primarySmtpAddress: text(f.get('primarysmtpaddress')),
      displayName: text(f.get('displayname')),
      alias: text(f.get('alias')),
      exchangeGuid: text(f.get('exchangeguid')),
      externalDirectoryObjectId: text(f.get('externaldirectoryobjectid')),
      recipientTypeDetails: text(f.get('recipienttypedetails')),
      auditEnabled: parseBool(f.get('auditenabled')),
      auditLogAgeLimitDays: parseTimeSpanDays(f.get('auditlogagelimit')),
      auditOwner: parseList(f.get('auditowner')),
      auditDelegate: parseList(f.get('auditdelegate')),
      auditAdmin: parseList(f.get('auditadmin')),
      defaultAuditSet: parseList(f.get('defaultauditset')),
      persistedCapabilities: parseList(f.get('persistedcapabilities')),
    },
  };
}

/** `NAME:Status;NAME2:Status` / `NAME=Status` / `NAME NAME2` / Graph servicePlans objects. */
function servicePlans(v: unknown): ServicePlan[] {
  if (Array.isArray(v)) {
    const out: ServicePlan[] = [];
    for (const p of v) {
      if (isObj(p)) {
        const pf = fields(p);
        const name = text(pf.get('serviceplanname')) ?? text(pf.get('name')) ?? text(pf.get('serviceplanid'));
        if (name) out.push({ name, status: text(pf.get('provisioningstatus')) ?? text(pf.get('status')) });
      } else if (typeof p === 'string' && p.trim() !== '') {
        out.push(...servicePlans(p));
      }
    }
    return out;
  }
  if (typeof v !== 'string') return [];
  const t = v.trim();
  if (t.startsWith('[')) {
    try { return servicePlans(JSON.parse(t)); } catch { /* fall through to text */ }
  }
  return (parseList(t) ?? []).map((e) => {
    const m = /^([^:=]+)[:=](.*)$/.exec(e);
    return m ? { name: (m[1] as string).trim(), status: (m[2] as string).trim() || null } : { name: e, status: null };
  });
}

function upnFromContext(ctx: unknown): string | null {
  if (typeof ctx !== 'string') return null;
  const m = /users\('([^']+)'\)/.exec(ctx);
  if (!m) return null;
  try { return decodeURIComponent(m[1] as string); } catch { return m[1] as string; }
}

function licences(f: Map<string, unknown>, raw: Obj, upnHint: string | null): LicenceAssignment[] | string {
  const upn = text(f.get('userprincipalname')) ?? text(f.get('upn')) ?? text(f.get('user')) ?? upnHint;
  if (!upn) return 'licence record has no userPrincipalName (export licences with the user they belong to)';
  const states = f.get('licenseassignmentstates');
  const assigned = f.get('assignedlicenses');
  if (Array.isArray(states) || Array.isArray(assigned)) {
    // a Graph user: one assignment per licence assignment state (these say direct vs group)
    const out: LicenceAssignment[] = [];
    if (Array.isArray(states) && states.length > 0) {
      for (const s of states) {
        if (!isObj(s)) continue;
        const sf = fields(s);
        const group = text(sf.get('assignedbygroup'));
        out.push({
          userPrincipalName: upn, skuPartNumber: text(sf.get('skupartnumber')), skuId: text(sf.get('skuid')), servicePlans: [],
          assignedVia: group ? 'group' : 'direct', groupId: group, state: text(sf.get('state')), error: text(sf.get('error')),
        });
      }
    } else if (Array.isArray(assigned)) {
      for (const a of assigned) {
        if (!isObj(a)) continue;
        const af = fields(a);
        out.push({ userPrincipalName: upn, skuPartNumber: null, skuId: text(af.get('skuid')), servicePlans: [], assignedVia: null, groupId: null, state: null, error: null });
      }
    }
    return out;
  }
  const byGroup = f.get('assignedbygroup');
  let assignedVia: 'direct' | 'group' | null = null;
  let groupId: string | null = null;
  const bg = parseBool(byGroup);
  if (bg !== null) assignedVia = bg ? 'group' : 'direct';
  else if (text(byGroup)) { assignedVia = 'group'; groupId = text(byGroup); }
  else if (byGroup === '' || byGroup === null) assignedVia = 'direct';
  const via = text(f.get('assignedvia'))?.toLowerCase();
  if (via === 'group' || via === 'direct') assignedVia = via;
  groupId ??= text(f.get('groupid'));
  void raw;
  return [{
    userPrincipalName: upn,
    skuPartNumber: text(f.get('skupartnumber')),
    skuId: text(f.get('skuid')),
    servicePlans: servicePlans(f.get('serviceplans')),
    assignedVia,
    groupId,
    state: text(f.get('state')),
    error: text(f.get('error')),
  }];
}

/** Maps one exported object/row of a configuration format to config items (or a reject). */
export function configItems(format: FormatId, value: unknown, loc: SourceLocation, upnHint: string | null = null, dates?: DateReading): ParsedItem[] {
  if (isObj(value) && Array.isArray(value.value)) {
    // a Graph page envelope: its context may name the user (users('…')/licenseDetails)
    const hint = upnFromContext(value['@odata.context']) ?? upnHint;
    return value.value.flatMap((v, i) => configItems(format, v, { ...loc, offset: i }, hint, dates));
  }
  if (!isObj(value)) return [reject(loc, 'expected an exported object', value)];
  const f = fields(value);
  switch (format) {
    case 'config-mailbox': {
      const r = mailbox(f, value);
      if (r.kind === 'mailbox' && !r.value.identity && !r.value.userPrincipalName && !r.value.exchangeGuid && !r.value.primarySmtpAddress) {
        return [reject(loc, 'mailbox row has no Identity, UserPrincipalName, PrimarySmtpAddress or ExchangeGuid', value)];
      }
      // An audit setting the row has but that cannot be read is not taken for unknown: the blind-spot
      // analysis would state what it does not know. (A row without the column says nothing of it.)
      const unread = unreadable(f, [['auditenabled', 'AuditEnabled', parseBool], ['auditlogagelimit', 'AuditLogAgeLimit', parseTimeSpanDays], ['auditbypassenabled', 'AuditBypassEnabled', parseBool]]);
      if (unread) return [reject(loc, unread, value)];
      return [item(r, loc)];
    }
    case 'config-bypass': {
      const enabled = parseBool(f.get('auditbypassenabled'));
      if (enabled === null) return [reject(loc, `AuditBypassEnabled ${JSON.stringify(f.get('auditbypassenabled') ?? null)} is not true or false`, value)];
      return [item({ kind: 'bypass', raw: value, value: {
        identity: text(f.get('identity')), name: text(f.get('name')), auditBypassEnabled: enabled,
        whenChangedUtc: isoOrText(f.get('whenchangedutc') ?? f.get('whenchanged'), dates),
      } }, loc)];
    }
    case 'config-organization': {
      // What the row is for: whether mailbox auditing is off for the organisation. Without it, no row.
      const auditDisabled = parseBool(f.get('auditdisabled'));
      if (auditDisabled === null) return [reject(loc, `AuditDisabled ${JSON.stringify(f.get('auditdisabled') ?? null)} is not true or false: a Get-OrganizationConfig row must say whether mailbox auditing is off for the organisation`, value)];
      return [item({ kind: 'organization', raw: value, value: { name: text(f.get('name')) ?? text(f.get('identity')), auditDisabled } }, loc)];
    }
    case 'config-adminauditlog':
      if (parseBool(f.get('unifiedauditlogingestionenabled')) === null) {
        return [reject(loc, `UnifiedAuditLogIngestionEnabled ${JSON.stringify(f.get('unifiedauditlogingestionenabled') ?? null)} is not true or false: a Get-AdminAuditLogConfig row must say whether the unified audit log is on`, value)];
      }
      return [item({ kind: 'adminAuditLog', raw: value, value: {
        unifiedAuditLogIngestionEnabled: parseBool(f.get('unifiedauditlogingestionenabled')),
        unifiedAuditLogFirstOptInDate: isoOrText(f.get('unifiedauditlogfirstoptindate'), dates),
        adminAuditLogEnabled: parseBool(f.get('adminauditlogenabled')),
        adminAuditLogAgeLimitDays: parseTimeSpanDays(f.get('adminauditlogagelimit')),
      } }, loc)];
    case 'config-licence': {
      const r = licences(f, value, upnHint);
      if (typeof r === 'string') return [reject(loc, r, value)];
      return r.map((value2) => item({ kind: 'licence', raw: value, value: value2 }, loc));
    }
    case 'config-inboxrule': {
      if (!text(f.get('identity')) && !text(f.get('name'))) return [reject(loc, 'inbox rule row has no Identity or Name', value)];
      const mailbox = text(f.get('mailboxownerid')) ?? text(f.get('identity'))?.split('\\')[0] ?? null;
      return [item({ kind: 'inboxRule', raw: value, value: {
        mailbox, identity: text(f.get('identity')), name: text(f.get('name')), enabled: parseBool(f.get('enabled')),
        forwardTo: parseList(f.get('forwardto')) ?? [], forwardAsAttachmentTo: parseList(f.get('forwardasattachmentto')) ?? [],
        redirectTo: parseList(f.get('redirectto')) ?? [], moveToFolder: text(f.get('movetofolder')),
        markAsRead: parseBool(f.get('markasread')), deleteMessage: parseBool(f.get('deletemessage')),
        stopProcessingRules: parseBool(f.get('stopprocessingrules')), whenChanged: isoOrText(f.get('whenchanged'), dates),
      } }, loc)];
    }
    default:
      return [reject(loc, `${format} is not a configuration format`, value)];
  }
}
