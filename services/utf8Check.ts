// Where a file's bytes first fail to be UTF-8, found as the file is read for parsing. Decoding turns such
// bytes into U+FFFD without a word, so a record's text in the case would differ from the file with nothing
// to say so. node:buffer's isUtf8 (simdutf) checks each read whole; it gives no position, so only a read
// that fails is walked byte by byte (firstInvalidUtf8, written here for that reason alone).
import { isUtf8 } from 'node:buffer';

const EMPTY = Buffer.alloc(0);

/** The length of b without a sequence cut short at its end (its lead byte and the bytes it has so far). */
export function completeEnd(b: Uint8Array): number {
  let i = b.length - 1;
  let continuation = 0;
  while (i >= 0 && continuation < 3 && (b[i]! & 0xc0) === 0x80) { i--; continuation++; }
  if (i < 0) return b.length;
  const c = b[i]!;
  const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
  return b.length - i < need ? i : b.length;
}

/** The index of the first byte of b that does not begin a well-formed UTF-8 sequence (RFC 3629), or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    if (c < 0x80) { i++; continue; }
    const n = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
    if (n === 0 || i + n >= b.length) return i; // not a lead byte, or its sequence runs past the end
    for (let k = 1; k <= n; k++) if ((b[i + k]! & 0xc0) !== 0x80) return i;
    const d = b[i + 1]!;
    // overlong forms, UTF-16 surrogates and code points past U+10FFFF
    if ((c === 0xe0 && d < 0xa0) || (c === 0xed && d > 0x9f) || (c === 0xf0 && d < 0x90) || (c === 0xf4 && d > 0x8f)) return i;
    i += n + 1;
  }
  return -1;
}

export class Utf8Check {
  private tail: Buffer = EMPTY; // a sequence cut at the end of the last read
  private tailAt = 0;
  /** The file offset of the first byte that is not UTF-8, or -1. */
  firstInvalid = -1;

  /** Checks the next bytes of the file; `at` is the file offset of data[0]. */
  push(data: Buffer, at: number): void {
    if (this.firstInvalid >= 0) return;
    const whole = this.tail.length > 0 ? Buffer.concat([this.tail, data]) : data;
    const wholeAt = this.tail.length > 0 ? this.tailAt : at;
    const end = completeEnd(whole);
    if (!isUtf8(whole.subarray(0, end))) {
      this.firstInvalid = wholeAt + firstInvalidUtf8(whole.subarray(0, end));
      return;
    }
    this.tail = Buffer.from(whole.subarray(end));
    this.tailAt = wholeAt + end;
  }

  /** At the end of the file: a sequence still cut short is not UTF-8. */
  end(): void {
    if (this.firstInvalid < 0 && this.tail.length > 0) this.firstInvalid = this.tailAt;
  }
}
