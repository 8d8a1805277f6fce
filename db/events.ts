// Writing normalised events with their access items, duplicates and full-text rows (reading them back
// is db/timeline.ts). Values are always bound, never concatenated into SQL.
import type { AuditEvent, SourceLocation } from '../core/model.ts';
import type Database from 'better-sqlite3';
import type { WritableDB } from './database.ts';

export type WriteOutcome = 'inserted' | 'duplicate';

/** Prepared statements for one import run; call write() inside a transaction. */
export class EventWriter {
  private readonly insertEvent;
  private readonly findId;
  private readonly insertDuplicate;
  private readonly insertItem;
  private readonly insertFts;
  private readonly insertData;
  private readonly evidenceId: number;
  private readonly runId: number;

  constructor(db: WritableDB, evidenceId: number, runId: number) {
    this.evidenceId = evidenceId;
    this.runId = runId;
    this.insertEvent = db.prepare(
      `INSERT OR IGNORE INTO events (record_id, id_synthetic, time_ms, record_type, record_type_name, operation, workload,
         user_id, user_key, user_type, mailbox, object_id, client_ip, session_id, app_id, client_app_id, logon_type,
         result_status, client_info, throttle_marker, evidence_id, loc_line, loc_offset, import_run_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertData = db.prepare('INSERT INTO event_data (event_id, audit_data) VALUES (?, ?)');
    this.findId = db.prepare('SELECT id FROM events WHERE record_id = ?').pluck();
    this.insertDuplicate = db.prepare(
      'INSERT INTO event_duplicates (event_id, evidence_id, loc_line, loc_offset, import_run_id) VALUES (?, ?, ?, ?, ?)',
    );
    this.insertItem = db.prepare(
      `INSERT INTO access_items (event_id, folder_path, folder_id, internet_message_id, size_bytes, access_type, subject,
         mailbox, time_ms, session_id, client_ip, operation)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertFts = db.prepare('INSERT INTO events_fts (rowid, body) VALUES (?, ?)');
  }

  /** `body` is the full-text body when it was computed elsewhere (a parser worker). */
  write(e: AuditEvent, loc: SourceLocation, body: string | null = null): WriteOutcome {
    const line = loc.line ?? loc.row ?? null;
    const offset = loc.offset ?? null;
    const auditData = e.auditDataText ?? JSON.stringify(e.auditData);
    const info = this.insertEvent.run(
      e.recordId, e.idSynthetic ? 1 : 0, e.timeMs, e.recordType, e.recordTypeName, e.operation, e.workload,
      e.userId, e.userKey, e.userType, e.mailbox, e.objectId, e.clientIp, e.sessionId, e.appId, e.clientAppId, e.logonType,
      e.resultStatus, e.clientInfo, throttleMarker(e.operation, auditData), this.evidenceId, line, offset, this.runId,
    );
    if (info.changes === 0) {
      const id = this.findId.get(e.recordId) as number;
      this.insertDuplicate.run(id, this.evidenceId, line, offset, this.runId);
      return 'duplicate';
    }
    const id = Number(info.lastInsertRowid);
    this.insertData.run(id, auditData);
    for (const it of e.items) {
      // The event's mailbox, time, session, IP and operation ride along: exposure reads items alone (0004).
      this.insertItem.run(id, it.folderPath, it.folderId, it.internetMessageId, it.sizeBytes, it.accessType, it.subject,
        e.mailbox, e.timeMs, e.sessionId, e.clientIp, e.operation);
    }
    this.insertFts.run(id, body ?? ftsBody(e));
    return 'inserted';
  }
}

/**
 * 1 when a MailItemsAccessed record's AuditData names IsThrottled and then True (what the GLOB
 * '*IsThrottled*True*' of migration 0005 matches); a candidate the analysis confirms by parsing.
 */
export function throttleMarker(operation: string | null, auditData: string): 0 | 1 {
  if (operation === null || operation.toLowerCase() !== 'mailitemsaccessed') return 0;
  const at = auditData.indexOf('IsThrottled');
  return at >= 0 && auditData.indexOf('True', at + 11) >= 0 ? 1 : 0;
}

/**
 * The full-text body: operation, users, mailbox, IP, session, app, object, client, workload, record type,
 * and the parameters, subjects and folder paths (searchText). InternetMessageIds are left out (one unique
 * token per item made the index twice as slow to build); the timeline finds them through access_items.
 */
export function ftsBody(e: AuditEvent): string {
  const parts = [e.operation, e.userId, e.mailbox, e.clientIp, e.sessionId, e.appId, e.objectId, e.clientInfo, e.workload, e.recordTypeName, e.searchText];
  return parts.filter((p) => p !== null && p !== '').join(' ');
}

// ---- for fixtures and generated cases that write events rows directly ---------------------------------

const statements = new WeakMap<WritableDB, Map<string, Database.Statement<unknown[]>>>();
function cached(db: WritableDB, sql: string): Database.Statement<unknown[]> {
  let m = statements.get(db);
  if (!m) statements.set(db, (m = new Map()));
  let st = m.get(sql);
  if (!st) m.set(sql, (st = db.prepare(sql)));
  return st;
}

/** Stores an event's AuditData and sets its throttle marker, as EventWriter does. */
export function addAuditData(db: WritableDB, event: { id: number | bigint; operation: string | null }, auditData: string): void {
  cached(db, 'INSERT INTO event_data (event_id, audit_data) VALUES (?, ?)').run(event.id, auditData);
  if (throttleMarker(event.operation, auditData)) cached(db, 'UPDATE events SET throttle_marker = 1 WHERE id = ?').run(event.id);
}

/** Adds an item to an event, copying the event's mailbox, time, session, IP and operation as EventWriter does. */
export function addAccessItem(db: WritableDB, eventId: number | bigint, item: { folderPath: string | null; internetMessageId: string | null; accessType: 'Bind' | 'Sync' | null }): void {
  cached(db,
    `INSERT INTO access_items (event_id, folder_path, internet_message_id, access_type, mailbox, time_ms, session_id, client_ip, operation)
     SELECT id, ?, ?, ?, mailbox, time_ms, session_id, client_ip, operation FROM events WHERE id = ?`,
  ).run(item.folderPath, item.internetMessageId, item.accessType, eventId);
}
