import { parse as csvParse } from 'csv-parse';
import { describe, expect, it } from 'vitest';
import { csvReader, csvSeparator } from './csvReader.ts';
import type { CsvFault, CsvRow, CsvSeparator } from './csvReader.ts';

/** A small deterministic generator (mulberry32), so that a failing case can be run again. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Reads text given in chunks (cut at the offsets given) and gathers what the reader reports. */
function read(chunks: string[], separator: CsvSeparator = ','): { rows: CsvRow[]; faults: CsvFault[] } {
  const rows: CsvRow[] = [];
  const faults: CsvFault[] = [];
  const r = csvReader((row) => rows.push(row), (f) => faults.push(f), separator);
  for (const c of chunks) r.push(c);
  r.end();
  return { rows, faults };
}

function cutAt(text: string, rnd: () => number, most: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; ) {
    const n = 1 + Math.floor(rnd() * most);
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

/** csv-parse's rows for the text (strict quotes, empty lines skipped), and whether it reported an error. */
async function oracle(text: string, delimiter: CsvSeparator = ','): Promise<{ rows: string[][]; error: boolean }> {
  const rows: string[][] = [];
  // on_record sees each row as it is parsed: a stream's buffered rows are dropped when it errs
  const parser = csvParse({ delimiter, relax_column_count: true, skip_empty_lines: true, on_record: (r: string[]) => { rows.push(r); return null; } });
  const done = new Promise<boolean>((resolve) => {
    parser.on('error', () => resolve(true));
    parser.on('end', () => resolve(false));
  });
  parser.resume();
  parser.end(text);
  return { rows, error: await done };
}

/** Physical lines ended in s, counted independently of the reader: CR LF, LF and a lone CR each end one. */
const lineEnds = (s: string): number => (s.match(/\r\n|\r|\n/g) ?? []).length;

const quote = (cell: string): string => `"${cell.replaceAll('"', '""')}"`;

describe('csvReader', () => {
  it('gives each row of a well-formed file with its cells, its exact text and the line it starts on, however the text is cut', () => {
    const rnd = random(7);
    const pieces = ['a', 'Zürich', '会議', '"', ',', '\n', '\r\n', '\r', ' ', '{"Id":"x"}', ''];
    for (const eol of ['\n', '\r\n', '\r']) {
      for (let trial = 0; trial < 60; trial++) {
        let text = '';
        let line = 1;
        const expected: CsvRow[] = [];
        const rows = 1 + Math.floor(rnd() * 8);
        for (let r = 0; r < rows; r++) {
          while (rnd() < 0.2) { text += eol; line++; } // empty lines are skipped
          const cells: string[] = [];
          const n = 1 + Math.floor(rnd() * 4);
          for (let c = 0; c < n; c++) {
            let cell = '';
            for (let k = Math.floor(rnd() * 4); k > 0; k--) cell += pieces[Math.floor(rnd() * pieces.length)];
            cells.push(cell);
          }
          // a cell with no comma, quote or line end may be written bare, unless the row would then be empty
          const rowText = cells
            .map((c) => (/[",\r\n]/.test(c) || (n === 1 && c === '') || rnd() < 0.3 ? quote(c) : c))
            .join(',');
          expected.push({ cells, text: rowText, line });
          text += rowText;
          line += lineEnds(rowText);
          if (r < rows - 1 || rnd() < 0.5) { text += eol; line++; }
        }
        for (const most of [1, 3, 50, 5000]) {
          const got = read(cutAt(text, rnd, most));
          expect(got.faults, JSON.stringify(text)).toEqual([]);
          expect(got.rows, JSON.stringify(text)).toEqual(expected);
        }
      }
    }
  });

  it('reads what csv-parse reads, and refuses what it refuses, on random text made of CSV’s special characters', async () => {
    const rnd = random(11);
    const alphabet = ['a', 'b', ',', '"', '""', '\n', '\r', '\r\n', ' '];
    for (let trial = 0; trial < 3000; trial++) {
      let text = '';
      for (let k = Math.floor(rnd() * 14); k > 0; k--) text += alphabet[Math.floor(rnd() * alphabet.length)];
      const want = await oracle(text);
      const got = read(cutAt(text, rnd, 4));
      expect(got.rows.map((r) => r.cells), JSON.stringify(text)).toEqual(want.rows);
      expect(got.faults.length, JSON.stringify(text)).toBe(want.error ? 1 : 0);
    }
  });

  it('with a semicolon or a tab as the separator, reads what csv-parse reads with that delimiter and refuses what it refuses; a comma is then an ordinary character', async () => {
    const rnd = random(23);
    for (const sep of [';', '\t'] as const) {
      const alphabet = ['a', ',', sep, '"', '""', '\n', '\r\n', ' '];
      for (let trial = 0; trial < 1500; trial++) {
        let text = '';
        for (let k = Math.floor(rnd() * 14); k > 0; k--) text += alphabet[Math.floor(rnd() * alphabet.length)];
        const want = await oracle(text, sep);
        const got = read(cutAt(text, rnd, 4), sep);
        expect(got.rows.map((r) => r.cells), JSON.stringify(text)).toEqual(want.rows);
        expect(got.faults.length, JSON.stringify(text)).toBe(want.error ? 1 : 0);
      }
    }
    expect(read(['Id;AuditData\r\n1;"{""a"":""x;y,z""}"\r\n'], ';').rows.map((r) => r.cells)).toEqual([['Id', 'AuditData'], ['1', '{"a":"x;y,z"}']]);
    expect(read(['a;b\n"x"y;2\n'], ';').faults[0]!.reason).toMatch(/^a closing quote is followed by "y" instead of a semicolon or the end of the line/);
  });

  it('tells the separator from the header line: a comma unless semicolons or tabs outnumber commas outside quotes', () => {
    expect(csvSeparator('RecordId,CreationDate,RecordType,Operation,UserId,AuditData')).toBe(',');
    expect(csvSeparator('RecordId;CreationDate;RecordType;Operation;UserId;AuditData')).toBe(';');
    expect(csvSeparator('RecordId\tCreationDate\tRecordType\tOperation')).toBe('\t');
    expect(csvSeparator('"Id;x","a;b",c')).toBe(','); // semicolons inside quoted names do not count
    expect(csvSeparator('"Name, full";Id;Operation')).toBe(';');
    expect(csvSeparator('AuditData')).toBe(','); // one column: nothing to tell, the comma
    expect(csvSeparator('')).toBe(',');
  });

  it('reads a row far longer than the chunks it arrives in, and the rows around it', () => {
    const big = '{""Folders"":[' + '{""Path"":""\\\\Inbox""},'.repeat(40_000) + ']}';
    const text = `Id,AuditData\r\n1,"${big}"\r\n2,"{}"\r\n`;
    const chunks: string[] = [];
    for (let i = 0; i < text.length; i += 65_536) chunks.push(text.slice(i, i + 65_536));
    expect(chunks.length).toBeGreaterThan(10);
    const { rows, faults } = read(chunks);
    expect(faults).toEqual([]);
    expect(rows.map((r) => [r.cells[0], r.cells[1]!.length, r.line])).toEqual([['Id', 9, 1], ['1', big.replaceAll('""', '"').length, 2], ['2', 2, 3]]);
    expect(rows[1]!.cells[1]).toBe(big.replaceAll('""', '"'));
  });

  it('names the line and the fault of a malformed row, keeps the rows before it, and names the lines it could not read after it', () => {
    const cases: [string, number, RegExp, string[][]][] = [
      ['a,b\n1,"x"y,2\n3,4\n', 2, /^a closing quote is followed by "y" instead of a comma or the end of the line .*; where the next row starts is unknown, so lines 2 to 3 \(the rest of the file\) were not read$/, [['a', 'b']]],
      ['a,b\r\n1,x"y\r\n\r\n3,4\r\n5', 2, /^a quote inside a cell that does not start with one .*, so lines 2 to 5 \(the rest of the file\) were not read$/, [['a', 'b']]],
      ['a,b\r\n"multi\r\nline",2\r\n3,"never closed\r\n4,5\r\n', 4, /^the file ends inside a quoted cell \(a closing " is missing; truncated file\?\); lines 4 to 5 were not read$/, [['a', 'b'], ['multi\r\nline', '2']]],
      // with CR LF as the record delimiter, a LF alone after a closing quote is not a line end
      ['a,b\r\n"x"\n,2\r\n', 2, /^a closing quote is followed by "\\n" instead of a comma.*, so lines 2 to 3 \(the rest/, [['a', 'b']]],
      // a fault in the last row leaves nothing else unread
      ['a,b\n1,x"y', 2, /^a quote inside a cell that does not start with one \(a cell holding quotes is quoted whole and its quotes written twice\)$/, [['a', 'b']]],
    ];
    const rnd = random(3);
    for (const [text, line, reason, before] of cases) {
      for (const most of [1, 2, 7, 1000]) {
        const { rows, faults } = read(cutAt(text, rnd, most));
        expect(rows.map((r) => r.cells), JSON.stringify(text)).toEqual(before);
        expect(faults, JSON.stringify(text)).toHaveLength(1);
        expect(faults[0]!.line, JSON.stringify(text)).toBe(line);
        expect(faults[0]!.reason, JSON.stringify(text)).toMatch(reason);
        expect(text.includes(faults[0]!.text)).toBe(true);
      }
    }
  });
});
