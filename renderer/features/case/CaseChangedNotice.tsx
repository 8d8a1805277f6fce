import { Notice } from '../../components/Notice.tsx';
import { useCase, useReloadCase } from '../../stores/context.tsx';

/**
 * Shown when another process changed the case under the window: the rows stay where the reader is
 * until they choose to reload.
 */
export function CaseChangedNotice() {
  const changed = useCase((s) => s.changed);
  const reload = useReloadCase();
  if (!changed) return null;
  return (
    <div className="case-changed" data-testid="case-changed">
      <Notice kind="info" action={{ label: 'Reload', onClick: () => void reload() }}>
        This case has changed since this view was loaded (an import, acquisition or analysis finished elsewhere). Reload to see
        it; your filters stay.
      </Notice>
    </div>
  );
}
