// The annotations table (migration 0001): an examiner's tags, notes and bookmarks, each on one event,
// named by the event's record Id (what the timeline shows and a report cites). Never joined into the
// events table's rows: annotations are kept apart from evidence.
import type { AnnotationInput, AnnotationKind } from '../core/annotations.ts';
import type { EventDetail, EventMarks } from '../core/api.ts';
import type { ReportMarkedEvent } from '../core/report.ts';
import type { ReadableDB, WritableDB } from './database.ts';

export interface StoredAnnotation {
  id: number;
  kind: AnnotationKind;
  text: string | null;
  author: string;
  createdAt: string;
  /** The record Id of the event annotated. */
  recordId: string;
}

/** An annotation with the event it is on and where that record lies, as listed; null when the event is not in the case. */
export interface ListedAnnotation extends StoredAnnotation {
  event: {
    time: string; operation: string | null; user: string | null; mailbox: string | null; clientIp: string | null;
    evidence: { sha256: string; line: number | null; element: number | null };
  } | null;
}

interface Row { id: number; kind: AnnotationKind; text: string | null; author: string; created_at: string; target_id: string }

const toStored = (r: Row): StoredAnnotation => ({ id: r.id, kind: r.kind, text: r.text, author: r.author, createdAt: r.created_at, recordId: r.target_id });

/**
 * The record Id of the case's event named `recordId`, as stored: the same Id, or failing that the same
 * in another letter case (a GUID copied from a report in capitals); null when the case has no such event.
 */
export function eventRecordId(db: ReadableDB, recordId: string): string | null {
  const exact = db.prepare('SELECT record_id FROM events WHERE record_id = ?').pluck().get(recordId) as string | undefined;
  if (exact !== undefined) return exact;
  // Not indexed in this letter case: a scan, once, for an Id typed differently.
  return (db.prepare('SELECT record_id FROM events WHERE record_id = ? COLLATE NOCASE LIMIT 1').pluck().get(recordId) as string | undefined) ?? null;
}

/** Whether two annotations are the same: the same kind and text, a tag's in any letter case. */
export function sameAnnotation(a: AnnotationInput, b: AnnotationInput): boolean {
  return a.kind === b.kind && (a.kind === 'tag' ? a.text?.toLowerCase() === b.text?.toLowerCase() : a.text === b.text);
}

/** Whether the event already carries this annotation (sameAnnotation). */
export function hasAnnotation(db: ReadableDB, recordId: string, a: AnnotationInput): boolean {
  return eventAnnotations(db, recordId).some((b) => sameAnnotation(a, b));
}

export function insertAnnotation(db: WritableDB, recordId: string, a: AnnotationInput, author: string, createdAt: string): StoredAnnotation {
  const id = Number(db.prepare(
    "INSERT INTO annotations (target_kind, target_id, kind, text, author, created_at) VALUES ('event', ?, ?, ?, ?, ?)",
  ).run(recordId, a.kind, a.text, author, createdAt).lastInsertRowid);
  return { id, kind: a.kind, text: a.text, author, createdAt, recordId };
}

/** Deletes an annotation; returns what it was, or null when there is none with that id. */
export function deleteAnnotation(db: WritableDB, id: number): StoredAnnotation | null {
  const r = db.prepare("SELECT id, kind, text, author, created_at, target_id FROM annotations WHERE id = ? AND target_kind = 'event'").get(id) as Row | undefined;
  if (!r) return null;
  db.prepare('DELETE FROM annotations WHERE id = ?').run(id);
  return toStored(r);
}

/** An event's annotations, oldest first. */
export function eventAnnotations(db: ReadableDB, recordId: string): StoredAnnotation[] {
  return (db.prepare(
    "SELECT id, kind, text, author, created_at, target_id FROM annotations WHERE target_kind = 'event' AND target_id = ? ORDER BY id",
  ).all(recordId) as Row[]).map(toStored);
}

/** An event's annotations as the event detail shows them (core/api.ts EventDetail), oldest first. */
export function annotationsShown(db: ReadableDB, recordId: string): EventDetail['annotations'] {
  return eventAnnotations(db, recordId).map((n) => ({ id: n.id, kind: n.kind, text: n.text, author: n.author, createdAt: n.createdAt }));
}

