// Containers: how records are laid out in a file, independent of what the records mean.
//   json-lines  one JSON value per physical line (JSONL / NDJSON)
//   json-array  one top-level array, streamed element by element
//   json-object one or more top-level values one after another (a single object, pretty-printed or not,
//               a Graph page envelope, or several pretty-printed objects concatenated)
//   csv         RFC 4180 CSV (multi-line quoted cells, doubled quotes: core/formats/csvReader.ts)
// A container turns text chunks into RawRecords (the parsed value and its exact text) or rejects.
import { parse as csvParseSync } from 'csv-parse/sync';
import type { SourceLocation } from '../model.ts';
import { csvReader, csvSeparator } from './csvReader.ts';
import type { CsvFault, CsvReader, CsvRow } from './csvReader.ts';
import type { Detection } from './types.ts';

export type Container = Extract<Detection, { ok: true }>['container'];

export type RawRecord =
  | { kind: 'value'; value: unknown; text: string; loc: SourceLocation; bytes?: ByteRange }
  | { kind: 'reject'; loc: SourceLocation; reason: string; text?: string; wholeFile?: 'header' };

/** Where a record's text lies in the file it was read from, in bytes: [start, end). */
export interface ByteRange { start: number; end: number }

/**
 * How the text pushed maps to the file's bytes, given by the edge that reads the file (core stays free of
 * Node's Buffer): `byteBase` is the file offset of the first character pushed (3 after a UTF-8
 * byte-order mark), `utf8Length` measures a string's UTF-8 encoding. Without it no byte ranges are made.
 */
export interface ByteCounting { byteBase: number; utf8Length: (s: string) => number }

/**
 * The file offset reached as a container consumes its text in file order, so that a record's text can be
 * located by its bytes (what it stores can then point into the evidence file rather than copy it:
 * db/auditData.ts). A U+FFFD may be the decoder's stand-in for bytes that were not UTF-8, after which the
 * count cannot be trusted: the offset is -1 from there on, as it is when no counting was asked for.
 */
class ByteCounter {
  private byte: number;
  private readonly utf8Length: ((s: string) => number) | undefined;
  constructor(counting: ByteCounting | undefined) {
    this.byte = counting ? counting.byteBase : -1;
    this.utf8Length = counting?.utf8Length;
  }

  get offset(): number {
    return this.byte;
  }

  /** Moves past `s` and `extraBytes` more (ASCII the caller has measured); returns the new offset. */
  skip(s: string, extraBytes = 0): number {
    if (this.byte >= 0) this.byte = s.includes('\uFFFD') ? -1 : this.byte + this.utf8Length!(s) + extraBytes;
    return this.byte;
  }
}

const range = (start: number, end: number): ByteRange | undefined => (start >= 0 && end >= 0 ? { start, end } : undefined);

/** A parsed record with its text and, when it was located, its bytes. */
function valueRecord(value: unknown, text: string, loc: SourceLocation, bytes: ByteRange | undefined): RawRecord {
  return bytes ? { kind: 'value', value, text, loc, bytes } : { kind: 'value', value, text, loc };
}

export interface RawSource {
  push(chunk: string): RawRecord[];
  end(): RawRecord[];
}

/** Longest excerpt of a bad record kept in a reject (the edge keeps the evidence file itself). */
const REJECT_TEXT_MAX = 2000;

function clip(s: string): string {
  return s.length > REJECT_TEXT_MAX ? s.slice(0, REJECT_TEXT_MAX) + '…' : s;
}

function jsonErrorText(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.length > 200 ? m.slice(0, 200) + '…' : m;
}

function describeLoc(loc: SourceLocation): string {
  if (loc.row !== undefined && loc.line !== undefined) return `row ${loc.row} (line ${loc.line})`;
  if (loc.offset !== undefined && loc.line !== undefined) return `element ${loc.offset} (line ${loc.line})`;
  if (loc.line !== undefined) return `line ${loc.line}`;
  if (loc.row !== undefined) return `row ${loc.row}`;
  if (loc.offset !== undefined) return `element ${loc.offset}`;
  return 'record';
}

/**
 * A rejected record: its reason begins with where it is (describeLoc), written the one way everywhere
 * (the import reports reasons as they are), and the text kept with it is clipped.
 */
export function rejectAt(loc: SourceLocation, reason: string, text?: string): { kind: 'reject'; loc: SourceLocation; reason: string; text?: string } {
  return { kind: 'reject', loc, reason: `${describeLoc(loc)}: ${reason}`, ...(text !== undefined ? { text: clip(text) } : {}) };
}

// ---- JSON lines ---------------------------------------------------------------------------------

