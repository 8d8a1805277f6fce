// Conformance over third-party sample files (read in place, never copied into the repository).
// Folder: $BLINDSPOT_THIRD_PARTY, default <repo>/../shared/fixtures/third-party.
//
// Panther's lower-cased exports (`creationtime`, `operation`, `recordtype`, …): imported, not rejected.
// The normaliser reads keys case-insensitively when a record lacks the canonical PascalCase names, so
// these records keep their time, operation, record type and IP; auditData keeps the keys as received.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AuditEvent, ParsedItem } from '../../core/model.ts';
import { createParser, detectFormat } from '../../core/formats/index.ts';

const ROOT = process.env.BLINDSPOT_THIRD_PARTY ?? resolve(import.meta.dirname, '../../../shared/fixtures/third-party');
const exists = existsSync(ROOT);
if (!exists) console.warn(`third-party conformance skipped: folder ${ROOT} not found (set BLINDSPOT_THIRD_PARTY to the sample folder)`);

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

function parseFile(rel: string): { format: string; items: ParsedItem[]; events: AuditEvent[]; rejects: string[] } {
  const text = readFileSync(join(ROOT, rel), 'utf8');
  const det = detectFormat(text.slice(0, 262_144), rel);
  if (!det.ok) throw new Error(`${rel}: ${det.reason}`);
  const p = createParser(det.format);
  const items = [...p.push(text), ...p.end()];
  return {
    format: det.format, items,
    events: items.flatMap((i) => (i.kind === 'event' ? [i.event] : [])),
    rejects: items.flatMap((i) => (i.kind === 'reject' ? [i.reason] : [])),
  };
}

