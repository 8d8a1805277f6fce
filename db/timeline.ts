// Reading the timeline: one set of filters (filterClause) serves the CLI's streamed timeline, the UI's
// keyset pages and the counts. Keyset paging starts each page strictly after the (time_ms, id) of the
// last row the UI holds, so a page costs the same at row 10 as at row 10 million and rows never repeat
// or go missing while the user scrolls. Every value is a bound parameter.
import { annotationsShown, marksOf } from './annotations.ts';
import { EVENT_COPIES_SHOWN } from '../core/api.ts';
import type { EventDetail, TimelineEntry, TimelinePage } from '../core/api.ts';
import { appFilterValue, ipFilterValue, sessionFilterValue } from '../core/match.ts';
import { ftsQuery } from '../core/search.ts';
import { AUDIT_DATA_COLUMNS, AUDIT_DATA_JOIN, withAuditData } from './auditData.ts';
import type { AuditDataRef } from './auditData.ts';
import type { ReadableDB } from './database.ts';

/**
 * An event of `events e` done by or through an app (one parameter, the app id): its AppId (for a sign-in,
 * its ApplicationId) or its ClientAppId, in any letter case (an app id is a GUID); the parameter's NOCASE
 * applies to both comparisons of the IN list. Not indexed: SQLite answers a match on either of two columns
 * from their indexes only by a union it then has to sort, and with an index on each the SQLite inside
 * better-sqlite3 still chose to scan. Timeline pages walk events_time and stop at a page; on 1,000,000
 * events a page took 1-3 ms for apps on most records and 196-237 ms for an app on none, a count 121-230 ms
 * (the same as the two-parameter OR this replaced).
 */
export const APP_MATCH = '? COLLATE NOCASE IN (e.app_id, e.client_app_id)';

export interface TimelineQuery {
  fromMs?: number;
  toMs?: number;
  user?: string;
  mailbox?: string;
  operations?: string[];
  ip?: string;
  session?: string;
  /** An app id: the record's AppId (a sign-in's ApplicationId) or its ClientAppId, in any letter case. */
  app?: string;
  text?: string;
  /** Events the examiner tagged so (blindspot annotate), in any letter case. */
  tag?: string;
  /** Events the examiner bookmarked. */
  bookmarked?: boolean;
  limit?: number;
  /** The latest events first (the keyset position then counts backwards). */
  newestFirst?: boolean;
  /**
   * Other names of `mailbox` (alias, identity, SMTP address, GUID) from the case's mailbox snapshots:
   * admin cmdlets name their target that way (`Set-MailboxAuditBypassAssociation -Identity adm.patti`,
   * an inbox rule `alex\Rule`), and those records belong on the mailbox's timeline too.
   */
  mailboxNames?: string[];
}

