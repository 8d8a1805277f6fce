// IPC channel names shared by main and preload. Only type imports, so the sandboxed preload bundle
// stays small (no zod).
import type { ApiEventName } from '../core/api.ts';

/** The single channel the preload may invoke: (name, args) -> ApiResult. */
export const IPC_CHANNEL = 'blindspot:invoke';
/** The single channel main pushes events on: { event, payload }. */
export const EVENT_CHANNEL = 'blindspot:event';

/** Every event of the contract (core/api.ts ApiEvents); the page may subscribe to these only. */
export const EVENT_NAMES = ['case.changed'] as const satisfies readonly ApiEventName[];
// Fails to compile when the contract gains an event this list lacks.
const _allEvents: Exclude<ApiEventName, (typeof EVENT_NAMES)[number]> extends never ? true : never = true;
void _allEvents;
