import type { FormEvent } from 'react';
import type { FilterDraft } from '../../stores/filters.ts';
import { useTimeline } from '../../stores/context.tsx';

const FIELDS: { key: keyof FilterDraft; label: string; placeholder: string; wide?: boolean }[] = [
  { key: 'from', label: 'From (UTC)', placeholder: '2026-05-01T10:00Z' },
  { key: 'to', label: 'To (UTC, before)', placeholder: '2026-05-02' },
  { key: 'user', label: 'User', placeholder: 'user@contoso.com' },
  { key: 'mailbox', label: 'Mailbox', placeholder: 'owner@contoso.com' },
  { key: 'operations', label: 'Operations', placeholder: 'Send, New-InboxRule', wide: true },
  { key: 'ip', label: 'Client IP', placeholder: '203.0.113.7' },
  { key: 'session', label: 'Session', placeholder: 'session id' },
  { key: 'text', label: 'Text', placeholder: 'words, message ids', wide: true },
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
        <label key={f.key} className={f.wide ? 'filter wide' : 'filter'}>
          <span>{f.label}</span>
          <input
            name={f.key}
            value={draft[f.key]}
            placeholder={f.placeholder}
            spellCheck={false}
            autoComplete="off"
            aria-invalid={draftError?.field === f.key}
            onChange={(e) => setDraft(f.key, e.target.value)}
          />
        </label>
      ))}
      <div className="filter-actions">
        <button type="submit" className="primary">Apply</button>
        <button type="button" onClick={() => void clear()}>Clear</button>
      </div>
      {draftError ? <p className="filter-error" role="alert">{draftError.message}</p> : null}
    </form>
  );
}
