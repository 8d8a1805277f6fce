// MailItemsAccessed exposure: which messages a mailbox exposed within a scope (sessions, IPs, apps,
// time range), Sync as whole-folder exposure, and the blind windows inside the scope where exposure
// could not be measured. The heavy aggregation runs in SQL (db/analysis.ts); this file holds the
// result types, the blind-window selection and the CSV export for the notification team.
import { NOT_IN_MAILBOX_AUDIT, recordWords, scopeWords, searchActions, searchReaches } from './contentSearch.ts';
import type { ContentSearch } from './contentSearch.ts';
import { distinct, iso, overlaps } from './timeline.ts';
import type { BlindWindow } from './types.ts';
import { csvRow } from '../csv.ts';

export interface ExposureScope {
  mailbox: string;
  session: string | null;
  ip: string | null;
  app: string | null;
  /** ISO; null = from the start of the case. */
  from: string | null;
  /** ISO, exclusive; null = to the end of the case. */
  to: string | null;
}

export interface ExposedItem {
  internetMessageId: string;
  /** The folder path; several paths (the item was moved) are joined with " | ". */
  folder: string | null;
  firstAccess: string;
  lastAccess: string;
  /** Distinct MailItemsAccessed records naming the item (an item repeated inside one aggregated record counts once). */
  accessCount: number;
  sessions: string[];
  ips: string[];
  accessTypes: string[];
}

export interface SyncedFolder {
  folder: string | null;
  time: string;
  sessionId: string | null;
  ip: string | null;
  client: string | null;
}

/**
 * The distinct folders among sync records: sources write a folder with and without its leading
 * backslash (`Inbox`, `\Inbox`) and in any letter case; each folder is named as first written.
 */
export function distinctSyncedFolders(synced: readonly SyncedFolder[]): string[] {
  const seen = new Map<string, string>();
  for (const s of synced) {
    if (s.folder === null) continue;
    const k = s.folder.replace(/^\\+/, '').toLowerCase();
    if (!seen.has(k)) seen.set(k, s.folder);
  }
  return [...seen.values()];
}

/** A content search (eDiscovery) that could reach the mailbox: what it may have exposed is not in the item list. */
export interface ContentSearchExposure {
  name: string;
  /** How it reaches the mailbox: every mailbox (`all`), by name (`named`), or scope not known (`unknown`). */
  scope: ContentSearch['scope'];
  locations: string[];
  query: string | null;
  actors: string[];
  ips: string[];
  /** First and last record of the search inside the scope's time range. */
  first: string;
  last: string;
  /** Actions taken on its results inside the range: export, preview, purge. */
  actions: string[];
  /** True when its results were exported or previewed in the range (messages left the mailbox or were read). */
  contentRead: boolean;
  statement: string;
  evidence: string[];
}

/**
 * What an exposure run stores as its result. The exposed messages themselves (one row each, possibly
 * a million) are stored with the run and read page by page or streamed: `items` says how many.
 */
export interface ExposureResult {
  mailbox: string;
  scope: ExposureScope;
  items: { count: number; accessRecords: number };
  syncedFolders: SyncedFolder[];
  /**
   * Windows inside the scope where the MailItemsAccessed records exposure is built from cannot be in the
   * case (never written, gone from the unified log, or not collected): exposure there is unmeasured.
   */
  blindWindows: BlindWindow[];
  /** Content searches (eDiscovery) that could reach the mailbox with a record in the time range: what they exposed is not in the item list. */
  contentSearches: ContentSearchExposure[];
}

/**
 * The content searches that could reach `mailbox` (its name in their locations, All, or locations not
 * known) with at least one record in [fromMs, toMs), each with a statement for the report. The time range is
 * the only part of the scope applied: a session, IP or app filter does not hide a search, whose reading of
 * the mailbox has none of those.
 */
