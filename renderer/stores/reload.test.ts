import { describe, expect, it } from 'vitest';
import type { ApiResult } from '../../core/api.ts';
import type { ApiClient } from '../api.ts';
import { createCaseStore } from './caseStore.ts';
import { reloadCase } from './context.tsx';
import { createGapsStore } from './gapsStore.ts';
import { createTimelineStore } from './timelineStore.ts';

/** A fake workstation whose case grows by one event per call of `grow`, recording every call's name. */
function fakeCase() {
  let events = 1;
  const calls: string[] = [];
  const client = (async (name: string): Promise<ApiResult<unknown>> => {
    calls.push(name);
    if (name === 'case.summary') return { ok: true, value: { dir: '/c', name: 'c', number: null, client: null, examiner: 'e', timeZone: 'UTC', createdAt: 't', events, evidenceItems: 1, mailboxes: 1, firstEvent: null, lastEvent: null } };
    if (name === 'timeline.count') return { ok: true, value: { count: events } };
    if (name === 'timeline.query') return { ok: true, value: { rows: [], next: null } };
    if (name === 'gaps.get') return { ok: true, value: { analysisVersion: String(events), range: { start: 't', end: 't' }, mailboxes: [] } };
    return { ok: false, error: { kind: 'BadRequest', message: 'unexpected' } };
  }) as unknown as ApiClient;
  const stores = { caseStore: createCaseStore(client), timeline: createTimelineStore(client), gaps: createGapsStore(client) };
  return { stores, calls, grow: () => { events++; } };
}

describe('reloading after the case changed', () => {
  it('clears the changed mark and loads the summary and the timeline again; the blind spots only if they were shown', async () => {
    const { stores, calls, grow } = fakeCase();
    await stores.caseStore.getState().load();
    await stores.timeline.getState().apply();
    stores.caseStore.getState().markChanged();
    expect(stores.caseStore.getState().changed).toBe(true);
    grow();
    calls.length = 0;
    await reloadCase(stores);
    expect(calls.sort()).toEqual(['case.summary', 'timeline.count', 'timeline.query']);
    expect(stores.caseStore.getState()).toMatchObject({ changed: false, summary: { events: 2 } });
    expect(stores.timeline.getState().count).toBe(2);
    expect(stores.gaps.getState().gaps).toBeNull();

    stores.gaps.getState().show('gaps');
    await expect.poll(() => stores.gaps.getState().gaps?.analysisVersion).toBe('2');
    grow();
    calls.length = 0;
    await reloadCase(stores);
    expect(calls).toContain('gaps.get');
    expect(stores.gaps.getState().gaps?.analysisVersion).toBe('3');
  });
});
