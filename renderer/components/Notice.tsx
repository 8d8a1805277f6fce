import type { ReactNode } from 'react';

/** A plain message in place of content: empty states, errors. */
export function Notice(props: { kind: 'empty' | 'error' | 'info' | 'warning'; children: ReactNode; action?: { label: string; onClick: () => void }; testId?: string }) {
  return (
    <div className={`notice notice-${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'} data-testid={props.testId}>
      <div>{props.children}</div>
      {props.action ? <button type="button" onClick={props.action.onClick}>{props.action.label}</button> : null}
    </div>
  );
}
