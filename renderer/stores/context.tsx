// The stores one window uses, made once in main.tsx and handed to components through context.
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { StoreApi } from 'zustand/vanilla';
import type { CaseState } from './caseStore.ts';
import type { GapsState } from './gapsStore.ts';
import type { SessionState } from './sessionStore.ts';
import type { TimelineState } from './timelineStore.ts';

export interface Stores {
  session: StoreApi<SessionState>;
  caseStore: StoreApi<CaseState>;
  timeline: StoreApi<TimelineState>;
  gaps: StoreApi<GapsState>;
}

export const StoresContext = createContext<Stores | null>(null);

function useStores(): Stores {
  const s = useContext(StoresContext);
  if (!s) throw new Error('StoresContext is missing');
  return s;
}

/** Loads everything the window shows again, after the case changed under it; the filters stay. */
export function reloadCase(s: Stores): Promise<unknown> {
  return Promise.all([s.caseStore.getState().load(), s.timeline.getState().refresh(), s.gaps.getState().refresh()]);
}

export function useReloadCase(): () => Promise<unknown> {
  const s = useStores();
  return () => reloadCase(s);
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