export function jsonLines(counting?: ByteCounting): RawSource {
  let pending = '';
  let lineNo = 0;
  const at = new ByteCounter(counting);

  function handle(line: string, out: RawRecord[]): void {
    lineNo++;
    const text = line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
    const start = at.offset;
    const bytes = range(start, at.skip(text));
    at.skip('', line.length - text.length + 1); // the line's CR, if any, and LF
    // blank lines are skipped (a trailing newline, or pipelines that separate with blank lines)
    let blank = true;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 32 && c !== 9) { blank = false; break; }
    }
    if (blank) return;
    const loc = { line: lineNo };
    try {
      out.push(valueRecord(JSON.parse(text), text, loc, bytes));
    } catch (e) {
      out.push(rejectAt(loc, `not valid JSON (${jsonErrorText(e)})`, text));
    }
  }

  return {
    push(chunk) {
      const out: RawRecord[] = [];
      let start = 0;
      let nl = chunk.indexOf('\n');
      if (nl < 0) { pending += chunk; return out; }
      handle(pending + chunk.slice(0, nl), out);
      pending = '';
      start = nl + 1;
      while ((nl = chunk.indexOf('\n', start)) >= 0) {
        handle(chunk.slice(start, nl), out);
        start = nl + 1;
      }
      pending = chunk.slice(start);
      return out;
    },
    end() {
      const out: RawRecord[] = [];
      if (pending.length > 0) handle(pending, out);
      pending = '';
      return out;
    },
  };
}

// ---- JSON array / sequence of values ------------------------------------------------------------
//
// Hand-written splitter: JSON.parse needs the whole text, and none of the installed libraries streams
// JSON. The splitter only tracks strings, escapes and bracket depth to find where each top-level element
// (array mode) or top-level value (sequence mode) begins and ends; each element is then given to
// JSON.parse, so the JSON grammar itself is still checked by the engine. Memory is bounded by the
// largest single element, never the file.

