import { describe, expect, it } from 'vitest';
import { checkAnnotation, NOTE_MAX, TAG_MAX } from './annotations.ts';

describe('checkAnnotation', () => {
  it('keeps a tag and a note trimmed, a bookmark without text', () => {
    expect(checkAnnotation({ kind: 'tag', text: '  Exfil ' })).toEqual({ ok: true, value: { kind: 'tag', text: 'Exfil' } });
    expect(checkAnnotation({ kind: 'note', text: ' Rule made from the\nattacker IP. ' })).toEqual({ ok: true, value: { kind: 'note', text: 'Rule made from the\nattacker IP.' } });
    expect(checkAnnotation({ kind: 'bookmark', text: null })).toEqual({ ok: true, value: { kind: 'bookmark', text: null } });
  });

  it.each([
    [{ kind: 'tag', text: '   ' }, 'a tag needs text'],
    [{ kind: 'note', text: null }, 'a note needs text'],
    [{ kind: 'bookmark', text: 'x' }, 'a bookmark holds no text'],
    [{ kind: 'tag', text: 'two\nlines' }, 'a tag is one line'],
    [{ kind: 'tag', text: 'x'.repeat(TAG_MAX + 1) }, `a tag is at most ${TAG_MAX} characters (this one has ${TAG_MAX + 1}); write longer text as a note`],
    [{ kind: 'note', text: 'x'.repeat(NOTE_MAX + 1) }, `a note is at most ${NOTE_MAX} characters (this one has ${NOTE_MAX + 1})`],
    [{ kind: 'note', text: 'hidden\u001b[8mtext' }, 'the note holds a control character'],
  ] as const)('refuses %j: %s', (input, reason) => {
    expect(checkAnnotation(input)).toEqual({ ok: false, reason });
  });

  it('takes a tag of exactly the longest length', () => {
    expect(checkAnnotation({ kind: 'tag', text: 'x'.repeat(TAG_MAX) }).ok).toBe(true);
  });
});