export function contentSearchesForExposure(searches: ContentSearch[], mailbox: string, fromMs: number, toMs: number): ContentSearchExposure[] {
  const out: ContentSearchExposure[] = [];
  for (const s of searches) {
    if (!searchReaches(s, mailbox)) continue;
    const recs = s.records.filter((r) => r.timeMs >= fromMs && r.timeMs < toMs);
    if (recs.length === 0) continue;
    const actions = searchActions(recs);
    const contentRead = actions.includes('export') || actions.includes('preview');
    const how = s.scope === 'all' ? `covers ${scopeWords(s)}` : s.scope === 'named' ? `names ${mailbox} among its ${s.mailboxes.length} location(s)` : `has locations the case does not show (the record that set them is not in it), so it may have reached ${mailbox}`;
    const effect = actions.includes('export')
      ? `Messages of ${mailbox} that matched it may have been exported`
      : actions.includes('preview')
        ? `Messages of ${mailbox} that matched it may have been previewed`
        : actions.includes('purge')
          ? `Messages of ${mailbox} that matched it may have been deleted`
          : `Messages of ${mailbox} that matched it were found and counted, and may have been previewed or exported by an action the case does not hold`;
    out.push({
      name: s.name, scope: s.scope, locations: s.locations, query: s.query,
      actors: distinct(recs.map((r) => r.actor)), ips: distinct(recs.map((r) => r.ip)),
      first: iso(recs[0]!.timeMs), last: iso(recs[recs.length - 1]!.timeMs),
      actions, contentRead,
      statement: `Content search "${s.name}" ${how}${s.query !== null ? ` with query ${s.query}` : ''}: ${recs.map(recordWords).join('; ')}. ${effect}; the item list cannot show them. ${NOT_IN_MAILBOX_AUDIT}`,
      evidence: recs.map((r) => `event:${r.recordId}`),
    });
  }
  return out;
}

/** How a report introduces the windows of `blindWindows`. */
export const EXPOSURE_BLIND_HEADING =
  'Exposure could NOT be measured in these windows (MailItemsAccessed records were not written, no longer exist in the unified audit log, or were not collected)';

/**
 * Windows that blind MailItemsAccessed and overlap [fromMs, toMs). A window of the mailbox audit store
 * alone (its AuditLogAgeLimit, its capacity) is left out: exposure is built from the unified log's
 * records, which the mailbox store's losses do not touch; the unified log's own retention is kept.
 */
export function blindWindowsForExposure(windows: BlindWindow[], fromMs: number, toMs: number): BlindWindow[] {
  return windows.filter((w) => {
    if (w.store === 'mailbox-audit') return false;
    if (!w.scope.actions.includes('*') && !w.scope.actions.includes('MailItemsAccessed')) return false;
    return overlaps({ startMs: Date.parse(w.start), endMs: w.end === null ? null : Date.parse(w.end) }, { startMs: fromMs, endMs: toMs });
  });
}

// ---- CSV (RFC 4180) --------------------------------------------------------------------------------

export const EXPOSURE_CSV_HEADER = [
  'record', 'mailbox', 'internet_message_id', 'folder', 'first_access', 'last_access', 'access_count', 'sessions', 'ips',
  'access_types', 'client', 'blind_kind', 'blind_end', 'blind_reason',
];

/**
 * One CSV row per exposed message, per synced folder (every item in it counts as exposed) and per blind
 * window (exposure there could not be measured), so that the notification team cannot lose the caveat.
 * Lines end with CRLF; list cells are joined with "; ".
 */
export function* exposureCsvLines(r: ExposureResult, items: Iterable<ExposedItem>): Generator<string> {
  const line = (cells: (string | number | null)[]) => csvRow(cells);
  yield line(EXPOSURE_CSV_HEADER);
  for (const it of items) {
    yield line(['message', r.mailbox, it.internetMessageId, it.folder, it.firstAccess, it.lastAccess, it.accessCount, it.sessions.join('; '), it.ips.join('; '), it.accessTypes.join('; '), null, null, null, null]);
  }
  for (const s of r.syncedFolders) {
    yield line(['synced-folder', r.mailbox, null, s.folder, s.time, s.time, 1, s.sessionId, s.ip, 'Sync', s.client, null, null, null]);
  }
  for (const w of r.blindWindows) {
    yield line(['blind-window', w.mailbox, null, null, w.start, null, null, null, null, null, null, w.kind, w.end ?? 'open', w.reason]);
  }
  // A content search is a caveat of the same weight: messages it exported are in no row above.
  for (const c of r.contentSearches) {
    yield line(['content-search', r.mailbox, null, null, c.first, c.last, null, null, c.ips.join('; '), c.actions.join('; '), null, 'content-search', null, c.statement]);
  }
}

export function exposureToCsv(r: ExposureResult, items: Iterable<ExposedItem>): string {
  let out = '';
  for (const l of exposureCsvLines(r, items)) out += l;
  return out;
}
