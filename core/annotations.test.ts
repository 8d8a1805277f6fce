import { describe, expect, it } from 'vitest';
import { checkAnnotation, NOTE_MAX, reconcileAnnotations, TAG_MAX } from './annotations.ts';

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

describe('reconcileAnnotations', () => {
  const added = (line: number, id: number, kind: string, text: string | null, recordId = 'r1') => ({ line, action: 'annotation-added', details: { annotation: id, kind, text, recordId } });
  const removed = (line: number, id: number) => ({ line, action: 'annotation-removed', details: { annotation: id } });

  it('finds nothing when the database holds exactly what the log added and did not remove', () => {
    const entries = [added(2, 1, 'tag', 'exfil'), added(3, 2, 'note', 'n'), removed(4, 2), added(5, 3, 'bookmark', null), { line: 6, action: 'verify', details: {} }];
    expect(reconcileAnnotations([{ id: 1, kind: 'tag', text: 'exfil', recordId: 'r1' }, { id: 3, kind: 'bookmark', text: null, recordId: 'r1' }], entries)).toEqual([]);
  });

  it('names an annotation with no entry, one changed since its entry, and one the database lost', () => {
    const entries = [added(2, 1, 'note', 'read by the attacker'), added(3, 2, 'tag', 'exfil')];
    expect(reconcileAnnotations([{ id: 1, kind: 'note', text: 'not read', recordId: 'r1' }, { id: 9, kind: 'tag', text: 'x', recordId: 'r2' }], entries)).toEqual([
      { path: 'annotations #1', detail: 'the case database holds note "not read" on record r1; the custody log (line 2) recorded note "read by the attacker" on record r1' },
      { path: 'annotations #9', detail: 'tag "x" on record r2 is in the case database but no custody entry records it being added' },
      { path: 'annotations #2', detail: 'the custody log (line 3) records tag "exfil" on record r1 as added and never removed, but the case database does not hold it' },
    ]);
  });
});
