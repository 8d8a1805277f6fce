import { Notice } from '../../components/Notice.tsx';
import { formatCount } from '../../format.ts';
import { useGaps, useWriteReport } from '../../stores/context.tsx';
import { errorIsState } from '../../stores/analysisLoad.ts';
import { STORE_LABEL, WINDOW_KIND_LABEL } from '../../../core/analysis/labels.ts';

/** Writes the case report (the same as blindspot report) and says where it went, with its SHA-256. */
function ReportAction() {
  const report = useGaps((s) => s.report);
  const write = useWriteReport();
  return (
    <div className="report-action">
      <button type="button" data-testid="write-report" disabled={report.busy} onClick={() => void write()}
        title="The blind spots, findings, exposure runs and marked events as one HTML file in the case's reports folder, logged in the custody log">
        {report.busy ? 'Writing the report…' : 'Write the case report'}
      </button>
      {report.written ? (
        <span className="muted" data-testid="report-written"> Written: <span className="mono">{report.written.path}</span> ({formatCount(Math.round(report.written.bytes / 1000))} kB, SHA-256 <span className="mono">{report.written.sha256}</span>; in the custody log). Open it in any browser.</span>
      ) : null}
      {report.error ? <Notice kind="error" testId="report-problem">Cannot write the report: {report.error}</Notice> : null}
    </div>
  );
}

/** Where auditing could not have seen, per mailbox: the windows the report must state. */
export function BlindSpotsView() {
  const gaps = useGaps((s) => s.gaps);
  const loading = useGaps((s) => s.loading);
  const error = useGaps((s) => s.error);
  const load = useGaps((s) => s.load);
  if (error && errorIsState(error)) return <Notice kind="empty">No blind spots to show: {error.message}.</Notice>;
  if (error) return <Notice kind="error" action={{ label: 'Retry', onClick: () => void load() }}>Cannot compute the blind spots: {error.message}</Notice>;
  if (loading || !gaps) return <Notice kind="info">Computing where auditing was blind…</Notice>;
  const blind = gaps.mailboxes.filter((m) => m.windows.length > 0);
  return (
    <section className="gaps" data-testid="gaps-view">
      <ReportAction />
      <p className="gaps-intro">
        {blind.length} of {gaps.mailboxes.length} mailboxes and accounts the analysis knows (from the records and the configuration exports) have windows where auditing could not have recorded some actions, between {gaps.range.start} and {gaps.range.end} (UTC: <span data-testid="gaps-range-note">{gaps.rangeNote}</span>; analysis {gaps.analysisVersion}). The absence of events there proves nothing.
      </p>
      {gaps.unseen.length > 0 ? (
        <Notice kind="warning" testId="gaps-unseen">
          <strong>Not known.</strong> The case holds no configuration evidence for the following, so no blind window of their kind could be found; that does not mean there was none. Import or acquire these exports to find them.
          <ul>{gaps.unseen.map((s) => <li key={s}>{s}</li>)}</ul>
        </Notice>
      ) : null}
      {blind.length === 0 ? <Notice kind="empty">{gaps.unseen.length > 0 ? 'No blind window found from the evidence the case holds.' : 'No blind window found in the case\'s range.'}</Notice> : null}
      {blind.map((m) => (
        <article key={m.mailbox} className="gaps-mailbox" data-testid="gaps-mailbox" data-mailbox={m.mailbox}>
          <h2>{m.upn ?? m.mailbox} <span className="muted">({m.accountKind})</span></h2>
          <table>
            <thead><tr><th>Why</th><th>From (UTC)</th><th>To (UTC)</th><th>Confidence</th><th>What could not be recorded</th></tr></thead>
            <tbody>
              {m.windows.map((w, i) => (
                <tr key={`${w.kind}-${i}`} data-testid="gaps-window" data-kind={w.kind} data-store={w.store}>
                  <td>{WINDOW_KIND_LABEL[w.kind]}{w.store ? <span className="muted">: {STORE_LABEL[w.store]}</span> : null}</td>
                  <td>{w.start}{w.start === gaps.range.start ? <span className="muted edge"> or earlier: the case&apos;s range begins here</span> : null}</td>
                  <td>{w.end ?? <>still open<span className="muted edge"> at <span className="nowrap">{gaps.range.end}</span>, the end of the case&apos;s range</span></>}</td>
                  <td>{w.confidence}</td>
                  <td>{w.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </article>
      ))}
    </section>
  );
}
