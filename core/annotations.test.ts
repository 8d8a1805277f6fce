import { describe, expect, it } from 'vitest';
import { checkAnnotation, NOTE_MAX, reconcileAnnotations, TAG_MAX } from './annotations.ts';
import type { AnnotationRow } from './annotations.ts';

describe('checkAnnotation', () => {
  it('keeps a tag and a note trimmed, a bookmark without text', () => {
    expect(checkAnnotation({ kind: 'tag', text: '  Exfil ' })).toEqual({ ok: true, value: { kind: 'tag', text: 'Exfil' } });
    expect(checkAnnotation({ kind: 'note', text: ' Rule made from the\nattacker IP. ' })).toEqual({ ok: true, value: { kind: 'note', text: 'Rule made from the\nattacker IP.' } });
    expect(checkAnnotation({ kind: 'note', text: 'Pasted from Windows:\r\n\tsecond line' }).ok).toBe(true);
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
    [{ kind: 'note', text: 'read by \u202eliame' }, 'the note holds a control character'], // a right-to-left override reorders what is shown
    [{ kind: 'tag', text: 'ex\u0085fil' }, 'the tag holds a control character'],
  ] as const)('refuses %j: %s', (input, reason) => {
    expect(checkAnnotation(input)).toEqual({ ok: false, reason });
  });

  it('takes a tag of exactly the longest length', () => {
    expect(checkAnnotation({ kind: 'tag', text: 'x'.repeat(TAG_MAX) }).ok).toBe(true);
  });
});

describe('reconcileAnnotations', () => {
  const added = (line: number, id: number, kind: string, text: string | null, recordId = 'r1', by?: { author: string; createdAt: string }) => ({ line, action: 'annotation-added', details: { annotation: id, kind, text, recordId, ...by } });
  const row = (id: number, kind: string, text: string | null, recordId = 'r1', over: Partial<AnnotationRow> = {}): AnnotationRow => ({ id, kind, text, recordId, targetKind: 'event', author: 'me@host', createdAt: '2026-12-07T10:00:00.000Z', ...over });
  const removed = (line: number, id: number) => ({ line, action: 'annotation-removed', details: { annotation: id } });

  it('finds nothing when the database holds exactly what the log added and did not remove', () => {
    const entries = [added(2, 1, 'tag', 'exfil'), added(3, 2, 'note', 'n'), removed(4, 2), added(5, 3, 'bookmark', null), { line: 6, action: 'verify', details: {} }];
    expect(reconcileAnnotations([row(1, 'tag', 'exfil'), row(3, 'bookmark', null)], entries)).toEqual([]);
  });

  it('names an annotation with no entry, one changed since its entry, and one the database lost', () => {
    const entries = [added(2, 1, 'note', 'read by the attacker'), added(3, 2, 'tag', 'exfil')];
    expect(reconcileAnnotations([row(1, 'note', 'not read'), row(9, 'tag', 'x', 'r2')], entries)).toEqual([
      { path: 'annotations #1', detail: 'the case database holds note "not read" on record r1; the custody log (line 2) recorded note "read by the attacker" on record r1' },
      { path: 'annotations #9', detail: 'tag "x" on record r2 is in the case database but no custody entry records it being added' },
      { path: 'annotations #2', detail: 'the custody log (line 3) records tag "exfil" on record r1 as added and never removed, but the case database does not hold it' },
    ]);
  });

  it('names an annotation whose author or time was changed since its entry, and one on anything but an event (Blindspot writes none)', () => {
    const by = { author: 'me@host', createdAt: '2026-12-07T10:00:00.000Z' };
    const entries = [added(2, 1, 'note', 'n', 'r1', by), added(3, 2, 'tag', 'old', 'r1')];
    expect(reconcileAnnotations([row(1, 'note', 'n', 'r1', { author: 'Senior Examiner Jones', createdAt: '2026-11-30T09:00:00.000Z' }), row(2, 'tag', 'old', 'r1', { author: 'anyone' }), row(5, 'note', 'x', 'ceo@contoso.com', { targetKind: 'mailbox' })], entries)).toEqual([
      { path: 'annotations #1', detail: 'the case database says note "n" on record r1 was written by Senior Examiner Jones at 2026-11-30T09:00:00.000Z; the custody log (line 2) recorded it by me@host at 2026-12-07T10:00:00.000Z' },
      { path: 'annotations #5', detail: 'note "x" on mailbox ceo@contoso.com is in the case database but no custody entry records it being added' },
    ]); // #2's entry predates the author in custody: its author is not compared
  });
});