export interface PageQuery extends Omit<TimelineQuery, 'limit'> {
  /** Rows strictly after this (time_ms, id) position in the order shown (before it, newest first). */
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

/** Text that is one InternetMessageId (`<local@host>`, brackets optional) as `<local@host>`; otherwise null. */
function messageIdOf(text: string): string | null {
  const m = /^\s*<?([^\s<>@]+@[^\s<>@]+)>?\s*$/.exec(text);
  return m ? `<${m[1]!}>` : null;
}

/** The WHERE fragments for the UI's filters, built from fixed strings; values go to params. */
export function filterClause(q: Omit<TimelineQuery, 'limit'>): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.fromMs !== undefined) { where.push('e.time_ms >= ?'); params.push(q.fromMs); }
  if (q.toMs !== undefined) { where.push('e.time_ms < ?'); params.push(q.toMs); }
  if (q.user) { where.push('e.user_id = ?'); params.push(q.user); }
  if (q.mailbox) {
    const names = [...new Set([q.mailbox, ...(q.mailboxNames ?? [])].map((n) => n.toLowerCase()))];
    if (names.length === 1) {
      where.push('e.mailbox = ?');
      params.push(q.mailbox);
    } else {
      // The exact names, and `name\…` (an object inside the mailbox, such as an inbox rule).
      const prefixes = names.filter((n) => !n.includes('@'));
      where.push(`(e.mailbox IN (${names.map(() => '?').join(', ')})${prefixes.map(() => " OR e.mailbox LIKE ? ESCAPE '!'").join('')})`);
      params.push(...names, ...prefixes.map((n) => `${n.replace(/[!%_]/g, '!$&')}\\%`));
    }
  }
  if (q.operations && q.operations.length > 0) {
    where.push(`e.operation IN (${q.operations.map(() => '?').join(', ')})`);
    params.push(...q.operations);
  }
  if (q.ip) { where.push('e.client_ip = ?'); params.push(ipFilterValue(q.ip)); }
  if (q.session) { where.push('e.session_id = ?'); params.push(sessionFilterValue(q.session)); }
  if (q.app) { where.push(APP_MATCH); params.push(appFilterValue(q.app)); }
  // From the annotations (few) to the events, through the record-Id index.
  if (q.tag !== undefined) {
    where.push("e.record_id IN (SELECT target_id FROM annotations WHERE target_kind = 'event' AND kind = 'tag' AND text = ? COLLATE NOCASE)");
    params.push(q.tag.trim());
  }
  if (q.bookmarked) where.push("e.record_id IN (SELECT target_id FROM annotations WHERE target_kind = 'event' AND kind = 'bookmark')");
  if (q.text) {
    const fts = ftsQuery(q.text);
    // Text of only spaces matches everything, as it does on the command line.
    if (fts) {
      const matches = 'e.id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)';
      params.push(fts);
      const imid = messageIdOf(q.text);
      if (imid) {
        // Message ids are not in the search index (a unique token per item made it twice as slow to
        // build); the items' own index finds them.
        where.push(`(${matches} OR e.id IN (SELECT event_id FROM access_items WHERE internet_message_id IN (?, ?)))`);
        params.push(imid, imid.slice(1, -1));
      } else {
        where.push(matches);
      }
    }
  }
  return { where, params };
}

/**
 * The timeline in time order (or newest first), optionally after a keyset position and limited. Both
 * directions read the same indexes (SQLite walks them backwards), so neither sorts.
 */
export function timelineSql(q: TimelineQuery & { after?: { timeMs: number; id: number } }): { sql: string; params: unknown[] } {
  const { where, params } = filterClause(q);
  if (q.after) {
    where.push(q.newestFirst ? '(e.time_ms, e.id) < (?, ?)' : '(e.time_ms, e.id) > (?, ?)');
    params.push(q.after.timeMs, q.after.id);
  }
  const sql =
    `SELECT e.id, e.record_id, e.time_ms, e.record_type, e.record_type_name, e.operation, e.workload, e.user_id,
            e.mailbox, e.client_ip, e.session_id, e.app_id, e.result_status, v.sha256, e.loc_line, e.loc_offset
       FROM events e JOIN evidence v ON v.id = e.evidence_id` +
    (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
    (q.newestFirst ? ' ORDER BY e.time_ms DESC, e.id DESC' : ' ORDER BY e.time_ms, e.id') +
    (q.limit !== undefined ? ' LIMIT ?' : '');
  if (q.limit !== undefined) params.push(q.limit);
  return { sql, params };
}

interface MailboxNameRow { identity: string | null; alias: string | null; upn: string | null; smtp: string | null; guid: string | null; ident: string | null }

/** The names the case's mailbox snapshots know for a mailbox (matched by UPN, SMTP address, alias or identity). */
export function mailboxNames(db: ReadableDB, mailbox: string): string[] {
  const rows = db.prepare(
    `SELECT identity, json_extract(value_json, '$.alias') AS alias, json_extract(value_json, '$.userPrincipalName') AS upn,
            json_extract(value_json, '$.primarySmtpAddress') AS smtp, json_extract(value_json, '$.exchangeGuid') AS guid,
            json_extract(value_json, '$.identity') AS ident
       FROM config_rows WHERE kind = 'mailbox' AND (identity = @m OR lower(json_extract(value_json, '$.alias')) = lower(@m)
         OR lower(json_extract(value_json, '$.primarySmtpAddress')) = lower(@m) OR lower(json_extract(value_json, '$.identity')) = lower(@m))`,
  ).all({ m: mailbox }) as MailboxNameRow[];
  const names = new Set<string>();
  for (const r of rows) for (const n of [r.identity, r.alias, r.upn, r.smtp, r.guid, r.ident]) if (n) names.add(n);
  return [...names];
}

/** The query with what the case knows of its values: the mailbox's other names. */
function withNames<Q extends Omit<TimelineQuery, 'limit'>>(db: ReadableDB, q: Q): Q {
  const r = { ...q };
  if (q.mailbox && q.mailboxNames === undefined) r.mailboxNames = mailboxNames(db, q.mailbox);
  return r;
}

/** Streams the matching rows (constant memory, whatever the case size). */
export function* timeline(db: ReadableDB, q: TimelineQuery): Generator<PageRow> {
  const { sql, params } = timelineSql(withNames(db, q));
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
    evidence: { sha256: r.sha256, line: r.loc_line, element: r.loc_offset },
  };
}

