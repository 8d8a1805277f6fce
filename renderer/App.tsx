import { CaseHeader } from './features/case/CaseHeader.tsx';
import { EventDetailPane } from './features/event/EventDetailPane.tsx';
import { FilterBar } from './features/timeline/FilterBar.tsx';
import { TimelineGrid } from './features/timeline/TimelineGrid.tsx';

export function App() {
  return (
    <div className="app">
      <CaseHeader />
      <FilterBar />
      <main className="workspace">
        <TimelineGrid />
        <EventDetailPane />
      </main>
    </div>
  );
}
