// Whether this window may still talk to the workstation. Once a call is refused (the page's session key
// is missing or belongs to an earlier run of `blindspot ui`), every later call would be refused too, so
// the window says so once, in place of its content, instead of an error and a useless Retry in each view.
import { createStore } from 'zustand/vanilla';
import type { ApiClient } from '../api.ts';

export interface SessionState {
  /** Why the workstation refused this window, or null while it answers. */
  refused: string | null;
  refuse(message: string): void;
}

export function createSessionStore() {
  return createStore<SessionState>()((set, get) => ({
    refused: null,
    refuse(message) {
      if (get().refused === null) set({ refused: message });
    },
  }));
}

/** The client, reporting each refusal (an Unauthorized answer) to `refuse`; the answer itself is unchanged. */
export function watchRefusal(client: ApiClient, refuse: (message: string) => void): ApiClient {
  return async (name, args) => {
    const r = await client(name, args);
    if (!r.ok && r.error.kind === 'Unauthorized') refuse(r.error.message);
    return r;
  };
}
