import { describe, expect, it } from 'vitest';
import type { ApiResult, EventDetail, TimelineEntry } from '../../core/api.ts';
import type { ApiClient } from '../api.ts';
import { END_LOAD_MAX, createTimelineStore } from './timelineStore.ts';

function entry(i: number, user = 'a@contoso.com'): TimelineEntry {
  return {
    id: `e${i}`, rowId: i, timeMs: i * 1000, time: new Date(i * 1000).toISOString(), recordType: 50, recordTypeName: 'X', operation: 'MailItemsAccessed',
    workload: 'Exchange', user, mailbox: user, clientIp: null, sessionId: null, appId: null, resultStatus: null, evidence: { sha256: 'ab', line: i, element: null },
  };
}

/** A fake workstation over N rows, paging by keyset like the real one, recording every call. */
function fakeClient(n: number, opts: { failDetail?: boolean } = {}) {
  const all = Array.from({ length: n }, (_, i) => entry(i + 1, i % 2 ? 'b@contoso.com' : 'a@contoso.com'));
  const calls: { name: string; args: Record<string, unknown> }[] = [];
  const gates: (() => void)[] = [];
  let hold = false;
  const client = (async (name: string, args: Record<string, unknown>): Promise<ApiResult<unknown>> => {
    calls.push({ name, args });
    if (hold) await new Promise<void>((res) => gates.push(res));
    const match = all.filter((r) => !args['user'] || r.user === args['user']);
    if (name === 'timeline.count') return { ok: true, value: { count: match.length } };
    if (name === 'timeline.query') {
      const after = args['after'] as { id: number } | undefined;
      const newestFirst = args['newestFirst'] === true;
      const rest = (newestFirst ? [...match].reverse() : match).filter((r) => !after || (newestFirst ? r.rowId < after.id : r.rowId > after.id));
      const limit = args['limit'] as number;
      const rows = rest.slice(0, limit);
      return { ok: true, value: { rows, next: rest.length > limit ? { timeMs: rows.at(-1)!.timeMs, id: rows.at(-1)!.rowId } : null } };
    }
    if (name === 'event.get') {
      if (opts.failDetail) return { ok: false, error: { kind: 'NotFound', message: 'No event with id x in this case.' } };
      const r = all.find((x) => x.id === args['id'])!;
      return { ok: true, value: { ...r, auditData: { Id: r.id }, items: [], evidenceFile: { source: 'file', format: 'ual-json', origin: null, encoding: null }, copies: [], copiesTotal: 0, annotations: [] } satisfies EventDetail };
    }
    if (name === 'annotation.add') {
      if (args['kind'] === 'tag' && args['text'] === 'dup') return { ok: false, error: { kind: 'BadRequest', message: 'The event already has this tag.' } };
      return { ok: true, value: { annotations: [{ id: 1, kind: args['kind'], text: args['text'], author: 'me', createdAt: 't' }], marks: { bookmarked: args['kind'] === 'bookmark', tags: args['kind'] === 'tag' ? [args['text']] : [], notes: 0 }, versionBefore: 5, versionAfter: 9 } };
    }
    if (name === 'annotation.remove') return { ok: true, value: { annotations: [], marks: null, versionBefore: 9, versionAfter: 12 } };
    return { ok: false, error: { kind: 'BadRequest', message: 'unexpected' } };
  }) as unknown as ApiClient;
  return { client, calls, hold: (h: boolean) => { hold = h; }, release: () => { for (const g of gates.splice(0)) g(); }, releaseNewestFirst: () => { for (const g of gates.splice(0).reverse()) g(); } };
}

