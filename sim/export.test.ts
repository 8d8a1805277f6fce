import { describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { createScenario } from './scenario/index.ts';
import { purviewDate, writeScenarioExport } from './export.ts';
import { csvField } from '../core/csv.ts';

describe('purviewDate', () => {
  it('renders Purview CreationDate without leading zeros and with AM/PM', () => {
    expect(purviewDate('2023-09-20T04:05:03')).toBe('9/20/2023 4:05:03 AM');
    expect(purviewDate('2023-12-01T00:00:59')).toBe('12/1/2023 12:00:59 AM');
    expect(purviewDate('2023-12-01T12:30:00')).toBe('12/1/2023 12:30:00 PM');
    expect(purviewDate('2023-12-01T23:59:59')).toBe('12/1/2023 11:59:59 PM');
    expect(() => purviewDate('yesterday')).toThrow(/Unexpected CreationTime/);
  });
  it('quotes CSV fields only when needed and doubles quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line\r\nbreak')).toBe('"line\r\nbreak"');
  });
});

describe('writeScenarioExport', () => {
  it('writes JSONL, Purview CSV, config and licence files and the ground truth, all parseable and consistent', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'blindspot-export-'));
    try {
      const s = createScenario({ scenario: 'bec', seed: 5, now: new Date('2026-11-20T12:00:00Z') });
      const { files } = await writeScenarioExport(s, dir);
      const byKind = new Map(files.map((f) => [f.kind, f]));
      expect([...byKind.keys()].sort()).toEqual(['config-adminauditlog', 'config-bypass', 'config-inboxrule', 'config-licence', 'config-mailbox', 'config-organization', 'ground-truth', 'purview-csv', 'ual-jsonl']);

      const expected = [...s.recordsBetween(s.range.start.getTime(), s.range.end.getTime())];
      const lines = (await readFile(byKind.get('ual-jsonl')!.path, 'utf8')).split('\n');
      expect(lines.pop()).toBe('');
      expect(lines.length).toBe(expected.length);
      expect(byKind.get('ual-jsonl')!.records).toBe(expected.length);
      expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(expected);

      const csvText = await readFile(byKind.get('purview-csv')!.path, 'utf8');
      const rows = parse(csvText, { columns: true }) as Record<string, string>[];
      expect(Object.keys(rows[0]!)).toEqual(['RecordId', 'CreationDate', 'RecordType', 'Operation', 'UserId', 'AuditData', 'AssociatedAdminUnits', 'AssociatedAdminUnitsNames']);
      expect(rows.length).toBe(expected.length);
      rows.forEach((row, i) => {
        const rec = expected[i]!;
        expect(row.RecordId).toBe(rec.Id);
        expect(row.Operation).toBe(rec.Operation);
        expect(Number(row.RecordType)).toBe(rec.RecordType);
        expect(row.CreationDate).toBe(purviewDate(rec.CreationTime));
        expect(JSON.parse(row.AuditData!)).toEqual(rec); // quoting round-trips, including "\r\n" in OriginatingServer
      });
      expect(csvText).toContain('""Operation"":""MailItemsAccessed""');

      const mailboxes = JSON.parse(await readFile(byKind.get('config-mailbox')!.path, 'utf8')) as Record<string, unknown>[];
      expect(mailboxes).toEqual(s.tenant.mailboxes);
      expect(mailboxes[0]!['AuditOwner@odata.type']).toBe('#Collection(String)');
      const bypass = JSON.parse(await readFile(byKind.get('config-bypass')!.path, 'utf8')) as Record<string, unknown>[];
      expect(bypass.filter((b) => b.AuditBypassEnabled === true).map((b) => b.Identity)).toEqual(['svc-archive']);
      const org = JSON.parse(await readFile(byKind.get('config-organization')!.path, 'utf8')) as Record<string, unknown>;
      expect(org.AuditDisabled).toBe(false);
      const aal = JSON.parse(await readFile(byKind.get('config-adminauditlog')!.path, 'utf8')) as Record<string, unknown>;
      expect(aal.UnifiedAuditLogIngestionEnabled).toBe(true);
      const lic = JSON.parse(await readFile(byKind.get('config-licence')!.path, 'utf8')) as { value: { userPrincipalName: string; licenseDetails: { skuPartNumber: string }[]; licenseAssignmentStates: { assignedByGroup: string | null; state: string }[] }[] };
      expect(lic.value).toHaveLength(s.tenant.users.length);
      const diego = lic.value.find((u) => u.userPrincipalName.startsWith('diego.'))!;
      expect(diego.licenseAssignmentStates[0]!.assignedByGroup).toMatch(/^[0-9a-f-]{36}$/);
      expect(diego.licenseAssignmentStates[0]!.state).toBe('Error');
      const gt = JSON.parse(await readFile(byKind.get('ground-truth')!.path, 'utf8')) as unknown;
      expect(gt).toEqual(s.groundTruth());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a clear error when the directory cannot be written', async () => {
    const s = createScenario({ scenario: 'quiet', seed: 5, days: 2, now: new Date('2026-11-20T12:00:00Z') });
    const dir = await mkdtemp(join(tmpdir(), 'blindspot-export-'));
    try {
      const file = join(dir, 'a-file');
      await writeFile(file, 'not a directory');
      await expect(writeScenarioExport(s, join(file, 'out'))).rejects.toThrow(/ENOTDIR|EEXIST/);
      // a stream that fails mid-export rejects instead of hanging
      await mkdir(join(dir, 'out', 'unified-audit-log.jsonl'), { recursive: true });
      await expect(writeScenarioExport(s, join(dir, 'out'))).rejects.toThrow(/EISDIR/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
