// The blind-spots view: which part of the window is shown, and the coverage analysis it displays (loaded
// once, on first view; computed by the workstation, never here).
import { createStore } from 'zustand/vanilla';
import type { GapsView } from '../../core/api.ts';
import type { ApiClient } from '../api.ts';

export type View = 'timeline' | 'gaps';

export interface GapsState {
  view: View;
  gaps: GapsView | null;
  loading: boolean;
  error: string | null;
  /** The error is the case's state (no events to analyse yet), not a failure: trying again cannot help. */
  errorIsState: boolean;
  show(view: View): void;
  load(): Promise<void>;
  /** Computes the blind spots again if they were shown (the case changed); otherwise they load on first view. */
  refresh(): Promise<void>;
}

export function createGapsStore(client: ApiClient) {
  return createStore<GapsState>()((set, get) => ({
    view: 'timeline',
    gaps: null,
    loading: false,
    error: null,
    errorIsState: false,
    show(view) {
      set({ view });
      if (view === 'gaps' && get().gaps === null && !get().loading) void get().load();
    },
    async load() {
      set({ loading: true, error: null, errorIsState: false });
      const r = await client('gaps.get', {});
      if (r.ok) set({ gaps: r.value, loading: false });
      else set({ error: r.error.message, errorIsState: r.error.kind === 'Empty', loading: false });
    },
    async refresh() {
      if (get().gaps !== null || get().error !== null) await get().load();
    },
  }));
}