export function jsonValues(mode: 'array' | 'sequence', counting?: ByteCounting): RawSource {
  let buf = '';
  let pos = 0;            // scan position in buf
  let depth = 0;          // bracket depth (array mode: the outer array counts as 1)
  let inString = false;
  let started = mode === 'sequence'; // array mode: seen the opening '['
  let finished = false;   // array mode: seen the closing ']'
  let elemStart = -1;     // start of the current element in buf, -1 when between elements
  let elemLine = 0;
  let index = 0;
  let line = 1;           // physical line at `pos`
  let trailingReported = false;
  let broken = false;     // an unrecoverable structural error was reported; ignore the rest
  const at = new ByteCounter(counting); // at the file offset of buf[counted]: each character is measured once
  let counted = 0;

  /** Moves the byte count to buf[to]; the file offset there, or -1. */
  function countTo(to: number): number {
    if (at.offset < 0 || to <= counted) return at.offset;
    const from = counted;
    counted = to;
    return at.skip(buf.slice(from, to));
  }

  function emit(end: number, out: RawRecord[]): void {
    const text = buf.slice(elemStart, end);
    const loc: SourceLocation = mode === 'array' ? { offset: index, line: elemLine } : { line: elemLine };
    index++;
    const bytes = range(countTo(elemStart), countTo(end));
    try {
      out.push(valueRecord(JSON.parse(text), text, loc, bytes));
    } catch (e) {
      out.push(rejectAt(loc, `not valid JSON (${jsonErrorText(e)})`, text));
    }
    elemStart = -1;
  }

  function fail(out: RawRecord[], reason: string): void {
    out.push(rejectAt({ line }, reason, buf.slice(pos, pos + 200)));
    broken = true;
  }

  function scan(out: RawRecord[]): void {
    const n = buf.length;
    const base = mode === 'array' ? 1 : 0; // depth at which elements live
    while (pos < n && !broken) {
      if (inString) {
        // jump to the next quote; a quote preceded by an odd number of backslashes is escaped
        const q = buf.indexOf('"', pos);
        if (q < 0) { pos = n; break; }
        let bs = 0;
        for (let k = q - 1; k >= 0 && buf.charCodeAt(k) === 92; k--) bs++;
        pos = q + 1;
        if (bs % 2 === 0) {
          inString = false;
          if (depth === base && elemStart >= 0) emit(pos, out); // a top-level string element
        }
        continue;
      }
      const c = buf.charCodeAt(pos);
      if (c === 10) { line++; pos++; continue; }
      if (c === 32 || c === 9 || c === 13) { pos++; continue; }
      if (c === 0xfeff && pos === 0) { pos++; continue; }
      if (mode === 'array' && !started) {
        if (c !== 91) { fail(out, 'expected a JSON array starting with "["'); return; }
        started = true; depth = 1; pos++; continue;
      }
      if (finished) {
        if (!trailingReported) {
          trailingReported = true;
          out.push(rejectAt({ line }, 'text after the end of the JSON array is ignored', buf.slice(pos, pos + 200)));
        }
        pos = n;
        break;
      }
      if (depth === base && elemStart < 0) {
        // between elements
        if (mode === 'array' && c === 44) { pos++; continue; }             // ,
        if (mode === 'array' && c === 93) { depth = 0; finished = true; pos++; continue; } // ]
        elemStart = pos;
        elemLine = line;
      }
      if (c === 34) { inString = true; pos++; continue; }
      if (c === 123 || c === 91) { depth++; pos++; continue; }
      if (c === 125 || c === 93) {
        if (depth === base) {
          // a scalar element directly followed by ']' (array mode), or a stray closer
          if (mode === 'array' && c === 93 && elemStart >= 0) { emit(pos, out); depth = 0; finished = true; pos++; continue; }
          fail(out, `unexpected "${String.fromCharCode(c)}"`);
          return;
        }
        depth--;
        pos++;
        if (depth === base) emit(pos, out);
        continue;
      }
      if (depth === base && elemStart >= 0 && c === 44 && mode === 'array') { emit(pos, out); pos++; continue; }
      if (depth === base && mode === 'sequence' && elemStart === pos && c !== 123 && c !== 91) {
        // a scalar at the top level of a sequence: report the rest of the line and move on
        const e = buf.indexOf('\n', pos);
        if (e < 0) { elemStart = -1; return; } // wait for the line to complete
        const text = buf.slice(pos, e);
        out.push(rejectAt({ line }, `expected a JSON object, found ${JSON.stringify(text.trim().slice(0, 40))}`, text));
        elemStart = -1;
        pos = e;
        continue;
      }
      pos++;
    }
  }

  function compact(): void {
    // drop consumed text so memory stays bounded by one element
    const keep = elemStart >= 0 ? elemStart : pos;
    if (keep > 0) {
      countTo(keep);
      buf = buf.slice(keep);
      pos -= keep;
      counted -= keep;
      if (elemStart >= 0) elemStart = 0;
    }
  }

  return {
    push(chunk) {
      const out: RawRecord[] = [];
      if (broken) return out;
      buf += chunk;
      scan(out);
      compact();
      return out;
    },
    end() {
      const out: RawRecord[] = [];
      if (broken) return out;
      scan(out);
      if (elemStart >= 0) {
        const text = buf.slice(elemStart);
        const loc: SourceLocation = mode === 'array' ? { offset: index, line: elemLine } : { line: elemLine };
        if (mode === 'sequence' && depth === 0 && !inString) {
          // a trailing top-level scalar line without newline
          out.push(rejectAt(loc, `expected a JSON object, found ${JSON.stringify(text.trim().slice(0, 40))}`, text));
        } else {
          out.push(rejectAt(loc, 'the file ends inside this record (truncated?)', text));
        }
      } else if (mode === 'sequence' && buf.slice(pos).trim() !== '') {
        const text = buf.slice(pos).trim();
        out.push(rejectAt({ line }, `expected a JSON object, found ${JSON.stringify(text.slice(0, 40))}`, text));
      } else if (mode === 'array' && started && !finished) {
        out.push(rejectAt({ line }, 'the JSON array is not closed with "]" (truncated file?)'));
      }
      buf = '';
      pos = 0;
      return out;
    },
  };
}

// ---- CSV ----------------------------------------------------------------------------------------

/**
 * The columns a CSV header names more than once, letter case aside (records read their fields in either
 * case), as `ClientIP (columns 5, 6)`; empty when none is. Unnamed columns (the empty cells Excel leaves
 * after the last column) are not counted: no field is read from them.
 */
export function repeatedColumns(header: string[]): string[] {
  const byName = new Map<string, number[]>();
  header.forEach((name, i) => {
    if (name === '') return;
    const key = name.toLowerCase();
    const at = byName.get(key);
    if (at) at.push(i);
    else byName.set(key, [i]);
  });
  const out: string[] = [];
  for (const at of byName.values()) {
    if (at.length < 2) continue;
    const spellings = [...new Set(at.map((i) => header[i] as string))];
    out.push(`${spellings.join(' and ')} (columns ${at.map((i) => i + 1).join(', ')})`);
  }
  return out;
}

/**
 * CSV rows as objects keyed by the header row. A `#TYPE …` first line (Windows PowerShell Export-Csv) is
 * skipped. `loc.line` is the physical line where the row starts, `loc.row` the 1-based data row.
 */
