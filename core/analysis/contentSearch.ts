// eDiscovery content searches (Security & Compliance cmdlets, RecordType 18): New-ComplianceSearch and
// Set-ComplianceSearch define a search (its mailboxes in -ExchangeLocation, "All" for every one), Start-
// ComplianceSearch runs it, New-ComplianceSearchAction previews, exports or purges what it found. Content
// read this way leaves no MailItemsAccessed record in the mailboxes searched, so mailbox audit cannot
// show what such a search exposed: the findings raise each search and `exposure` states every search
// that could reach the mailbox. Pure: built from the change records the case holds.
import type { IdentityResolver } from './identity.ts';
import { param, parseBool, parseMultiValue, ranWords } from './records.ts';
import type { ChangeRecord } from './types.ts';

/** The cmdlets read (their records are read in full with the other change records). */
export const CONTENT_SEARCH_OPERATIONS = ['New-ComplianceSearch', 'Set-ComplianceSearch', 'Start-ComplianceSearch', 'New-ComplianceSearchAction'] as const;

export type SearchActionKind = 'export' | 'preview' | 'purge' | 'other';

export interface ContentSearchRecord {
  recordId: string;
  timeMs: number;
  operation: string;
  actor: string | null;
  ip: string | null;
  /** For New-ComplianceSearchAction: what the action does. */
  action?: SearchActionKind;
}

export interface ContentSearch {
  /** The search's name as first written (searches are matched case-insensitively). */
  name: string;
  /**
   * Which mailboxes it could reach: every one (`all`: ExchangeLocation All), those named (`named`), or
   * not known (`unknown`: the case holds no record that set its locations, only later use of it).
   */
  scope: 'all' | 'named' | 'unknown';
  /** ExchangeLocation values as the records give them (for `all`: ["All"]). */
  locations: string[];
  /** The named locations resolved to mailbox keys (empty unless `named`). */
  mailboxes: string[];
  /** ExchangeLocationExclusion values resolved to mailbox keys (left out of an `all` search). */
  excluded: string[];
  query: string | null;
  /** Every record of the search, in time order. */
  records: ContentSearchRecord[];
}

const lower = (s: string) => s.trim().toLowerCase();

function listOf(v: string | null | undefined): string[] {
  const mv = parseMultiValue(v);
  if (!mv) return [];
  return mv.mode === 'replace' ? mv.values : mv.add;
}

function actionKind(c: ChangeRecord): SearchActionKind {
  if (parseBool(param(c.parameters, 'Export')) === true) return 'export';
  if (parseBool(param(c.parameters, 'Preview')) === true) return 'preview';
  if (parseBool(param(c.parameters, 'Purge')) === true) return 'purge';
  const a = param(c.parameters, 'Action') ?? '';
  if (/export/i.test(a)) return 'export';
  if (/preview/i.test(a)) return 'preview';
  if (/purge/i.test(a)) return 'purge';
  return 'other';
}

/** The search a record belongs to: -Name on a definition, -Identity on a start, -SearchName on an action. */
function searchNameOf(c: ChangeRecord): string | null {
  const o = lower(c.operation);
  const v = o === 'new-compliancesearchaction'
    ? param(c.parameters, 'SearchName') ?? (c.objectId ? c.objectId.replace(/_(export|preview|purge)$/i, '') : null)
    : o === 'new-compliancesearch'
      ? param(c.parameters, 'Name') ?? c.objectId
      : param(c.parameters, 'Identity') ?? c.objectId;
  return v && v.trim() ? v.trim() : null;
}

