// Display helpers (formatting only, no decisions about data).

export function formatCount(n: number): string {
  return n.toLocaleString('en-GB');
}

/** A UTC instant shown in a named zone, e.g. "2026-05-01 11:00:00 BST", for the case's display zone. */
export function inZone(iso: string, timeZone: string): string {
  try {
    const parts = new Intl.DateTimeFormat('en-GB', {
      timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
      hourCycle: 'h23', timeZoneName: 'short',
    }).formatToParts(new Date(iso));
    const p = (t: string) => parts.find((x) => x.type === t)?.value ?? '';
    return `${p('year')}-${p('month')}-${p('day')} ${p('hour')}:${p('minute')}:${p('second')} ${p('timeZoneName')}`;
  } catch {
    return iso;
  }
}

export function dash(v: string | number | null | undefined): string {
  return v === null || v === undefined || v === '' ? '—' : String(v);
}

/** Where a record lies in its evidence file, as a citation reads it. */
export function locationText(l: { line: number | null; element: number | null }): string | null {
  const parts = [l.line === null ? null : `line ${l.line}`, l.element === null ? null : `array element ${l.element} (counted from 0)`];
  return parts.filter(Boolean).join(', ') || null;
}
