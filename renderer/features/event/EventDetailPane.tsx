import { useEffect, useRef, useState } from 'react';
import type { EventDetail } from '../../../core/api.ts';
import { differsText } from '../../../core/copies.ts';
import { encodingName } from '../../../core/encodings.ts';
import { Notice } from '../../components/Notice.tsx';
import { dash, formatCount, inZone, locationText } from '../../format.ts';
import { useAnnotationActions, useCase, useFilterTimeline, useTimeline } from '../../stores/context.tsx';
import { NOTE_MAX, TAG_MAX } from '../../../core/annotations.ts';

function Field(props: { label: string; value: string | number | null; testId?: string; mono?: boolean; onFilter?: () => void }) {
  return (
    <div className="field">
      <dt>{props.label}</dt>
      <dd className={props.mono ? 'mono' : undefined} data-testid={props.testId}>
        {dash(props.value)}
        {props.onFilter && props.value !== null ? (
          <button type="button" className="link" onClick={props.onFilter} title={`Show only events with this ${props.label.toLowerCase()}`}>filter</button>
        ) : null}
      </dd>
    </div>
  );
}

function Copies(props: { copies: EventDetail['copies']; total: number }) {
  if (props.total === 0) return null;
  return (
    <>
      <h3>Also received ({formatCount(props.total)} {props.total === 1 ? 'copy' : 'copies'}, counted as duplicates)</h3>
      <ul className="copies" data-testid="detail-copies">
        {props.copies.map((c, i) => (
          <li key={i}>
            <span className="mono">{c.sha256}</span> {dash(locationText(c))}
            {c.format ? ` · ${c.format}` : ''}
            {c.origin ? <span className="muted mono"> · {c.origin}</span> : null}
            {c.differs ? <div className="copy-differs" data-testid="copy-differs">Says otherwise than the record kept: {differsText(c.differs)}</div> : null}
          </li>
        ))}
        {props.total > props.copies.length ? <li className="muted">and {formatCount(props.total - props.copies.length)} more</li> : null}
      </ul>
    </>
  );
}

/**
 * The examiner's own tags, notes and bookmark (blindspot annotate, or here): shown apart from the record,
 * as not evidence. Each one added or removed here goes to the custody log, as from the command line.
 */
function Annotations(props: { annotations: EventDetail['annotations']; timeZone: string }) {
  const actions = useAnnotationActions();
  const filterBy = useFilterTimeline();
  const [tag, setTag] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const tags = props.annotations.filter((a) => a.kind === 'tag');
  const notes = props.annotations.filter((a) => a.kind === 'note');
  const bookmark = props.annotations.find((a) => a.kind === 'bookmark');
  /** Runs one change; clears `then`'s input when it went through. */
  const run = async (change: () => Promise<string | null>, then?: () => void): Promise<void> => {
    setBusy(true);
    const refused = await change();
    setBusy(false);
    setProblem(refused);
    if (refused === null) then?.();
  };
  const when = (at: string): string => (props.timeZone === 'UTC' ? at : inZone(at, props.timeZone));
  return (
    <section className="annotations" data-testid="detail-annotations" aria-label="Examiner's annotations">
      <h3>Examiner's annotations (not evidence)</h3>
      <p className="bookmark">
        {bookmark ? <span title={`${bookmark.author}, ${when(bookmark.createdAt)}`}>★ Bookmarked </span> : null}
        <button type="button" className="link" disabled={busy} data-testid="bookmark-toggle"
          onClick={() => void run(() => (bookmark ? actions.remove(bookmark.id) : actions.add('bookmark', null)))}>
          {bookmark ? 'remove bookmark' : '☆ Bookmark this event'}
        </button>
      </p>
      {tags.length > 0 ? (
        <p className="tags">
          {tags.map((t) => (
            <span key={t.id} className="tag" title={`#${t.id} · ${t.author}, ${when(t.createdAt)}`}>
              <button type="button" className="tag-name" title={`Show only the events tagged “${t.text ?? ''}”`} onClick={() => filterBy('tag', t.text ?? '')}>{t.text}</button>
              <button type="button" className="remove" disabled={busy} aria-label={`Remove tag ${t.text ?? ''}`} onClick={() => void run(() => actions.remove(t.id))}>×</button>
            </span>
          ))}
        </p>
      ) : null}
      {notes.map((n) => (
        <figure key={n.id} className="note">
          <blockquote>{n.text}</blockquote>
          <figcaption className="muted">
            #{n.id} · {n.author} · {when(n.createdAt)}{' '}
            <button type="button" className="link" disabled={busy} onClick={() => void run(() => actions.remove(n.id))}>remove</button>
          </figcaption>
        </figure>
      ))}
      <form className="annotate-row" onSubmit={(e) => { e.preventDefault(); void run(() => actions.add('tag', tag), () => setTag('')); }}>
        <input name="tag" value={tag} maxLength={TAG_MAX} placeholder="tag, e.g. exfil" aria-label="New tag" onChange={(e) => setTag(e.target.value)} />
        <button type="submit" disabled={busy || tag.trim() === ''}>Add tag</button>
      </form>
      <form className="annotate-note" onSubmit={(e) => { e.preventDefault(); void run(() => actions.add('note', note), () => setNote('')); }}>
        <textarea name="note" value={note} maxLength={NOTE_MAX} rows={2} placeholder="note" aria-label="New note" onChange={(e) => setNote(e.target.value)} />
        <button type="submit" disabled={busy || note.trim() === ''}>Add note</button>
      </form>
      {problem ? <Notice kind="error" testId="annotation-problem">{problem}</Notice> : null}
    </section>
  );
}

