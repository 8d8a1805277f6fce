import { useVirtualizer } from '@tanstack/react-virtual';
import { Fragment, useEffect, useLayoutEffect, useRef } from 'react';
import type { KeyboardEvent } from 'react';
import type { TimelineEntry } from '../../../core/api.ts';
import { Notice } from '../../components/Notice.tsx';
import { formatCount } from '../../format.ts';
import { useTimeline } from '../../stores/context.tsx';
import { isEmptyFilters } from '../../stores/filters.ts';

export const ROW_HEIGHT = 28;
/** Start fetching the next page when this many loaded rows are left below the view. */
const PREFETCH_ROWS = 100;

const COLUMNS: { key: string; label: string; value: (r: TimelineEntry) => string | null }[] = [
  { key: 'time', label: 'Time (UTC)', value: (r) => r.time },
  { key: 'operation', label: 'Operation', value: (r) => r.operation },
  { key: 'user', label: 'User', value: (r) => r.user },
  { key: 'mailbox', label: 'Mailbox', value: (r) => r.mailbox },
  { key: 'ip', label: 'Client IP', value: (r) => r.clientIp },
  { key: 'session', label: 'Session', value: (r) => r.sessionId },
  { key: 'workload', label: 'Workload', value: (r) => r.workload },
  { key: 'result', label: 'Result', value: (r) => r.resultStatus },
];

/** What the examiner marked on an event, said in a cell's tooltip. */
function marksTitle(m: NonNullable<TimelineEntry['marks']>): string {
  const parts = [m.bookmarked ? 'bookmarked' : null, m.tags.length ? `tags: ${m.tags.join(', ')}` : null, m.notes ? `${m.notes} note${m.notes === 1 ? '' : 's'}` : null];
  return `Examiner: ${parts.filter(Boolean).join('; ')}`;
}

/** A bookmarked event shows a star before its operation, one tagged or noted a diamond (the examiner's, not the record's). */
function Mark(props: { marks: TimelineEntry['marks'] }) {
  if (!props.marks) return null;
  return <span className="mark" data-testid="row-mark" title={marksTitle(props.marks)} aria-label={marksTitle(props.marks)}>{props.marks.bookmarked ? '★' : '◆'}</span>;
}

function StatusLine() {
  const count = useTimeline((s) => s.count);
  const loaded = useTimeline((s) => s.rows.length);
  const loading = useTimeline((s) => s.loading);
  const loadingMore = useTimeline((s) => s.loadingMore);
  const next = useTimeline((s) => s.next);
  const endStopped = useTimeline((s) => s.endStopped);
  const newestFirst = useTimeline((s) => s.newestFirst);
  return (
    <div className="grid-status" aria-live="polite">
      {/* one item, so that in a narrow window the help on the right moves to a line of its own
          instead of squeezing the counts into a column of broken words */}
      <span className="counts" data-testid="grid-counts">
        {loading ? 'Searching…' : count === null ? `${formatCount(loaded)} events loaded` : (
          <>
            <b data-testid="match-count">{formatCount(count)}</b> {count === 1 ? 'event matches' : 'events match'}
            <span className="muted"> · <span data-testid="loaded-count">{formatCount(loaded)}</span> loaded{next ? (loadingMore ? ', loading more…' : ', scroll for more') : ''}</span>
            {endStopped && count > loaded ? (
              <span className="end-hint" data-testid="end-hint"> · End: the last row loaded; the {newestFirst ? 'oldest' : 'newest'} {formatCount(count - loaded)} are not loaded (the Time header shows them first)</span>
            ) : null}
          </>
        )}
      </span>
      <MarkFilters />
      <span className="muted right" title="Times are in UTC (ISO 8601). Arrow keys, Page Up/Down and Home/End move through the rows; Enter opens one.">Times in UTC. ↑/↓, PgUp/PgDn, Home/End; Enter opens.</span>
    </div>
  );
}

/** The examiner's marks as filters: only bookmarked events (a toggle), and the tag chosen from an event's detail. */
function MarkFilters() {
  const bookmarked = useTimeline((s) => s.filters.bookmarked === true);
  const tag = useTimeline((s) => s.filters.tag);
  const setBookmarkedOnly = useTimeline((s) => s.setBookmarkedOnly);
  const filterBy = useTimeline((s) => s.filterBy);
  return (
    <span className="mark-filters">
      <button type="button" className={bookmarked ? 'toggle on' : 'toggle'} aria-pressed={bookmarked} data-testid="bookmarked-only"
        title={bookmarked ? 'Showing only the events you bookmarked: click to show every event' : 'Show only the events you bookmarked'}
        onClick={() => void setBookmarkedOnly(!bookmarked)}>
        {bookmarked ? '★' : '☆'} Bookmarked only
      </button>
      {tag ? (
        <span className="tag-filter" data-testid="tag-filter">
          Tagged “{tag}”
          <button type="button" className="remove" aria-label={`Stop filtering by the tag ${tag}`} onClick={() => void filterBy('tag', '')}>×</button>
        </span>
      ) : null}
    </span>
  );
}

