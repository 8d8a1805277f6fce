// verify --records: the case database's events against the evidence files they were read from.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonl, mailItemsAccessed } from '../test/helpers/records.ts';
import { useTmp } from '../test/helpers/tmp.ts';
import { PURVIEW_CSV_HEADER, purviewCsvRow } from '../sim/export.ts';
import type { UalRecord } from '../sim/scenario/types.ts';
import { exportBundle, verify } from './bundle.ts';
import { createCase, openCase } from './caseFolder.ts';
import { UsageError } from './errors.ts';
import { importFile } from './import.ts';

const tmp = useTmp('bs-records-');

/**
 * A case of every shape a record reaches the database in: JSON lines (AuditData read from the file, access
 * items), a JSON array (each record an element), a Purview CSV (AuditData kept in the database), a
 * Search-MailboxAuditLog CSV read day first, an import that left a record out, copies (one that differs).
 */
async function mixedCase(): Promise<string> {
  const dir = join(tmp(), 'case');
  const h = createCase(dir, { name: 'records', examiner: 't' });
  const lines = join(tmp(), 'a.jsonl');
  writeFileSync(lines, jsonl([0, 1, 2].map((i) => mailItemsAccessed(i, { id: `l-${i}` }))));
  const array = join(tmp(), 'b.json');
  writeFileSync(array, JSON.stringify([mailItemsAccessed(5, { id: 'arr-0' }), mailItemsAccessed(6, { id: 'l-1' }), { ...mailItemsAccessed(7, { id: 'l-2' }), UserId: 'mallory@evil.example' }]));
  const csv = join(tmp(), 'c.csv');
  writeFileSync(csv, `${PURVIEW_CSV_HEADER}\r\n${[10, 11].map((i) => purviewCsvRow(mailItemsAccessed(i, { id: `csv-${i}` }) as unknown as UalRecord)).join('\r\n')}\r\n`);
  const mbx = join(tmp(), 'd.csv');
  writeFileSync(mbx, '"Operation";"OperationResult";"LogonType";"MailboxOwnerUPN";"LogonUserDisplayName";"LastAccessed";"ClientIPAddress"\r\n'
    + '"HardDelete";"Succeeded";"Delegate";"dave@contoso.com";"Mallory";"03/04/2026 10:00:00";"198.51.100.1"\r\n"HardDelete";"Succeeded";"Delegate";"dave@contoso.com";"Mallory";"25/04/2026 10:00:00";"198.51.100.1"\r\n');
  const bad = join(tmp(), 'e.jsonl');
  writeFileSync(bad, `${JSON.stringify(mailItemsAccessed(20, { id: 'e-1' }))}\nnot json\n`);
  await importFile(h, lines);
  await importFile(h, array);
  await importFile(h, csv);
  await importFile(h, mbx, { dateOrder: 'dmy' });
  await importFile(h, bad, { skipBad: true });
  await importFile(h, lines); // again: copies only
  h.close();
  return dir;
}

/** Changes the case database as `sql` says, outside Blindspot (foreign keys off, as the sqlite3 shell has them). */
function tamper(dir: string, sql: string): void {
  const h = openCase(dir);
  h.db.pragma('foreign_keys = OFF');
  h.db.exec(sql);
  h.close();
}

describe('verify --records', () => {
  it('finds every event of a case to be the record it cites, whatever file it came from, and counts them', async () => {
    const dir = await mixedCase();
    const r = await verify(dir, undefined, undefined, { records: true });
    expect(r.problems).toEqual([]);
    expect(r.intact).toBe(true);
    expect(r.records).toEqual({ files: 5, events: 3 + 1 + 2 + 2 + 1, notCompared: 0 });
  });

  it('names an event whose fields, AuditData or access items were changed in the database, one deleted, one added, and a left-out record forgotten', async () => {
    const dir = await mixedCase();
    tamper(dir, `
      UPDATE events SET client_ip = '10.0.0.1', user_id = 'someone@else.example' WHERE record_id = 'l-0';
      UPDATE event_data SET audit_data = replace(audit_data, 'alex@contoso.com', 'eve@contoso.com') WHERE event_id = (SELECT id FROM events WHERE record_id = 'csv-10');
      UPDATE access_items SET internet_message_id = '<forged@contoso.com>' WHERE rowid = (SELECT min(rowid) FROM access_items WHERE event_id = (SELECT id FROM events WHERE record_id = 'l-1'));
      DELETE FROM events WHERE record_id = 'arr-0';
      INSERT INTO events (record_id, time_ms, operation, evidence_id, loc_line, import_run_id) SELECT 'planted', 0, 'HardDelete', evidence_id, 99, import_run_id FROM events WHERE record_id = 'l-2';
      DELETE FROM rejected_lines;
    `);
    const r = await verify(dir, undefined, undefined, { records: true });
    expect(r.intact).toBe(false);
    const said = r.problems.map((p) => `${p.kind} ${p.detail}`);
    // (its access items carry the event's IP: they differ too)
    expect(said).toContainEqual('record line 1: event "l-0" in the case database differs from the record it was read from: user "someone@else.example" (the file: "alex@contoso.com"); client IP "10.0.0.1" (the file: "203.0.113.154"); its access items');
    expect(said).toContainEqual('record line 2: event "csv-10" in the case database differs from the record it was read from: its AuditData');
    expect(said).toContainEqual('record line 2: event "l-1" in the case database differs from the record it was read from: its access items');
    expect(said).toContainEqual('record line 1, element 0: record "arr-0" ("MailItemsAccessed") is in the file but neither an event of the case database nor a counted copy of one');
    expect(said).toContainEqual('record line 99: the case database holds event "planted" ("HardDelete") as read from here, but the file holds no such record there');
    expect(said).toContainEqual('record 1 of its records cannot be read; the case database records 0 left out by its import');
    expect(said).toHaveLength(6);
  });

  it('compares nothing when an evidence file itself is not as received, and refuses a bundle', async () => {
    const dir = await mixedCase();
    tamper(dir, "UPDATE evidence SET sha256 = '00' || substr(sha256, 3) WHERE id = 1");
    const r = await verify(dir, undefined, undefined, { records: true });
    expect(r.intact).toBe(false);
    expect(r.records).toBeUndefined();
    expect(r.notes).toContainEqual({ path: 'case.sqlite', detail: expect.stringMatching(/^its records were not compared with the evidence files: .* must be put right first$/) });
    const out = join(tmp(), 'b.zip');
    const fresh = await mixedCase();
    await exportBundle(fresh, out);
    await expect(verify(out, undefined, undefined, { records: true })).rejects.toBeInstanceOf(UsageError);
  });
});
