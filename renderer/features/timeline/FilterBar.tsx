import { FilterField } from '../../components/FilterField.tsx';
import type { FormEvent } from 'react';
import type { FilterDraft } from '../../stores/filters.ts';
import { useTimeline } from '../../stores/context.tsx';

// The hint says how each field matches (shown on hover and read out by screen readers): the identity
// fields match whole values, where Text matches the start of any word.
const WHOLE = 'Matches the whole value, in any letter case; to find part of a name or address, use Text.';
const FIELDS: { key: keyof FilterDraft; label: string; placeholder: string; hint: string }[] = [
  { key: 'from', label: 'From (UTC)', placeholder: '2026-05-01T10:00Z', hint: 'ISO 8601; UTC unless a zone is given.' },
  { key: 'to', label: 'To (UTC, before)', placeholder: '2026-05-02', hint: 'ISO 8601; UTC unless a zone is given; events before it.' },
  { key: 'user', label: 'User', placeholder: 'user@contoso.com', hint: WHOLE },
  { key: 'mailbox', label: 'Mailbox', placeholder: 'owner@contoso.com', hint: `${WHOLE} An alias known from Get-Mailbox also finds the mailbox.` },
  { key: 'operations', label: 'Operations', placeholder: 'Send, New-InboxRule', hint: 'Whole operation names, separated by commas.' },
  { key: 'ip', label: 'Client IP', placeholder: '203.0.113.7', hint: 'The whole address, without a port.' },
  { key: 'session', label: 'Session', placeholder: 'session id', hint: 'The whole session id.' },
  { key: 'app', label: 'App id', placeholder: 'app id', hint: 'The whole app id: the AppId or ClientAppId of a record, the ApplicationId of a sign-in.' },
  { key: 'text', label: 'Text', placeholder: 'words, message ids', hint: 'Every word must match the start of a word of the record: a name, a domain, a folder, a subject.' },
];

export function FilterBar() {
  const draft = useTimeline((s) => s.draft);
  const draftError = useTimeline((s) => s.draftError);
  const setDraft = useTimeline((s) => s.setDraft);
  const apply = useTimeline((s) => s.apply);
  const clear = useTimeline((s) => s.clear);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void apply();
  };
  return (
    <form className="filter-bar" onSubmit={onSubmit} aria-label="Timeline filters" data-testid="filter-bar">
      {FIELDS.map((f) => (
        <FilterField key={f.key} name={f.key} label={f.label} placeholder={f.placeholder} hint={f.hint} value={draft[f.key]}
          invalid={draftError?.field === f.key} onChange={(v) => setDraft(f.key, v)} />
      ))}
      <div className="filter-actions">
        <button type="submit" className="primary">Apply</button>
        <button type="button" onClick={() => void clear()}>Clear</button>
      </div>
      {draftError ? <p className="filter-error" role="alert">{draftError.message}</p> : null}
    </form>
  );
}
