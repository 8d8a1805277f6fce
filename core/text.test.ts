import { describe, expect, it } from 'vitest';
import { clip, evidencePlace, hasControls, placeInFile, showControls } from './text.ts';

describe('control characters in text shown', () => {
  it('writes control characters and bidirectional overrides as escapes, keeping line breaks unless on one line', () => {
    expect(showControls('a\u001b[2Jb\u0007\u202ec\nd\te')).toBe('a\\u001b[2Jb\\u0007\\u202ec\nd\te');
    expect(showControls('a\nb\tc\u0085', true)).toBe('a\\u000ab\\u0009c\\u0085');
    expect(showControls('Zoë ünïcode — fine')).toBe('Zoë ünïcode — fine');
  });

  it('tells a one-line value holding one', () => {
    expect(hasControls('Acme Ltd')).toBe(false);
    expect(hasControls('Acme\nLtd')).toBe(true);
    expect(hasControls('a\u2066b')).toBe(true);
    expect(hasControls('a\u2066b')).toBe(true); // no regex state carried from one call to the next
  });
});

describe('where a record lies in its evidence', () => {
  it('names the line and the element of a JSON array, either, or neither', () => {
    expect(evidencePlace({ sha256: 'ab', line: 4, element: 2 })).toBe('ab, line 4, element 2');
    expect(evidencePlace({ sha256: 'ab', line: null, element: 0 })).toBe('ab, element 0');
    expect(evidencePlace({ sha256: 'ab', line: null, element: null })).toBe('ab');
    expect(placeInFile(12, null)).toBe('line 12');
  });
});

describe('text cut to a length', () => {
  it('keeps what fits and ends what was cut with an ellipsis, within the length', () => {
    expect(clip('abcdef', 6)).toBe('abcdef');
    expect(clip('abcdefg', 6)).toBe('abcde…');
  });
});
