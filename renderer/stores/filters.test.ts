import { describe, expect, it } from 'vitest';
import { draftToFilters, EMPTY_DRAFT, parseTime } from './filters.ts';

describe('filter bar input', () => {
  it.each([
    ['2026-05-01', '2026-05-01T00:00:00.000Z'],
    ['2026-05-01T10:00', '2026-05-01T10:00:00.000Z'],
    ['2026-05-01 10:00:07', '2026-05-01T10:00:07.000Z'],
    ['2026-05-01T10:00:07.123Z', '2026-05-01T10:00:07.123Z'],
    ['2026-05-01T10:00:07.1239999Z', '2026-05-01T10:00:07.123Z'],
    ['2026-05-01T11:00+01:00', '2026-05-01T10:00:00.000Z'],
    ['2026-05-01T05:30:00-0430', '2026-05-01T10:00:00.000Z'],
    ['  2026-05-01t10:00z ', '2026-05-01T10:00:00.000Z'],
  ])('reads %s as %s (no zone means UTC)', (input, iso) => {
    expect(parseTime(input)).toBe(iso);
  });

  it.each(['yesterday', '2026-02-30', '2026-13-01', '2026-05-01T25:00', '05/01/2026', '2026-05-01T10', ''])('refuses %s', (input) => {
    expect(parseTime(input)).toBeNull();
  });

  it('turns the boxes into contract arguments, dropping blanks and splitting operations', () => {
    expect(draftToFilters(EMPTY_DRAFT)).toEqual({ ok: true, filters: {} });
    expect(draftToFilters({ ...EMPTY_DRAFT, user: ' a@b.c ', operations: 'Send, New-InboxRule;Send  MailItemsAccessed', text: '  ', app: ' ff8d92dc-3d82-41d6-bcbd-b9174d163620 ' })).toEqual({
      ok: true, filters: { user: 'a@b.c', operations: ['Send', 'New-InboxRule', 'MailItemsAccessed'], app: 'ff8d92dc-3d82-41d6-bcbd-b9174d163620' },
    });
    expect(draftToFilters({ ...EMPTY_DRAFT, from: '2026-05-01', to: '2026-05-02' })).toEqual({
      ok: true, filters: { from: '2026-05-01T00:00:00.000Z', to: '2026-05-02T00:00:00.000Z' },
    });
  });

  it('carries the examiner\'s marks as filters: a tag (trimmed) and bookmarked only', () => {
    expect(draftToFilters({ ...EMPTY_DRAFT, tag: ' Exfil ', bookmarked: 'yes' })).toEqual({ ok: true, filters: { tag: 'Exfil', bookmarked: true } });
    expect(draftToFilters({ ...EMPTY_DRAFT, tag: '  ', bookmarked: '' })).toEqual({ ok: true, filters: {} });
  });

  it('names the field that is wrong', () => {
    expect(draftToFilters({ ...EMPTY_DRAFT, from: 'soon' })).toMatchObject({ ok: false, field: 'from' });
    expect(draftToFilters({ ...EMPTY_DRAFT, to: '2026-02-31' })).toMatchObject({ ok: false, field: 'to' });
    expect(draftToFilters({ ...EMPTY_DRAFT, from: '2026-05-02', to: '2026-05-01' })).toMatchObject({ ok: false, field: 'to', message: '"To" must be after "From".' });
    expect(draftToFilters({ ...EMPTY_DRAFT, operations: Array.from({ length: 51 }, (_, i) => `Op${i}`).join(',') })).toMatchObject({ ok: false, field: 'operations' });
    expect(draftToFilters({ ...EMPTY_DRAFT, ip: 'megan' })).toMatchObject({ ok: false, field: 'ip', message: expect.stringMatching(/is not an IP address/) });
    expect(draftToFilters({ ...EMPTY_DRAFT, ip: ' [2001:DB8::4E]:443 ' })).toEqual({ ok: true, filters: { ip: '[2001:DB8::4E]:443' } });
  });
});
