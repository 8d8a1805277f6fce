// The stores one window uses, made once in main.tsx and handed to components through context.
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { StoreApi } from 'zustand/vanilla';
import type { CaseState } from './caseStore.ts';
import type { ExposureState } from './exposureStore.ts';
import type { FindingsState } from './findingsStore.ts';
import type { GapsState } from './gapsStore.ts';
import type { SessionState } from './sessionStore.ts';
import type { AnnotationOutcome, TimelineState } from './timelineStore.ts';
import type { View, ViewState } from './viewStore.ts';
import type { AnnotationKind } from '../../core/annotations.ts';

export interface Stores {
  session: StoreApi<SessionState>;
  caseStore: StoreApi<CaseState>;
  timeline: StoreApi<TimelineState>;
  gaps: StoreApi<GapsState>;
  findings: StoreApi<FindingsState>;
  exposure: StoreApi<ExposureState>;
  view: StoreApi<ViewState>;
}

export const StoresContext = createContext<Stores | null>(null);

function useStores(): Stores {
  const s = useContext(StoresContext);
  if (!s) throw new Error('StoresContext is missing');
  return s;
}

/** Loads everything the window shows again, after the case changed under it; the filters stay. */
export function reloadCase(s: Stores): Promise<unknown> {
  return Promise.all([s.caseStore.getState().load(), s.timeline.getState().refresh(), s.gaps.getState().refresh(), s.findings.getState().refresh()]);
}

export function useReloadCase(): () => Promise<unknown> {
  const s = useStores();
  return () => reloadCase(s);
}

/** Shows a view of the window; the blind spots and the findings are computed the first time they are shown. */
export function showView(s: Stores, view: View): void {
  s.view.getState().show(view);
  if (view === 'gaps') s.gaps.getState().ensure();
  if (view === 'findings') s.findings.getState().ensure();
}

export function useShowView(): (view: View) => void {
  const s = useStores();
  return (view) => showView(s, view);
}

/** Narrows the timeline to one value (from an event's detail, in the timeline or beside the findings) and shows it. */
export function useFilterTimeline(): (field: Parameters<TimelineState['filterBy']>[0], value: string) => void {
  const s = useStores();
  return (field, value) => {
    showView(s, 'timeline');
    void s.timeline.getState().filterBy(field, value);
  };
}

/**
 * The examiner's annotations of the event shown: each change goes to the workstation, then the row and
 * detail show it, and the window counts it as its own (no offer to reload for it). A refusal's message, or null.
 */
export function useAnnotationActions(): { add(kind: AnnotationKind, text: string | null): Promise<string | null>; remove(annotationId: number): Promise<string | null> } {
  const s = useStores();
  const done = (r: AnnotationOutcome): string | null => {
    if (!r.ok) return r.message;
    ownChange(s, r.view);
    return null;
  };
  return {
    add: async (kind, text) => done(await s.timeline.getState().annotate(kind, text)),
    remove: async (annotationId) => done(await s.timeline.getState().removeAnnotation(annotationId)),
  };
}

/** A change the window made (its answer carries the case's change version before and after): seen, no offer to reload for it. */
function ownChange(s: Stores, changed: { versionBefore: number; versionAfter: number } | null): void {
  if (changed) s.caseStore.getState().ownChange(changed.versionBefore, changed.versionAfter);
}

/** Computes an exposure from the window, which counts the run and custody entry it adds as its own change. */
export function useComputeExposure(): () => Promise<void> {
  const s = useStores();
  return async () => { ownChange(s, await s.exposure.getState().compute()); };
}

/** Writes the case report from the window, which counts the custody entries it adds as its own change. */
export function useWriteReport(): () => Promise<void> {
  const s = useStores();
  return async () => { ownChange(s, await s.gaps.getState().writeReport()); };
}

export function useCase<T>(select: (s: CaseState) => T): T {
  return useStore(useStores().caseStore, select);
}

export function useTimeline<T>(select: (s: TimelineState) => T): T {
  return useStore(useStores().timeline, select);
}

export function useSession<T>(select: (s: SessionState) => T): T {
  return useStore(useStores().session, select);
}

export function useGaps<T>(select: (s: GapsState) => T): T {
  return useStore(useStores().gaps, select);
}

export function useFindings<T>(select: (s: FindingsState) => T): T {
  return useStore(useStores().findings, select);
}

export function useExposure<T>(select: (s: ExposureState) => T): T {
  return useStore(useStores().exposure, select);
}

export function useView(): View {
  return useStore(useStores().view, (s) => s.view);
}
