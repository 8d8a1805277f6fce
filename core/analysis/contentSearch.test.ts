import { describe, expect, it } from 'vitest';
import { contentSearches, searchReaches } from './contentSearch.ts';
import type { ContentSearch } from './contentSearch.ts';
import { contentSearchesForExposure } from './exposure.ts';
import { IdentityResolver } from './identity.ts';
import { parseParameterString, toChangeRecord } from './records.ts';
import { H, T0, mailbox } from './testkit.ts';
import type { ChangeRecord } from './types.ts';

const MEG = 'megan.bowen@contoso.com';
const ADELE = 'adele.vance@contoso.com';
const PATTI = 'adm.patti@contoso.com';

let seq = 0;
/** A Security & Compliance cmdlet record (RecordType 18): Parameters is one string. */
function scc(operation: string, timeMs: number, objectId: string, parameters: string, over: Record<string, unknown> = {}): ChangeRecord {
  const id = `scc-${++seq}`;
  const data = { CreationTime: new Date(timeMs).toISOString().slice(0, 19), Id: id, Operation: operation, RecordType: 18, ResultStatus: 'True', UserId: PATTI, Workload: 'SecurityComplianceCenter', ObjectId: objectId, ClientIP: '203.0.113.91', Parameters: parameters, ...over };
  return toChangeRecord({ recordId: id, timeMs, operation, recordType: 18, userId: PATTI, userType: 2, mailbox: null, objectId, clientIp: '203.0.113.91', resultStatus: String(data.ResultStatus), auditData: JSON.stringify(data) });
}

function resolver(): IdentityResolver {
  const r = new IdentityResolver();
  for (const upn of [MEG, ADELE, PATTI]) r.addMailbox(mailbox(upn));
  return r;
}

describe('parseParameterString (Security & Compliance records carry the command line)', () => {
  it.each([
    ['-Name "Search 1" -ExchangeLocation "All"', [['Name', 'Search 1'], ['ExchangeLocation', 'All']]],
    ['-ContentMatchQuery "invoice OR \\"bank details\\"" -Export', [['ContentMatchQuery', 'invoice OR "bank details"'], ['Export', 'True']]],
    ['-Export -Format "FxStream" -Scope IndexedItemsOnly', [['Export', 'True'], ['Format', 'FxStream'], ['Scope', 'IndexedItemsOnly']]],
    ["-ExchangeLocation 'a@contoso.com', 'b@contoso.com' -Confirm:$false", [['ExchangeLocation', 'a@contoso.com,b@contoso.com'], ['Confirm', '$false']]],
    ['-Query "it""s" -Other `"x`"', [['Query', 'it"s'], ['Other', '`"x`"']]],
    ['New-ComplianceSearch -Name x', [['Name', 'x']]],
    ['-Limit -1', [['Limit', '-1']]],
    ['', []],
  ])('%s', (text, want) => {
    expect([...parseParameterString(text)]).toEqual(want);
  });

  it('change records read a string Parameters with it, an array Parameters as before', () => {
    expect(scc('New-ComplianceSearch', T0, 'S', '-Name "S" -ExchangeLocation "All"').parameters.get('ExchangeLocation')).toBe('All');
  });
});

