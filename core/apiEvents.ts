// The events the workstation pushes to the UI, kept apart from core/api.ts (which carries the zod
// schemas) so that the sandboxed preload bundle and the renderer take the list without them.

/** Events the workstation may push to the UI (preload `on(event, cb)`, the web bridge's /events); the payload per event. */
export type ApiEvents = {
  /**
   * The case's change version, sent when a window subscribes and whenever another process changes the
   * case (an import, acquisition or analysis finished). Greater than the version of the summary the
   * window shows: the window is out of date and may reload.
   */
  'case.changed': { dir: string; version: number };
};
export type ApiEventName = keyof ApiEvents;
/** One pushed event as it crosses a boundary (Electron's event channel, the web bridge's event stream). */
export type ApiPush = { [K in ApiEventName]: { event: K; payload: ApiEvents[K] } }[ApiEventName];

/** Every event of the contract; a page may subscribe to these only. */
export const API_EVENT_NAMES = ['case.changed'] as const satisfies readonly ApiEventName[];
// Fails to compile when the contract gains an event this list lacks.
const _allEvents: Exclude<ApiEventName, (typeof API_EVENT_NAMES)[number]> extends never ? true : never = true;
void _allEvents;

export function isApiEventName(name: unknown): name is ApiEventName {
  return typeof name === 'string' && (API_EVENT_NAMES as readonly string[]).includes(name);
}
