import type { FormEvent } from 'react';
import { distinctSyncedFolders } from '../../../core/analysis/exposure.ts';
import { STORE_LABEL, WINDOW_KIND_LABEL } from '../../../core/analysis/labels.ts';
import { FilterField } from '../../components/FilterField.tsx';
import { Notice } from '../../components/Notice.tsx';
import { formatCount } from '../../format.ts';
import { useComputeExposure, useExposure } from '../../stores/context.tsx';
import { EXPOSURE_PAGE } from '../../stores/exposureStore.ts';
import type { ExposureDraft } from '../../stores/exposureStore.ts';

const FIELDS: { key: keyof ExposureDraft; label: string; placeholder: string; hint: string }[] = [
  { key: 'mailbox', label: 'Mailbox', placeholder: 'owner@contoso.com', hint: 'Its address, an alias or display name known from Get-Mailbox, or its GUID.' },
  { key: 'from', label: 'From (UTC)', placeholder: '2026-05-01T10:00Z', hint: 'ISO 8601; UTC unless a zone is given. Empty: from the start of the case.' },
  { key: 'to', label: 'To (UTC, before)', placeholder: '2026-05-02', hint: 'ISO 8601; UTC unless a zone is given. Empty: to the end of the case.' },
  { key: 'ip', label: 'Client IP', placeholder: '203.0.113.7', hint: 'Only the access from this address (the attacker\'s, say).' },
  { key: 'session', label: 'Session', placeholder: 'session id', hint: 'Only the access in this session.' },
  { key: 'app', label: 'App id', placeholder: 'app id', hint: 'Only the access by this app (AppId or ClientAppId).' },
];

/** The messages of a mailbox exposed in a scope (blindspot exposure), for breach notification: what was read, and where it could not be measured. */
export function ExposureView() {
  const draft = useExposure((s) => s.draft);
  const setDraft = useExposure((s) => s.setDraft);
  const problem = useExposure((s) => s.problem);
  const computing = useExposure((s) => s.computing);
  const run = useExposure((s) => s.run);
  const items = useExposure((s) => s.items);
  const offset = useExposure((s) => s.offset);
  const loadingItems = useExposure((s) => s.loadingItems);
  const page = useExposure((s) => s.page);
  const compute = useComputeExposure();
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void compute();
  };
  const r = run?.result;
  const count = r?.items.count ?? 0;
  const scope = r ? [r.scope.ip ? `IP ${r.scope.ip}` : null, r.scope.session ? `session ${r.scope.session}` : null, r.scope.app ? `app ${r.scope.app}` : null].filter(Boolean).join(', ') : '';
  const folders = r ? distinctSyncedFolders(r.syncedFolders) : [];
  return (
    <section className="exposure" data-testid="exposure-view" aria-label="Exposure">
      <form className="filter-bar" onSubmit={onSubmit} aria-label="Exposure scope" data-testid="exposure-form">
        {FIELDS.map((f) => <FilterField key={f.key} name={f.key} label={f.label} placeholder={f.placeholder} hint={f.hint} value={draft[f.key]} onChange={(v) => setDraft(f.key, v)} />)}
        <div className="filter-actions">
          <button type="submit" className="primary" disabled={computing} data-testid="exposure-compute"
            title="Computes the messages the mailbox's MailItemsAccessed records show exposed in the scope: a stored analysis run in the case, logged in the custody log">
            {computing ? 'Computing…' : 'Compute the exposure'}
          </button>
        </div>
      </form>
      <div className="exposure-body">
        {problem ? <Notice kind="error" testId="exposure-problem">{problem}</Notice> : null}
        {!r ? <Notice kind="info">Name a mailbox to see the messages its audit records show exposed (read by Bind, or in a folder synced), and where exposure could not be measured.</Notice> : (
          <>
            <p className="exposure-summary" data-testid="exposure-summary">
              <b>{formatCount(count)}</b> message{count === 1 ? '' : 's'} of <b>{r.mailbox}</b> exposed by Bind in {formatCount(r.items.accessRecords)} MailItemsAccessed record{r.items.accessRecords === 1 ? '' : 's'}, from <span className="mono">{r.scope.from}</span> to <span className="mono">{r.scope.to}</span>{scope ? ` (${scope})` : ''}. Stored as analysis run {run.runId}, in the custody log; <span className="mono">blindspot exposure &lt;case&gt; --mailbox {r.mailbox} --out F.csv</span> writes the whole list.
            </p>
            {r.blindWindows.length > 0 ? (
              <Notice kind="warning" testId="exposure-blind">
                <strong>Not measured.</strong> In these windows the records exposure is built from could not be in the case; messages read then are not in the list, which is therefore not the whole exposure.
                <ul>{r.blindWindows.map((w, i) => <li key={i}>{WINDOW_KIND_LABEL[w.kind]}{w.store ? ` (${STORE_LABEL[w.store]})` : ''}: <span className="mono">{w.start}</span> to <span className="mono">{w.end ?? 'still open'}</span>: {w.reason}</li>)}</ul>
              </Notice>
            ) : null}
            {r.contentSearches.length > 0 ? (
              <Notice kind="warning" testId="exposure-searches">
                <strong>Content searches that could reach this mailbox.</strong> What they found or exported is not in the list.
                <ul>{r.contentSearches.map((s) => <li key={s.name}>{s.statement}</li>)}</ul>
              </Notice>
            ) : null}
            {folders.length > 0 ? (
              <p data-testid="exposure-synced"><b>Folders synced</b> (every message in them may have been downloaded; the records do not list them): {folders.map((f) => <span key={f} className="mono folder">{f}</span>)}</p>
            ) : null}
            {count === 0 ? <Notice kind="empty">No message was read by Bind in this scope.</Notice> : (
              <>
                <div className="exposure-pager">
                  <span>Messages {formatCount(offset + 1)}–{formatCount(Math.min(offset + EXPOSURE_PAGE, count))} of {formatCount(count)}, by Internet message id</span>
                  <button type="button" disabled={offset === 0 || loadingItems} onClick={() => void page(Math.max(0, offset - EXPOSURE_PAGE))}>Previous</button>
                  <button type="button" disabled={offset + EXPOSURE_PAGE >= count || loadingItems} data-testid="exposure-next" onClick={() => void page(offset + EXPOSURE_PAGE)}>Next</button>
                </div>
                <table className="exposure-items" data-testid="exposure-items">
                  <thead><tr><th>Internet message id</th><th>Folder</th><th>First access (UTC)</th><th>Last access (UTC)</th><th>Records</th><th>Client IPs</th><th>Sessions</th></tr></thead>
                  <tbody>
                    {items.map((it) => (
                      <tr key={it.internetMessageId} data-testid="exposure-item">
                        <td className="mono">{it.internetMessageId}</td><td>{it.folder ?? '—'}</td><td className="mono">{it.firstAccess}</td><td className="mono">{it.lastAccess}</td>
                        <td className="num">{formatCount(it.accessCount)}</td><td className="mono">{it.ips.join(', ') || '—'}</td><td className="mono">{it.sessions.join(', ') || '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            )}
          </>
        )}
      </div>
    </section>
  );
}
