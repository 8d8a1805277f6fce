// Time parsing for audit records. Every source writes its timestamps differently:
//   Management API / SUAL AuditData `CreationTime`   2015-06-29T20:03:19          (no zone: UTC, §3.7)
//   Graph `createdDateTime`, Sentinel `TimeGenerated`  2026-07-17T08:28:17Z / …17.1234567Z / +02:00
//   Purview CSV `CreationDate`, SUAL CSV             9/20/2023 4:05:03 AM        (UTC)
//   Export-Csv on a day-first system (en-GB …)       25/04/2026 10:00:00         (UTC; DateReading)
//   Log pipelines (lower-cased exports)              2022-12-12 22:19:00         (UTC)
//   Windows PowerShell 5.1 ConvertTo-Json DateTime   /Date(1583000000000)/
// A value without a zone is UTC, never local time: the machine's zone must not change evidence.
//
// Hand-written rather than Date.parse: Date.parse reads zone-less ISO date-times as *local* time, accepts
// impossible dates (Feb 30 rolls over) and does not know the US 12-hour form. A calendar check below
// rejects any field that Date.UTC would silently roll over.

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function validDate(y: number, mo: number, d: number): boolean {
  if (y < 1601 || y > 9999 || mo < 1 || mo > 12 || d < 1) return false;
  const max = mo === 2 && isLeap(y) ? 29 : (DAYS_IN_MONTH[mo - 1] ?? 0);
  return d <= max;
}

