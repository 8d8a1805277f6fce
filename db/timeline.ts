// Reading the timeline: one set of filters (filterClause) serves the CLI's streamed timeline, the UI's
// keyset pages and the counts. Keyset paging starts each page strictly after the (time_ms, id) of the
// last row the UI holds, so a page costs the same at row 10 as at row 10 million and rows never repeat
// or go missing while the user scrolls. Every value is a bound parameter.
import type { EventDetail, TimelineEntry, TimelinePage } from '../core/api.ts';
import type { ReadableDB } from './database.ts';
import { ftsQuery } from './events.ts';

export interface TimelineQuery {
  fromMs?: number;
  toMs?: number;
  user?: string;
  mailbox?: string;
  operations?: string[];
  ip?: string;
  session?: string;
  text?: string;
  limit?: number;
}

export interface PageQuery extends Omit<TimelineQuery, 'limit'> {
  /** Rows strictly after this (time_ms, id) position. */
  after?: { timeMs: number; id: number };
  limit: number;
}

/** One timeline row as the UI sees it (mapped from the database row; no raw row leaves db/). */
export type PageRow = TimelineEntry;
export type Page = TimelinePage;

interface PageDbRow {
  id: number; record_id: string; time_ms: number; record_type: number | null; record_type_name: string | null;
  operation: string | null; workload: string | null; user_id: string | null; mailbox: string | null;
  client_ip: string | null; session_id: string | null; app_id: string | null; result_status: string | null;
  sha256: string; loc_line: number | null; loc_offset: number | null;
}

/** The WHERE fragments for the UI's filters, built from fixed strings; values go to params. */
export function filterClause(q: Omit<TimelineQuery, 'limit'>): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.fromMs !== undefined) { where.push('e.time_ms >= ?'); params.push(q.fromMs); }
  if (q.toMs !== undefined) { where.push('e.time_ms < ?'); params.push(q.toMs); }
  if (q.user) { where.push('e.user_id = ?'); params.push(q.user); }
  if (q.mailbox) { where.push('e.mailbox = ?'); params.push(q.mailbox); }
  if (q.operations && q.operations.length > 0) {
    where.push(`e.operation IN (${q.operations.map(() => '?').join(', ')})`);
    params.push(...q.operations);
  }
  if (q.ip) { where.push('e.client_ip = ?'); params.push(q.ip); }
  if (q.session) { where.push('e.session_id = ?'); params.push(q.session); }
  if (q.text) {
    const fts = ftsQuery(q.text);
    // Text of only spaces matches everything, as it does on the command line.
    if (fts) { where.push('e.id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)'); params.push(fts); }
  }
  return { where, params };
}

/** The timeline in time order, optionally after a keyset position and limited. */
export function timelineSql(q: TimelineQuery & { after?: { timeMs: number; id: number } }): { sql: string; params: unknown[] } {
  const { where, params } = filterClause(q);
  if (q.after) {
    where.push('(e.time_ms, e.id) > (?, ?)');
    params.push(q.after.timeMs, q.after.id);
  }
  const sql =
    `SELECT e.id, e.record_id, e.time_ms, e.record_type, e.record_type_name, e.operation, e.workload, e.user_id,
            e.mailbox, e.client_ip, e.session_id, e.app_id, e.result_status, v.sha256, e.loc_line, e.loc_offset
       FROM events e JOIN evidence v ON v.id = e.evidence_id` +
    (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
    ' ORDER BY e.time_ms, e.id' +
    (q.limit !== undefined ? ' LIMIT ?' : '');
  if (q.limit !== undefined) params.push(q.limit);
  return { sql, params };
}

/** Streams the matching rows (constant memory, whatever the case size). */
export function* timeline(db: ReadableDB, q: TimelineQuery): Generator<PageRow> {
  const { sql, params } = timelineSql(q);
  for (const r of db.prepare(sql).iterate(...params) as IterableIterator<PageDbRow>) yield rowToPageRow(r);
}

function rowToPageRow(r: PageDbRow): PageRow {
  return {
    id: r.record_id,
    rowId: r.id,
    timeMs: r.time_ms,
    time: new Date(r.time_ms).toISOString(),
    recordType: r.record_type,
    recordTypeName: r.record_type_name,
    operation: r.operation,
    workload: r.workload,
    user: r.user_id,
    mailbox: r.mailbox,
    clientIp: r.client_ip,
    sessionId: r.session_id,
    appId: r.app_id,
    resultStatus: r.result_status,
    evidence: { sha256: r.sha256, line: r.loc_line ?? r.loc_offset },
  };
}

/** One page; `next` is null when this page reached the end of the matching rows. */
export function timelinePage(db: ReadableDB, q: PageQuery): Page {
  // One extra row tells whether there is a next page without a second query.
  const { sql, params } = timelineSql({ ...q, limit: q.limit + 1 });
  const raw = db.prepare(sql).all(...params) as PageDbRow[];
  const more = raw.length > q.limit;
  const rows = (more ? raw.slice(0, q.limit) : raw).map(rowToPageRow);
  const last = rows.at(-1);
  return { rows, next: more && last ? { timeMs: last.timeMs, id: last.rowId } : null };
}

export function timelineCountSql(q: Omit<TimelineQuery, 'limit'>): { sql: string; params: unknown[] } {
  const { where, params } = filterClause(q);
  return { sql: 'SELECT count(*) FROM events e' + (where.length ? ` WHERE ${where.join(' AND ')}` : ''), params };
}

/** How many events match the filters (the figure the UI shows next to the grid). */
export function timelineCount(db: ReadableDB, q: Omit<TimelineQuery, 'limit'>): number {
  const { sql, params } = timelineCountSql(q);
  return db.prepare(sql).pluck().get(...params) as number;
}

export type EventDetailRow = EventDetail;

interface ItemDbRow { folder_path: string | null; internet_message_id: string | null; access_type: string | null; size_bytes: number | null }

/** One event by its record id, with its AuditData parsed and its access items; null when unknown. */
export function eventDetail(db: ReadableDB, recordId: string): EventDetailRow | null {
  const r = db.prepare(
    `SELECT e.id, e.record_id, e.time_ms, e.record_type, e.record_type_name, e.operation, e.workload, e.user_id,
            e.mailbox, e.client_ip, e.session_id, e.app_id, e.result_status, v.sha256, e.loc_line, e.loc_offset, e.audit_data
       FROM events e JOIN evidence v ON v.id = e.evidence_id WHERE e.record_id = ?`,
  ).get(recordId) as (PageDbRow & { audit_data: string }) | undefined;
  if (!r) return null;
  let auditData: unknown;
  try {
    auditData = JSON.parse(r.audit_data);
  } catch {
    auditData = r.audit_data; // stored verbatim; show it as text rather than hide it
  }
  const items = (db.prepare(
    'SELECT folder_path, internet_message_id, access_type, size_bytes FROM access_items WHERE event_id = ? ORDER BY rowid',
  ).all(r.id) as ItemDbRow[]).map((i) => ({
    folderPath: i.folder_path, internetMessageId: i.internet_message_id, accessType: i.access_type, sizeBytes: i.size_bytes,
  }));
  return { ...rowToPageRow(r), auditData, items };
}
