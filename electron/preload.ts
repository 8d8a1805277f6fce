// The preload script of the sandboxed window: the whole bridge between the page and the workstation.
// It exposes exactly two functions on window.blindspot: invoke(name, args), which sends one request on
// one channel (main checks the sender, the name and the arguments), and on(event, cb) for a fixed list
// of events. No ipcRenderer, no Node, no event objects (which carry `sender`) reach the page.
// Built into one CommonJS file (electron/build.ts): sandboxed preloads cannot load other modules.
import { contextBridge, ipcRenderer } from 'electron';
import { isApiEventName } from '../core/apiEvents.ts';
import { EVENT_CHANNEL, IPC_CHANNEL } from './channels.ts';

const bridge = {
  invoke(name: unknown, args: unknown): Promise<unknown> {
    // Only plain data crosses; main validates everything again.
    return ipcRenderer.invoke(IPC_CHANNEL, typeof name === 'string' ? name : '', args);
  },
  on(event: unknown, cb: unknown): () => void {
    if (!isApiEventName(event) || typeof cb !== 'function') {
      return () => {};
    }
    const listener = (_e: unknown, message: unknown) => {
      const m = message as { event?: unknown; payload?: unknown } | null;
      if (m && m.event === event) (cb as (payload: unknown) => void)(m.payload);
    };
    ipcRenderer.on(EVENT_CHANNEL, listener);
    return () => { ipcRenderer.removeListener(EVENT_CHANNEL, listener); };
  },
};

contextBridge.exposeInMainWorld('blindspot', bridge);
