import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { notText } from './binary.ts';

/** The start of a zip whose first entry is `name` (a local file header, as every zip writer makes it). */
function zipHead(name: string): Uint8Array {
  const n = new TextEncoder().encode(name);
  const h = new Uint8Array(30 + n.length + 8);
  h.set([0x50, 0x4b, 0x03, 0x04]);
  h[26] = n.length & 0xff;
  h[27] = n.length >> 8;
  h.set(n, 30);
  return h;
}

const ascii = (s: string, ...more: number[]) => new Uint8Array([...new TextEncoder().encode(s), ...more]);

describe('files that are not text', () => {
  it('names the containers and documents exports are sent in, by their first bytes', () => {
    const cases: [Uint8Array, string][] = [
      [gzipSync('{"Id":"x"}\n'), 'a gzip-compressed file'],
      [zipHead('audit/export.csv'), 'a zip archive'],
      [zipHead('[Content_Types].xml'), 'an Excel workbook (.xlsx)'],
      [zipHead('xl/workbook.xml'), 'an Excel workbook (.xlsx)'],
      [new Uint8Array([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0, 4]), 'a 7-Zip archive'],
      [new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0]), 'an Office document in the old binary format (.xls, .doc or an Outlook .msg)'],
      [ascii('%PDF-1.7\n'), 'a PDF document'],
      [ascii('SQLite format 3', 0, 0x40), 'an SQLite database'],
      [ascii('ElfFile', 0, 0), 'a Windows event log (.evtx)'],
    ];
    for (const [head, what] of cases) expect(notText(head)?.what, what).toBe(what);
    expect(notText(zipHead('[Content_Types].xml'))?.advice).toMatch(/CSV UTF-8/);
  });

  it('leaves text alone: JSON, CSV, UTF-16 with its byte-order mark, an empty file, text that merely starts like one', () => {
    for (const head of [ascii('{"Id":"x"}'), ascii('RecordId,CreationDate'), new Uint8Array([0xff, 0xfe, 0x5b, 0]), new Uint8Array(0), ascii('PK is a column'), ascii('SQLite format 3 notes')]) {
      expect(notText(head)).toBeNull();
    }
  });
});