describe.skipIf(!exists)('third-party samples', () => {
  const files = exists ? walk(ROOT).map((p) => relative(ROOT, p)).filter((p) => !p.endsWith('README.md')) : [];

  it('finds sample files', () => expect(files.length).toBeGreaterThan(0));

  it.each(files)('%s is detected and every record is accounted for', (rel) => {
    const r = parseFile(rel);
    expect(r.items.length).toBeGreaterThan(0);
    for (const ev of r.events) {
      expect(Number.isFinite(ev.timeMs)).toBe(true);
      expect(ev.recordId.length).toBeGreaterThan(0);
    }
    // the only sample record that is not an audit record is wazuh's module-internal event (checked below)
    expect(r.rejects.length).toBeLessThanOrEqual(1);
  });

  it('sekoia o365 tests: 73 records, MailItemsAccessed binds carry InternetMessageIds', () => {
    const r = parseFile('sekoia/o365_tests.inputs.extracted.jsonl');
    expect(r.format).toBe('ual-json');
    expect(r.events).toHaveLength(73);
    expect(r.rejects).toEqual([]);
    const binds = r.events.filter((e) => e.operation === 'MailItemsAccessed' && e.items.some((i) => i.accessType === 'Bind'));
    expect(binds.length).toBeGreaterThan(0);
    expect(binds.flatMap((e) => e.items).map((i) => i.internetMessageId)).toContain('<AM0PR07MB576312B164491AF0F9214C738DF6A@AM0PR07MB5763.eurprd07.prod.outlook.com>');
    expect(r.events.map((e) => e.clientIp)).toContain('fe80::');
  });

  it('panther exchange: Bind item with InternetMessageId and an IPv6 client address kept', () => {
    const r = parseFile('panther/audit.exchange_tests.inputs.extracted.jsonl');
    const mia = r.events.find((e) => e.operation === 'MailItemsAccessed');
    expect(mia).toMatchObject({ recordType: 50, clientIp: '2603:10b6:5:127::10', mailbox: 'user.name@companyinc.onmicrosoft.com' });
    expect(mia?.items).toEqual([{ folderPath: '\\Inbox', folderId: 'LgAAAAA9ZZACXA2SS4snUzsz2PhnAQC+FePgPVCNS4zd+2bYtItVAAAAAAEMAAAB', internetMessageId: '<13827bae-2713-4547-b29d-922bb368d28f@az.westus2.production.microsoft.com>', sizeBytes: null, accessType: 'Bind', subject: null }]);
  });

  it('panther lower-cased keys are read case-insensitively', () => {
    const r = parseFile('panther/microsoft_exchange_external_forwarding.tests.extracted.jsonl');
    expect(r.rejects).toEqual([]);
    expect(r.events).toHaveLength(10);
    expect(r.events[0]).toMatchObject({ recordId: '111-22-33', operation: 'Set-Mailbox', recordType: 1, clientIp: '1.2.3.4', mailbox: 'homer.simpson@simpsons.onmicrosoft.com', timeMs: Date.UTC(2022, 11, 12, 22, 19, 0) });
    expect(r.events[0]?.auditData.creationtime).toBe('2022-12-12 22:19:00');
  });

  it('techjollof formatted CSV: multi-line AuditData parses to 4 events with enum-name RecordTypes mapped', () => {
    const r = parseFile('techjollof/TestFormated.csv');
    expect(r.format).toBe('sual-csv');
    expect(r.events).toHaveLength(4);
    expect(r.events.map((e) => [e.recordType, e.recordTypeName, e.userType])).toEqual(Array(4).fill([1, 'ExchangeAdmin', 3]));
    expect(r.events.every((e) => e.auditDataText?.includes('\n'))).toBe(true);
  });

  it('techjollof flattened CSV: Parameters rebuilt, bracketed IPv6 with port normalised', () => {
    const r = parseFile('techjollof/TestExpand.csv');
    expect(r.events).toHaveLength(3);
    expect(r.events[0]?.clientIp).toBe('2603:10b6:8::12');
    expect(r.events[0]?.auditData.Parameters).toContainEqual({ Name: 'IncludeSoftDeletedMailbox', Value: 'True' });
  });

  it('techjollof SUAL JSON with nested AuditData objects', () => {
    for (const f of ['techjollof/Test2.json', 'techjollof/TestExpand.json']) {
      const r = parseFile(f);
      expect(r.format).toBe('sual-json');
      expect(r.events).toHaveLength(2);
      expect(r.events.every((e) => e.recordType === 1 && !e.idSynthetic)).toBe(true);
    }
  });

  it('elastic: string-typed RecordType and LogonType parsed; stringly OperationProperties decoded', () => {
    const edge = parseFile('elastic/test-exchange-item-edge-cases.json.event_original.extracted.jsonl');
    expect(edge.events.map((e) => [e.recordType, e.logonType, e.userType])).toEqual([[2, 0, 0], [2, 0, 0]]);
    const stringly = parseFile('elastic/test-stringly-json-events.json.event_original.extracted.jsonl');
    expect(stringly.events[0]?.auditData.OperationProperties).toEqual([{ Name: 'SystemArtifactType', Value: 'None' }]);
  });

  it('elastic AttachmentAccess (RecordType 50 sibling): Messages[].MessageItems[] become access items', () => {
    const r = parseFile('elastic/test-exchange-access-event.json.record1_AttachmentAccess.extracted.json');
    expect(r.events).toHaveLength(1);
    expect(r.events[0]?.operation).toBe('AttachmentAccess');
    expect(r.events[0]?.items.length).toBe(6);
    expect(r.events[0]?.items.every((i) => i.accessType === 'Bind')).toBe(true);
    expect(r.events[0]?.appId).toBe('abcdabcd-1234-12ab-1a2b-ad1234567890');
  });

  it('wazuh: records with no Operation still import; the collector-internal event is rejected with a reason', () => {
    const r = parseFile('wazuh/office365.ini.logs.extracted.jsonl');
    expect(r.events).toHaveLength(127);
    expect(r.events.filter((e) => e.operation === null).length).toBe(99);
    expect(r.events.map((e) => e.recordType)).toContain(0);
    expect(r.rejects).toEqual(['line 101: no CreationTime']);
  });
});