describe('timeline store', () => {
  it('loads the first page and the count, then appends keyset pages until the end', async () => {
    const f = fakeClient(25);
    const s = createTimelineStore(f.client, 10);
    await s.getState().apply();
    expect(s.getState()).toMatchObject({ count: 25, loading: false, error: null });
    expect(s.getState().rows.map((r) => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => `e${i + 1}`));
    await s.getState().loadMore();
    await s.getState().loadMore();
    expect(s.getState().rows).toHaveLength(25);
    expect(s.getState().next).toBeNull();
    await s.getState().loadMore(); // at the end: no call
    expect(f.calls.filter((c) => c.name === 'timeline.query').map((c) => c.args['after'])).toEqual([undefined, { timeMs: 10_000, id: 10 }, { timeMs: 20_000, id: 20 }]);
  });

  it('shows the same events newest first from the first page, keeps them so while paging and filtering, and counts them the same', async () => {
    const f = fakeClient(25);
    const s = createTimelineStore(f.client, 10);
    await s.getState().apply();
    f.calls.length = 0;
    await s.getState().setNewestFirst(true);
    expect(s.getState().rows.map((r) => r.id).slice(0, 3)).toEqual(['e25', 'e24', 'e23']);
    expect(s.getState().count).toBe(25);
    await s.getState().loadMore();
    await s.getState().loadMore();
    expect(s.getState().rows.map((r) => r.rowId)).toEqual(Array.from({ length: 25 }, (_, i) => 25 - i));
    await s.getState().filterBy('user', 'b@contoso.com');
    expect(s.getState().rows.map((r) => r.id).slice(0, 2)).toEqual(['e24', 'e22']);
    // The order rides on every page, never on the count (it is not a filter), and changing it alone counts nothing again.
    expect(f.calls.filter((c) => c.name === 'timeline.query').every((c) => c.args['newestFirst'] === true)).toBe(true);
    expect(f.calls.filter((c) => c.name === 'timeline.count')).toHaveLength(1); // the filter's, not the order's
    expect(f.calls.filter((c) => c.name === 'timeline.count').some((c) => 'newestFirst' in c.args)).toBe(false);
    // Asking for the order already shown loads nothing.
    const before = f.calls.length;
    await s.getState().setNewestFirst(true);
    expect(f.calls.length).toBe(before);
    await s.getState().setNewestFirst(false);
    expect(s.getState().rows[0]!.id).toBe('e2');
  });

  it('sends the filters to the workstation (filtering happens in SQL, not here) and refuses bad input before sending', async () => {
    const f = fakeClient(25);
    const s = createTimelineStore(f.client, 10);
    s.getState().setDraft('user', 'b@contoso.com');
    await s.getState().apply();
    expect(f.calls.at(-1)).toEqual({ name: 'timeline.count', args: { user: 'b@contoso.com' } });
    expect(s.getState().count).toBe(12);
    const before = f.calls.length;
    s.getState().setDraft('from', 'last tuesday');
    await s.getState().apply();
    expect(f.calls.length).toBe(before);
    expect(s.getState().draftError).toMatchObject({ field: 'from' });
    s.getState().setDraft('from', '');
    expect(s.getState().draftError).toBeNull();
  });

  it('drops a page that arrives after the filters changed', async () => {
    const f = fakeClient(25);
    const s = createTimelineStore(f.client, 10);
    f.hold(true);
    const stale = s.getState().apply();
    s.getState().setDraft('user', 'a@contoso.com');
    const fresh = s.getState().apply();
    f.hold(false);
    // The newer answers arrive first; the older ones, arriving last, must not overwrite them.
    f.releaseNewestFirst();
    await Promise.all([stale, fresh]);
    expect(s.getState().count).toBe(13);
    expect(new Set(s.getState().rows.map((r) => r.user))).toEqual(new Set(['a@contoso.com']));
  });

  it('selects rows, moves with the keyboard, fetches more near the end, and shows detail errors as text', async () => {
    const f = fakeClient(25);
    const s = createTimelineStore(f.client, 10);
    await s.getState().apply();
    await s.getState().moveSelection(1);
    expect(s.getState()).toMatchObject({ selectedIndex: 0, selectedId: 'e1', detail: { id: 'e1' } });
    await s.getState().moveSelection(5);
    expect(s.getState().selectedId).toBe('e6');
    expect(s.getState().rows.length).toBeGreaterThan(10); // within 20 rows of the end: next page loaded
    await s.getState().moveSelection(-100);
    expect(s.getState().selectedIndex).toBe(0);

    const g = fakeClient(3, { failDetail: true });
    const t = createTimelineStore(g.client, 10);
    await t.getState().apply();
    await t.getState().select(1);
    expect(t.getState()).toMatchObject({ detail: null, detailError: 'No event with id x in this case.' });
  });

  it('opens an event by its record id (a finding\'s evidence): its row highlighted when loaded, none when the rows do not hold it', async () => {
    const f = fakeClient(25);
    const s = createTimelineStore(f.client, 10);
    await s.getState().apply();
    await s.getState().open('e20'); // beyond the first page
    expect(s.getState()).toMatchObject({ selectedId: 'e20', selectedIndex: -1, detail: { id: 'e20' } });
    await s.getState().open('e3');
    expect(s.getState()).toMatchObject({ selectedId: 'e3', selectedIndex: 2, detail: { id: 'e3' } });
    const asked = f.calls.filter((c) => c.name === 'event.get').length;
    await s.getState().open('e3'); // already open: not asked for again
    expect(f.calls.filter((c) => c.name === 'event.get').length).toBe(asked);
    await s.getState().moveSelection(1); // the keyboard goes on from its row
    expect(s.getState().selectedId).toBe('e4');
  });

  it('End selects the last matching row, loading the rest when few are left; with more left it stops at the last row loaded and says so', async () => {
    // 25 rows in pages of 10: 15 left after the first page, well under END_LOAD_MAX, so End loads them.
    const f = fakeClient(25);
    const s = createTimelineStore(f.client, 10);
    await s.getState().apply();
    await s.getState().goToEnd();
    expect(s.getState()).toMatchObject({ selectedId: 'e25', selectedIndex: 24, next: null, endStopped: false, detail: { id: 'e25' } });
    expect(f.calls.filter((c) => c.name === 'timeline.query')).toHaveLength(3);

    // End while a page is already on its way (scrolling fetched it): it waits for that page and goes on.
    const p = fakeClient(25);
    const q = createTimelineStore(p.client, 10);
    await q.getState().apply();
    p.hold(true); // answers wait until released: the page is still on its way when End is pressed
    const scrolling = q.getState().loadMore();
    let done = false;
    const end = q.getState().goToEnd().then(() => { done = true; });
    while (!done) {
      p.release();
      await new Promise((r) => setTimeout(r, 0));
    }
    await Promise.all([end, scrolling]);
    expect(q.getState()).toMatchObject({ selectedId: 'e25', next: null, endStopped: false });
    expect(p.calls.filter((c) => c.name === 'timeline.query')).toHaveLength(3); // the page on its way was not asked for twice

    // More left than END_LOAD_MAX: End goes to the last row loaded without loading them all, and says so.
    const big = END_LOAD_MAX + 30;
    const g = fakeClient(big);
    const t = createTimelineStore(g.client, 10);
    await t.getState().apply();
    await t.getState().goToEnd();
    expect(t.getState()).toMatchObject({ selectedId: 'e10', selectedIndex: 9, endStopped: true });
    expect(g.calls.filter((c) => c.name === 'timeline.query')).toHaveLength(1);
    // Moving on clears the note; End again, after paging within END_LOAD_MAX of the end, loads the rest.
    await t.getState().moveSelection(-1);
    expect(t.getState().endStopped).toBe(false);
    while (t.getState().count! - t.getState().rows.length > END_LOAD_MAX) await t.getState().loadMore();
    await t.getState().goToEnd();
    expect(t.getState()).toMatchObject({ selectedId: `e${big}`, next: null, endStopped: false });
  });

  it('shows a failed query as an error message, not an exception', async () => {
    const client = (async () => ({ ok: false, error: { kind: 'CaseProblem', message: 'the case database is locked' } })) as unknown as ApiClient;
    const s = createTimelineStore(client, 10);
    await s.getState().apply();
    expect(s.getState()).toMatchObject({ loading: false, error: 'the case database is locked', rows: [] });
  });

  it('filtering on an app (the detail pane\'s App id) adds it to the filters already applied', async () => {
    const f = fakeClient(25);
    const s = createTimelineStore(f.client, 10);
    await s.getState().filterBy('user', 'b@contoso.com');
    f.calls.length = 0;
    await s.getState().filterBy('app', 'ff8d92dc-3d82-41d6-bcbd-b9174d163620');
    expect(s.getState()).toMatchObject({ filters: { user: 'b@contoso.com', app: 'ff8d92dc-3d82-41d6-bcbd-b9174d163620' }, draft: { app: 'ff8d92dc-3d82-41d6-bcbd-b9174d163620' } });
    expect(f.calls.map((c) => [c.name, c.args['user'], c.args['app']])).toEqual([
      ['timeline.query', 'b@contoso.com', 'ff8d92dc-3d82-41d6-bcbd-b9174d163620'],
      ['timeline.count', 'b@contoso.com', 'ff8d92dc-3d82-41d6-bcbd-b9174d163620'],
    ]);
  });

  it('refresh runs the applied filters again from the first page; an edit not yet applied stays in the draft', async () => {
    const f = fakeClient(25);
    const s = createTimelineStore(f.client, 10);
    await s.getState().filterBy('user', 'b@contoso.com');
    await s.getState().loadMore();
    await s.getState().select(3);
    s.getState().setDraft('user', 'a@contoso.com'); // typed, not applied
    f.calls.length = 0;
    await s.getState().refresh();
    expect(f.calls.map((c) => [c.name, c.args['user'], c.args['after']])).toEqual([
      ['timeline.query', 'b@contoso.com', undefined],
      ['timeline.count', 'b@contoso.com', undefined],
    ]);
    expect(s.getState()).toMatchObject({ count: 12, loading: false, filters: { user: 'b@contoso.com' }, draft: { user: 'a@contoso.com' }, selectedId: 'e8', selectedIndex: 3 });
    expect(s.getState().rows).toHaveLength(10);
  });

  it('annotates the event shown: its detail and its row show the change, a refusal is said and changes nothing', async () => {
    const f = fakeClient(5);
    const s = createTimelineStore(f.client, 10);
    await s.getState().apply();
    expect(await s.getState().annotate('tag', 'x')).toEqual({ ok: false, message: 'No event is open.' });
    await s.getState().select(2);
    const r = await s.getState().annotate('tag', 'Exfil');
    expect(r).toMatchObject({ ok: true, view: { versionBefore: 5, versionAfter: 9 } });
    expect(s.getState().detail!.annotations.map((a) => a.text)).toEqual(['Exfil']);
    expect(s.getState().rows.map((row) => row.marks ?? null)).toEqual([null, null, { bookmarked: false, tags: ['Exfil'], notes: 0 }, null, null]);
    expect(await s.getState().annotate('tag', 'dup')).toEqual({ ok: false, message: 'The event already has this tag.' });
    expect(s.getState().detail!.annotations).toHaveLength(1);
    await s.getState().removeAnnotation(1);
    expect(s.getState().detail!.annotations).toEqual([]);
    expect('marks' in s.getState().rows[2]!).toBe(false);
    expect(f.calls.filter((c) => c.name.startsWith('annotation.')).map((c) => [c.name, c.args])).toEqual([
      ['annotation.add', { id: 'e3', kind: 'tag', text: 'Exfil' }], ['annotation.add', { id: 'e3', kind: 'tag', text: 'dup' }], ['annotation.remove', { id: 'e3', annotationId: 1 }],
    ]);
  });
});
