// Exchange admin API conformance (§4): envelope, OData paging by POSTing the same body to nextLink,
// Search-UnifiedAuditLog sessions and caps, parameter errors in the §4.6 body, 401/403, Search-MailboxAuditLog.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSim, type TestSim } from './testHelpers.ts';
import { createTestScenario } from './testScenario.ts';

let t: TestSim;
// 3 days x 48 records ending 2026-11-10T12:00Z: days 8 and 9 complete (96) + 24 on day 10 = 120 records
beforeAll(async () => { t = await startTestSim(); });
afterAll(async () => { await t.close(); });

type Env = { value: Record<string, unknown>[]; '@odata.nextLink'?: string; '@odata.context': string; '@adminapi.warnings': string[] };

async function invoke(cmdlet: string, params: Record<string, unknown>, opts: { client?: string; pageSize?: number; url?: string } = {}) {
  const tok = await t.token(opts.client ?? 'secret', 'exchange');
  const headers: Record<string, string> = { Authorization: `Bearer ${tok}` };
  if (opts.pageSize) headers.Prefer = `odata.maxpagesize=${opts.pageSize}`;
  return t.post(opts.url ?? `${t.sim.exoBase}/${t.sim.tenantId}/InvokeCommand`, { CmdletInput: { CmdletName: cmdlet, Parameters: params } }, { headers });
}
async function ok(cmdlet: string, params: Record<string, unknown>, opts: { client?: string; pageSize?: number; url?: string } = {}): Promise<Env> {
  const r = await invoke(cmdlet, params, opts);
  expect(r.status, await r.clone().text()).toBe(200);
  return (await r.json()) as Env;
}
/** Follows @odata.nextLink by POSTing the same body, as the module does. */
async function all(cmdlet: string, params: Record<string, unknown>, pageSize: number) {
  const rows: Record<string, unknown>[] = [];
  let env = await ok(cmdlet, params, { pageSize });
  rows.push(...env.value);
  let pages = 1;
  while (env['@odata.nextLink']) {
    env = await ok(cmdlet, params, { pageSize, url: env['@odata.nextLink'] });
    rows.push(...env.value);
    pages++;
  }
  return { rows, pages };
}

const WINDOW = { StartDate: '2026-11-08T00:00:00', EndDate: '2026-11-11T00:00:00' };

