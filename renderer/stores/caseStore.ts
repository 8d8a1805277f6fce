// The case header's state: the summary of the case this window shows.
import { createStore } from 'zustand/vanilla';
import type { CaseSummary } from '../../core/api.ts';
import type { ApiClient } from '../api.ts';

export interface CaseState {
  summary: CaseSummary | null;
  loading: boolean;
  error: string | null;
  load(): Promise<void>;
}

export function createCaseStore(client: ApiClient) {
  return createStore<CaseState>()((set) => ({
    summary: null,
    loading: false,
    error: null,
    async load() {
      set({ loading: true, error: null });
      const r = await client('case.summary', {});
      if (r.ok) set({ summary: r.value, loading: false });
      else set({ error: r.error.message, loading: false });
    },
  }));
}
