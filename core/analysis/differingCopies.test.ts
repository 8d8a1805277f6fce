import { describe, expect, it } from 'vitest';
import { DIFFERING_COPIES_LISTED, differingCopyFindings } from './differingCopies.ts';
import type { DifferingCopy } from './differingCopies.ts';

const copy = (recordId: string, differs: Record<string, string | null>, line = 1): DifferingCopy => ({
  recordId,
  kept: { time: '2026-11-15T09:01:00.000Z', operation: 'MailItemsAccessed', user: 'alice@contoso.com', mailbox: 'alice@contoso.com', clientIp: '203.0.113.5', evidence: { sha256: 'a'.repeat(64), line: 1, element: null } },
  copy: { sha256: 'b'.repeat(64), line, element: null },
  differs,
});

describe('records received again saying otherwise', () => {
  it('is a high finding per record, citing the event, saying both sides and where each lies, with the look-up in the tenant', () => {
    const [f, ...rest] = differingCopyFindings([copy('id-1', { time: '2026-11-20T13:00:00.000Z', operation: 'HardDelete' }), copy('id-1', { user: 'mallory@evil.example' }, 7)]);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ id: 'differing-copy:id-1', severity: 'high', kind: 'differing-copy', mailbox: 'alice@contoso.com', evidence: ['event:id-1'] });
    expect(f!.title).toBe('Record id-1 was received again saying otherwise: time 2026-11-20T13:00:00.000Z, operation HardDelete');
    expect(f!.detail).toContain(`The case keeps the record first received under this Id: 2026-11-15T09:01:00.000Z MailItemsAccessed by alice@contoso.com on alice@contoso.com from 203.0.113.5 (evidence ${'a'.repeat(64)}, line 1). 2 later copies under the same Id say otherwise: time 2026-11-20T13:00:00.000Z, operation HardDelete (evidence ${'b'.repeat(64)}, line 1); user mallory@evil.example (evidence ${'b'.repeat(64)}, line 7).`);
    // The window searched spans both times, a minute either side.
    expect(f!.remediation).toContain("Search-UnifiedAuditLog -StartDate '2026-11-15T09:00:00.000Z' -EndDate '2026-11-20T13:01:00.000Z' -ResultSize 5000 | Where-Object Identity -eq 'id-1'");
  });

  it('lists at most so many records, and counts the rest in one finding', () => {
    const many = Array.from({ length: DIFFERING_COPIES_LISTED + 3 }, (_, i) => copy(`id-${i}`, { clientIp: '6.6.6.6' }));
    const out = differingCopyFindings(many);
    expect(out).toHaveLength(DIFFERING_COPIES_LISTED + 1);
    expect(out.at(-1)).toMatchObject({ id: 'differing-copy:more', title: '3 more records were received again saying otherwise' });
  });

  it('counts the records beyond those whose copies were read', () => {
    const out = differingCopyFindings([copy('id-1', { clientIp: '6.6.6.6' })], DIFFERING_COPIES_LISTED + 40);
    expect(out.map((f) => f.id)).toEqual(['differing-copy:id-1', 'differing-copy:more']);
    expect(out.at(-1)!.title).toBe(`${DIFFERING_COPIES_LISTED + 39} more records were received again saying otherwise`);
  });
});
