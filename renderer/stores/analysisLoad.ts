// What the blind-spots and findings stores share: an analysis the workstation computes, loaded the first
// time its view is shown (ensure), again when the case changed (refresh, only once it was shown), with a
// refusal kept as the state it is (ApiError kind Empty: nothing to analyse yet).
import type { ApiError, ApiResult } from '../../core/api.ts';

export interface Loaded { loading: boolean; error: ApiError | null }

/** ensure, load and refresh for the value kept under `key` of a store's state, fetched by `fetch`. */
export function analysisLoad<K extends string, V, S extends Loaded & Record<K, V | null>>(
  key: K, fetch: () => Promise<ApiResult<V>>, set: (s: Partial<S>) => void, get: () => S,
): { ensure(): void; load(): Promise<void>; refresh(): Promise<void> } {
  const load = async (): Promise<void> => {
    set({ loading: true, error: null } as Partial<S>);
    const r = await fetch();
    set((r.ok ? { [key]: r.value, loading: false } : { error: r.error, loading: false }) as Partial<S>);
  };
  return {
    ensure() { if (get()[key] === null && !get().loading) void load(); },
    load,
    async refresh() { if (get()[key] !== null || get().error !== null) await load(); },
  };
}

/** The error is the case's state (no events to analyse yet), not a failure: trying again cannot help. */
export function errorIsState(error: ApiError | null): boolean {
  return error?.kind === 'Empty';
}
