// MailItemsAccessed exposure: which messages a mailbox exposed within a scope (sessions, IPs, apps,
// time range), Sync as whole-folder exposure, and the blind windows inside the scope where exposure
// could not be measured. The heavy aggregation runs in SQL (db/analysis.ts); this file holds the
// result types, the blind-window selection and the CSV export for the notification team.
import { overlaps } from './timeline.ts';
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
}

export function exposureToCsv(r: ExposureResult, items: Iterable<ExposedItem>): string {
  let out = '';
  for (const l of exposureCsvLines(r, items)) out += l;
  return out;
}
