// Case metadata, evidence rows and import runs: typed rows and their mappers.
import type { CaseSummary } from '../core/api.ts';
import type { ReadableDB, WritableDB } from './database.ts';

export interface CaseMeta {
  name: string;
  number: string | null;
  client: string | null;
  examiner: string;
  description: string | null;
  createdAt: string;
  timeZone: string;
  toolVersion: string;
}

interface CaseMetaRow {
  name: string; number: string | null; client: string | null; examiner: string; description: string | null;
  created_at: string; time_zone: string; tool_version: string;
}

export function insertCaseMeta(db: WritableDB, m: CaseMeta): void {
  db.prepare(
    `INSERT INTO case_meta (id, name, number, client, examiner, description, created_at, time_zone, tool_version)
     VALUES (1, @name, @number, @client, @examiner, @description, @createdAt, @timeZone, @toolVersion)`,
  ).run(m);
}

export function readCaseMeta(db: ReadableDB): CaseMeta | null {
  const r = db.prepare('SELECT * FROM case_meta WHERE id = 1').get() as CaseMetaRow | undefined;
  if (!r) return null;
  return {
    name: r.name, number: r.number, client: r.client, examiner: r.examiner, description: r.description,
    createdAt: r.created_at, timeZone: r.time_zone, toolVersion: r.tool_version,
  };
}

export interface EvidenceInput {
  sha256: string;
  size: number;
  relPath: string;
  originalPath: string | null;
  originalName: string | null;
  modifiedAt: string | null;
  addedBy: string;
  addedAt: string;
  format: string | null;
  source: 'file' | 'acquisition';
  requestJson?: string | null;
  responseJson?: string | null;
}

export interface EvidenceRecord extends EvidenceInput {
  id: number;
}

interface EvidenceRow {
  id: number; sha256: string; size: number; rel_path: string; original_path: string | null; original_name: string | null;
  modified_at: string | null; added_by: string; added_at: string; format: string | null; source: string;
  request_json: string | null; response_json: string | null;
}

function rowToEvidence(r: EvidenceRow): EvidenceRecord {
  return {
    id: r.id, sha256: r.sha256, size: r.size, relPath: r.rel_path, originalPath: r.original_path,
    originalName: r.original_name, modifiedAt: r.modified_at, addedBy: r.added_by, addedAt: r.added_at,
    format: r.format, source: r.source === 'acquisition' ? 'acquisition' : 'file',
    requestJson: r.request_json, responseJson: r.response_json,
  };
}

/** Inserts the evidence row, or returns the existing one for the same content. */
export function upsertEvidence(db: WritableDB, e: EvidenceInput): { record: EvidenceRecord; created: boolean } {
  const existing = findEvidence(db, e.sha256);
  if (existing) return { record: existing, created: false };
  const info = db.prepare(
    `INSERT INTO evidence (sha256, size, rel_path, original_path, original_name, modified_at, added_by, added_at, format, source, request_json, response_json)
     VALUES (@sha256, @size, @relPath, @originalPath, @originalName, @modifiedAt, @addedBy, @addedAt, @format, @source, @requestJson, @responseJson)`,
  ).run({ requestJson: null, responseJson: null, ...e });
  return { record: { ...e, id: Number(info.lastInsertRowid) }, created: true };
}

export function findEvidence(db: ReadableDB, sha256: string): EvidenceRecord | null {
  const r = db.prepare('SELECT * FROM evidence WHERE sha256 = ?').get(sha256) as EvidenceRow | undefined;
  return r ? rowToEvidence(r) : null;
}

export interface ImportRunInput {
  evidenceId: number;
  source: 'file' | 'acquisition';
  file: string | null;
  format: string | null;
  startedAt: string;
  asOf: string | null;
  /** How the file's bytes were read as text ('utf-8' unless said). */
  encoding?: string;
  /** The order dates written with slashes were read in, when the import was told one (else told from the file). */
  dateOrder?: 'mdy' | 'dmy' | null;
  /** Acquisition: this answer's own request (never the token) and response status and headers. */
  requestJson?: string | null;
  responseJson?: string | null;
}

export function startImportRun(db: WritableDB, r: ImportRunInput): number {
  const info = db.prepare(
    `INSERT INTO import_runs (evidence_id, source, file, format, started_at, status, as_of, request_json, response_json, encoding, date_order)
     VALUES (@evidenceId, @source, @file, @format, @startedAt, 'running', @asOf, @requestJson, @responseJson, @encoding, @dateOrder)`,
  ).run({ requestJson: null, responseJson: null, encoding: 'utf-8', dateOrder: null, ...r });
  return Number(info.lastInsertRowid);
}

/**
 * The first completed import of the same evidence, which read its records, when it read the file with
 * another encoding (an import from before migration 0015 read it as UTF-8); else null.
 */
export function earlierImportReadOtherwise(db: ReadableDB, evidenceId: number, runId: number, encoding: string): { importRun: number; encoding: string } | null {
  const r = db.prepare(
    `SELECT id, coalesce(encoding, 'utf-8') AS encoding FROM import_runs
      WHERE evidence_id = ? AND id <> ? AND status = 'completed' ORDER BY id LIMIT 1`,
  ).get(evidenceId, runId) as { id: number; encoding: string } | undefined;
  return !r || r.encoding === encoding ? null : { importRun: r.id, encoding: r.encoding };
}

