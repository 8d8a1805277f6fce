// Configuration snapshots (Get-Mailbox, bypass associations, organisation and admin audit log config,
// licences), each tied to the time it describes and the evidence it came from.
import type { ConfigKind, ConfigRecord } from '../core/model.ts';
import type { WritableDB } from './database.ts';

export type AsOfSource = 'option' | 'file-mtime' | 'acquisition';

export class SnapshotWriter {
  private readonly db: WritableDB;
  private readonly evidenceId: number;
  private readonly runId: number;
  private readonly asOf: string;
  private readonly asOfSource: AsOfSource;
  private readonly snapshots = new Map<ConfigKind, number>();
  private readonly insertRow;

  constructor(db: WritableDB, evidenceId: number, runId: number, asOf: string, asOfSource: AsOfSource) {
    this.db = db;
    this.evidenceId = evidenceId;
    this.runId = runId;
    this.asOf = asOf;
    this.asOfSource = asOfSource;
    this.insertRow = db.prepare(
      'INSERT INTO config_rows (snapshot_id, kind, identity, value_json, raw_json, loc_line) VALUES (?, ?, ?, ?, ?, ?)',
    );
  }

  private snapshotId(kind: ConfigKind): number {
    let id = this.snapshots.get(kind);
    if (id === undefined) {
      const info = this.db
        .prepare('INSERT INTO config_snapshots (kind, as_of, as_of_source, evidence_id, import_run_id) VALUES (?, ?, ?, ?, ?)')
        .run(kind, this.asOf, this.asOfSource, this.evidenceId, this.runId);
      id = Number(info.lastInsertRowid);
      this.snapshots.set(kind, id);
    }
    return id;
  }

  write(c: ConfigRecord, line: number | null): void {
    this.insertRow.run(this.snapshotId(c.kind), c.kind, configIdentity(c), JSON.stringify(c.value), JSON.stringify(c.raw), line);
  }

  kinds(): ConfigKind[] {
    return [...this.snapshots.keys()];
  }
}

export function configIdentity(c: ConfigRecord): string | null {
  switch (c.kind) {
    case 'mailbox':
      return c.value.userPrincipalName ?? c.value.primarySmtpAddress ?? c.value.identity;
    case 'bypass':
      return c.value.identity ?? c.value.name;
    case 'licence':
      return c.value.userPrincipalName;
    case 'organization':
      return c.value.name;
    case 'adminAuditLog':
      return null;
    case 'inboxRule':
      return c.value.mailbox;
  }
}
