import { describe, expect, it } from 'vitest';
import type { ApiResult } from '../../core/api.ts';
import type { ApiClient } from '../api.ts';
import { createExposureStore, draftToScope, EMPTY_EXPOSURE_DRAFT, EXPOSURE_PAGE } from './exposureStore.ts';

describe('the exposure view state', () => {
  it('sends a scope only when it can be read: a mailbox, times read as UTC, an IP', () => {
    expect(draftToScope(EMPTY_EXPOSURE_DRAFT)).toEqual({ ok: false, message: 'Name the mailbox: its address, or an alias known from Get-Mailbox.' });
    expect(draftToScope({ ...EMPTY_EXPOSURE_DRAFT, mailbox: ' m@contoso.com ', from: '2026-05-01', to: '2026-05-02T10:00', ip: ' 203.0.113.7 ', session: ' ' }))
      .toEqual({ ok: true, args: { mailbox: 'm@contoso.com', from: '2026-05-01T00:00:00.000Z', to: '2026-05-02T10:00:00.000Z', ip: '203.0.113.7' } });
    expect(draftToScope({ ...EMPTY_EXPOSURE_DRAFT, mailbox: 'm', from: '5/1/2026' })).toMatchObject({ ok: false, message: expect.stringContaining('"From" is not a date') });
    expect(draftToScope({ ...EMPTY_EXPOSURE_DRAFT, mailbox: 'm', from: '2026-05-02', to: '2026-05-01' })).toEqual({ ok: false, message: '"To" must be after "From".' });
    expect(draftToScope({ ...EMPTY_EXPOSURE_DRAFT, mailbox: 'm', ip: '999.1.1.1' })).toMatchObject({ ok: false, message: expect.stringContaining('not an IP address') });
  });

  it('computes a run, shows its first page and pages on; a refusal is said and keeps the run shown before', async () => {
    const calls: [string, Record<string, unknown>][] = [];
    const items = Array.from({ length: EXPOSURE_PAGE + 5 }, (_, i) => ({ internetMessageId: `<m${String(i).padStart(4, '0')}@c>`, folder: 'Inbox', firstAccess: 't', lastAccess: 't', accessCount: 1, sessions: [], ips: [], accessTypes: ['Bind'] }));
    const client = (async (name: string, args: Record<string, unknown>): Promise<ApiResult<unknown>> => {
      calls.push([name, args]);
      if (name === 'exposure.compute') {
        if (args['mailbox'] === 'nobody') return { ok: false, error: { kind: 'NotFound', message: 'No mailbox "nobody" in this case.' } };
        return { ok: true, value: { runId: 9, result: { mailbox: 'm', items: { count: items.length, accessRecords: 3 } }, versionBefore: 1, versionAfter: 2 } };
      }
      const o = args['offset'] as number;
      return { ok: true, value: { items: items.slice(o, o + (args['limit'] as number)) } };
    }) as unknown as ApiClient;
    const s = createExposureStore(client);
    s.getState().setDraft('mailbox', 'm');
    expect(await s.getState().compute()).toMatchObject({ runId: 9 });
    expect(s.getState()).toMatchObject({ offset: 0, computing: false, problem: null });
    expect(s.getState().items).toHaveLength(EXPOSURE_PAGE);
    await s.getState().page(EXPOSURE_PAGE);
    expect(s.getState().items.map((i) => i.internetMessageId)).toEqual(items.slice(EXPOSURE_PAGE).map((i) => i.internetMessageId));
    s.getState().setDraft('mailbox', 'nobody');
    expect(await s.getState().compute()).toBeNull();
    expect(s.getState()).toMatchObject({ problem: 'No mailbox "nobody" in this case.', run: { runId: 9 } });
    expect(calls.filter(([n]) => n === 'exposure.items').map(([, a]) => a)).toEqual([{ runId: 9, offset: 0, limit: EXPOSURE_PAGE }, { runId: 9, offset: EXPOSURE_PAGE, limit: EXPOSURE_PAGE }]);
  });
});