/** The SQL of one page as run: the query with the case's names for the mailbox, one row more than the page. */
export function pageSql(db: ReadableDB, q: PageQuery): { sql: string; params: unknown[] } {
  // One extra row tells whether there is a next page without a second query.
  return timelineSql(withNames(db, { ...q, limit: q.limit + 1 }));
}

/** One page; `next` is null when this page reached the end of the matching rows. */
export function timelinePage(db: ReadableDB, q: PageQuery): Page {
  const { sql, params } = pageSql(db, q);
  const raw = db.prepare(sql).all(...params) as PageDbRow[];
  const more = raw.length > q.limit;
  const rows = (more ? raw.slice(0, q.limit) : raw).map(rowToPageRow);
  const marks = marksOf(db, rows.map((r) => r.id));
  for (const r of rows) {
    const m = marks.get(r.id);
    if (m) r.marks = m;
  }
  const last = rows.at(-1);
  return { rows, next: more && last ? { timeMs: last.timeMs, id: last.rowId } : null };
}

export function timelineCountSql(q: Omit<TimelineQuery, 'limit'>): { sql: string; params: unknown[] } {
  const { where, params } = filterClause(q);
  return { sql: 'SELECT count(*) FROM events e' + (where.length ? ` WHERE ${where.join(' AND ')}` : ''), params };
}

/** How many events match the filters (the figure the UI shows next to the grid). */
export function timelineCount(db: ReadableDB, q: Omit<TimelineQuery, 'limit'>): number {
  const { sql, params } = timelineCountSql(withNames(db, q));
  return db.prepare(sql).pluck().get(...params) as number;
}

export type EventDetailRow = EventDetail;

interface ItemDbRow { folder_path: string | null; internet_message_id: string | null; access_type: string | null; size_bytes: number | null }

/** An event's copies, first received first (through the event_duplicates_event index, 0009). */
export const COPIES_SQL = `SELECT v.sha256, d.loc_line, d.loc_offset, v.format, coalesce(v.original_path, v.original_name) AS origin, d.differs
  FROM event_duplicates d JOIN evidence v ON v.id = d.evidence_id WHERE d.event_id = ? ORDER BY d.rowid LIMIT ?`;

/** A copy of a record the case keeps (event_duplicates): where it was received, and what it says otherwise when it differs. */
export interface CopyRow {
  recordId: string;
  kept: { time: string; operation: string | null; user: string | null; mailbox: string | null; clientIp: string | null; evidence: { sha256: string; line: number | null; element: number | null } };
  copy: { sha256: string; line: number | null; element: number | null; origin: string | null; importRun: number };
  /** The copy's own values where it differs from the record kept (core/copies.ts); null when it agrees, or was received before copies were compared. */
  differs: Record<string, string | null> | null;
}

/**
 * The copies of records the case holds, in the order received; `differingOnly`: those that say something
 * else; `records`: only the copies of the first so many records with such a copy (the findings list a
 * hundred, whatever the number of copies a mislabelled export made).
 */
/** How many records the case holds a copy of that says something else. */
export function recordsWithDifferingCopies(db: ReadableDB): number {
  return db.prepare('SELECT count(DISTINCT event_id) FROM event_duplicates WHERE differs IS NOT NULL').pluck().get() as number;
}

