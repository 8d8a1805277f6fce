// Writing normalised events (with their access items, duplicates and full-text rows) and reading them
// back as a timeline. Values are always bound, never concatenated into SQL.
import type { AuditEvent, SourceLocation } from '../core/model.ts';
import type { ReadableDB, WritableDB } from './database.ts';

export type WriteOutcome = 'inserted' | 'duplicate';

/** Prepared statements for one import run; call write() inside a transaction. */
export class EventWriter {
  private readonly insertEvent;
  private readonly findId;
  private readonly insertDuplicate;
  private readonly insertItem;
  private readonly insertFts;
  private readonly evidenceId: number;
  private readonly runId: number;

  constructor(db: WritableDB, evidenceId: number, runId: number) {
    this.evidenceId = evidenceId;
    this.runId = runId;
    this.insertEvent = db.prepare(
      `INSERT OR IGNORE INTO events (record_id, id_synthetic, time_ms, record_type, record_type_name, operation, workload,
         user_id, user_key, user_type, mailbox, object_id, client_ip, session_id, app_id, client_app_id, logon_type,
         result_status, client_info, audit_data, evidence_id, loc_line, loc_offset, import_run_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.findId = db.prepare('SELECT id FROM events WHERE record_id = ?').pluck();
    this.insertDuplicate = db.prepare(
      'INSERT INTO event_duplicates (event_id, evidence_id, loc_line, loc_offset, import_run_id) VALUES (?, ?, ?, ?, ?)',
    );
    this.insertItem = db.prepare(
      `INSERT INTO access_items (event_id, folder_path, folder_id, internet_message_id, size_bytes, access_type, subject)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertFts = db.prepare('INSERT INTO events_fts (rowid, body) VALUES (?, ?)');
  }

  /** `body` is the full-text body when it was computed elsewhere (a parser worker). */
  write(e: AuditEvent, loc: SourceLocation, body: string | null = null): WriteOutcome {
    const line = loc.line ?? loc.row ?? null;
    const offset = loc.offset ?? null;
    const info = this.insertEvent.run(
      e.recordId, e.idSynthetic ? 1 : 0, e.timeMs, e.recordType, e.recordTypeName, e.operation, e.workload,
      e.userId, e.userKey, e.userType, e.mailbox, e.objectId, e.clientIp, e.sessionId, e.appId, e.clientAppId, e.logonType,
      e.resultStatus, e.clientInfo, e.auditDataText ?? JSON.stringify(e.auditData), this.evidenceId, line, offset, this.runId,
    );
    if (info.changes === 0) {
      const id = this.findId.get(e.recordId) as number;
      this.insertDuplicate.run(id, this.evidenceId, line, offset, this.runId);
      return 'duplicate';
    }
    const id = Number(info.lastInsertRowid);
    for (const it of e.items) {
      this.insertItem.run(id, it.folderPath, it.folderId, it.internetMessageId, it.sizeBytes, it.accessType, it.subject);
    }
    this.insertFts.run(id, body ?? ftsBody(e));
    return 'inserted';
  }
}

/** Items beyond this many per record are still stored in access_items, just not in the search index. */
const FTS_ITEMS_MAX = 200;

export function ftsBody(e: AuditEvent): string {
  const parts = [e.operation, e.userId, e.mailbox, e.clientIp, e.sessionId, e.appId, e.objectId, e.clientInfo, e.workload, e.recordTypeName, e.searchText];
  // Subjects and folder paths are already in searchText; message ids make items findable by id.
  for (let i = 0; i < e.items.length && i < FTS_ITEMS_MAX; i++) {
    const id = e.items[i]!.internetMessageId;
    if (id) parts.push(id);
  }
  return parts.filter((p) => p !== null && p !== '').join(' ');
}

// ---- timeline -------------------------------------------------------------------------------------

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

export interface TimelineRow {
  id: string;
  time: string;
  recordType: number | null;
  recordTypeName: string | null;
  operation: string | null;
  workload: string | null;
  user: string | null;
  mailbox: string | null;
  clientIp: string | null;
  sessionId: string | null;
  appId: string | null;
  resultStatus: string | null;
  evidence: { sha256: string; line: number | null };
}

interface TimelineDbRow {
  record_id: string; time_ms: number; record_type: number | null; record_type_name: string | null; operation: string | null;
  workload: string | null; user_id: string | null; mailbox: string | null; client_ip: string | null; session_id: string | null;
  app_id: string | null; result_status: string | null; sha256: string; loc_line: number | null; loc_offset: number | null;
}

/** Builds the WHERE clause from fixed fragments; every value is a bound parameter. */
export function timelineSql(q: TimelineQuery): { sql: string; params: unknown[] } {
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
  if (q.text) { where.push('e.id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)'); params.push(ftsQuery(q.text)); }
  const sql =
    `SELECT e.record_id, e.time_ms, e.record_type, e.record_type_name, e.operation, e.workload, e.user_id, e.mailbox,
            e.client_ip, e.session_id, e.app_id, e.result_status, v.sha256, e.loc_line, e.loc_offset
       FROM events e JOIN evidence v ON v.id = e.evidence_id` +
    (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
    ' ORDER BY e.time_ms, e.id' +
    (q.limit !== undefined ? ' LIMIT ?' : '');
  if (q.limit !== undefined) params.push(q.limit);
  return { sql, params };
}

/**
 * Turns free text into an FTS5 query: the tokens the index's tokenizer would make (letters, digits and
 * the token characters @ . - _ :), each quoted, all required. User input is never FTS syntax, and every
 * term is a single token, which the position-less (detail=none) index can answer.
 */
export function ftsQuery(text: string): string {
  const terms = text.split(/[^\p{L}\p{N}@.\-_:]+/u).filter(Boolean).map((t) => `"${t}"`);
  return terms.length > 0 ? terms.join(' AND ') : '""';
}

export function* timeline(db: ReadableDB, q: TimelineQuery): Generator<TimelineRow> {
  const { sql, params } = timelineSql(q);
  for (const r of db.prepare(sql).iterate(...params) as IterableIterator<TimelineDbRow>) {
    yield {
      id: r.record_id,
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
}
