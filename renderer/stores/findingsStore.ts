// The findings view: the findings the workstation computes for the case (loaded once, on first view, and
// again when the case changed), which severities are shown, and how many of them are drawn.
import { createStore } from 'zustand/vanilla';
import type { ApiError, FindingsView } from '../../core/api.ts';
import { SEVERITIES } from '../../core/analysis/types.ts';
import type { Severity } from '../../core/analysis/types.ts';
import type { ApiClient } from '../api.ts';
import { analysisLoad } from './analysisLoad.ts';

/** How many findings are drawn at first, and how many more each "show more" draws (a large case has thousands). */
export const FINDINGS_DRAWN = 200;

export interface FindingsState {
  findings: FindingsView | null;
  loading: boolean;
  /** Why the findings are not shown; kind Empty is the case's state (nothing to analyse yet), not a failure. */
  error: ApiError | null;
  /** The severities shown; all by default. */
  severities: readonly Severity[];
  drawn: number;
  /** Loads the findings unless they are loaded or on their way (the view is shown). */
  ensure(): void;
  load(): Promise<void>;
  /** Computes the findings again if they were shown (the case changed); otherwise they load on first view. */
  refresh(): Promise<void>;
  toggleSeverity(s: Severity): void;
  drawMore(): void;
  /** Makes a finding drawn (its severity shown, enough drawn to reach it); false when there is no such finding. */
  reveal(id: string): boolean;
}

export function createFindingsStore(client: ApiClient) {
  return createStore<FindingsState>()((set, get) => ({
    findings: null,
    loading: false,
    error: null,
    severities: SEVERITIES,
    drawn: FINDINGS_DRAWN,
    ...analysisLoad('findings', () => client('findings.get', {}), set, get),
    toggleSeverity(s) {
      const on = get().severities.includes(s);
      set({ severities: SEVERITIES.filter((x) => (x === s ? !on : get().severities.includes(x))), drawn: FINDINGS_DRAWN });
    },
    drawMore() {
      set({ drawn: get().drawn + FINDINGS_DRAWN });
    },
    reveal(id) {
      const all = get().findings?.findings ?? [];
      const f = all.find((x) => x.id === id);
      if (!f) return false;
      const severities = get().severities.includes(f.severity) ? get().severities : SEVERITIES.filter((s) => s === f.severity || get().severities.includes(s));
      const at = all.filter((x) => severities.includes(x.severity)).findIndex((x) => x.id === id);
      set({ severities, drawn: Math.max(get().drawn, Math.ceil((at + 1) / FINDINGS_DRAWN) * FINDINGS_DRAWN) });
      return true;
    },
  }));
}
