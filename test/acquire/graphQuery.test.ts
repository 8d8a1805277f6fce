// The pieces of acquire/graph.ts that decide whether a query an earlier attempt created is this slice's:
// which stored answers name a query, and whether the query the service returns is the slice's own.
import { describe, expect, it } from 'vitest';
import { auditQueryIdOf, queryBody, queryMismatch } from '../../acquire/graph.ts';
import type { SliceJob } from '../../acquire/collect.ts';

const BASE = 'https://graph.microsoft.com/beta/security/auditLog/queries';
const ID = '168ec429-084b-a489-90d8-504a87846305';
const JOB: SliceJob = {
  ledgerId: 1, source: 'graph', startMs: Date.parse('2024-05-01T00:00:00Z'), endMs: Date.parse('2024-05-02T00:00:00Z'),
  query: { recordTypeFilters: ['exchangeItem', 'exchangeItemAggregated'], operationFilters: ['MailItemsAccessed'], userPrincipalNameFilters: ['alex@contoso.com'] },
};

describe('auditQueryIdOf', () => {
  it.each([
    ['the create (201)', { method: 'POST', url: BASE }, 201, { id: ID, status: 'notStarted' }, ID],
    ['a get of that query (200)', { method: 'GET', url: `${BASE}/${ID}` }, 200, { id: ID, status: 'running' }, ID],
    ['a get answered 404', { method: 'GET', url: `${BASE}/${ID}` }, 404, { error: { code: 'NotFound', message: '' } }, null],
    ['a get answered with another id', { method: 'GET', url: `${BASE}/${ID}` }, 200, { id: 'other' }, null],
    ['a records page', { method: 'GET', url: `${BASE}/${ID}/records?$top=1000` }, 200, { value: [] }, null],
    ['the list of queries', { method: 'GET', url: BASE }, 200, { value: [{ id: ID }] }, null],
    ['a Management API listing', { method: 'GET', url: 'https://manage.office.com/api/v1.0/t/activity/feed/subscriptions/content' }, 200, [], null],
    ['a create without an id', { method: 'POST', url: BASE }, 201, { status: 'notStarted' }, null],
  ])('%s', (_what, request, status, body, want) => {
    expect(auditQueryIdOf(request, status, body)).toBe(want);
  });
});

describe('queryMismatch', () => {
  const echo = (): Record<string, unknown> => ({ id: ID, status: 'running', ...queryBody(JOB) });
  it('accepts the service\'s echo of the slice\'s create body, whatever its date format, enum case or filter order', () => {
    expect(queryMismatch(echo(), JOB)).toBeNull();
    expect(queryMismatch({ ...echo(), filterStartDateTime: '2024-05-01T00:00:00.0000000Z', recordTypeFilters: ['ExchangeItemAggregated', 'ExchangeItem'], keywordFilter: '', ipAddressFilters: [] }, JOB)).toBeNull();
  });
  it.each([
    ['other bounds (a slice since split)', { filterEndDateTime: '2024-05-01T12:00:00Z' }, /filterEndDateTime/],
    ['another operation', { operationFilters: ['Send'] }, /operationFilters/],
    ['another user', { userPrincipalNameFilters: [] }, /userPrincipalNameFilters/],
    ['a keyword the slice has not', { keywordFilter: 'invoice' }, /keywordFilter/],
    ['no filter dates at all', { filterStartDateTime: undefined }, /filterStartDateTime/],
  ])('refuses a query with %s', (_what, change, why) => {
    expect(queryMismatch({ ...echo(), ...change }, JOB)).toMatch(why);
  });
});