/** The case's annotations in the order of the events they are on, then as added; of one kind, or one tag (in any letter case). */
export function listAnnotations(db: ReadableDB, filter: { kind?: AnnotationKind; tag?: string } = {}): ListedAnnotation[] {
  const where = ["a.target_kind = 'event'"];
  const args: unknown[] = [];
  if (filter.kind) { where.push('a.kind = ?'); args.push(filter.kind); }
  if (filter.tag !== undefined) { where.push("a.kind = 'tag' AND a.text = ? COLLATE NOCASE"); args.push(filter.tag); }
  const rows = db.prepare(
    `SELECT a.id, a.kind, a.text, a.author, a.created_at, a.target_id, e.time_ms, e.operation, e.user_id, e.mailbox, e.client_ip,
            v.sha256, e.loc_line, e.loc_offset
       FROM annotations a LEFT JOIN events e ON e.record_id = a.target_id LEFT JOIN evidence v ON v.id = e.evidence_id
      WHERE ${where.join(' AND ')} ORDER BY e.time_ms, a.id`,
  ).all(...args) as (Row & { time_ms: number | null; operation: string | null; user_id: string | null; mailbox: string | null; client_ip: string | null; sha256: string; loc_line: number | null; loc_offset: number | null })[];
  return rows.map((r) => ({
    ...toStored(r),
    event: r.time_ms === null ? null : {
      time: new Date(r.time_ms).toISOString(), operation: r.operation, user: r.user_id, mailbox: r.mailbox, clientIp: r.client_ip,
      evidence: { sha256: r.sha256, line: r.loc_line, element: r.loc_offset },
    },
  }));
}

/** Adds one annotation to an event's marks: bookmarked, its tags; true when it is a note (which the caller counts or keeps). */
function addMark(m: { bookmarked: boolean; tags: string[] }, kind: AnnotationKind, text: string | null): boolean {
  if (kind === 'bookmark') m.bookmarked = true;
  else if (kind === 'tag' && text !== null) m.tags.push(text);
  return kind === 'note' && text !== null;
}

/** The annotations in brief of the events named (a page of the timeline), by record Id; only those that have any. */
export function marksOf(db: ReadableDB, recordIds: readonly string[]): Map<string, EventMarks> {
  const marks = new Map<string, EventMarks>();
  if (recordIds.length === 0 || db.prepare('SELECT 1 FROM annotations LIMIT 1').get() === undefined) return marks;
  const rows = db.prepare(
    `SELECT target_id, kind, text FROM annotations WHERE target_kind = 'event' AND target_id IN (SELECT value FROM json_each(?)) ORDER BY id`,
  ).all(JSON.stringify(recordIds)) as { target_id: string; kind: AnnotationKind; text: string | null }[];
  for (const r of rows) {
    let m = marks.get(r.target_id);
    if (!m) marks.set(r.target_id, (m = { bookmarked: false, tags: [], notes: 0 }));
    if (addMark(m, r.kind, r.text)) m.notes++;
  }
  return marks;
}

/** The annotated events with their marks and notes, in time order, and where each record lies (for the case report). */
export function markedEvents(db: ReadableDB): ReportMarkedEvent[] {
  const byRecord = new Map<string, ReportMarkedEvent>();
  for (const a of listAnnotations(db)) {
    let m = byRecord.get(a.recordId);
    if (!m) {
      const e = a.event;
      m = {
        recordId: a.recordId, time: e?.time ?? null, operation: e?.operation ?? null, user: e?.user ?? null, mailbox: e?.mailbox ?? null,
        clientIp: e?.clientIp ?? null, evidence: e?.evidence ?? null, bookmarked: false, tags: [], notes: [],
      };
      byRecord.set(a.recordId, m);
    }
    if (addMark(m, a.kind, a.text)) m.notes.push({ text: a.text!, author: a.author, createdAt: a.createdAt });
  }
  return [...byRecord.values()];
}
