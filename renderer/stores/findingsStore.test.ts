import { describe, expect, it } from 'vitest';
import type { ApiResult, FindingEntry } from '../../core/api.ts';
import type { ApiClient } from '../api.ts';
import { createFindingsStore, FINDINGS_DRAWN } from './findingsStore.ts';

const finding = (i: number, severity: FindingEntry['severity']): FindingEntry =>
  ({ id: `f${i}`, severity, kind: 'inbox-rule', mailbox: null, title: `t${i}`, detail: '', remediation: '', evidence: [], related: [] });

describe('the findings view state', () => {
  it('loads once when first shown, narrows to the severities chosen in their order, and draws more on request', async () => {
    const calls: string[] = [];
    const client = (async (name: string): Promise<ApiResult<unknown>> => {
      calls.push(name);
      return { ok: true, value: { analysisVersion: '1', generatedAt: 't', findings: [finding(1, 'high')] } };
    }) as unknown as ApiClient;
    const store = createFindingsStore(client);
    store.getState().ensure();
    store.getState().ensure(); // on its way: not asked for twice
    await expect.poll(() => store.getState().findings?.findings.length).toBe(1);
    store.getState().ensure();
    expect(calls).toEqual(['findings.get']);

    expect(store.getState().severities).toEqual(['critical', 'high', 'medium', 'low', 'info']);
    store.getState().drawMore();
    expect(store.getState().drawn).toBe(2 * FINDINGS_DRAWN);
    store.getState().toggleSeverity('medium');
    store.getState().toggleSeverity('info');
    expect(store.getState().severities).toEqual(['critical', 'high', 'low']);
    expect(store.getState().drawn).toBe(FINDINGS_DRAWN); // another choice starts from the top
    store.getState().toggleSeverity('info');
    expect(store.getState().severities).toEqual(['critical', 'high', 'low', 'info']);
  });

  it('keeps a refusal to show it (Empty: the case has nothing to analyse yet), and refreshes only once shown', async () => {
    let calls = 0;
    const client = (async (): Promise<ApiResult<unknown>> => {
      calls++;
      return { ok: false, error: { kind: 'Empty', message: 'the case holds no events yet' } };
    }) as unknown as ApiClient;
    const store = createFindingsStore(client);
    await store.getState().refresh();
    expect(calls).toBe(0);
    await store.getState().load();
    expect(store.getState()).toMatchObject({ findings: null, loading: false, error: { kind: 'Empty' } });
    await store.getState().refresh();
    expect(calls).toBe(2);
  });

  it('reveals a related finding: its severity shown again and enough drawn to reach it', async () => {
    const list = [finding(0, 'critical'), ...Array.from({ length: FINDINGS_DRAWN + 10 }, (_, i) => finding(i + 1, 'low'))];
    const client = (async (): Promise<ApiResult<unknown>> => ({ ok: true, value: { analysisVersion: '1', generatedAt: 't', findings: list } })) as unknown as ApiClient;
    const store = createFindingsStore(client);
    await store.getState().load();
    store.getState().toggleSeverity('low');
    expect(store.getState().reveal(`f${FINDINGS_DRAWN + 5}`)).toBe(true);
    expect(store.getState().severities).toEqual(['critical', 'high', 'medium', 'low', 'info']);
    expect(store.getState().drawn).toBe(2 * FINDINGS_DRAWN); // it is the 206th of those shown
    expect(store.getState().reveal('gone')).toBe(false);
  });
});
