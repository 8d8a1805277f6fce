import { useState } from 'react';
import type { FindingEntry, FindingEvidence } from '../../../core/api.ts';
import { SEVERITIES } from '../../../core/analysis/types.ts';
import type { Severity } from '../../../core/analysis/types.ts';
import { Notice } from '../../components/Notice.tsx';
import { formatCount } from '../../format.ts';
import { useFindings, useTimeline } from '../../stores/context.tsx';
import { errorIsState } from '../../stores/analysisLoad.ts';
import { FINDINGS_DRAWN } from '../../stores/findingsStore.ts';

const SEVERITY_LABEL: Record<Severity, string> = { critical: 'Critical', high: 'High', medium: 'Medium', low: 'Low', info: 'Info' };

/** The DOM id of a finding's card, for the links from the findings that name it as related. */
const anchorOf = (id: string): string => `finding-${id.replace(/[^A-Za-z0-9_-]/g, '_')}`;

/** One cited piece of evidence: an event opens beside the list; a configuration row and a ledger slice are said, with what to cite. */
function Cited(props: { e: FindingEvidence }) {
  const open = useTimeline((s) => s.open);
  const selected = useTimeline((s) => s.selectedId);
  const e = props.e;
  if (e.kind === 'event') {
    return (
      <li>
        <button type="button" className="cite" data-testid="finding-event" aria-pressed={selected === e.recordId}
          title={`Open record ${e.recordId} beside the findings`} onClick={() => void open(e.recordId)}>
          {e.time ? <><span className="mono">{e.time}</span> {e.operation ?? 'event'}{e.user ? ` by ${e.user}` : ''}</> : <>event <span className="mono">{e.recordId}</span> (not in the case)</>}
        </button>
      </li>
    );
  }
  if (e.kind === 'config') {
    return (
      <li data-testid="finding-config">
        {e.text}
        {e.sha256 ? <span className="muted">; evidence <span className="mono">{e.sha256}</span>{e.line !== null ? `, line ${formatCount(e.line)}` : ''}</span> : null}
      </li>
    );
  }
  return <li>{e.text}</li>;
}

/** Copies the remediation to the clipboard; says so, or that the page may not use the clipboard (the text stays selectable). */
function CopyButton(props: { text: string }) {
  const [said, setSaid] = useState<string | null>(null);
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(props.text);
      setSaid('copied');
    } catch {
      setSaid('the clipboard is not available here: select the text instead');
    }
  };
  return (
    <span className="copy">
      <button type="button" className="link" onClick={() => void copy()}>copy</button>
      {said ? <span className="muted" role="status"> {said}</span> : null}
    </span>
  );
}

function FindingCard(props: { f: FindingEntry; titles: Map<string, FindingEntry> }) {
  const f = props.f;
  const reveal = useFindings((s) => s.reveal);
  // Drawn first if its severity was hidden or it lay beyond the findings drawn, then scrolled to once React has drawn it.
  const show = (id: string): void => {
    if (reveal(id)) requestAnimationFrame(() => document.getElementById(anchorOf(id))?.scrollIntoView({ block: 'start' }));
  };
  return (
    <article className={`finding sev-${f.severity}`} id={anchorOf(f.id)} data-testid="finding" data-severity={f.severity} data-kind={f.kind}>
      <h2><span className={`sev sev-${f.severity}`}>{SEVERITY_LABEL[f.severity]}</span> {f.title}</h2>
      <p className="muted finding-meta">{f.kind}{f.mailbox ? <> · {f.mailbox}</> : ' · organisation-wide'}</p>
      <p className="finding-detail" data-testid="finding-detail">{f.detail}</p>
      {f.evidence.length > 0 ? (
        <>
          <h3>Evidence ({formatCount(f.evidence.length)})</h3>
          <ul className="finding-evidence">{f.evidence.map((e, i) => <Cited key={i} e={e} />)}</ul>
        </>
      ) : null}
      {f.remediation ? (
        <>
          <h3>Remediation <CopyButton text={f.remediation} /></h3>
          <pre className="remediation" data-testid="finding-remediation" tabIndex={0}>{f.remediation}</pre>
        </>
      ) : null}
      {f.related.length > 0 ? (
        <>
          <h3>Related findings</h3>
          <ul className="finding-related">{f.related.map((id) => {
            const r = props.titles.get(id);
            return r ? <li key={id}><button type="button" className="cite" data-testid="finding-related" onClick={() => show(id)}>[{r.severity}] {r.title}</button></li> : null;
          })}</ul>
        </>
      ) : null}
    </article>
  );
}

/** The findings of the case, most severe first: what happened that matters, each with its evidence and remediation. */
export function FindingsView() {
  const view = useFindings((s) => s.findings);
  const loading = useFindings((s) => s.loading);
  const error = useFindings((s) => s.error);
  const load = useFindings((s) => s.load);
  const severities = useFindings((s) => s.severities);
  const toggle = useFindings((s) => s.toggleSeverity);
  const drawn = useFindings((s) => s.drawn);
  const drawMore = useFindings((s) => s.drawMore);
  let content;
  if (error && errorIsState(error)) content = <Notice kind="empty">No findings to show: {error.message}.</Notice>;
  else if (error) content = <Notice kind="error" action={{ label: 'Retry', onClick: () => void load() }}>Cannot compute the findings: {error.message}</Notice>;
  else if (loading || !view) content = <Notice kind="info">Computing the findings…</Notice>;
  else {
    const count = (s: Severity): number => view.findings.filter((f) => f.severity === s).length;
    const shown = view.findings.filter((f) => severities.includes(f.severity));
    const titles = new Map(view.findings.map((f) => [f.id, f]));
    content = (
      <>
        <div className="findings-bar">
          <span><b>{formatCount(view.findings.length)}</b> findings, most severe first (analysis {view.analysisVersion}, computed {view.generatedAt}). Show:</span>
          {SEVERITIES.map((s) => (
            <button key={s} type="button" className={`chip sev-${s}`} aria-pressed={severities.includes(s)} data-testid={`severity-${s}`} onClick={() => toggle(s)}>
              {SEVERITY_LABEL[s]} {formatCount(count(s))}
            </button>
          ))}
        </div>
        <p className="muted findings-note">Computed for this window and not stored: <span className="mono">blindspot findings</span> stores a run in the case and its custody log, and the case report includes them.</p>
        {view.findings.length === 0 ? <Notice kind="empty">No findings in this case.</Notice> : null}
        {view.findings.length > 0 && shown.length === 0 ? <Notice kind="empty">No finding of the severities chosen.</Notice> : null}
        {shown.slice(0, drawn).map((f) => <FindingCard key={f.id} f={f} titles={titles} />)}
        {shown.length > drawn ? (
          <p className="findings-more">
            <button type="button" data-testid="findings-more" onClick={drawMore}>Show {formatCount(Math.min(shown.length - drawn, FINDINGS_DRAWN))} more</button>
            <span className="muted"> {formatCount(drawn)} of {formatCount(shown.length)} shown</span>
          </p>
        ) : null}
      </>
    );
  }
  return <section className="findings" data-testid="findings-view" aria-label="Findings">{content}</section>;
}
