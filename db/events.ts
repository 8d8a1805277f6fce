// Writing normalised events with their access items, duplicates and full-text rows (reading them back
// is db/timeline.ts). Values are always bound, never concatenated into SQL.
import type { AuditEvent, SourceLocation } from '../core/model.ts';
import { copyDiffers } from '../core/copies.ts';
import type { CopyFields } from '../core/copies.ts';
import { EN, ET, IN, IT, PackedReader, packItems, throttleMarker } from '../core/packedBatch.ts';
import type Database from 'better-sqlite3';
import type { WritableDB } from './database.ts';

export type WriteOutcome = 'inserted' | 'duplicate';

/** Prepared statements for one import run; call write() inside a transaction. */
export class EventWriter {
  private readonly insertEvent;
  private readonly findKept;
  private readonly insertDuplicate;
  private readonly insertItem;
  private readonly insertFts;
  private readonly insertData;
  private readonly evidenceId: number;
  private readonly runId: number;
  /** Copies written so far whose time, operation, user, mailbox or client IP differ from the record kept. */
  differing = 0;
  /** The events row and the access item row, bound as arrays and reused from one event to the next. */
  private readonly row: (string | number | null)[] = new Array(26).fill(null);
  private readonly item: (string | number | null)[] = new Array(12).fill(null);