function Items(props: { items: EventDetail['items'] }) {
  if (props.items.length === 0) return <p className="muted">No access items in this record.</p>;
  return (
    <table className="items" data-testid="detail-items">
      <thead><tr><th>Access</th><th>Folder</th><th>InternetMessageId</th><th>Size</th></tr></thead>
      <tbody>
        {props.items.map((it, i) => (
          <tr key={i}>
            <td>{dash(it.accessType)}</td>
            <td>{dash(it.folderPath)}</td>
            <td className="mono">{dash(it.internetMessageId)}</td>
            <td className="num">{it.sizeBytes === null ? '—' : formatCount(it.sizeBytes)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The event open in the window. `inTimeline` false: shown beside the findings, where the timeline's rows do not matter. */
export function EventDetailPane(props: { inTimeline?: boolean }) {
  const detail = useTimeline((s) => s.detail);
  const loading = useTimeline((s) => s.detailLoading);
  const error = useTimeline((s) => s.detailError);
  const filterBy = useFilterTimeline();
  const timeZone = useCase((s) => s.summary?.timeZone ?? 'UTC');
  // The event shown is kept open when the filters change; say so when the rows no longer hold it.
  const inRows = useTimeline((s) => s.selectedIndex >= 0);
  // Another event starts at its top (its operation, time and user), not where the last one was scrolled to.
  const pane = useRef<HTMLElement>(null);
  const shownId = detail?.id;
  useEffect(() => { if (pane.current) pane.current.scrollTop = 0; }, [shownId]);

  let content;
  if (error) content = <Notice kind="error">{error}</Notice>;
  else if (!detail) content = <Notice kind="info">{loading ? 'Loading the event…' : props.inTimeline === false ? 'Open an event a finding cites to see its full record, access items and source.' : 'Select an event to see its full record, access items and source.'}</Notice>;
  else {
    const d = detail;
    content = (
      <div className={loading ? 'detail-body stale' : 'detail-body'}>
        {inRows || props.inTimeline === false ? null : <Notice kind="info" testId="detail-not-in-rows">This event is not among the rows loaded for the current filters.</Notice>}
        <h2 data-testid="detail-operation">{dash(d.operation)}</h2>
        <dl className="fields">
          <Field label="Time (UTC)" value={d.time} mono testId="detail-time" />
          {timeZone !== 'UTC' ? <Field label={`Time (${timeZone})`} value={inZone(d.time, timeZone)} mono /> : null}
          <Field label="User" value={d.user} onFilter={d.user ? () => filterBy('user', d.user!) : undefined} />
          <Field label="Mailbox" value={d.mailbox} onFilter={d.mailbox ? () => filterBy('mailbox', d.mailbox!) : undefined} />
          <Field label="Client IP" value={d.clientIp} mono onFilter={d.clientIp ? () => filterBy('ip', d.clientIp!) : undefined} />
          <Field label="Session" value={d.sessionId} mono onFilter={d.sessionId ? () => filterBy('session', d.sessionId!) : undefined} />
          <Field label="App id" value={d.appId} mono onFilter={d.appId ? () => filterBy('app', d.appId!) : undefined} />
          <Field label="Workload" value={d.workload} />
          <Field label="Record type" value={d.recordTypeName ? `${d.recordTypeName} (${dash(d.recordType)})` : d.recordType} />
          <Field label="Result" value={d.resultStatus} />
          <Field label="Record id" value={d.id} mono testId="detail-id" />
        </dl>
        <Annotations key={d.id} annotations={d.annotations} timeZone={timeZone} />
        <h3>Source (cite this)</h3>
        <dl className="fields">
          <Field label="Evidence SHA-256" value={d.evidence.sha256} mono testId="detail-sha256" />
          <Field label="Location" value={locationText(d.evidence)} testId="detail-line" />
          <Field label={d.evidenceFile.source === 'acquisition' ? 'Received from' : 'Imported from'} value={d.evidenceFile.origin} mono />
          <Field label="Format" value={d.evidenceFile.format} />
          {d.evidenceFile.encoding ? <Field label="Text read as" value={encodingName(d.evidenceFile.encoding)} testId="detail-encoding" /> : null}
        </dl>
        <Copies copies={d.copies} total={d.copiesTotal} />
        <h3>Access items ({formatCount(d.items.length)})</h3>
        <Items items={d.items} />
        <h3>AuditData</h3>
        <pre className="audit-data" data-testid="detail-auditdata" tabIndex={0}>{JSON.stringify(d.auditData, null, 2)}</pre>
      </div>
    );
  }
  return (
    <aside className="detail" aria-label="Event detail" data-testid="event-detail" ref={pane}>
      {content}
    </aside>
  );
}
