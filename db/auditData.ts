// The AuditData of stored events. A record that is a whole record of its evidence file as written (a
// JSON line, an element of a JSON array, a top-level JSON object) keeps only its byte range (migration
// 0007) and its AuditData is read from the file: the evidence store is write-once, and `verify` checks
// each file against its hash. Any other record (a CSV cell, a record nested in an envelope or another
// format's fields) keeps its AuditData in event_data.
import { closeSync, openSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ReadableDB } from './database.ts';
import { databasePath } from './sqlite.ts';

/** What a case database holds cannot be read as stored (broken JSON, an evidence file that is not there). */
export class CaseDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaseDataError';
  }
}

/** Selected, with AUDIT_DATA_JOIN, by a query over `events e` whose rows AuditDataReader reads. */
export const AUDIT_DATA_COLUMNS =
  'e.record_id AS recordId, d.audit_data AS storedAuditData, e.audit_data_start AS dataStart, e.audit_data_end AS dataEnd, v.rel_path AS evidencePath';
export const AUDIT_DATA_JOIN = 'LEFT JOIN event_data d ON d.event_id = e.id JOIN evidence v ON v.id = e.evidence_id';

export interface AuditDataRef {
  recordId: string;
  storedAuditData: string | null;
  dataStart: number | null;
  dataEnd: number | null;
  evidencePath: string;
}

/** Reads the AuditData of rows selected with AUDIT_DATA_COLUMNS; holds each evidence file open until close(). */
export class AuditDataReader {
  private readonly caseDir: string;
  private readonly files = new Map<string, number>();

  constructor(db: ReadableDB) {
    this.caseDir = dirname(databasePath(db));
  }

  text(r: AuditDataRef): string {
    if (r.storedAuditData !== null) return r.storedAuditData;
    if (r.dataStart === null || r.dataEnd === null) throw new CaseDataError(`record ${r.recordId}: no AuditData is stored for it`);
    const where = `bytes ${r.dataStart}-${r.dataEnd} of ${r.evidencePath}`;
    const length = r.dataEnd - r.dataStart;
    const buf = Buffer.allocUnsafe(length);
    let read: number;
    try {
      let fd = this.files.get(r.evidencePath);
      if (fd === undefined) this.files.set(r.evidencePath, (fd = openSync(join(this.caseDir, r.evidencePath), 'r')));
      read = readSync(fd, buf, 0, length, r.dataStart);
    } catch (e) {
      throw new CaseDataError(`record ${r.recordId}: its AuditData is ${where}, which cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); run blindspot verify on the case`);
    }
    const text = buf.toString('utf8', 0, read);
    // The line was a JSON object when it was imported; anything else means the file is not what was hashed.
    const trimmed = text.trim();
    if (read !== length || !trimmed.startsWith('{') || !trimmed.endsWith('}')) {
      throw new CaseDataError(`record ${r.recordId}: ${where} is not the JSON record imported from it; the evidence file has changed: run blindspot verify on the case`);
    }
    return text;
  }

  close(): void {
    for (const fd of this.files.values()) closeSync(fd);
    this.files.clear();
  }
}

/** Runs `f` with a reader that is closed afterwards. */
export function withAuditData<T>(db: ReadableDB, f: (reader: AuditDataReader) => T): T {
  const reader = new AuditDataReader(db);
  try {
    return f(reader);
  } finally {
    reader.close();
  }
}
