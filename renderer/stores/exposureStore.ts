// The exposure view: which mailbox and scope the examiner asks about, the run the workstation computed
// for it (a stored analysis run, logged in the custody log), and the page of its messages shown.
import { createStore } from 'zustand/vanilla';
import type { ExposedItem } from '../../core/analysis/exposure.ts';
import type { ExposureView } from '../../core/api.ts';
import type { ApiArgs, ApiClient } from '../api.ts';
import { draftToFilters, EMPTY_DRAFT } from './filters.ts';

/** Messages shown per page. */
export const EXPOSURE_PAGE = 200;

export interface ExposureDraft { mailbox: string; from: string; to: string; ip: string; session: string; app: string }
export const EMPTY_EXPOSURE_DRAFT: ExposureDraft = { mailbox: '', from: '', to: '', ip: '', session: '', app: '' };

export interface ExposureState {
  draft: ExposureDraft;
  /** Why the draft cannot be sent, or why the workstation refused it. */
  problem: string | null;
  computing: boolean;
  run: ExposureView | null;
  items: ExposedItem[];
  offset: number;
  loadingItems: boolean;
  setDraft(field: keyof ExposureDraft, value: string): void;
  /** Computes the exposure of the draft's scope; the answer, or null when refused (said in `problem`). */
  compute(): Promise<ExposureView | null>;
  /** Shows the page of messages from `offset`. */
  page(offset: number): Promise<void>;
}

/**
 * The contract's arguments for a draft, or why it cannot be sent: the scope's boxes are read as the
 * timeline's filter boxes are (draftToFilters: times as UTC, as the grid shows them; an IP checked).
 */
export function draftToScope(d: ExposureDraft): { ok: true; args: ApiArgs<'exposure.compute'> } | { ok: false; message: string } {
  if (!d.mailbox.trim()) return { ok: false, message: 'Name the mailbox: its address, or an alias known from Get-Mailbox.' };
  const read = draftToFilters({ ...EMPTY_DRAFT, from: d.from, to: d.to, ip: d.ip, session: d.session, app: d.app });
  if (!read.ok) return { ok: false, message: read.message };
  const { from, to, ip, session, app } = read.filters;
  return { ok: true, args: { mailbox: d.mailbox.trim(), ...(from ? { from } : {}), ...(to ? { to } : {}), ...(ip ? { ip } : {}), ...(session ? { session } : {}), ...(app ? { app } : {}) } };
}

export function createExposureStore(client: ApiClient) {
  return createStore<ExposureState>()((set, get) => ({
    draft: EMPTY_EXPOSURE_DRAFT,
    problem: null,
    computing: false,
    run: null,
    items: [],
    offset: 0,
    loadingItems: false,
    setDraft(field, value) {
      set({ draft: { ...get().draft, [field]: value }, problem: null });
    },
    async compute() {
      const scope = draftToScope(get().draft);
      if (!scope.ok) {
        set({ problem: scope.message });
        return null;
      }
      set({ computing: true, problem: null });
      const r = await client('exposure.compute', scope.args);
      if (!r.ok) {
        set({ computing: false, problem: r.error.message });
        return null;
      }
      set({ computing: false, run: r.value, items: [], offset: 0 });
      await get().page(0);
      return r.value;
    },
    async page(offset) {
      const run = get().run;
      if (!run) return;
      set({ loadingItems: true });
      const r = await client('exposure.items', { runId: run.runId, offset, limit: EXPOSURE_PAGE });
      if (get().run !== run) return; // another run was computed meanwhile
      set(r.ok ? { items: r.value.items, offset, loadingItems: false } : { loadingItems: false, problem: r.error.message });
    },
  }));
}
