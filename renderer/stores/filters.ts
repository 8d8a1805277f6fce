// The filter bar's text boxes and their translation into the contract's timeline arguments. Pure: the
// store calls it, the tests check it. Times without a zone are read as UTC, like the grid shows them.
import { normaliseIp } from '../../core/ip.ts';
import { formatIso, parseTimeMs } from '../../core/time.ts';
import type { ApiArgs } from '../api.ts';

export interface FilterDraft {
  from: string;
  to: string;
  user: string;
  mailbox: string;
  operations: string;
  ip: string;
  session: string;
  app: string;
  text: string;
  /** Set from an event's tag (no box of its own): the events the examiner tagged so. */
  tag: string;
  /** 'yes': the events the examiner bookmarked (a toggle, no box of its own). */
  bookmarked: '' | 'yes';
}

export type TimelineFilters = Omit<ApiArgs<'timeline.query'>, 'after' | 'limit'>;

export const EMPTY_DRAFT: FilterDraft = { from: '', to: '', user: '', mailbox: '', operations: '', ip: '', session: '', app: '', text: '', tag: '', bookmarked: '' };

/**
 * An ISO 8601 date or date-time typed by a person, as an ISO string in UTC; null when unreadable. Read
 * by core/time.ts, the parser the imported records go through; only its ISO forms are taken here
 * (core also reads the US M/D/YYYY form, which a person in another locale would mean differently).
 */
export function parseTime(input: string): string | null {
  const s = input.trim();
  if (!/^\d{4}-/.test(s)) return null;
  const ms = parseTimeMs(s);
  return ms === null ? null : formatIso(ms);
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
  if (d.ip.trim() && normaliseIp(d.ip) === null) return { ok: false, field: 'ip', message: `"Client IP" is not an IP address: ${d.ip.trim()} (e.g. 203.0.113.7 or 2001:db8::4e).` };
  const text = (k: 'user' | 'mailbox' | 'ip' | 'session' | 'app' | 'text' | 'tag') => { const v = d[k].trim(); if (v) f[k] = v; };
  text('user'); text('mailbox'); text('ip'); text('session'); text('app'); text('text'); text('tag');
  if (d.bookmarked === 'yes') f.bookmarked = true;
  const ops = d.operations.split(/[,;\s]+/).map((s) => s.trim()).filter(Boolean);
  if (ops.length > 50) return { ok: false, field: 'operations', message: 'At most 50 operations at a time.' };
  if (ops.length) f.operations = [...new Set(ops)];
  return { ok: true, filters: f };
}

export function isEmptyFilters(f: TimelineFilters): boolean {
  return Object.keys(f).length === 0;
}