export interface ImportRunTotals {
  status: 'completed' | 'refused' | 'failed';
  finishedAt: string;
  records: number;
  inserted: number;
  duplicates: number;
  rejected: number;
  configRows: number;
  errors: string | null;
}

export function finishImportRun(db: WritableDB, id: number, t: ImportRunTotals): void {
  db.prepare(
    `UPDATE import_runs SET status=@status, finished_at=@finishedAt, records=@records, inserted=@inserted,
       duplicates=@duplicates, rejected=@rejected, config_rows=@configRows, errors=@errors WHERE id=@id`,
  ).run({ ...t, id });
}

export function insertRejectedLine(db: WritableDB, runId: number, line: number | null, reason: string, text: string | null): void {
  db.prepare('INSERT INTO rejected_lines (import_run_id, line, reason, text) VALUES (?, ?, ?, ?)').run(runId, line, reason, text);
}

/** A record an import with --skip-bad left out, with why, and the file it was in. */
export interface RejectedRecord { importRun: number; file: string | null; sha256: string | null; line: number | null; reason: string; text: string | null }

/** The records left out by imports with --skip-bad, in the order imported. */
export function* listRejected(db: ReadableDB): Generator<RejectedRecord> {
  yield* db.prepare(
    `SELECT r.import_run_id AS importRun, i.file, v.sha256, r.line, r.reason, r.text
       FROM rejected_lines r JOIN import_runs i ON i.id = r.import_run_id LEFT JOIN evidence v ON v.id = i.evidence_id
      ORDER BY r.rowid`,
  ).iterate() as Iterable<RejectedRecord>;
}

/**
 * What the case holds other than as received, for the report to disclose: per file, the records an
 * import left out (--skip-bad); and how many copies of records say otherwise than the record kept.
 */
export function notTakenAsReceived(db: ReadableDB): { rejected: { file: string | null; sha256: string | null; records: number }[]; differingCopies: number } {
  const rejected = db.prepare(
    `SELECT i.file, v.sha256, count(*) AS records FROM rejected_lines r JOIN import_runs i ON i.id = r.import_run_id
       LEFT JOIN evidence v ON v.id = i.evidence_id GROUP BY r.import_run_id ORDER BY r.import_run_id`,
  ).all() as { file: string | null; sha256: string | null; records: number }[];
  const differingCopies = db.prepare('SELECT count(*) FROM event_duplicates WHERE differs IS NOT NULL').pluck().get() as number;
  return { rejected, differingCopies };
}

export interface CaseCounts {
  events: number;
  evidenceItems: number;
  mailboxes: number;
  firstEventMs: number | null;
  lastEventMs: number | null;
}

export function caseCounts(db: ReadableDB): CaseCounts {
  const ev = db.prepare('SELECT count(*) AS n, min(time_ms) AS first, max(time_ms) AS last FROM events').get() as { n: number; first: number | null; last: number | null };
  const evidence = db.prepare('SELECT count(*) AS n FROM evidence').get() as { n: number };
  // Mailboxes known to the case: distinct mailbox owners in events plus mailboxes in configuration snapshots.
  const mb = db.prepare(
    `SELECT count(*) AS n FROM (
       SELECT mailbox AS m FROM events WHERE mailbox IS NOT NULL AND mailbox LIKE '%@%'
       UNION SELECT identity COLLATE NOCASE FROM config_rows WHERE kind = 'mailbox' AND identity IS NOT NULL)`,
  ).get() as { n: number };
  return { events: ev.n, evidenceItems: evidence.n, mailboxes: mb.n, firstEventMs: ev.first, lastEventMs: ev.last };
}

/** What the CLI's `case info` and the UI's header show; null when the case record is missing. */
export function caseSummary(db: ReadableDB, dir: string): CaseSummary | null {
  const meta = readCaseMeta(db);
  if (!meta) return null;
  const c = caseCounts(db);
  return {
    dir, name: meta.name, number: meta.number, client: meta.client, examiner: meta.examiner, timeZone: meta.timeZone,
    createdAt: meta.createdAt, events: c.events, evidenceItems: c.evidenceItems, mailboxes: c.mailboxes,
    firstEvent: c.firstEventMs === null ? null : new Date(c.firstEventMs).toISOString(),
    lastEvent: c.lastEventMs === null ? null : new Date(c.lastEventMs).toISOString(),
  };
}

/** Records the custody log's last entry (migration 0018): its number and the SHA-256 of its line. */
export function recordCustodyHead(db: WritableDB, seq: number, lineSha256: string): void {
  db.prepare('INSERT INTO custody_head (id, seq, line_sha256) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, line_sha256 = excluded.line_sha256').run(seq, lineSha256);
}

/** The custody log's last entry as the case database recorded it; null when it recorded none (a case or bundle from before 0018, or none appended since). */
export function readCustodyHead(db: ReadableDB): { seq: number; lineSha256: string } | null {
  if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'custody_head'").get() === undefined) return null;
  return (db.prepare('SELECT seq, line_sha256 AS lineSha256 FROM custody_head WHERE id = 1').get() as { seq: number; lineSha256: string } | undefined) ?? null;
}
