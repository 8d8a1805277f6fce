// What an investigator would receive from a tenant admin: the unified audit log as JSON lines and as
// a Purview audit-search CSV, the audit-configuration cmdlets as ConvertTo-Json files, licences in
// Graph shape, plus the scenario's ground truth. Large outputs are streamed day by day with
// backpressure, so exporting the `large` scenario does not hold its records in memory.
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Scenario, UalRecord } from './scenario/types.ts';
import { csvField } from '../core/csv.ts';

export interface ExportedFile {
  path: string;
  kind: string;
  records: number;
}

/** Purview CreationDate: M/D/YYYY h:mm:ss AM|PM, UTC, no leading zeros on month, day and hour. */
export function purviewDate(creationTime: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/.exec(creationTime);
  if (!m) throw new Error(`Unexpected CreationTime "${creationTime}"`);
  const [, y, mo, d, h, mi, s] = m;
  const hour = Number(h);
  const h12 = hour % 12 === 0 ? 12 : hour % 12;
  return `${Number(mo)}/${Number(d)}/${y} ${h12}:${mi}:${s} ${hour < 12 ? 'AM' : 'PM'}`;
}

export const PURVIEW_CSV_HEADER = 'RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitsNames';

/** One record as a row of a Purview audit search CSV export (without its line end). */
export function purviewCsvRow(r: UalRecord): string {
  return [r.Id, purviewDate(r.CreationTime), String(r.RecordType), r.Operation, String(r.UserId ?? ''), JSON.stringify(r), '', '']
    .map(csvField).join(',');
}

/** Writes lines to a file, awaiting 'drain' when the stream's buffer is full. */
async function streamLines(path: string, header: string | null, lines: Iterable<string>): Promise<number> {
  const out = createWriteStream(path, { encoding: 'utf8' });
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  failed.catch(() => undefined);
  let n = 0;
  const write = async (s: string): Promise<void> => {
    if (!out.write(s)) await Promise.race([once(out, 'drain'), failed]);
  };
  try {
    if (header !== null) await write(`${header}\r\n`);
    for (const line of lines) {
      await write(line);
      n++;
    }
    out.end();
    await Promise.race([once(out, 'finish'), failed]);
  } catch (e) {
    out.destroy();
    throw e;
  }
  return n;
}

/** ConvertTo-Json style output (4-space indent is PowerShell 7's; 2 spaces reads the same). */
async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\r\n`, 'utf8');
}

export async function writeScenarioExport(scenario: Scenario, dir: string): Promise<{ files: ExportedFile[] }> {
  await mkdir(dir, { recursive: true });
  const files: ExportedFile[] = [];
  const start = scenario.range.start.getTime();
  const end = scenario.range.end.getTime();
  const t = scenario.tenant;

  const jsonl = join(dir, 'unified-audit-log.jsonl');
  const n1 = await streamLines(jsonl, null, (function* () {
    for (const r of scenario.recordsBetween(start, end)) yield `${JSON.stringify(r)}\n`;
  })());
  files.push({ path: jsonl, kind: 'ual-jsonl', records: n1 });

  const csv = join(dir, 'purview-audit-search.csv');
  const n2 = await streamLines(csv, PURVIEW_CSV_HEADER, (function* () {
    for (const r of scenario.recordsBetween(start, end)) yield `${purviewCsvRow(r)}\r\n`;
  })());
  files.push({ path: csv, kind: 'purview-csv', records: n2 });

  const configs: [string, string, unknown, number][] = [
    ['Get-Mailbox.json', 'config-mailbox', t.mailboxes, t.mailboxes.length],
    ['Get-MailboxAuditBypassAssociation.json', 'config-bypass', t.bypassAssociations, t.bypassAssociations.length],
    ['Get-OrganizationConfig.json', 'config-organization', t.organizationConfig, 1],
    ['Get-AdminAuditLogConfig.json', 'config-adminauditlog', t.adminAuditLogConfig, 1],
  ];
  for (const [name, kind, value, count] of configs) {
    const p = join(dir, name);
    await writeJson(p, value);
    files.push({ path: p, kind, records: count });
  }

  // Graph: one entry per user with their licenseDetails and licenseAssignmentStates.
  const byUser = new Map<string, { id: string; userPrincipalName: string; licenseDetails: unknown[]; licenseAssignmentStates: unknown[] }>();
  for (const u of t.users) byUser.set(u.id, { id: u.id, userPrincipalName: u.userPrincipalName, licenseDetails: [], licenseAssignmentStates: [] });
  for (const l of t.licences) {
    const u = byUser.get(l.userId);
    if (!u) continue;
    u.licenseDetails.push({ id: `${l.skuId}_${l.userId}`, skuId: l.skuId, skuPartNumber: l.skuPartNumber, servicePlans: l.servicePlans });
    u.licenseAssignmentStates.push({ assignedByGroup: l.assignedByGroup, disabledPlans: [], error: l.error ?? 'None', skuId: l.skuId, state: l.state, lastUpdatedDateTime: scenario.range.end.toISOString() });
  }
  const lic = join(dir, 'licences.json');
  await writeJson(lic, { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users(id,userPrincipalName,licenseDetails,licenseAssignmentStates)', value: [...byUser.values()], subscribedSkus: t.subscribedSkus });
  files.push({ path: lic, kind: 'config-licence', records: t.licences.length });

  const rules = join(dir, 'Get-InboxRule.json');
  const ruleRows = Object.values(t.inboxRules).flat();
  await writeJson(rules, ruleRows);
  files.push({ path: rules, kind: 'config-inboxrule', records: ruleRows.length });

  const gt = join(dir, 'ground-truth.json');
  await writeJson(gt, scenario.groundTruth());
  files.push({ path: gt, kind: 'ground-truth', records: 1 });
  return { files };
}