/** Reads `n` ASCII digits at `i`; -1 when any is not a digit. */
function digits(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(i + k) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** Reads 1..max digits at `i`: returns [value, next index] or null. */
function varDigits(s: string, i: number, max: number): [number, number] | null {
  let v = 0;
  let k = 0;
  while (k < max) {
    const c = s.charCodeAt(i + k) - 48;
    if (!(c >= 0 && c <= 9)) break;
    v = v * 10 + c;
    k++;
  }
  return k === 0 ? null : [v, i + k];
}

/** `YYYY-MM-DD[T| ]hh:mm[:ss[.f…]][Z|±hh:mm|±hhmm]`; a bare `YYYY-MM-DD` is midnight UTC. */
function parseIso(s: string): number | null {
  const n = s.length;
  if (n < 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return null;
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  if (y < 0 || mo < 0 || d < 0 || !validDate(y, mo, d)) return null;
  if (n === 10) return Date.UTC(y, mo - 1, d);
  const sep = s.charCodeAt(10);
  if (sep !== 84 /* T */ && sep !== 32 /* space */ && sep !== 116 /* t */) return null;
  if (n < 16 || s.charCodeAt(13) !== 58) return null;
  const h = digits(s, 11, 2);
  const mi = digits(s, 14, 2);
  if (h < 0 || mi < 0 || h > 23 || mi > 59) return null;
  let i = 16;
  let sec = 0;
  let ms = 0;
  if (s.charCodeAt(i) === 58) {
    sec = digits(s, i + 1, 2);
    if (sec < 0 || sec > 59) return null; // leap seconds do not occur in these logs
    i += 3;
    if (s.charCodeAt(i) === 46 || s.charCodeAt(i) === 44) {
      // fraction: .NET writes up to 7 digits; keep milliseconds, truncating (never rounding into the next second)
      i++;
      const start = i;
      let frac = 0;
      let k = 0;
      while (i < n) {
        const c = s.charCodeAt(i) - 48;
        if (!(c >= 0 && c <= 9)) break;
        if (k < 3) frac = frac * 10 + c;
        k++;
        i++;
      }
      if (i === start) return null;
      while (k < 3) { frac *= 10; k++; }
      ms = frac;
    }
  }
  let offsetMin = 0;
  if (i < n) {
    const c = s.charCodeAt(i);
    if (c === 90 || c === 122) { // Z
      i++;
    } else if (c === 43 || c === 45) { // + -
      const oh = digits(s, i + 1, 2);
      let om: number;
      if (s.charCodeAt(i + 3) === 58) { om = digits(s, i + 4, 2); i += 6; } else { om = digits(s, i + 3, 2); i += 5; }
      if (oh < 0 || om < 0 || oh > 14 || om > 59) return null;
      offsetMin = (oh * 60 + om) * (c === 45 ? -1 : 1);
    } else {
      return null;
    }
  }
  if (i !== n) return null;
  return Date.UTC(y, mo - 1, d, h, mi, sec, ms) - offsetMin * 60_000;
}

/**
 * How a file writes its dates with slashes: month first (`4/25/2026`, as Purview and Windows PowerShell
 * en-US write them) or day first (`25/04/2026`, as PowerShell's Export-Csv writes them on an en-GB or most
 * European systems). The text alone cannot tell `03/04/2026` apart: import decides per file (DateReading).
 */
export type DateOrder = 'mdy' | 'dmy';

/** `M/D/YYYY h:mm[:ss] [AM|PM]` (or `D/M/YYYY …` with `dmy`), UTC. */
function parseSlashed(s: string, order: DateOrder): number | null {
  const a = varDigits(s, 0, 2);
  if (!a || s.charCodeAt(a[1]) !== 47) return null;
  const b = varDigits(s, a[1] + 1, 2);
  if (!b || s.charCodeAt(b[1]) !== 47) return null;
  const [mo, d] = order === 'mdy' ? [a, b] : [b, a];
  const y = varDigits(s, b[1] + 1, 4);
  if (!y || y[1] - b[1] - 1 !== 4 || !validDate(y[0], mo[0], d[0])) return null;
  let i = y[1];
  if (i === s.length) return Date.UTC(y[0], mo[0] - 1, d[0]);
  if (s.charCodeAt(i) === 44) i++; // Log Analytics portal writes "5/1/2024, 10:15:22.000 AM"
  if (s.charCodeAt(i) !== 32) return null;
  while (s.charCodeAt(i) === 32) i++;
  const h = varDigits(s, i, 2);
  if (!h || s.charCodeAt(h[1]) !== 58) return null;
  const mi = digits(s, h[1] + 1, 2);
  if (mi < 0 || mi > 59) return null;
  i = h[1] + 3;
  let sec = 0;
  if (s.charCodeAt(i) === 58) {
    sec = digits(s, i + 1, 2);
    if (sec < 0 || sec > 59) return null;
    i += 3;
  }
  let ms = 0;
  if (s.charCodeAt(i) === 46) {
    const f = varDigits(s, i + 1, 9);
    if (!f) return null;
    const len = f[1] - i - 1;
    ms = Math.floor(f[0] / 10 ** Math.max(0, len - 3)) * 10 ** Math.max(0, 3 - len);
    i = f[1];
  }
  let hour = h[0];
  const rest = s.slice(i).trim().toUpperCase();
  if (rest === 'AM' || rest === 'PM') {
    if (hour < 1 || hour > 12) return null;
    if (rest === 'AM' && hour === 12) hour = 0;
    else if (rest === 'PM' && hour !== 12) hour += 12;
  } else if (rest !== '' && rest !== 'Z' && rest !== 'UTC') {
    return null;
  }
  if (hour > 23) return null;
  return Date.UTC(y[0], mo[0] - 1, d[0], hour, mi, sec, ms);
}

/** `/Date(1583000000000)/` or `/Date(1583000000000+0000)/` from Windows PowerShell's ConvertTo-Json. */
function parseMsJson(s: string): number | null {
  if (!s.startsWith('/Date(') || !s.endsWith(')/')) return null;
  const body = s.slice(6, -2);
  let end = body.length;
  for (let k = 1; k < body.length; k++) {
    const c = body.charCodeAt(k);
    if (c === 43 || c === 45) { end = k; break; } // the offset suffix only says how to display; the number is UTC
  }
  const num = body.slice(0, end);
  if (!/^-?\d{1,15}$/.test(num)) return null;
  return Number(num);
}

/**
 * Parses an audit timestamp to epoch milliseconds (UTC), or null when the value is not a time this
 * project knows how to read. Numbers are not accepted: a bare number is ambiguous (seconds? ms?).
 */
export function parseTimeMs(value: unknown, order: DateOrder = 'mdy'): number | null {
  if (typeof value !== 'string') return null;
  const s = value.trim();
  if (s.length === 0) return null;
  const c = s.charCodeAt(0);
  if (c === 47) return parseMsJson(s);
  if (s.length >= 10 && s.charCodeAt(4) === 45) return parseIso(s);
  if (c >= 48 && c <= 57) return parseSlashed(s, order);
  return null;
}

/** A date written with slashes: whether it reads as a time month first, and day first; null for any other value. */
export function slashReadings(value: unknown): { mdy: boolean; dmy: boolean } | null {
  if (typeof value !== 'string') return null;
  const s = value.trim();
  const c = s.charCodeAt(0);
  if (!(c >= 48 && c <= 57) || (s.length >= 10 && s.charCodeAt(4) === 45) || !s.includes('/')) return null;
  return { mdy: parseSlashed(s, 'mdy') !== null, dmy: parseSlashed(s, 'dmy') !== null };
}

/** How the slash dates of one file were read: the order, and whether it was given, told from the file, or assumed. */
export interface DatesRead {
  order: DateOrder;
  how: 'option' | 'file' | 'assumed';
  /** Dates written with slashes that the file's records were timed by. */
  slashDates: number;
  /** Of those, the ones that read as a date either way (both numbers 12 or less). */
  ambiguous: number;
}

/**
 * Reads the times of one file's records, keeping count of the dates written with slashes. Given an order
 * (import --date-order), it reads them so; otherwise ('auto') month first, noting the first date that can
 * only be day first (the file is then refused: its earlier dates would have been read the wrong way) and
 * the first that can only be month first (the file's order, told from the file).
 */
export class DateReading {
  readonly option: DateOrder | 'auto';
  slashDates = 0;
  ambiguous = 0;
  firstDayFirst: string | null = null;
  firstMonthFirst: string | null = null;

  constructor(option: DateOrder | 'auto' = 'auto') {
    this.option = option;
  }

  parse(value: unknown): number | null {
    const r = slashReadings(value);
    if (r !== null && (r.mdy || r.dmy)) {
      this.slashDates++;
      if (r.mdy && r.dmy) this.ambiguous++;
      else if (r.dmy) this.firstDayFirst ??= String(value).trim();
      else this.firstMonthFirst ??= String(value).trim();
    }
    return parseTimeMs(value, this.option === 'dmy' ? 'dmy' : 'mdy');
  }

  /** How the file's slash dates were read; null when it had none. */
  summary(): DatesRead | null {
    if (this.slashDates === 0) return null;
    if (this.option !== 'auto') return { order: this.option, how: 'option', slashDates: this.slashDates, ambiguous: this.ambiguous };
    return { order: 'mdy', how: this.firstMonthFirst !== null ? 'file' : 'assumed', slashDates: this.slashDates, ambiguous: this.ambiguous };
  }
}

/**
 * A date or date-time typed by a user (a command-line flag, an option): ISO 8601 only, and UTC unless it
 * names a zone, whatever the machine's own zone (`Date.parse` would read a zone-less time as local time,
 * and take "1" for 2001). Epoch milliseconds, or null.
 */
export function parseIsoUtc(value: string): number | null {
  return parseIso(value.trim());
}

/** ISO 8601 UTC with milliseconds: `2024-05-01T10:15:22.000Z`. */
export function formatIso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Parses a .NET TimeSpan string (`90.00:00:00`, `1.00:00:00`, `00:30:00`, `365`) into days (fractional
 * when hours are present). Returns null when unreadable.
 */
export function parseTimeSpanDays(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value !== 'string') return null;
  const m = /^\s*(-)?(?:(\d+)\.)?(\d+):(\d{1,2})(?::(\d{1,2})(?:\.\d+)?)?\s*$/.exec(value);
  if (m) {
    const days = Number(m[2] ?? 0) + Number(m[3]) / 24 + Number(m[4]) / 1440 + Number(m[5] ?? 0) / 86400;
    return m[1] ? -days : days;
  }
  const d = /^\s*(\d+)\s*$/.exec(value);
  return d ? Number(d[1]) : null;
}
