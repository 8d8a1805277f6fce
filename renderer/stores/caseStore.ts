// The case header's state: the summary of the case this window shows, and whether the case has changed
// since it was loaded (another process imported into it: the workstation pushes case.changed).
import { createStore } from 'zustand/vanilla';
import type { CaseSummary } from '../../core/api.ts';
import type { ApiClient } from '../api.ts';

export interface CaseState {
  summary: CaseSummary | null;
  loading: boolean;
  error: string | null;
  /** The case changed under the window since the summary was loaded. */
  changed: boolean;
  load(): Promise<void>;
  markChanged(): void;
}

export function createCaseStore(client: ApiClient) {
  return createStore<CaseState>()((set) => ({
    summary: null,
    loading: false,
    error: null,
    changed: false,
    async load() {
      set({ loading: true, error: null, changed: false });
      const r = await client('case.summary', {});
      if (r.ok) set({ summary: r.value, loading: false });
      else set({ error: r.error.message, loading: false });
    },
    markChanged() {
      set({ changed: true });
    },
  }));
}
