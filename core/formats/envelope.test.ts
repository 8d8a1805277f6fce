import { describe, expect, it } from 'vitest';
import { parseText } from './index.ts';

// Search-UnifiedAuditLog and Search-MailboxAuditLog pages as the Exchange admin API returns them (§4.4).
const envelope = (value: unknown[]): string => JSON.stringify({
  '@odata.context': 'https://outlook.office365.com/adminapi/beta/contoso.onmicrosoft.com/$metadata#Collection(Exchange.GenericHashTable)',
  'adminapi.warnings@odata.type': '#Collection(String)', '@adminapi.warnings': [], value,
});

describe('OData envelopes of Exchange admin API pages', () => {
  it('sual-json: every row of the page is a record, located by its index', () => {
    const ad = (id: string): string => JSON.stringify({ Id: id, CreationTime: '2026-05-01T10:00:00', RecordType: 2, Operation: 'Send', UserId: 'alex@contoso.com', Workload: 'Exchange' });
    const rows = ['a1', 'a2'].map((id, i) => ({ RecordType: 'ExchangeItem', CreationDate: '2026-05-01T10:00:00', UserIds: 'alex@contoso.com', Operations: 'Send', AuditData: ad(id), ResultIndex: i + 1, ResultCount: 2, Identity: id }));
    const items = parseText('sual-json', envelope(rows));
    expect(items.map((x) => x.kind)).toEqual(['event', 'event']);
    expect(items.map((x) => (x.kind === 'event' ? x.event.recordId : null))).toEqual(['a1', 'a2']);
    expect(items[1]!.loc.offset).toBe(1);
    expect(parseText('sual-json', envelope([]))).toEqual([]);
  });
  it('mailbox-audit-json: rows of a Search-MailboxAuditLog page', () => {
    const row = { Operation: 'MailItemsAccessed', OperationResult: 'Succeeded', LogonType: 'Owner', MailboxOwnerUPN: 'alex@contoso.com', LastAccessed: '2026-05-01T10:00:00', Identity: 'x1', ClientIPAddress: '203.0.113.5' };
    const items = parseText('mailbox-audit-json', envelope([row]));
    expect(items).toHaveLength(1);
    expect(items[0]!.kind).toBe('event');
  });
  it('a bare object without an OData context is still read as one record', () => {
    const items = parseText('sual-json', JSON.stringify({ value: [] }));
    expect(items[0]!.kind).toBe('reject');
  });
});
