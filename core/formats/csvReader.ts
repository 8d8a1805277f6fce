// RFC 4180 CSV rows from text that arrives in chunks, each with the physical line it starts on and its
// exact text.
//
// Written by hand, and why: csv-parse walks every byte through several method calls (40-45 MB/s here), so
// a Purview export of 293 MB spent 7 s in it and its import took 10.1 s against 5.4 s for the same
// records as JSON lines. PapaParse and uDSV are fast but give neither a row's source text nor its line,
// which rejects and provenance need. This reader finds the end of a quoted cell (an audit record's whole
// AuditData) by jumping from quote to quote with indexOf, and reads the same rows as csv-parse with
// `relax_quotes: false` and `skip_empty_lines: true` (csv-parse still reads the header sniff:
// containers.ts); core/formats/csvReader.test.ts holds it to csv-parse's rows and refusals on random text:
//   - the record delimiter is the first CR LF, LF or CR found outside quotes; after that only that one
//     ends a row, and the others are ordinary characters of an unquoted cell;
//   - a cell that starts with `"` is quoted: `""` inside it is one quote, and its closing quote must be
//     followed by a comma, the record delimiter or the end of the text;
//   - a quote inside an unquoted cell, or after a closing quote, is a fault, and so is a quoted cell
//     still open at the end; after a fault nothing more is read (where the next row starts is unknown);
//   - a line with no characters at all is skipped; a row may have any number of cells;
//   - cells are separated by a comma, or by the separator given (a semicolon or a tab: csvSeparator).

export interface CsvRow {
  cells: string[];
  /** The row's text as it stands in the file, without its record delimiter. */
  text: string;
  /** The physical line (1-based; LF, CR LF and a lone CR each end one) where the row starts. */
  line: number;
}

export interface CsvFault {
  /** The physical line where the faulty row starts, and the row's text so far. */
  line: number;
  text: string;
  reason: string;
}

export interface CsvReader {
  push(chunk: string): void;
  /** Reads what is left (called once, at the end); a quoted cell still open is a fault. */
  end(): void;
}

const QUOTE = 34;
const DOUBLED_QUOTES = /""/g;
const SEPARATOR_NAMES: Record<string, string> = { ',': 'a comma', ';': 'a semicolon', '\t': 'a tab' };
const LF = 10;
const CR = 13;

/** Outcome of reading one row from the buffer. */
const MORE = 0; // the row (or its delimiter) is not complete: wait for more text
const ROW = 1;
const FAULT = 2;

/** No stop: beyond any string V8 can hold, and a small integer, which keeps the scan loop on integers. */
const NO_STOP = 0x3fffffff;

const EOL_UNKNOWN = 0;
const EOL_LF = 1;
const EOL_CRLF = 2;
const EOL_CR = 3;

export type CsvSeparator = ',' | ';' | '\t';

/**
 * The separator of a CSV file, told from its header line: the comma, unless the line holds more
 * semicolons (Excel's "CSV" in locales whose decimal mark is a comma) or more tabs (Excel's "Unicode
 * Text", Export-Csv -Delimiter "`t") than commas, outside quotes. A header names columns, so it holds
 * no separator of another kind.
 */
export function csvSeparator(headerLine: string): CsvSeparator {
  const counts = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === ',' || ch === ';' || ch === '\t')) counts[ch]++;
  }
  if (counts[';'] > counts[','] && counts[';'] >= counts['\t']) return ';';
  if (counts['\t'] > counts[',']) return '\t';
  return ',';
}

