// The timeline's state and actions: filters are applied in SQL by the workstation; this store only
// holds the rows loaded so far (keyset pages), the count of matching events, and the selected event.
// Answers that arrive after the filters changed are dropped (generation counter).
import { createStore } from 'zustand/vanilla';
import type { AnnotationKind } from '../../core/annotations.ts';
import type { AnnotationsView, EventDetail, TimelineEntry } from '../../core/api.ts';
import type { ApiResult } from '../../core/api.ts';
import type { ApiClient } from '../api.ts';
import { draftToFilters, EMPTY_DRAFT } from './filters.ts';
import type { FilterDraft, TimelineFilters } from './filters.ts';

export const PAGE_SIZE = 500;
/**
 * End loads the rest of the rows when no more than this many are left to load (a few pages); past that it
 * stops at the last row loaded and says how to see the other end (newest first), rather than holding a
 * million rows in the window.
 */
export const END_LOAD_MAX = 5000;

export interface TimelineState {
  draft: FilterDraft;
  draftError: { field: keyof FilterDraft; message: string } | null;
  filters: TimelineFilters;
  /** The latest events first (the order is not a filter: the count stays the same). */
  newestFirst: boolean;
  rows: TimelineEntry[];
  next: { timeMs: number; id: number } | null;
  /** True until the first page for the current filters has arrived. */
  loading: boolean;
  loadingMore: boolean;
  error: string | null;
  count: number | null;
  /** True when End stopped at the last row loaded with too many more to load (END_LOAD_MAX). */
  endStopped: boolean;
  selectedId: string | null;
  selectedIndex: number;
  detail: EventDetail | null;
  detailLoading: boolean;
  detailError: string | null;
  setDraft(field: keyof FilterDraft, value: string): void;
  apply(): Promise<void>;
  /** Runs the applied filters again (the case changed); unapplied edits stay in the draft. */
  refresh(): Promise<void>;
  clear(): Promise<void>;
  /** Shows the same events in the other order, from its first page. */
  setNewestFirst(newestFirst: boolean): Promise<void>;
  /** Shows only this field's value (e.g. "all events of this user"). */
  filterBy(field: 'user' | 'mailbox' | 'ip' | 'session' | 'app' | 'tag', value: string): Promise<void>;
  /** Shows only the events the examiner bookmarked, or every event again. */
  setBookmarkedOnly(on: boolean): Promise<void>;
  loadMore(): Promise<void>;
  select(index: number): Promise<void>;
  /** Opens an event by its record id (a finding's evidence), whether or not it is among the rows loaded. */
  open(id: string): Promise<void>;
  moveSelection(delta: number): Promise<void>;
  /** Selects the last matching row: loads the rest first when few are left (END_LOAD_MAX). */
  goToEnd(): Promise<void>;
  /** Adds the examiner's tag, note or bookmark to the event shown; its row and detail show it. */
  annotate(kind: AnnotationKind, text: string | null): Promise<AnnotationOutcome>;
  /** Removes one of the shown event's annotations. */
  removeAnnotation(annotationId: number): Promise<AnnotationOutcome>;
}

/** What a change of annotations came to: what the workstation answered, or why it refused. */
export type AnnotationOutcome = { ok: true; view: AnnotationsView } | { ok: false; message: string };