export function* listCopies(db: ReadableDB, opts: { differingOnly: boolean; records?: number }): Generator<CopyRow> {
  const first = opts.records === undefined ? ''
    : `JOIN (SELECT event_id FROM event_duplicates WHERE differs IS NOT NULL GROUP BY event_id ORDER BY min(rowid) LIMIT ${Math.trunc(opts.records)}) f ON f.event_id = d.event_id`;
  const rows = db.prepare(
    `SELECT e.record_id, e.time_ms, e.operation, e.user_id, e.mailbox, e.client_ip, ke.sha256 AS kept_sha256, e.loc_line AS kept_line, e.loc_offset AS kept_offset,
            v.sha256, d.loc_line, d.loc_offset, coalesce(v.original_path, v.original_name) AS origin, d.import_run_id, d.differs
       FROM event_duplicates d ${first} JOIN events e ON e.id = d.event_id JOIN evidence v ON v.id = d.evidence_id JOIN evidence ke ON ke.id = e.evidence_id
      ${opts.differingOnly ? 'WHERE d.differs IS NOT NULL' : ''} ORDER BY d.rowid`,
  ).iterate() as Iterable<{ record_id: string; time_ms: number; operation: string | null; user_id: string | null; mailbox: string | null; client_ip: string | null; kept_sha256: string; kept_line: number | null; kept_offset: number | null; sha256: string; loc_line: number | null; loc_offset: number | null; origin: string | null; import_run_id: number; differs: string | null }>;
  for (const r of rows) {
    yield {
      recordId: r.record_id,
      kept: { time: new Date(r.time_ms).toISOString(), operation: r.operation, user: r.user_id, mailbox: r.mailbox, clientIp: r.client_ip, evidence: { sha256: r.kept_sha256, line: r.kept_line, element: r.kept_offset } },
      copy: { sha256: r.sha256, line: r.loc_line, element: r.loc_offset, origin: r.origin, importRun: r.import_run_id },
      differs: r.differs === null ? null : (JSON.parse(r.differs) as Record<string, string | null>),
    };
  }
}

/** One event by its record id, with its AuditData parsed and its access items; null when unknown. */
export function eventDetail(db: ReadableDB, recordId: string): EventDetailRow | null {
  const r = db.prepare(
    `SELECT e.id, e.record_id, e.time_ms, e.record_type, e.record_type_name, e.operation, e.workload, e.user_id,
            e.mailbox, e.client_ip, e.session_id, e.app_id, e.result_status, v.sha256, e.loc_line, e.loc_offset,
            v.source AS ev_source, v.format AS ev_format, coalesce(v.original_path, v.original_name) AS ev_origin,
            (SELECT ir.encoding FROM import_runs ir WHERE ir.id = e.import_run_id) AS ev_encoding, ${AUDIT_DATA_COLUMNS}
       FROM events e ${AUDIT_DATA_JOIN} WHERE e.record_id = ?`,
  ).get(recordId) as (PageDbRow & AuditDataRef & { ev_source: string; ev_format: string | null; ev_origin: string | null; ev_encoding: string | null }) | undefined;
  if (!r) return null;
  const text = withAuditData(db, (reader) => reader.text(r));
  let auditData: unknown;
  try {
    auditData = JSON.parse(text);
  } catch {
    auditData = text; // stored verbatim; show it as text rather than hide it
  }
  const items = (db.prepare(
    'SELECT folder_path, internet_message_id, access_type, size_bytes FROM access_items WHERE event_id = ? ORDER BY rowid',
  ).all(r.id) as ItemDbRow[]).map((i) => ({
    folderPath: i.folder_path, internetMessageId: i.internet_message_id, accessType: i.access_type, sizeBytes: i.size_bytes,
  }));
  const copies = (db.prepare(COPIES_SQL).all(r.id, EVENT_COPIES_SHOWN) as { sha256: string; loc_line: number | null; loc_offset: number | null; format: string | null; origin: string | null; differs: string | null }[])
    .map((c) => ({ sha256: c.sha256, line: c.loc_line, element: c.loc_offset, format: c.format, origin: c.origin, differs: c.differs === null ? null : (JSON.parse(c.differs) as Record<string, string | null>) }));
  const copiesTotal = copies.length < EVENT_COPIES_SHOWN ? copies.length
    : (db.prepare('SELECT count(*) FROM event_duplicates WHERE event_id = ?').pluck().get(r.id) as number);
  return {
    ...rowToPageRow(r), auditData, items,
    // an import run from before migration 0015 (no encoding) read its file as UTF-8
    evidenceFile: { source: r.ev_source, format: r.ev_format, origin: r.ev_origin, encoding: r.ev_encoding === null || r.ev_encoding === 'utf-8' ? null : r.ev_encoding },
    copies, copiesTotal,
    annotations: annotationsShown(db, r.record_id),
  };
}
