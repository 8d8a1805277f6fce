// The case header's state: the summary of the case this window shows, and whether the case has changed
// since it was loaded (another process imported into it). The workstation pushes the case's change
// version (case.changed) when the window subscribes and after every change; the summary carries the
// version it was read at. A pushed version greater than the summary's means the window is out of date,
// whichever arrived first.
import { createStore } from 'zustand/vanilla';
import type { CaseView } from '../../core/api.ts';
import type { ApiClient } from '../api.ts';

export interface CaseState {
  summary: CaseView | null;
  loading: boolean;
  error: string | null;
  /** The case changed under the window since the summary was loaded. */
  changed: boolean;
  /** The greatest change version pushed so far (-1 before any). */
  pushed: number;
  load(): Promise<void>;
  /** A pushed change version (case.changed). */
  noteVersion(version: number): void;
  /**
   * The window changed the case itself (an annotation), from change version `before` to `after`: a
   * summary read at `before` is up to date at `after`, so the window does not offer to reload for its own
   * change. A change by another process in between (the summary older than `before`) is still reported.
   */
  ownChange(before: number, after: number): void;
}

export function createCaseStore(client: ApiClient) {
  return createStore<CaseState>()((set, get) => ({
    summary: null,
    loading: false,
    error: null,
    changed: false,
    pushed: -1,
    async load() {
      set({ loading: true, error: null, changed: false });
      const r = await client('case.summary', {});
      if (r.ok) set({ summary: r.value, loading: false, changed: get().pushed > r.value.version });
      else set({ error: r.error.message, loading: false });
    },
    noteVersion(version) {
      const pushed = Math.max(get().pushed, version);
      const summary = get().summary;
      set({ pushed, changed: summary !== null && pushed > summary.version });
    },
    ownChange(before, after) {
      const summary = get().summary;
      if (summary === null || summary.version !== before) return;
      set({ summary: { ...summary, version: after }, changed: get().pushed > after });
    },
  }));
}