export function csvRows(): RawSource {
  let out: RawRecord[] = [];
  let header: string[] | null = null;
  let refused = false;        // the header repeats a column: no row is read
  let row = 0;
  let prefix = '';            // text held until the header line is complete (to spot #TYPE and the separator)
  let reader: CsvReader | null = null;
  let lineOffset = 0;         // lines removed before the reader saw the text

  const onRow = ({ cells, text, line }: CsvRow): void => {
    if (header === null) {
      header = cells.map((h) => h.trim());
      const repeated = repeatedColumns(header);
      if (repeated.length > 0) {
        // A row's object keeps one cell per name: the other value would be lost without a word (a client
        // IP replaced by another), so the file is refused whole.
        refused = true;
        const reason = `the header names ${repeated.length === 1 ? 'a column' : 'columns'} more than once: ${repeated.join('; ')}; each row would keep one of the cells and lose the other, so the file is not read`;
        out.push({ ...rejectAt({ line: line + lineOffset }, reason, text), wholeFile: 'header' });
      }
      return;
    }
    if (refused) return;
    row++;
    const loc = { line: line + lineOffset, row };
    if (cells.length !== header.length) {
      out.push(rejectAt(loc, `has ${cells.length} cells but the header has ${header.length}`, text));
      return;
    }
    const obj: Record<string, string> = {};
    for (let i = 0; i < header.length; i++) obj[header[i] as string] = cells[i] as string;
    out.push({ kind: 'value', value: obj, text, loc });
  };
  const onFault = ({ line, text, reason }: CsvFault): void => {
    out.push(rejectAt({ line: line + lineOffset, row: row + 1 }, reason, text));
  };

  /** Starts the reader once the header line is complete (or the text ends): null until then. */
  function start(final: boolean): CsvReader | null {
    let text = prefix.charCodeAt(0) === 0xfeff ? prefix.slice(1) : prefix;
    let nl = text.indexOf('\n');
    if (text.startsWith('#TYPE') || text.startsWith('#type')) {
      if (nl < 0 && !final) return null;
      text = nl < 0 ? '' : text.slice(nl + 1);
      lineOffset = 1;
      nl = text.indexOf('\n');
    }
    if (nl < 0 && !final) return null;
    prefix = '';
    const r = csvReader(onRow, onFault, csvSeparator(nl < 0 ? text : text.slice(0, nl)));
    r.push(text);
    return r;
  }

  return {
    push(chunk) {
      if (reader === null) { prefix += chunk; reader = start(false); } else reader.push(chunk);
      const r = out; out = []; return r;
    },
    end() {
      reader ??= start(true) as CsvReader;
      reader.end();
      const r = out; out = []; return r;
    },
  };
}

/** The header cells of a CSV sample (after an optional #TYPE line), or null when it has none. */
export function csvHeader(sample: string): string[] | null {
  let text = sample.charCodeAt(0) === 0xfeff ? sample.slice(1) : sample;
  if (text.startsWith('#TYPE') || text.startsWith('#type')) {
    const nl = text.indexOf('\n');
    text = nl < 0 ? '' : text.slice(nl + 1);
  }
  const nl = text.indexOf('\n');
  const first = (nl < 0 ? text : text.slice(0, nl)).replace(/\r$/, '');
  if (first.trim() === '') return null;
  try {
    const rows = csvParseSync(first, { relax_quotes: true, relax_column_count: true, delimiter: csvSeparator(first) }) as string[][];
    const cells = rows[0];
    return cells ? cells.map((c) => c.trim()) : null;
  } catch {
    return null;
  }
}

export function createRawSource(container: Container, counting?: ByteCounting): RawSource {
  switch (container) {
    case 'json-lines': return jsonLines(counting);
    case 'json-array': return jsonValues('array', counting);
    case 'json-object': return jsonValues('sequence', counting);
    case 'csv': return csvRows();
  }
}

/**
 * Picks the JSON container from the start of the text: `[` → array; `{` whose first line is a complete
 * JSON value → lines; otherwise (a pretty-printed object) → a sequence of values. Returns null when
 * more text is needed to decide, 'csv' when the text does not start like JSON.
 */
export function sniffContainer(head: string, final: boolean): Container | null {
  let i = 0;
  if (head.charCodeAt(0) === 0xfeff) i = 1;
  while (i < head.length) {
    const c = head.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) { i++; continue; }
    break;
  }
  if (i >= head.length) return final ? 'json-lines' : null;
  const c = head.charCodeAt(i);
  if (c === 91) return 'json-array';
  if (c !== 123) return 'csv';
  const nl = head.indexOf('\n', i);
  if (nl < 0 && !final) return null;
  const first = (nl < 0 ? head.slice(i) : head.slice(i, nl)).trim();
  try {
    JSON.parse(first);
    return 'json-lines';
  } catch {
    // a pretty-printed object starts with "{" alone or ends its first line with an opener or comma
    const last = first.charCodeAt(first.length - 1);
    if (first === '{' || last === 123 || last === 91 || last === 44 || last === 58) return 'json-object';
    return nl < 0 ? 'json-object' : 'json-lines';
  }
}