/** Every content search the change records show, in the order of its first record. Failed commands are left out. */
export function contentSearches(changes: ChangeRecord[], resolver: IdentityResolver): ContentSearch[] {
  const ops = new Set(CONTENT_SEARCH_OPERATIONS.map(lower));
  const by = new Map<string, ContentSearch & { locationsSet: boolean }>();
  const sorted = changes.filter((c) => !c.failed && ops.has(lower(c.operation))).sort((a, b) => a.timeMs - b.timeMs || a.recordId.localeCompare(b.recordId));
  for (const c of sorted) {
    const name = searchNameOf(c);
    if (!name) continue;
    const k = lower(name);
    let s = by.get(k);
    if (!s) by.set(k, (s = { name, scope: 'unknown', locations: [], mailboxes: [], excluded: [], query: null, records: [], locationsSet: false }));
    const o = lower(c.operation);
    const rec: ContentSearchRecord = { recordId: c.recordId, timeMs: c.timeMs, operation: c.operation, actor: c.userId, ip: c.clientIp };
    if (o === 'new-compliancesearchaction') rec.action = actionKind(c);
    s.records.push(rec);
    if (o === 'new-compliancesearch' || o === 'set-compliancesearch') {
      const q = param(c.parameters, 'ContentMatchQuery');
      if (q !== undefined) s.query = q;
      const loc = param(c.parameters, 'ExchangeLocation');
      if (loc !== undefined) {
        s.locations = listOf(loc);
        s.locationsSet = true;
      }
      const add = listOf(param(c.parameters, 'AddExchangeLocation'));
      const remove = new Set(listOf(param(c.parameters, 'RemoveExchangeLocation')).map(lower));
      if (add.length > 0 || remove.size > 0) {
        s.locations = [...s.locations.filter((l) => !remove.has(lower(l))), ...add.filter((a) => !s.locations.some((l) => lower(l) === lower(a)))];
        // Adding to a search of unknown scope leaves it unknown: what it held before is not in the case.
        if (o === 'new-compliancesearch') s.locationsSet = true;
      }
      const ex = param(c.parameters, 'ExchangeLocationExclusion');
      if (ex !== undefined) s.excluded = listOf(ex).map((x) => resolver.resolveOrSelf(x));
    }
  }
  return [...by.values()].map(({ locationsSet, ...s }) => {
    const all = s.locations.some((l) => lower(l) === 'all');
    const scope: ContentSearch['scope'] = !locationsSet ? 'unknown' : all ? 'all' : 'named';
    const mailboxes = scope === 'named' ? [...new Set(s.locations.map((l) => resolver.resolveOrSelf(l)))].sort() : [];
    return { ...s, scope, locations: all ? ['All'] : s.locations, mailboxes };
  });
}

/** Whether a search could reach a mailbox: it names it, covers every mailbox, or its scope is not known. */
export function searchReaches(s: ContentSearch, mailbox: string): boolean {
  if (s.scope === 'named') return s.mailboxes.includes(mailbox);
  return !s.excluded.includes(mailbox);
}

/** The actions taken on a search's results (export, preview, purge) among its records, once each, in the order first taken. */
export function searchActions(records: readonly ContentSearchRecord[]): Exclude<SearchActionKind, 'other'>[] {
  const out: Exclude<SearchActionKind, 'other'>[] = [];
  for (const r of records) if (r.action !== undefined && r.action !== 'other' && !out.includes(r.action)) out.push(r.action);
  return out;
}

/** Where a search could look, in words. */
export function scopeWords(s: ContentSearch): string {
  if (s.scope === 'all') return `every mailbox (ExchangeLocation All${s.excluded.length ? `, except ${s.excluded.join(', ')}` : ''})`;
  if (s.scope === 'named') return `${s.mailboxes.length} named mailbox(es): ${s.mailboxes.slice(0, 20).join(', ')}${s.mailboxes.length > 20 ? ', …' : ''}`;
  return 'mailboxes not known (the record that set its locations is not in the case; assume any mailbox)';
}

/** One line per record: "adm.patti ran New-ComplianceSearch at … from …". */
export function recordWords(r: ContentSearchRecord): string {
  return ranWords(r.actor, `${r.operation}${r.action && r.action !== 'other' ? ` (${r.action})` : ''}`, r.timeMs, r.ip);
}

export const NOT_IN_MAILBOX_AUDIT = 'Mailbox audit (MailItemsAccessed) does not record content read through a content search, its preview or its export: the messages it reached are not in any mailbox\'s exposure list.';
