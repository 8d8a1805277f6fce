import { CaseChangedNotice } from './features/case/CaseChangedNotice.tsx';
import { CaseHeader } from './features/case/CaseHeader.tsx';
import { EventDetailPane } from './features/event/EventDetailPane.tsx';
import { BlindSpotsView } from './features/gaps/BlindSpotsView.tsx';
import { FilterBar } from './features/timeline/FilterBar.tsx';
import { TimelineGrid } from './features/timeline/TimelineGrid.tsx';
import { Notice } from './components/Notice.tsx';
import { FindingsView } from './features/findings/FindingsView.tsx';
import { ExposureView } from './features/exposure/ExposureView.tsx';
import { useSession, useShowView, useView } from './stores/context.tsx';

export function App() {
  const view = useView();
  const show = useShowView();
  const refused = useSession((s) => s.refused);
  if (refused !== null) {
    return (
      <div className="app" data-testid="session-refused">
        <Notice kind="error">This page cannot read the case: {refused}</Notice>
      </div>
    );
  }
  return (
    <div className="app">
      <CaseHeader />
      <CaseChangedNotice />
      <nav className="views" role="tablist">
        <button type="button" role="tab" aria-selected={view === 'timeline'} onClick={() => show('timeline')}>Timeline</button>
        <button type="button" role="tab" aria-selected={view === 'gaps'} data-testid="tab-gaps" onClick={() => show('gaps')}>Blind spots</button>
        <button type="button" role="tab" aria-selected={view === 'findings'} data-testid="tab-findings" onClick={() => show('findings')}>Findings</button>
        <button type="button" role="tab" aria-selected={view === 'exposure'} data-testid="tab-exposure" onClick={() => show('exposure')}>Exposure</button>
      </nav>
      {view === 'exposure' ? (
        <main className="workspace">
          <ExposureView />
        </main>
      ) : view === 'findings' ? (
        <main className="workspace">
          <FindingsView />
          <EventDetailPane inTimeline={false} />
        </main>
      ) : view === 'timeline' ? (
        <>
          <FilterBar />
          <main className="workspace">
            <TimelineGrid />
            <EventDetailPane />
          </main>
        </>
      ) : (
        <main className="workspace gaps-workspace">
          <BlindSpotsView />
        </main>
      )}
    </div>
  );
}
