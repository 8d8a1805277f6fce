// Which view of the window is shown. Showing the blind spots or the findings loads them the first time
// (context.tsx useShowView).
import { createStore } from 'zustand/vanilla';

export type View = 'timeline' | 'gaps' | 'findings' | 'exposure';

export interface ViewState {
  view: View;
  show(view: View): void;
}

export function createViewStore() {
  return createStore<ViewState>()((set) => ({
    view: 'timeline',
    show(view) { set({ view }); },
  }));
}