  constructor(db: WritableDB, evidenceId: number, runId: number) {
    this.evidenceId = evidenceId;
    this.runId = runId;
    this.row[20] = evidenceId;
    this.row[23] = runId;
    this.insertEvent = db.prepare(
      `INSERT OR IGNORE INTO events (record_id, id_synthetic, time_ms, record_type, record_type_name, operation, workload,
         user_id, user_key, user_type, mailbox, object_id, client_ip, session_id, app_id, client_app_id, logon_type,
         result_status, client_info, throttle_marker, evidence_id, loc_line, loc_offset, import_run_id, audit_data_start, audit_data_end)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertData = db.prepare('INSERT INTO event_data (event_id, audit_data) VALUES (?, ?)');
    this.findKept = db.prepare('SELECT id, time_ms AS timeMs, operation, user_id AS user, mailbox, client_ip AS clientIp FROM events WHERE record_id = ?');
    this.insertDuplicate = db.prepare(
      'INSERT INTO event_duplicates (event_id, evidence_id, loc_line, loc_offset, import_run_id, differs) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.insertItem = db.prepare(
      `INSERT INTO access_items (event_id, folder_path, folder_id, internet_message_id, size_bytes, access_type, subject,
         mailbox, time_ms, session_id, client_ip, operation)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertFts = db.prepare('INSERT INTO events_fts (rowid, body) VALUES (?, ?)');
  }

  /** Writes one event (fixtures and tests; an import writes packed batches). */
  write(e: AuditEvent, loc: SourceLocation): WriteOutcome {
    const r = new PackedReader(packItems([{ kind: 'event', event: e, loc }], 0));
    r.advance();
    return this.writePacked(r);
  }

  /** Writes the reader's current event with its AuditData (or where it lies in the file), access items and full-text row. */
  writePacked(r: PackedReader): WriteOutcome {
    const v = this.row;
    v[0] = r.str(ET.recordId); v[1] = r.num(EN.idSynthetic); v[2] = r.num(EN.timeMs); v[3] = r.num(EN.recordType);
    v[4] = r.str(ET.recordTypeName); v[5] = r.str(ET.operation); v[6] = r.str(ET.workload); v[7] = r.str(ET.userId);
    v[8] = r.str(ET.userKey); v[9] = r.num(EN.userType); v[10] = r.str(ET.mailbox); v[11] = r.str(ET.objectId);
    v[12] = r.str(ET.clientIp); v[13] = r.str(ET.sessionId); v[14] = r.str(ET.appId); v[15] = r.str(ET.clientAppId);
    v[16] = r.num(EN.logonType); v[17] = r.str(ET.resultStatus); v[18] = r.str(ET.clientInfo); v[19] = r.num(EN.throttleMarker);
    v[21] = r.num(EN.line); v[22] = r.num(EN.offset); v[24] = r.num(EN.dataStart); v[25] = r.num(EN.dataEnd);
    const info = this.insertEvent.run(...v);
    if (info.changes === 0) {
      const kept = this.findKept.get(v[0]) as CopyFields & { id: number };
      const differs = copyDiffers(kept, { timeMs: v[2] as number, operation: v[5] as string | null, user: v[7] as string | null, mailbox: v[10] as string | null, clientIp: v[12] as string | null });
      if (differs !== null) this.differing++;
      this.insertDuplicate.run(kept.id, this.evidenceId, v[21], v[22], this.runId, differs);
      return 'duplicate';
    }
    const id = Number(info.lastInsertRowid);
    if (v[24] === null) this.insertData.run(id, r.str(ET.auditData)); // else read from the evidence file (db/auditData.ts)
    const n = r.itemCount();
    if (n > 0) {
      // The event's mailbox, time, session, IP and operation ride along: exposure reads items alone (0004).
      const w = this.item;
      w[0] = id; w[7] = v[10]; w[8] = v[2]; w[9] = v[13]; w[10] = v[12]; w[11] = v[5];
      for (let k = 0; k < n; k++) {
        w[1] = r.itemStr(k, IT.folderPath); w[2] = r.itemStr(k, IT.folderId); w[3] = r.itemStr(k, IT.internetMessageId);
        w[4] = r.itemNum(k, IN.sizeBytes); w[5] = r.itemStr(k, IT.accessType); w[6] = r.itemStr(k, IT.subject);
        this.insertItem.run(...w);
      }
    }
    this.insertFts.run(id, r.str(ET.searchBody));
    return 'inserted';
  }
}

/**
 * A bulk import writes its events with the record-Id index dropped (services/import.ts), so a record
 * already in the case, or seen earlier in the same file, is written again. Before that index is rebuilt,
 * each later copy becomes what EventWriter.write would have made of it: the first record with the Id
 * stays, the copy's location goes to event_duplicates (in file order), and its rows leave event_data,
 * access_items, the full-text index and events. All in SQL, through a scratch table that lives and dies
 * inside the import's transaction, so memory does not grow with the number of copies. Returns how many
 * copies it moved.
 */
export function moveBulkDuplicates(db: WritableDB): { moved: number; differing: number } {
  db.exec('CREATE TABLE bulk_duplicates_scratch (id INTEGER PRIMARY KEY, keep INTEGER NOT NULL, differs TEXT)');
  const moved = db.prepare(
    `INSERT INTO bulk_duplicates_scratch (id, keep)
       SELECT id, keep FROM (SELECT id, min(id) OVER (PARTITION BY record_id) AS keep FROM events) WHERE id <> keep`,
  ).run().changes;
  // Each copy compared with the record kept as core/copies.ts copyDiffers does (the NOCASE columns fold
  // ASCII letters, as it does): the copy's own values where they differ, or NULL.
  const differing = db.prepare(`
    UPDATE bulk_duplicates_scratch AS d SET differs = (SELECT nullif(json_group_object(f, v), '{}') FROM (
        SELECT 'time' AS f, strftime('%Y-%m-%dT%H:%M:%fZ', e.time_ms / 1000.0, 'unixepoch') AS v WHERE e.time_ms IS NOT k.time_ms
        UNION ALL SELECT 'operation', e.operation WHERE e.operation IS NOT k.operation
        UNION ALL SELECT 'user', e.user_id WHERE e.user_id IS NOT k.user_id
        UNION ALL SELECT 'mailbox', e.mailbox WHERE e.mailbox IS NOT k.mailbox
        UNION ALL SELECT 'clientIp', e.client_ip WHERE e.client_ip IS NOT k.client_ip))
      FROM events e, events k WHERE e.id = d.id AND k.id = d.keep AND (e.time_ms, e.operation, e.user_id, e.mailbox, e.client_ip) IS NOT (k.time_ms, k.operation, k.user_id, k.mailbox, k.client_ip)`,
  ).run().changes;
  db.exec(`
    INSERT INTO event_duplicates (event_id, evidence_id, loc_line, loc_offset, import_run_id, differs)
      SELECT d.keep, e.evidence_id, e.loc_line, e.loc_offset, e.import_run_id, d.differs
      FROM bulk_duplicates_scratch d JOIN events e ON e.id = d.id ORDER BY d.id;
    DELETE FROM event_data WHERE event_id IN (SELECT id FROM bulk_duplicates_scratch);
    DELETE FROM access_items WHERE event_id IN (SELECT id FROM bulk_duplicates_scratch);
    DELETE FROM events_fts WHERE rowid IN (SELECT id FROM bulk_duplicates_scratch);
    DELETE FROM events WHERE id IN (SELECT id FROM bulk_duplicates_scratch);
    DROP TABLE bulk_duplicates_scratch;
  `);
  return { moved, differing };
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
