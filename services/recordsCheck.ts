// verify --records: the case database's records against the evidence files they were read from. The
// hashes prove the evidence files are as received; this proves the events the timeline and the analysis
// read are what those files say. Each evidence file of audit records is parsed again, as its import read it
// (format, encoding, date order: import_runs), and merged in file order with the events that cite it: every event must
// be the record at the place it cites, field for field (its AuditData, its access items); every record of
// the file must be an event or a counted copy of one; and the file must have as many unreadable records as
// its import left out. What it does not compare: the configuration rows of configuration exports and the
// full-text index, which are derived again from the records at will.
import type { FormatId } from '../core/formats/types.ts';
import { EN, ET, IN, IT, PackedReader } from '../core/packedBatch.ts';
import type { DateOrder } from '../core/time.ts';
import { clip, placeInFile } from '../core/text.ts';
import type { ReadableDB } from '../db/database.ts';
import { packedBatches } from './parseSource.ts';

/** An event's columns compared, with what they are called in a problem and where the parse holds them. */
const FIELDS: readonly [column: string, label: string, read: (r: PackedReader) => string | number | null][] = [
  ['record_id', 'record id', (r) => r.str(ET.recordId)], ['id_synthetic', 'synthetic id', (r) => r.num(EN.idSynthetic)],
  ['time_ms', 'time', (r) => r.num(EN.timeMs)], ['record_type', 'record type', (r) => r.num(EN.recordType)],
  ['record_type_name', 'record type name', (r) => r.str(ET.recordTypeName)], ['operation', 'operation', (r) => r.str(ET.operation)],
  ['workload', 'workload', (r) => r.str(ET.workload)], ['user_id', 'user', (r) => r.str(ET.userId)], ['user_key', 'user key', (r) => r.str(ET.userKey)],
  ['user_type', 'user type', (r) => r.num(EN.userType)], ['mailbox', 'mailbox', (r) => r.str(ET.mailbox)], ['object_id', 'object', (r) => r.str(ET.objectId)],
  ['client_ip', 'client IP', (r) => r.str(ET.clientIp)], ['session_id', 'session', (r) => r.str(ET.sessionId)], ['app_id', 'app id', (r) => r.str(ET.appId)],
  ['client_app_id', 'client app id', (r) => r.str(ET.clientAppId)], ['logon_type', 'logon type', (r) => r.num(EN.logonType)],
  ['result_status', 'result', (r) => r.str(ET.resultStatus)], ['client_info', 'client', (r) => r.str(ET.clientInfo)],
  ['throttle_marker', 'throttle marker', (r) => r.num(EN.throttleMarker)],
  ['audit_data_start', 'AuditData start', (r) => r.num(EN.dataStart)], ['audit_data_end', 'AuditData end', (r) => r.num(EN.dataEnd)],
];

const ITEM_FIELDS: readonly [column: string, read: (r: PackedReader, k: number) => string | number | null][] = [
  ['folder_path', (r, k) => r.itemStr(k, IT.folderPath)], ['folder_id', (r, k) => r.itemStr(k, IT.folderId)],
  ['internet_message_id', (r, k) => r.itemStr(k, IT.internetMessageId)], ['size_bytes', (r, k) => r.itemNum(k, IN.sizeBytes)],
  ['access_type', (r, k) => r.itemStr(k, IT.accessType)], ['subject', (r, k) => r.itemStr(k, IT.subject)],
];

/** Problems listed per evidence file before the rest are only counted. */
const LISTED_PER_FILE = 20;

export interface RecordsProblem { path: string; detail: string }
/** The evidence files whose records were compared, the events found as read, and the files not compared (configuration exports, API answers). */
export interface RecordsChecked { files: number; events: number; notCompared: number }

interface EvidenceToCheck { id: number; relPath: string; size: number; runId: number; format: string; encoding: string; dateOrder: DateOrder | 'auto' }
type DbEvent = Record<string, string | number | null> & { id: number; loc_line: number | null; loc_offset: number | null; audit_data: string | null };

