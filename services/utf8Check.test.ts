import { describe, expect, it } from 'vitest';
import { firstInvalidUtf8, Utf8Check } from './utf8Check.ts';

/** Checks bytes given in reads cut at random places; returns the offset found. */
function check(bytes: Buffer, seed: number): number {
  const c = new Utf8Check();
  let x = seed;
  for (let at = 0; at < bytes.length; ) {
    x = (x * 1103515245 + 12345) >>> 0;
    const n = 1 + (x % 7);
    c.push(bytes.subarray(at, at + n), at);
    at += n;
  }
  c.end();
  return c.firstInvalid;
}

describe('Utf8Check', () => {
  const text = Buffer.from('a,Zürich,会議 📎\r\n'.repeat(20));
  const at = (offset: number, bad: number[]) => Buffer.concat([text.subarray(0, offset), Buffer.from(bad), text.subarray(offset)]);

  it('finds nothing in UTF-8 whose sequences are cut between reads anywhere', () => {
    for (let seed = 0; seed < 50; seed++) expect(check(text, seed)).toBe(-1);
  });

  it('finds the first byte that is not UTF-8, exactly, wherever the reads are cut', () => {
    const cases: [string, number[]][] = [
      ['a lone 0xFF', [0xff]],
      ['Windows-1252 é', [0xe9, 0x41]],
      ['a continuation byte alone', [0x80]],
      ['an overlong "/"', [0xc0, 0xaf]],
      ['an overlong three-byte form', [0xe0, 0x80, 0xaf]],
      ['a UTF-16 surrogate', [0xed, 0xa0, 0x80]],
      ['past U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
      ['a lead byte without its continuation', [0xe4, 0x41]],
    ];
    for (const [what, bad] of cases) {
      const bytes = at(32, bad); // before the second row's second comma, between two characters
      expect(firstInvalidUtf8(bytes), what).toBe(32);
      for (let seed = 0; seed < 30; seed++) expect(check(bytes, seed), what).toBe(32);
    }
  });

  it('counts a sequence cut short by the end of the file, and reports only the first fault', () => {
    const cut = Buffer.concat([text, Buffer.from('📎').subarray(0, 3)]);
    for (let seed = 0; seed < 10; seed++) expect(check(cut, seed)).toBe(text.length);
    const two = Buffer.concat([at(5, [0xff]), Buffer.from([0xfe])]);
    expect(check(two, 1)).toBe(5);
    // a byte inside a character: the character's lead byte is where it stops being UTF-8
    expect(check(at(37, [0x41]), 3)).toBe(36);
  });
});
