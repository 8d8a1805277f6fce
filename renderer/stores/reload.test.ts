import { describe, expect, it } from 'vitest';
import type { ApiResult } from '../../core/api.ts';
import type { ApiClient } from '../api.ts';
import { createCaseStore } from './caseStore.ts';
import { reloadCase, showView } from './context.tsx';
import { createFindingsStore } from './findingsStore.ts';
import { createExposureStore } from './exposureStore.ts';
import { createGapsStore } from './gapsStore.ts';
import { createSessionStore } from './sessionStore.ts';
import { createTimelineStore } from './timelineStore.ts';
import { createViewStore } from './viewStore.ts';

/** A fake workstation whose case grows by one event per call of `grow`, recording every call's name. */
function fakeCase() {
  let events = 1;
  const calls: string[] = [];
  const client = (async (name: string): Promise<ApiResult<unknown>> => {
    calls.push(name);
    if (name === 'case.summary') return { ok: true, value: { dir: '/c', name: 'c', number: null, client: null, examiner: 'e', timeZone: 'UTC', createdAt: 't', events, evidenceItems: 1, mailboxes: 1, firstEvent: null, lastEvent: null, version: events * 100 } };
    if (name === 'timeline.count') return { ok: true, value: { count: events } };
    if (name === 'timeline.query') return { ok: true, value: { rows: [], next: null } };
    if (name === 'gaps.get') return { ok: true, value: { analysisVersion: String(events), range: { start: 't', end: 't' }, rangeNote: 'n', mailboxes: [], unseen: [] } };
    if (name === 'findings.get') return { ok: true, value: { analysisVersion: String(events), generatedAt: 't', findings: [] } };
    return { ok: false, error: { kind: 'BadRequest', message: 'unexpected' } };
  }) as unknown as ApiClient;
  const stores = { session: createSessionStore(), caseStore: createCaseStore(client), timeline: createTimelineStore(client), gaps: createGapsStore(client), findings: createFindingsStore(client), exposure: createExposureStore(client), view: createViewStore() };
  return { stores, calls, grow: () => { events++; } };
}

describe('reloading after the case changed', () => {
  it('clears the changed mark and loads the summary and the timeline again; the blind spots and the findings only once they were shown', async () => {
    const { stores, calls, grow } = fakeCase();
    await stores.caseStore.getState().load();
    await stores.timeline.getState().apply();
    grow();
    stores.caseStore.getState().noteVersion(200);
    expect(stores.caseStore.getState().changed).toBe(true);
    calls.length = 0;
    await reloadCase(stores);
    expect(calls.sort()).toEqual(['case.summary', 'timeline.count', 'timeline.query']);
    expect(stores.caseStore.getState()).toMatchObject({ changed: false, summary: { events: 2 } });
    expect(stores.timeline.getState().count).toBe(2);
    expect(stores.gaps.getState().gaps).toBeNull();

    showView(stores, 'gaps');
    expect(stores.view.getState().view).toBe('gaps');
    await expect.poll(() => stores.gaps.getState().gaps?.analysisVersion).toBe('2');
    grow();
    calls.length = 0;
    await reloadCase(stores);
    expect(calls.sort()).toEqual(['case.summary', 'gaps.get', 'timeline.count', 'timeline.query']);
    expect(stores.gaps.getState().gaps?.analysisVersion).toBe('3');

    showView(stores, 'findings');
    await expect.poll(() => stores.findings.getState().findings?.analysisVersion).toBe('3');
    showView(stores, 'timeline');
    showView(stores, 'findings'); // shown again: not computed again until the case changes
    grow();
    calls.length = 0;
    await reloadCase(stores);
    expect(calls.sort()).toEqual(['case.summary', 'findings.get', 'gaps.get', 'timeline.count', 'timeline.query']);
    expect(stores.findings.getState().findings?.analysisVersion).toBe('4');
  });
});

describe("the case's change version", () => {
  it('marks the window out of date only for a version newer than its summary, pushed before or after the summary loaded', async () => {
    const { stores, grow } = fakeCase(); // the summary's version is 100 per event
    const cs = stores.caseStore;
    cs.getState().noteVersion(100); // the version pushed as the window subscribed, before its summary arrived
    await cs.getState().load();
    expect(cs.getState().changed).toBe(false);
    cs.getState().noteVersion(100); // the same version again (a reconnected stream)
    expect(cs.getState().changed).toBe(false);

    grow(); // changed after the summary was read and before the stream connected ...
    const late = createCaseStore((async () => ({ ok: true, value: { ...(cs.getState().summary!), version: 100 } })) as unknown as ApiClient);
    late.getState().noteVersion(200); // ... the stream's first push says so
    await late.getState().load();
    expect(late.getState().changed).toBe(true);

    cs.getState().noteVersion(200);
    expect(cs.getState().changed).toBe(true);
    cs.getState().noteVersion(100); // a late, older push does not clear it
    expect(cs.getState().changed).toBe(true);
    await cs.getState().load(); // the reload reads version 200
    expect(cs.getState()).toMatchObject({ changed: false, summary: { version: 200 } });
  });

  it('takes the window\'s own change (an annotation) as seen, pushed before or after its answer, but not one by another process before it', async () => {
    const { stores } = fakeCase(); // the summary's version is 100 per event
    const cs = stores.caseStore;
    await cs.getState().load();
    const v = cs.getState().summary!.version;
    cs.getState().noteVersion(v + 50); // the watcher's push of the window's own append came first
    expect(cs.getState().changed).toBe(true);
    cs.getState().ownChange(v, v + 50);
    expect(cs.getState()).toMatchObject({ changed: false, summary: { version: v + 50 } });
    cs.getState().ownChange(v + 50, v + 90); // its answer first, the push after
    cs.getState().noteVersion(v + 90);
    expect(cs.getState().changed).toBe(false);
    // Another process changed the case before this window's change: the summary is older than `before`.
    cs.getState().ownChange(v + 95, v + 120);
    cs.getState().noteVersion(v + 120);
    expect(cs.getState()).toMatchObject({ changed: true, summary: { version: v + 90 } });
  });
});