export function csvReader(onRow: (row: CsvRow) => void, onFault: (fault: CsvFault) => void, separator: CsvSeparator = ','): CsvReader {
  const SEP = separator.charCodeAt(0);
  const sepName = SEPARATOR_NAMES[separator] as string;
  let buf = '';
  let pos = 0;        // start of the next row in buf
  let line = 1;       // physical line at pos
  let eol = EOL_UNKNOWN; // the record delimiter, once found
  // after a fault nothing more is read: the fault, reported at the end with the lines left unread, and those lines' count
  let fault: CsvFault | null = null;
  let restEnds = 0;   // line ends from the faulty row's start on
  let restEndsWithEol = false;
  let restPrevCR = false;
  let carry = '';     // the start of a row that the chunks so far did not complete
  let retryAt = 0;    // length of carried text at which an incomplete row is worth reading again
  // filled by readRow
  let cells: string[] = [];
  let end = 0;        // end of the row's text (its delimiter starts here)
  let next = 0;       // start of the row after it
  let reason = '';
  let truncated = false; // the fault is a quoted cell still open at the end

  /** Length of the record delimiter at i, 0 when there is none, -1 when more text is needed to tell. */
  function delimiterAt(i: number, final: boolean): number {
    const c = buf.charCodeAt(i);
    if (c !== CR && c !== LF) return 0;
    if (eol === EOL_UNKNOWN) {
      if (c === LF) { eol = EOL_LF; return 1; }
      if (i + 1 >= buf.length && !final) return -1;
      eol = buf.charCodeAt(i + 1) === LF ? EOL_CRLF : EOL_CR;
      return eol === EOL_CRLF ? 2 : 1;
    }
    if (eol === EOL_LF) return c === LF ? 1 : 0;
    if (eol === EOL_CR) return c === CR ? 1 : 0;
    if (c !== CR) return 0;
    if (i + 1 >= buf.length) return final ? 0 : -1;
    return buf.charCodeAt(i + 1) === LF ? 2 : 0;
  }

  function readRow(final: boolean): number {
    cells = [];
    let i = pos;
    for (;;) {
      // one cell starts at i
      if (i < buf.length && buf.charCodeAt(i) === QUOTE) {
        let q = i + 1;
        let doubled = false;
        for (;;) {
          q = buf.indexOf('"', q);
          if (q < 0 || q + 1 >= buf.length) {
            if (!final) return MORE;
            if (q < 0) { end = buf.length; truncated = true; reason = 'the file ends inside a quoted cell (a closing " is missing; truncated file?)'; return FAULT; }
            break; // the closing quote is the last character of the text
          }
          if (buf.charCodeAt(q + 1) !== QUOTE) break;
          doubled = true;
          q += 2;
        }
        // a regular expression gives a flat string, which JSON.parse reads fastest (measured against
        // replaceAll and against joining the runs between quotes)
        cells.push(doubled ? buf.slice(i + 1, q).replace(DOUBLED_QUOTES, '"') : buf.slice(i + 1, q));
        i = q + 1;
        if (i >= buf.length) { end = next = i; return ROW; }
        if (buf.charCodeAt(i) === SEP) { i++; continue; }
        const d = delimiterAt(i, final);
        if (d < 0) return MORE;
        if (d > 0) { end = i; next = i + d; return ROW; }
        end = i;
        reason = `a closing quote is followed by ${JSON.stringify(buf[i])} instead of ${sepName} or the end of the line (a quote inside a quoted cell is written twice: "")`;
        return FAULT;
      }
      // an unquoted cell: up to the next separator or record delimiter
      const start = i;
      for (;;) {
        if (i >= buf.length) {
          if (!final) return MORE;
          cells.push(buf.slice(start, i));
          end = next = i;
          return ROW;
        }
        const c = buf.charCodeAt(i);
        if (c === SEP) { cells.push(buf.slice(start, i)); i++; break; }
        if (c === QUOTE) {
          end = i;
          reason = `a quote inside a cell that does not start with one (a cell holding quotes is quoted whole and its quotes written twice)`;
          return FAULT;
        }
        if (c === CR || c === LF) {
          const d = delimiterAt(i, final);
          if (d < 0) return MORE;
          if (d > 0) { cells.push(buf.slice(start, i)); end = i; next = i + d; return ROW; }
        }
        i++;
      }
    }
  }

  /** Physical lines ended inside s (LF, CR LF, or a CR alone). */
  function linesIn(s: string): number {
    let n = 0;
    for (let k = s.indexOf('\n'); k >= 0; k = s.indexOf('\n', k + 1)) n++;
    if (s.includes('\r')) for (let k = s.indexOf('\r'); k >= 0; k = s.indexOf('\r', k + 1)) if (s.charCodeAt(k + 1) !== LF) n++;
    return n;
  }

  /** Counts the line ends of text after a fault (a CR LF split between two chunks is one). */
  function countRest(s: string): void {
    if (s.length === 0) return;
    restEnds += linesIn(s) - (restPrevCR && s.charCodeAt(0) === LF ? 1 : 0);
    const last = s.charCodeAt(s.length - 1);
    restPrevCR = last === CR;
    restEndsWithEol = last === CR || last === LF;
  }

  /** Reads rows from pos until the text runs out, a row is incomplete, or pos reaches stopAt. */
  function scan(final: boolean, stopAt: number): void {
    while (fault === null && pos < buf.length && pos < stopAt) {
      // an empty line: a record delimiter where a row would start
      const d = delimiterAt(pos, final);
      if (d < 0) return;
      if (d > 0) { line += linesIn(buf.slice(pos, pos + d)); pos += d; continue; }
      const r = readRow(final);
      if (r === MORE) return;
      const text = buf.slice(pos, end);
      if (r === FAULT) {
        fault = { line, text, reason };
        countRest(buf.slice(pos));
        return;
      }
      onRow({ cells, text, line });
      line += linesIn(buf.slice(pos, next));
      pos = next;
    }
  }

  /** Reads a chunk's rows; what is left of the last, incomplete row is carried to the next chunk. */
  function readChunk(chunk: string): void {
    buf = chunk;
    pos = 0;
    scan(false, NO_STOP);
    carry = fault ? '' : buf.slice(pos);
    retryAt = 0;
  }

  return {
    push(chunk) {
      if (fault) { countRest(chunk); return; }
      if (chunk.length === 0) return;
      if (carry === '') { readChunk(chunk); return; }
      // A row began in an earlier chunk. Joining the whole chunk to it would make V8 copy both into a new
      // string at the first character read (profiled: with 64 KiB chunks that copy was 45% of the
      // reader's time), so the row is completed from a prefix of the chunk, doubled until it is enough.
      if (carry.length + chunk.length < retryAt) { carry += chunk; return; }
      const startLine = line;
      for (let take = Math.min(chunk.length, Math.max(4096, 2 * carry.length)); ; take = Math.min(chunk.length, 2 * take)) {
        buf = carry + chunk.slice(0, take);
        pos = 0;
        line = startLine;
        scan(false, carry.length);
        if (fault) { countRest(chunk.slice(take)); carry = ''; return; }
        if (pos >= carry.length) { const used = pos - carry.length; carry = ''; readChunk(chunk.slice(used)); return; }
        if (take === chunk.length) break;
      }
      // still incomplete with the whole chunk: a row longer than a chunk. It is read again only once its
      // text has doubled, so that a row of any length costs linear time.
      carry = buf.slice(pos);
      retryAt = 2 * carry.length;
    },
    end() {
      if (fault === null) {
        buf = carry;
        pos = 0;
        scan(true, NO_STOP);
        buf = carry = '';
        pos = 0;
      }
      if (fault) {
        // a fault before the end leaves the lines after its row's start unread: they are named, so that
        // an import that skips bad records says how much of the file it did not read
        const last = fault.line + restEnds - (restEndsWithEol ? 1 : 0);
        if (last > fault.line) {
          fault.reason += truncated
            ? `; lines ${fault.line} to ${last} were not read`
            : `; where the next row starts is unknown, so lines ${fault.line} to ${last} (the rest of the file) were not read`;
        }
        onFault(fault); // end() is called once
      }
    },
  };
}