describe('contentSearches', () => {
  it('joins definition, start and export of one search (names case-insensitive), in time order', () => {
    const recs = [
      scc('New-ComplianceSearchAction', T0 + 2 * H, 's1_Export', '-SearchName "S1" -Export -Format "FxStream"'),
      scc('New-ComplianceSearch', T0, 'S1', '-Name "S1" -ExchangeLocation "All" -ContentMatchQuery "invoice OR wire"'),
      scc('Start-ComplianceSearch', T0 + 60_000, 'S1', '-Identity "s1"'),
    ];
    const [s, ...rest] = contentSearches(recs, resolver());
    expect(rest).toEqual([]);
    expect(s).toMatchObject({ name: 'S1', scope: 'all', locations: ['All'], mailboxes: [], query: 'invoice OR wire' });
    expect([s!.records[0]!.timeMs, s!.records.at(-1)!.timeMs]).toEqual([T0, T0 + 2 * H]);
    expect(s!.records.map((r) => [r.operation, r.action ?? null, r.ip])).toEqual([
      ['New-ComplianceSearch', null, '203.0.113.91'], ['Start-ComplianceSearch', null, '203.0.113.91'], ['New-ComplianceSearchAction', 'export', '203.0.113.91'],
    ]);
  });

  it('named locations resolve to mailboxes (alias or UPN); Set-ComplianceSearch adds and removes; exclusions apply to All', () => {
    const named = contentSearches([
      scc('New-ComplianceSearch', T0, 'N', '-Name "N" -ExchangeLocation "megan.bowen","adele.vance@contoso.com"'),
      scc('Set-ComplianceSearch', T0 + H, 'N', '-Identity "N" -RemoveExchangeLocation "adele.vance@contoso.com" -AddExchangeLocation "adm.patti"'),
    ], resolver())[0]!;
    expect(named).toMatchObject({ scope: 'named', mailboxes: [PATTI, MEG] });
    expect([MEG, ADELE, PATTI].map((m) => searchReaches(named, m))).toEqual([true, false, true]);
    const allBut = contentSearches([scc('New-ComplianceSearch', T0, 'A', '-Name "A" -ExchangeLocation All -ExchangeLocationExclusion "megan.bowen"')], resolver())[0]!;
    expect([MEG, ADELE].map((m) => searchReaches(allBut, m))).toEqual([false, true]);
  });

  it('a search seen only in its export has an unknown scope that reaches any mailbox; failed commands are left out', () => {
    const failed = scc('New-ComplianceSearch', T0, 'X', '-Name "X" -ExchangeLocation "megan.bowen"', { ResultStatus: 'False' });
    const [s] = contentSearches([failed, scc('New-ComplianceSearchAction', T0 + H, 'X_Preview', '-SearchName "X" -Preview')], resolver());
    expect(s).toMatchObject({ scope: 'unknown', locations: [] });
    expect(s!.records.map((r) => r.action)).toEqual(['preview']);
    expect(searchReaches(s!, ADELE)).toBe(true);
  });
});

describe('a search whose definition is not in the case', () => {
  it('adding a location to it leaves its scope unknown: it reaches every mailbox, not only the one added', () => {
    const [s] = contentSearches([
      scc('Set-ComplianceSearch', T0, 'U', '-Identity "U" -AddExchangeLocation "megan.bowen"'),
      scc('Start-ComplianceSearch', T0 + H, 'U', '-Identity "U"'),
    ], resolver());
    expect(s).toMatchObject({ name: 'U', scope: 'unknown', mailboxes: [] });
    expect([MEG, ADELE, PATTI].map((m) => searchReaches(s!, m))).toEqual([true, true, true]);
    expect(contentSearchesForExposure([s!], ADELE, T0, T0 + 24 * H).map((c) => [c.name, c.scope])).toEqual([['U', 'unknown']]);
  });
});

describe('contentSearchesForExposure', () => {
  const searches = (): ContentSearch[] => contentSearches([
    scc('New-ComplianceSearch', T0, 'All1', '-Name "All1" -ExchangeLocation "All"'),
    scc('Start-ComplianceSearch', T0 + 60_000, 'All1', '-Identity "All1"'),
    scc('New-ComplianceSearchAction', T0 + 2 * H, 'All1_Export', '-SearchName "All1" -Export'),
    scc('New-ComplianceSearch', T0 + 3 * H, 'Meg', '-Name "Meg" -ExchangeLocation "megan.bowen"'),
  ], resolver());

  it('states every search that could reach the mailbox in the time range, with who, when, where from and its records', () => {
    const meg = contentSearchesForExposure(searches(), MEG, T0, T0 + 24 * H);
    expect(meg.map((c) => [c.name, c.scope, c.actions, c.contentRead, c.actors, c.ips, c.evidence.length])).toEqual([
      ['All1', 'all', ['export'], true, [PATTI], ['203.0.113.91'], 3],
      ['Meg', 'named', [], false, [PATTI], ['203.0.113.91'], 1],
    ]);
    expect(meg[0]!.statement).toMatch(/may have been exported; the item list cannot show them\. Mailbox audit \(MailItemsAccessed\) does not record/);
    expect(meg[0]!.statement).toContain(`${PATTI} ran New-ComplianceSearchAction (export) at ${new Date(T0 + 2 * H).toISOString()} from 203.0.113.91`);
    // Adele is reached only by the search over All.
    expect(contentSearchesForExposure(searches(), ADELE, T0, T0 + 24 * H).map((c) => c.name)).toEqual(['All1']);
  });

  it('only records inside the range count: a range that ends before the export shows the search without it', () => {
    const early = contentSearchesForExposure(searches(), ADELE, T0, T0 + H);
    expect(early.map((c) => [c.name, c.actions, c.contentRead, c.evidence.length])).toEqual([['All1', [], false, 2]]);
    expect(contentSearchesForExposure(searches(), ADELE, T0 + 4 * H, T0 + 24 * H)).toEqual([]);
  });
});
