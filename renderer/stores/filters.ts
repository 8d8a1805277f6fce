// The filter bar's text boxes and their translation into the contract's timeline arguments. Pure: the
// store calls it, the tests check it. Times without a zone are read as UTC, like the grid shows them.
import type { ApiArgs } from '../api.ts';

export interface FilterDraft {
  from: string;
  to: string;
  user: string;
  mailbox: string;
  operations: string;
  ip: string;
  session: string;
  text: string;
}

export type TimelineFilters = Omit<ApiArgs<'timeline.query'>, 'after' | 'limit'>;

export const EMPTY_DRAFT: FilterDraft = { from: '', to: '', user: '', mailbox: '', operations: '', ip: '', session: '', text: '' };

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** An ISO 8601 date or date-time typed by a person, as an ISO string with an offset; null when unreadable. */
export function parseTime(input: string): string | null {
  const s = input.trim();
  let iso: string;
  const d = DATE.exec(s);
  if (d) {
    iso = `${d[1]}-${d[2]}-${d[3]}T00:00:00Z`;
  } else {
    const m = DATE_TIME.exec(s);
    if (!m) return null;
    const frac = m[7] ? m[7].slice(0, 4) : '';
    let zone = (m[8] ?? 'Z').toUpperCase();
    if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
    iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}${frac}${zone}`;
  }
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return null;
  // Reject impossible dates that Date.parse would roll over (2026-02-30).
  const [y, mo, da] = iso.slice(0, 10).split('-').map(Number);
  const check = new Date(Date.UTC(y!, mo! - 1, da!));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo! - 1 || check.getUTCDate() !== da) return null;
  return new Date(ms).toISOString();
}

export type DraftResult = { ok: true; filters: TimelineFilters } | { ok: false; field: keyof FilterDraft; message: string };

export function draftToFilters(d: FilterDraft): DraftResult {
  const f: TimelineFilters = {};
  if (d.from.trim()) {
    const v = parseTime(d.from);
    if (!v) return { ok: false, field: 'from', message: `"From" is not a date or date-time: ${d.from.trim()} (e.g. 2026-05-01 or 2026-05-01T10:00Z).` };
    f.from = v;
  }
  if (d.to.trim()) {
    const v = parseTime(d.to);
    if (!v) return { ok: false, field: 'to', message: `"To" is not a date or date-time: ${d.to.trim()} (e.g. 2026-05-02 or 2026-05-01T18:00Z).` };
    f.to = v;
  }
  if (f.from && f.to && Date.parse(f.from) >= Date.parse(f.to)) return { ok: false, field: 'to', message: '"To" must be after "From".' };
  const text = (k: 'user' | 'mailbox' | 'ip' | 'session' | 'text') => { const v = d[k].trim(); if (v) f[k] = v; };
  text('user'); text('mailbox'); text('ip'); text('session'); text('text');
  const ops = d.operations.split(/[,;\s]+/).map((s) => s.trim()).filter(Boolean);
  if (ops.length > 50) return { ok: false, field: 'operations', message: 'At most 50 operations at a time.' };
  if (ops.length) f.operations = [...new Set(ops)];
  return { ok: true, filters: f };
}

export function isEmptyFilters(f: TimelineFilters): boolean {
  return Object.keys(f).length === 0;
}
