import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createClient, createEvents } from './api.ts';
import { App } from './App.tsx';
import { createCaseStore } from './stores/caseStore.ts';
import { StoresContext } from './stores/context.tsx';
import { createTimelineStore } from './stores/timelineStore.ts';
import { createGapsStore } from './stores/gapsStore.ts';
import { createFindingsStore } from './stores/findingsStore.ts';
import { createExposureStore } from './stores/exposureStore.ts';
import { createViewStore } from './stores/viewStore.ts';
import { createSessionStore, watchRefusal } from './stores/sessionStore.ts';

const session = createSessionStore();
const client = watchRefusal(createClient(), (message) => session.getState().refuse(message));
const stores = { session, caseStore: createCaseStore(client), timeline: createTimelineStore(client), gaps: createGapsStore(client), findings: createFindingsStore(client), exposure: createExposureStore(client), view: createViewStore() };
void stores.caseStore.getState().load();
void stores.timeline.getState().apply();
// Another process changed the case: say so and offer a reload, rather than move the rows under the reader.
createEvents()('case.changed', (p) => stores.caseStore.getState().noteVersion(p.version));

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <StoresContext value={stores}>
        <App />
      </StoresContext>
    </StrictMode>,
  );
}