/** A place in a file, comparable in file order: the line, then the element of a JSON array on it (none first). */
const place = (line: number | null, offset: number | null): [number, number] => [line ?? -1, offset ?? -1];
const before = (a: [number, number], b: [number, number]): boolean => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
const where = (line: number | null, offset: number | null): string => placeInFile(line, offset) || 'a record';
const shown = (v: string | number | null): string => (v === null ? 'nothing' : typeof v === 'string' ? JSON.stringify(clip(v, 81)) : String(v));

/**
 * Compares every event of the case with the evidence it cites (see the module comment). `abs` turns an
 * evidence path into a file path; `onBytes` is told the bytes of evidence parsed so far.
 */
export function checkRecords(db: ReadableDB, abs: (relPath: string) => string, problems: RecordsProblem[], onBytes?: (done: number, total: number) => void): RecordsChecked {
  // Each evidence file is read as its first completed import run read it; a file imported again found its
  // records as duplicates of the first run's.
  const files = db.prepare(
    `SELECT v.id, v.rel_path AS relPath, v.size, r.id AS runId, r.format, coalesce(r.encoding, 'utf-8') AS encoding,
            coalesce(r.date_order, 'auto') AS dateOrder
       FROM evidence v JOIN import_runs r ON r.id = (SELECT min(id) FROM import_runs WHERE evidence_id = v.id AND status = 'completed')
      ORDER BY v.id`,
  ).all() as EvidenceToCheck[];
  const checked: RecordsChecked = { files: 0, events: 0, notCompared: 0 };
  const total = files.reduce((n, f) => n + f.size, 0);
  let done = 0;
  const eventsOf = db.prepare(
    `SELECT e.*, d.audit_data FROM events e LEFT JOIN event_data d ON d.event_id = e.id WHERE e.evidence_id = ? ORDER BY e.loc_line, e.loc_offset, e.id`,
  );
  const itemsOf = db.prepare(`SELECT ${ITEM_FIELDS.map(([c]) => c).join(', ')}, mailbox, time_ms, session_id, client_ip, operation FROM access_items WHERE event_id = ? ORDER BY rowid`);
  const itemCount = db.prepare('SELECT count(*) FROM access_items a JOIN events e ON e.id = a.event_id WHERE e.evidence_id = ?').pluck();
  const copiesOf = db.prepare('SELECT d.loc_line, d.loc_offset, e.record_id FROM event_duplicates d JOIN events e ON e.id = d.event_id WHERE d.evidence_id = ?');
  const rejectedOf = db.prepare('SELECT count(*) FROM rejected_lines WHERE import_run_id = ?').pluck();
  const strayIn = (relPath: string, e: DbEvent): void => { problems.push({ path: relPath, detail: `${where(e.loc_line, e.loc_offset)}: the case database holds event ${shown(e['record_id']!)} (${shown(e['operation']!)}) as read from here, but no import read records from this file` }); };
  // Events citing an evidence file no completed import read records from: none is a record of it.
  for (const e of db.prepare(`SELECT e.*, v.rel_path FROM events e JOIN evidence v ON v.id = e.evidence_id
      WHERE e.evidence_id NOT IN (SELECT evidence_id FROM import_runs WHERE status = 'completed' AND evidence_id IS NOT NULL)`).iterate() as Iterable<DbEvent & { rel_path: string }>) strayIn(e.rel_path, e);
  for (const f of files) {
    if (f.format.startsWith('config-') || f.format === 'api-answer') {
      checked.notCompared++; // an API answer holds no records; a configuration export's rows are not compared
      for (const e of eventsOf.iterate(f.id) as Iterable<DbEvent>) strayIn(f.relPath, e);
      done += f.size;
      continue;
    }
    checked.files++;
    let listed = 0;
    let unlisted = 0;
    const problem = (detail: string): void => {
      if (listed < LISTED_PER_FILE) { problems.push({ path: f.relPath, detail }); listed++; } else unlisted++;
    };
    // place → the record ids of the events counted as received again there (the file imported again: one per import)
    const copies = new Map<string, string[]>();
    for (const c of copiesOf.iterate(f.id) as Iterable<{ loc_line: number | null; loc_offset: number | null; record_id: string }>) {
      const key = `${c.loc_line}:${c.loc_offset}`;
      copies.set(key, [...(copies.get(key) ?? []), c.record_id]);
    }
    /** The copies counted at a place that are of `recordId`, taken as accounted for; how many there were. */
    const takeCopies = (key: string, recordId: string | null): number => {
      const here = copies.get(key) ?? [];
      const rest = here.filter((id) => id !== recordId);
      if (rest.length > 0) copies.set(key, rest); else copies.delete(key);
      return here.length - rest.length;
    };
    const events = (eventsOf.iterate(f.id) as IterableIterator<DbEvent>)[Symbol.iterator]();
    let next = events.next();
    const stray = (e: DbEvent): void => problem(`${where(e.loc_line, e.loc_offset)}: the case database holds event ${shown(e['record_id']!)} (${shown(e['operation']!)}) as read from here, but the file holds no such record there`);
    let items = 0;
    let rejects = 0;
    for (const batch of packedBatches(abs(f.relPath), f.format as FormatId, f.encoding, f.dateOrder)) {
      const r = new PackedReader(batch);
      let other = 0;
      for (let i = 0; i < batch.count; i++) {
        const it = batch.others[other]?.at === i ? batch.others[other++]!.item : null;
        if (it !== null) {
          if (it.kind === 'reject') rejects++;
          continue;
        }
        r.advance();
        const line = r.num(EN.line);
        const offset = r.num(EN.offset);
        const at = place(line, offset);
        while (!next.done && before(place(next.value.loc_line, next.value.loc_offset), at)) {
          stray(next.value);
          next = events.next();
        }
        const e = !next.done && place(next.value.loc_line, next.value.loc_offset).join() === at.join() ? next.value : null;
        const key = `${line}:${offset}`;
        const recordId = r.str(ET.recordId);
        // The record read again (this file imported again, or a record it holds twice): counted copies of it.
        const copied = takeCopies(key, recordId);
        if (e === null) {
          if (copied > 0) continue;
          const other = copies.get(key)?.[0];
          if (other === undefined) problem(`${where(line, offset)}: record ${shown(recordId)} (${shown(r.str(ET.operation))}) is in the file but neither an event of the case database nor a counted copy of one`);
          else problem(`${where(line, offset)}: the case database counts this record as a copy of ${shown(other)}, but it is record ${shown(recordId)}`);
          continue;
        }
        next = events.next();
        checked.events++;
        const differ = FIELDS.filter(([column, , read]) => e[column] !== read(r)).map(([column, label, read]) => `${label} ${shown(e[column]!)} (the file: ${shown(read(r))})`);
        if (e['audit_data_start'] === null && e.audit_data !== r.str(ET.auditData)) differ.push('its AuditData');
        const n = r.itemCount();
        items += n;
        if (n > 0) {
          const stored = itemsOf.all(e.id) as Record<string, string | number | null>[];
          const same = stored.length === n && stored.every((s, k) => ITEM_FIELDS.every(([c, read]) => s[c] === read(r, k))
            && s['mailbox'] === e['mailbox'] && s['time_ms'] === e['time_ms'] && s['session_id'] === e['session_id'] && s['client_ip'] === e['client_ip'] && s['operation'] === e['operation']);
          if (!same) differ.push(stored.length === n ? 'its access items' : `its access items (${stored.length} in the database, ${n} in the file)`);
        }
        if (differ.length > 0) problem(`${where(line, offset)}: event ${shown(e['record_id']!)} in the case database differs from the record it was read from: ${differ.join('; ')}`);
      }
      onBytes?.(done + Math.min(batch.bytesRead, f.size), total);
    }
    done += f.size;
    for (; !next.done; next = events.next()) stray(next.value);
    for (const [key, ids] of copies) {
      const [line, offset] = key.split(':').map((x) => (x === 'null' ? null : Number(x))) as [number | null, number | null];
      for (const id of ids) problem(`${where(line, offset)}: the case database counts a copy of ${shown(id)} received here, but the file holds no such record there`);
    }
    const stored = itemCount.get(f.id) as number;
    if (stored !== items) problem(`the case database holds ${stored} access items for this file's events, the file ${items}`);
    const left = rejectedOf.get(f.runId) as number;
    if (rejects !== left) problem(`${rejects} of its records cannot be read; the case database records ${left} left out by its import`);
    if (unlisted > 0) problems.push({ path: f.relPath, detail: `and ${unlisted} more records that differ from the case database, not listed` });
  }
  return checked;
}
