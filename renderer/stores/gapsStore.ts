// The blind-spots view: the coverage analysis it displays (loaded once, on first view; computed by the
// workstation, never here), and the case report written from it.
import { createStore } from 'zustand/vanilla';
import type { ApiError, GapsView, ReportWrittenView } from '../../core/api.ts';
import type { ApiClient } from '../api.ts';
import { analysisLoad } from './analysisLoad.ts';

export interface GapsState {
  gaps: GapsView | null;
  loading: boolean;
  /** Why the blind spots are not shown; kind Empty is the case's state (nothing to analyse yet), not a failure. */
  error: ApiError | null;
  /** Loads the blind spots unless they are loaded or on their way (the view is shown). */
  ensure(): void;
  load(): Promise<void>;
  /** Computes the blind spots again if they were shown (the case changed); otherwise they load on first view. */
  refresh(): Promise<void>;
  /** The case report last written from this window, while one is being written, and why the last try failed. */
  report: { written: ReportWrittenView | null; busy: boolean; error: string | null };
  /** Writes the case report (blindspot report) into the case; the answer, or null when refused (said in `report.error`). */
  writeReport(): Promise<ReportWrittenView | null>;
}

export function createGapsStore(client: ApiClient) {
  return createStore<GapsState>()((set, get) => ({
    gaps: null,
    loading: false,
    error: null,
    ...analysisLoad('gaps', () => client('gaps.get', {}), set, get),
    report: { written: null, busy: false, error: null },
    async writeReport() {
      set({ report: { ...get().report, busy: true, error: null } });
      const r = await client('report.write', {});
      set({ report: r.ok ? { written: r.value, busy: false, error: null } : { ...get().report, busy: false, error: r.error.message } });
      return r.ok ? r.value : null;
    },
  }));
}
