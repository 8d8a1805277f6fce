// IPC channel names shared by main and preload (the events they carry are core/apiEvents.ts). No
// imports, so the sandboxed preload bundle stays small.

/** The single channel the preload may invoke: (name, args) -> ApiResult. */
export const IPC_CHANNEL = 'blindspot:invoke';
/** The single channel main pushes events on: { event, payload }. */
export const EVENT_CHANNEL = 'blindspot:event';