export function TimelineGrid() {
  const rows = useTimeline((s) => s.rows);
  const next = useTimeline((s) => s.next);
  const loading = useTimeline((s) => s.loading);
  const loadingMore = useTimeline((s) => s.loadingMore);
  const error = useTimeline((s) => s.error);
  const filters = useTimeline((s) => s.filters);
  const selectedIndex = useTimeline((s) => s.selectedIndex);
  const select = useTimeline((s) => s.select);
  const moveSelection = useTimeline((s) => s.moveSelection);
  const goToEnd = useTimeline((s) => s.goToEnd);
  const loadMore = useTimeline((s) => s.loadMore);
  const apply = useTimeline((s) => s.apply);
  const clear = useTimeline((s) => s.clear);
  const newestFirst = useTimeline((s) => s.newestFirst);
  const setNewestFirst = useTimeline((s) => s.setNewestFirst);

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length + (next ? 1 : 0),
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 15,
    // The sticky column header sits above the rows inside the same scroll box (so columns line up).
    scrollMargin: ROW_HEIGHT,
    useFlushSync: false,
  });
  const items = virtualizer.getVirtualItems();
  const lastVisible = items.at(-1)?.index ?? -1;

  useEffect(() => {
    if (next && !loading && !loadingMore && lastVisible >= rows.length - PREFETCH_ROWS) void loadMore();
  }, [lastVisible, rows.length, next, loading, loadingMore, loadMore]);

  // A list of rows replaces a notice only when the filters or the order were run again (run() empties the
  // rows first): the new list is read from its top. The virtualizer would otherwise put the new scroll box
  // back at the offset the old one had reached.
  const showingRows = rows.length > 0;
  useLayoutEffect(() => {
    if (showingRows) virtualizer.scrollToOffset(0);
  }, [showingRows, virtualizer]);

  // Again when End's note appears: it can take the status line to two lines, and the rows' box shrinks.
  const endStopped = useTimeline((s) => s.endStopped);
  useEffect(() => {
    if (selectedIndex >= 0) virtualizer.scrollToIndex(selectedIndex, { align: 'auto' });
  }, [selectedIndex, endStopped, virtualizer]);

  const pageRows = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 400) / ROW_HEIGHT) - 1);
  const onKeyDown = (e: KeyboardEvent) => {
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: pageRows, PageUp: -pageRows, Home: -Infinity };
    if (e.key === 'End') {
      e.preventDefault();
      void goToEnd();
    } else if (e.key in moves) {
      e.preventDefault();
      const d = moves[e.key]!;
      void (d === -Infinity ? select(0) : moveSelection(d));
    } else if (e.key === 'Enter' && selectedIndex < 0 && rows.length > 0) {
      e.preventDefault();
      void select(0);
    }
  };

  let body;
  if (error && rows.length === 0) {
    body = <Notice kind="error" action={{ label: 'Retry', onClick: () => void apply() }}>{error}</Notice>;
  } else if (loading && rows.length === 0) {
    body = <Notice kind="info">Loading events…</Notice>;
  } else if (rows.length === 0) {
    body = isEmptyFilters(filters)
      ? <Notice kind="empty">This case has no events yet. Import audit records with: blindspot import &lt;case&gt; &lt;file&gt;</Notice>
      : <Notice kind="empty" action={{ label: 'Clear filters', onClick: () => void clear() }}>No events match these filters.</Notice>;
  }

  const head = (
    <div className="grid-row grid-head" role="row" aria-rowindex={1}>
      {COLUMNS.map((c) => c.key === 'time' ? (
        // The one order the timeline pages in (keyset on time): the time column's header switches it.
        <div key={c.key} role="columnheader" className={`cell col-${c.key}`} aria-sort={newestFirst ? 'descending' : 'ascending'}>
          <button
            type="button" className="sort" data-testid="sort-time" onClick={() => void setNewestFirst(!newestFirst)}
            title={newestFirst ? 'Newest first: click for oldest first' : 'Oldest first: click for newest first'}
          >
            {c.label} <span aria-hidden="true">{newestFirst ? '▼' : '▲'}</span><span className="sort-order">{newestFirst ? 'newest first' : 'oldest first'}</span>
          </button>
        </div>
      ) : <div key={c.key} role="columnheader" className={`cell col-${c.key}`}>{c.label}</div>)}
    </div>
  );

  return (
    <section className="timeline" aria-label="Timeline">
      <StatusLine />
      {error && rows.length > 0 ? <Notice kind="error" action={{ label: 'Retry', onClick: () => void loadMore() }}>{error}</Notice> : null}
      <div className="grid" role="grid" aria-rowcount={rows.length + 1} aria-label={newestFirst ? 'Events, newest first' : 'Events in time order'} data-testid="timeline-grid">
        {/* Keyed, so that a notice and the rows never share an element (the head would inherit the scroll box). */}
        {body ? <Fragment key="notice">{head}{body}</Fragment> : (
          <div
            key="rows"
            ref={scrollRef}
            className="grid-body"
            tabIndex={0}
            onKeyDown={onKeyDown}
            data-testid="timeline-scroll"
            aria-activedescendant={selectedIndex >= 0 ? `row-${selectedIndex}` : undefined}
          >
            {head}
            <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
              {items.map((v) => {
                const r = rows[v.index];
                const style = { transform: `translateY(${v.start - virtualizer.options.scrollMargin}px)`, height: ROW_HEIGHT };
                if (!r) {
                  return <div key="loader" className="grid-row loader-row" style={style} role="row">Loading more events…</div>;
                }
                const selected = v.index === selectedIndex;
                return (
                  <div
                    key={r.id}
                    id={`row-${v.index}`}
                    className={selected ? 'grid-row selected' : 'grid-row'}
                    role="row"
                    aria-rowindex={v.index + 2}
                    aria-selected={selected}
                    data-testid="timeline-row"
                    data-event-id={r.id}
                    style={style}
                    onClick={() => void select(v.index)}
                  >
                    {COLUMNS.map((c) => {
                      const text = c.value(r);
                      return (
                        <div key={c.key} role="gridcell" className={`cell col-${c.key}`} title={text ?? undefined}>
                          {c.key === 'operation' ? <Mark marks={r.marks} /> : null}{text ?? '—'}
                        </div>
                      );
                    })}
                  </div>
                );
              })}
            </div>
          </div>
        )}
      </div>
    </section>
  );
}