export function createTimelineStore(client: ApiClient, pageSize = PAGE_SIZE) {
  let generation = 0;
  let detailGeneration = 0;
  /** The next page while it is on its way. */
  let pendingPage: Promise<void> | null = null;
  return createStore<TimelineState>()((set, get) => {
    const order = () => (get().newestFirst ? { newestFirst: true } : {});
    /**
     * Loads the first page and the count for `filters`; an answer for older filters is dropped. Another
     * order of the same filters keeps the count it has (`keepCount`): only the rows change.
     */
    const run = async (filters: TimelineFilters, keepCount = false): Promise<void> => {
      const g = ++generation;
      pendingPage = null; // a page for the filters before is not waited for
      const known = keepCount ? get().count : null;
      set({ filters, rows: [], next: null, loading: true, loadingMore: false, error: null, count: known, endStopped: false });
      const [page, count] = await Promise.all([
        client('timeline.query', { ...filters, ...order(), limit: pageSize }),
        known !== null ? ({ ok: true, value: { count: known } } as const) : client('timeline.count', filters),
      ]);
      if (g !== generation) return;
      if (!page.ok) {
        set({ loading: false, error: page.error.message });
        return;
      }
      set({
        rows: page.value.rows,
        next: page.value.next,
        loading: false,
        // The open event stays open; it is highlighted again if it is among the new rows.
        selectedIndex: page.value.rows.findIndex((r) => r.id === get().selectedId),
        count: count.ok ? count.value.count : null,
        error: count.ok ? null : count.error.message,
      });
    };

    /** Opens the event `id` in the detail pane; `index`: its row among those loaded, -1 when none. */
    const showDetail = async (id: string, index: number): Promise<void> => {
      if (id === get().selectedId && (get().detail || get().detailLoading)) {
        set({ selectedIndex: index });
        return;
      }
      const g = ++detailGeneration;
      set({ selectedId: id, selectedIndex: index, detailLoading: true, detailError: null });
      const r = await client('event.get', { id });
      if (g !== detailGeneration) return;
      if (r.ok) set({ detail: r.value, detailLoading: false });
      else set({ detail: null, detailLoading: false, detailError: r.error.message });
    };

    /** Shows an event's annotations as changed: in its detail if it is still shown, and on its row. */
    const showAnnotations = (id: string, view: AnnotationsView): void => {
      const detail = get().detail;
      set({
        detail: detail && detail.id === id ? { ...detail, annotations: view.annotations } : detail,
        rows: get().rows.map((r) => {
          if (r.id !== id) return r;
          const { marks: _old, ...rest } = r;
          return view.marks ? { ...rest, marks: view.marks } : rest;
        }),
      });
    };
    const changeAnnotations = async (call: (id: string) => Promise<ApiResult<AnnotationsView>>): Promise<AnnotationOutcome> => {
      const d = get().detail;
      if (!d) return { ok: false, message: 'No event is open.' };
      const r = await call(d.id);
      if (!r.ok) return { ok: false, message: r.error.message };
      showAnnotations(d.id, r.value);
      return { ok: true, view: r.value };
    };

    return {
      draft: EMPTY_DRAFT,
      draftError: null,
      filters: {},
      newestFirst: false,
      rows: [],
      next: null,
      loading: false,
      loadingMore: false,
      error: null,
      count: null,
      endStopped: false,
      selectedId: null,
      selectedIndex: -1,
      detail: null,
      detailLoading: false,
      detailError: null,

      setDraft(field, value) {
        set({ draft: { ...get().draft, [field]: value }, draftError: get().draftError?.field === field ? null : get().draftError });
      },

      async apply() {
        const parsed = draftToFilters(get().draft);
        if (!parsed.ok) {
          set({ draftError: { field: parsed.field, message: parsed.message } });
          return;
        }
        set({ draftError: null });
        await run(parsed.filters);
      },

      async refresh() {
        await run(get().filters);
      },

      async clear() {
        set({ draft: EMPTY_DRAFT, draftError: null });
        await get().apply();
      },

      async setNewestFirst(newestFirst) {
        if (newestFirst === get().newestFirst) return;
        set({ newestFirst });
        await run(get().filters, true);
      },

      async filterBy(field, value) {
        set({ draft: { ...get().draft, [field]: value } });
        await get().apply();
      },

      async setBookmarkedOnly(on) {
        set({ draft: { ...get().draft, bookmarked: on ? 'yes' : '' } });
        await get().apply();
      },

      loadMore() {
        // A call while a page is on its way waits for that page rather than returning at once: a caller
        // that loads until the end (goToEnd) sees the rows it brought.
        if (pendingPage) return pendingPage;
        const s = get();
        if (!s.next || s.loading) return Promise.resolve();
        const g = generation;
        const after = s.next;
        set({ loadingMore: true });
        const p = (async () => {
          const page = await client('timeline.query', { ...s.filters, ...order(), after, limit: pageSize });
          if (g !== generation) return;
          if (!page.ok) {
            set({ loadingMore: false, error: page.error.message });
            return;
          }
          set({ rows: [...get().rows, ...page.value.rows], next: page.value.next, loadingMore: false });
        })();
        pendingPage = p;
        void p.then(() => { if (pendingPage === p) pendingPage = null; }); // runs before the caller's await resumes
        return p;
      },

      async select(index) {
        const row = get().rows[index];
        if (!row) return;
        set({ endStopped: false });
        await showDetail(row.id, index);
      },

      async open(id) {
        await showDetail(id, get().rows.findIndex((r) => r.id === id));
      },

      async moveSelection(delta) {
        const s = get();
        if (s.rows.length === 0) return;
        const target = Math.max(0, Math.min(s.rows.length - 1, (s.selectedIndex < 0 ? -1 : s.selectedIndex) + delta));
        await get().select(target);
        // Near the end of what is loaded: fetch the next page so the keyboard never hits a wall.
        if (target >= get().rows.length - 20) await get().loadMore();
      },

      async goToEnd() {
        const g = generation;
        const s = get();
        if (s.count !== null && s.count - s.rows.length <= END_LOAD_MAX) {
          while (get().next && g === generation) {
            const before = get().rows.length;
            await get().loadMore();
            if (get().rows.length === before) break; // nothing came: an error (shown), or the filters changed
          }
        }
        if (g !== generation || get().rows.length === 0) return;
        const stopped = get().next !== null;
        await get().select(get().rows.length - 1);
        if (g === generation) set({ endStopped: stopped });
      },

      annotate(kind, text) {
        return changeAnnotations((id) => client('annotation.add', { id, kind, text }));
      },

      removeAnnotation(annotationId) {
        return changeAnnotations((id) => client('annotation.remove', { id, annotationId }));
      },
    };
  });
}
