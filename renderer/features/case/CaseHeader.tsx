import { Notice } from '../../components/Notice.tsx';
import { dash, formatCount } from '../../format.ts';
import { useCase } from '../../stores/context.tsx';

export function CaseHeader() {
  const summary = useCase((s) => s.summary);
  const error = useCase((s) => s.error);
  const load = useCase((s) => s.load);
  const pushed = useCase((s) => s.pushed);
  if (error) {
    return (
      <header className="case-header">
        <Notice kind="error" action={{ label: 'Retry', onClick: () => void load() }}>Cannot read the case: {error}</Notice>
      </header>
    );
  }
  if (!summary) return <header className="case-header"><span className="muted">Opening the case…</span></header>;
  return (
    <header className="case-header" data-testid="case-summary" data-pushed-version={pushed}>
      <div className="case-title">
        <h1 title={`${summary.name}\n${summary.dir}`}>{summary.name}</h1>
        <span className="case-sub">
          {summary.number ? <>Case <b data-testid="case-number">{summary.number}</b> · </> : null}
          {summary.client ? <>{summary.client} · </> : null}
          Examiner <b data-testid="case-examiner">{summary.examiner}</b>
        </span>
      </div>
      <dl className="case-facts">
        <div><dt>Events</dt><dd data-testid="case-events">{formatCount(summary.events)}</dd></div>
        <div><dt>Evidence items</dt><dd data-testid="case-evidence">{formatCount(summary.evidenceItems)}</dd></div>
        <div title="Distinct mailboxes the case's records act on, and those its Get-Mailbox exports list"><dt>Mailboxes</dt><dd data-testid="case-mailboxes">{formatCount(summary.mailboxes)}</dd></div>
        <div><dt>First event (UTC)</dt><dd data-testid="case-first">{dash(summary.firstEvent)}</dd></div>
        <div><dt>Last event (UTC)</dt><dd data-testid="case-last">{dash(summary.lastEvent)}</dd></div>
        <div><dt>Display time zone</dt><dd data-testid="case-tz">{summary.timeZone}</dd></div>
      </dl>
    </header>
  );
}