describe('envelope and errors', () => {
  it('answers with the OData envelope and headers', async () => {
    const r = await invoke('Get-OrganizationConfig', {});
    expect(r.headers.get('odata-version')).toBe('4.0');
    expect(r.headers.get('content-type')).toMatch(/^application\/json;odata\.metadata=minimal/);
    const j = (await r.json()) as Record<string, unknown>;
    expect(Object.keys(j)).toEqual(['@odata.context', 'adminapi.warnings@odata.type', '@adminapi.warnings', 'value']);
    expect(j['@odata.context']).toBe(`${t.sim.exoBase}/${t.sim.tenantId}/$metadata#Collection(Exchange.GenericHashTable)`);
    expect((j.value as Record<string, unknown>[])[0]!.AuditDisabled).toBe(false);
  });
  it('unknown cmdlet and unknown parameter give 400 with the §4.6 body', async () => {
    const r1 = await invoke('Get-Nothing', {});
    expect(r1.status).toBe(400);
    const b1 = (await r1.json()) as { error: { details: { message: string }[]; innererror: { internalexception: { type: string } } } };
    expect(b1.error.innererror.internalexception.type).toBe('System.Management.Automation.CommandNotFoundException');
    expect(b1.error.details[0]!.message).toMatch(/^Ex[0-9A-F]+\|System\.Management\.Automation\.CommandNotFoundException\|/);
    const r2 = await invoke('Get-Mailbox', { Bogus: 1 });
    expect(r2.status).toBe(400);
    expect(JSON.stringify(await r2.json())).toMatch(/AmbiguousParameterSetException.*Bogus/);
  });
  it('401 without the app role, 403 with the role but no directory role, both in the §4.6 shape', async () => {
    const r401 = await invoke('Get-OrganizationConfig', {}, { client: 'no-permissions' });
    expect(r401.status).toBe(401);
    expect(r401.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(((await r401.json()) as { error: { code: string } }).error.code).toBe('Unauthorized');
    const r403 = await invoke('Get-OrganizationConfig', {}, { client: 'exchange-no-role' });
    expect(r403.status).toBe(403);
    expect(((await r403.json()) as { error: { innererror: { message: string } } }).error.innererror.message).toMatch(/directory role/);
  });
  it('a Graph token is refused (wrong audience)', async () => {
    const g = await t.token('secret', 'graph');
    const r = await t.post(`${t.sim.exoBase}/${t.sim.tenantId}/InvokeCommand`, { CmdletInput: { CmdletName: 'Get-Mailbox', Parameters: {} } }, { headers: { Authorization: `Bearer ${g}` } });
    expect(r.status).toBe(401);
  });
});

describe('Search-UnifiedAuditLog', () => {
  it('keeps a bounded number of live sessions: the least recently used expires and starts over', async () => {
    const first = (env: Env) => Number(env.value[0]?.ResultIndex);
    const call = (id: string) => ok('Search-UnifiedAuditLog', { ...WINDOW, SessionId: id, SessionCommand: 'ReturnLargeSet', ResultSize: 1 });
    expect(first(await call('lru-old'))).toBe(1);
    for (let i = 0; i < 12; i++) await call(`lru-${i}`);
    expect(first(await call('lru-11'))).toBe(2); // still live: continues
    expect(first(await call('lru-old'))).toBe(1); // expired: a new session from the start
  });

  it('a ReturnLargeSet session returns every record once with cumulative ResultIndex and ResultCount', async () => {
    const ids = new Set<string>();
    const indexes: number[] = [];
    let count = 0;
    for (let call = 0; call < 10; call++) {
      const { rows } = await all('Search-UnifiedAuditLog', { ...WINDOW, SessionId: 'large-1', SessionCommand: 'ReturnLargeSet', ResultSize: 50 }, 20);
      if (rows.length === 0) break;
      for (const r of rows) { ids.add(String(r.Identity)); indexes.push(Number(r.ResultIndex)); count = Number(r.ResultCount); }
    }
    expect(count).toBe(120);
    expect(ids.size).toBe(120);
    expect(indexes).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
  });
  it('rows have the §4.8 shape with AuditData as a JSON string', async () => {
    const env = await ok('Search-UnifiedAuditLog', { ...WINDOW, ResultSize: 1, RecordType: 'ExchangeItemAggregated' });
    const row = env.value[0]!;
    expect(row.RecordType).toBe('ExchangeItemAggregated');
    expect(row['ResultIndex@data.type']).toBe('System.Int32');
    const ad = JSON.parse(String(row.AuditData)) as Record<string, unknown>;
    expect(ad.RecordType).toBe(50);
    expect(ad.CreationTime).not.toMatch(/Z$/);
    expect(row.Identity).toBe(ad.Id);
  });
  it('filters by RecordType name, Operations, UserIds and FreeText; accepts dates without Z and US dates', async () => {
    const scenario = createTestScenario();
    const expected = [...scenario.recordsBetween(Date.parse('2026-11-08T00:00:00Z'), Date.parse('2026-11-11T00:00:00Z'))]
      .filter((r) => r.Operation === 'Send' && r.UserId === `megan@${t.sim.tenantDomain}`).map((r) => r.Id).sort();
    expect(expected.length).toBeGreaterThan(0);
    const env = await ok('Search-UnifiedAuditLog', { StartDate: '11/8/2026', EndDate: '11/11/2026 12:00 AM', RecordType: 'ExchangeItem', Operations: ['Send'], UserIds: [`MEGAN@${t.sim.tenantDomain}`], ResultSize: 5000 });
    expect(env.value.map((r) => String(r.Identity)).sort()).toEqual(expected);
    const free = await ok('Search-UnifiedAuditLog', { ...WINDOW, FreeText: 'svc-archive', ResultSize: 5000, HighCompleteness: true });
    expect(free.value.length).toBeGreaterThan(0);
    for (const r of free.value) expect(String(r.AuditData)).toContain('svc-archive');
  });
  it('ResultSize outside 1..5000 and an invalid RecordType are 400 naming the valid members', async () => {
    expect((await invoke('Search-UnifiedAuditLog', { ...WINDOW, ResultSize: 5001 })).status).toBe(400);
    expect((await invoke('Search-UnifiedAuditLog', { ...WINDOW, ResultSize: 0 })).status).toBe(400);
    const r = await invoke('Search-UnifiedAuditLog', { ...WINDOW, RecordType: 'NoSuchType' });
    expect(r.status).toBe(400);
    expect(JSON.stringify(await r.json())).toContain('ExchangeItemAggregated');
    // an ambiguous prefix matches nothing but is not an error (§4.6)
    const amb = await ok('Search-UnifiedAuditLog', { ...WINDOW, RecordType: 'Exchange', ResultSize: 100 });
    expect(amb.value).toEqual([]);
  });
  it('records older than the UAL retention are not returned', async () => {
    const s = createTestScenario({ days: 5, ualRetentionDays: 2 });
    const t2 = await startTestSim({ scenarioInstance: s });
    try {
      const tok = await t2.token('secret', 'exchange');
      const r = await t2.post(`${t2.sim.exoBase}/${t2.sim.tenantId}/InvokeCommand`, { CmdletInput: { CmdletName: 'Search-UnifiedAuditLog', Parameters: { StartDate: '2026-11-01', EndDate: '2026-11-11', ResultSize: 5000 } } }, { headers: { Authorization: `Bearer ${tok}` } });
      const rows = ((await r.json()) as Env).value;
      const horizon = s.range.end.getTime() - 2 * 86_400_000;
      expect(rows.length).toBe([...s.recordsBetween(horizon, s.range.end.getTime())].length);
      for (const row of rows) expect(Date.parse(`${String(row.CreationDate)}Z`)).toBeGreaterThanOrEqual(horizon);
    } finally { await t2.close(); }
  });
  it('caps ReturnLargeSet at 50,000 while ResultCount reports every match; preview is sorted and capped at 5,000; mixing caps at 10,000', async () => {
    const s = createTestScenario({ days: 1, eventsPerDay: 60_000, now: new Date('2026-11-10T00:00:00Z') });
    const t2 = await startTestSim({ scenarioInstance: s });
    try {
      const tok = await t2.token('secret', 'exchange');
      const call = async (p: Record<string, unknown>) => {
        const rows: Record<string, unknown>[] = [];
        let url = `${t2.sim.exoBase}/${t2.sim.tenantId}/InvokeCommand`;
        for (;;) {
          const r = await t2.post(url, { CmdletInput: { CmdletName: 'Search-UnifiedAuditLog', Parameters: p } }, { headers: { Authorization: `Bearer ${tok}`, Prefer: 'odata.maxpagesize=1000' } });
          const env = (await r.json()) as Env;
          rows.push(...env.value);
          if (!env['@odata.nextLink']) return rows;
          url = env['@odata.nextLink'];
        }
      };
      const w = { StartDate: '2026-11-09', EndDate: '2026-11-10', ResultSize: 5000 };
      let got = 0;
      let last: Record<string, unknown> | undefined;
      for (;;) {
        const rows = await call({ ...w, SessionId: 'big', SessionCommand: 'ReturnLargeSet' });
        if (rows.length === 0) break;
        got += rows.length;
        last = rows[rows.length - 1];
      }
      expect(got).toBe(50_000);
      expect(last!.ResultCount).toBe(60_000);
      expect(last!.ResultIndex).toBe(50_000);
      let preview = 0;
      let prevTime = '';
      for (;;) {
        const rows = await call({ ...w, SessionId: 'prev', SessionCommand: 'ReturnNextPreviewPage' });
        if (rows.length === 0) break;
        for (const r of rows) { expect(String(r.CreationDate) >= prevTime).toBe(true); prevTime = String(r.CreationDate); }
        preview += rows.length;
      }
      expect(preview).toBe(5000);
      let mixed = 0;
      for (let i = 0; ; i++) {
        const rows = await call({ ...w, SessionId: 'mix', SessionCommand: i % 2 ? 'ReturnNextPreviewPage' : 'ReturnLargeSet' });
        if (rows.length === 0) break;
        mixed += rows.length;
      }
      expect(mixed).toBe(10_000);
    } finally { await t2.close(); }
  });
});

describe('Search-MailboxAuditLog', () => {
  it('with -ShowDetails returns §4.9 rows for the mailbox, paged', async () => {
    const upn = `alex@${t.sim.tenantDomain}`;
    const { rows, pages } = await all('Search-MailboxAuditLog', { Identity: 'alex', ShowDetails: true, ...WINDOW }, 5);
    const s = createTestScenario();
    const expected = [...s.mailboxAuditRecords(upn, Date.parse('2026-11-08T00:00:00Z'), Date.parse('2026-11-11T00:00:00Z'))];
    expect(rows.length).toBe(expected.length);
    expect(pages).toBeGreaterThan(1);
    expect(rows.map((r) => r.Identity)).toEqual(expected.map((r) => r.Id));
    expect(rows[0]).toMatchObject({ MailboxOwnerUPN: upn, LogonType: 'Owner', IsValid: true });
    expect(rows.every((r) => Array.isArray(r.OperationProperties))).toBe(true);
  });
  it('-Mailboxes with -ShowDetails is refused; a missing mailbox is ManagementObjectNotFoundException', async () => {
    expect((await invoke('Search-MailboxAuditLog', { Mailboxes: ['alex'], ShowDetails: true })).status).toBe(400);
    const r = await invoke('Search-MailboxAuditLog', { Identity: 'nobody', ShowDetails: true });
    expect(r.status).toBe(404);
    expect(r.headers.get('x-exceptiontype')).toBe('ManagementObjectNotFoundException');
  });
  it('a tenant where the cmdlet is retired answers like an unknown cmdlet', async () => {
    const t2 = await startTestSim({ fixture: { mailboxAuditLogRetired: true } });
    try {
      const tok = await t2.token('secret', 'exchange');
      const r = await t2.post(`${t2.sim.exoBase}/${t2.sim.tenantId}/InvokeCommand`, { CmdletInput: { CmdletName: 'Search-MailboxAuditLog', Parameters: { Identity: 'alex', ShowDetails: true } } }, { headers: { Authorization: `Bearer ${tok}` } });
      expect(r.status).toBe(400);
      expect(JSON.stringify(await r.json())).toContain('CommandNotFoundException');
    } finally { await t2.close(); }
  });
});

describe('configuration cmdlets', () => {
  it('Get-Mailbox pages with Prefer and honours Identity, $select and ResultSize', async () => {
    const { rows, pages } = await all('Get-Mailbox', { ResultSize: 'Unlimited' }, 2);
    expect(rows.length).toBe(5);
    expect(pages).toBe(3);
    const one = await ok('Get-Mailbox', { Identity: `megan@${t.sim.tenantDomain}` }, { url: `${t.sim.exoBase}/${t.sim.tenantId}/InvokeCommand?$select=UserPrincipalName,AuditEnabled` });
    expect(one.value).toEqual([{ UserPrincipalName: `megan@${t.sim.tenantDomain}`, AuditEnabled: false }]);
    const cut = await ok('Get-Mailbox', { ResultSize: 2 });
    expect(cut.value.length).toBe(2);
    expect(cut['@adminapi.warnings'][0]).toMatch(/more results available/);
  });
  it('Get-MailboxAuditBypassAssociation, Get-AdminAuditLogConfig and Get-InboxRule', async () => {
    const b = await ok('Get-MailboxAuditBypassAssociation', { Identity: 'svc-archive' });
    expect(b.value[0]!.AuditBypassEnabled).toBe(true);
    const a = await ok('Get-AdminAuditLogConfig', {});
    expect(a.value[0]!.UnifiedAuditLogIngestionEnabled).toBe(true);
    const rules = await ok('Get-InboxRule', { Mailbox: `alex@${t.sim.tenantDomain}` });
    expect(rules.value[0]!.Name).toBe('.');
    expect((await ok('Get-InboxRule', { Mailbox: 'megan' })).value).toEqual([]);
  });
});
