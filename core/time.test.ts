import { describe, expect, it } from 'vitest';
import { DateReading, formatIso, parseTimeMs, parseTimeSpanDays, slashReadings } from './time.ts';

describe('parseTimeMs', () => {
  it.each([
    ['2015-06-29T20:03:19', '2015-06-29T20:03:19.000Z'],            // Management API: no zone means UTC
    ['2026-07-17T08:28:17Z', '2026-07-17T08:28:17.000Z'],
    ['2024-05-01T10:15:22.1234567Z', '2024-05-01T10:15:22.123Z'],   // 7 fraction digits truncated to ms
    ['2024-05-01T12:15:22+02:00', '2024-05-01T10:15:22.000Z'],
    ['2024-05-01T05:15:22-0500', '2024-05-01T10:15:22.000Z'],
    ['2022-12-12 22:19:00', '2022-12-12T22:19:00.000Z'],
    ['9/20/2023 4:05:03 AM', '2023-09-20T04:05:03.000Z'],            // Purview
    ['9/20/2023 12:05:03 AM', '2023-09-20T00:05:03.000Z'],
    ['9/20/2023 12:05:03 PM', '2023-09-20T12:05:03.000Z'],
    ['3/12/2025 10:23:03 PM', '2025-03-12T22:23:03.000Z'],
    ['5/1/2024, 10:15:22.000 AM', '2024-05-01T10:15:22.000Z'],       // Log Analytics portal
    ['/Date(1714636800000)/', '2024-05-02T08:00:00.000Z'],           // Windows PowerShell ConvertTo-Json
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
  ])('%s → %s', (input, iso) => {
    const ms = parseTimeMs(input);
    expect(ms).not.toBeNull();
    expect(formatIso(ms as number)).toBe(iso);
  });

  it.each([
    ['2023-02-29T00:00:00'], ['2024-13-01T00:00:00'], ['2024-05-01T24:00:00'], ['2024-05-01T10:61:00'],
    ['9/20/2023 13:05:03 PM'], ['31/12/2023 10:00:00'], ['yesterday'], [''], ['2024-05-01T10:15:22 junk'],
  ])('rejects %j', (input) => {
    expect(parseTimeMs(input)).toBeNull();
  });

  it('does not accept numbers (ambiguous unit)', () => {
    expect(parseTimeMs(1714636800000)).toBeNull();
  });
});

describe('parseTimeSpanDays', () => {
  it.each([
    ['90.00:00:00', 90], ['30.12:00:00', 30.5], ['00:30:00', 30 / 1440], ['365', 365], [180, 180],
  ])('%j → %d days', (input, days) => {
    expect(parseTimeSpanDays(input)).toBeCloseTo(days, 9);
  });
  it('rejects text', () => expect(parseTimeSpanDays('ninety days')).toBeNull());
});

describe('dates written with slashes', () => {
  it('reads them month first unless told day first; a day that cannot be a month is no date month first', () => {
    expect(formatIso(parseTimeMs('03/04/2026 10:00:00')!)).toBe('2026-03-04T10:00:00.000Z');
    expect(formatIso(parseTimeMs('03/04/2026 10:00:00', 'dmy')!)).toBe('2026-04-03T10:00:00.000Z');
    expect(formatIso(parseTimeMs('25/04/2026 10:00:00', 'dmy')!)).toBe('2026-04-25T10:00:00.000Z');
    expect(formatIso(parseTimeMs('25/4/2026 9:05:00 PM', 'dmy')!)).toBe('2026-04-25T21:05:00.000Z');
    expect(parseTimeMs('25/04/2026 10:00:00')).toBeNull();
    expect(parseTimeMs('4/25/2026 10:00:00', 'dmy')).toBeNull();
    expect(formatIso(parseTimeMs('2026-04-25T10:00:00Z', 'dmy')!)).toBe('2026-04-25T10:00:00.000Z'); // ISO has one order
  });

  it('says which readings a value has, and only for dates written with slashes', () => {
    expect(slashReadings('03/04/2026')).toEqual({ mdy: true, dmy: true });
    expect(slashReadings('25/04/2026 10:00')).toEqual({ mdy: false, dmy: true });
    expect(slashReadings('4/25/2026 10:00:00 AM')).toEqual({ mdy: true, dmy: false });
    expect(slashReadings('13/13/2026')).toEqual({ mdy: false, dmy: false });
    expect(slashReadings('2026-04-25T10:00:00Z')).toBeNull();
    expect(slashReadings(20260425)).toBeNull();
  });

  it('keeps count of how a file\'s dates were read: given, told from the file, or assumed', () => {
    const told = new DateReading();
    for (const v of ['03/04/2026 10:00', '4/25/2026 10:00', '2026-04-25T10:00:00Z']) told.parse(v);
    expect(told.summary()).toEqual({ order: 'mdy', how: 'file', slashDates: 2, ambiguous: 1 });
    expect(told.firstDayFirst).toBeNull();
    const assumed = new DateReading();
    assumed.parse('03/04/2026 10:00');
    expect(assumed.summary()).toEqual({ order: 'mdy', how: 'assumed', slashDates: 1, ambiguous: 1 });
    const dayFirst = new DateReading();
    expect(dayFirst.parse('25/04/2026 10:00')).toBeNull(); // read month first, as asked by default
    expect(dayFirst.firstDayFirst).toBe('25/04/2026 10:00');
    const given = new DateReading('dmy');
    expect(formatIso(given.parse(' 03/04/2026 10:00 ')!)).toBe('2026-04-03T10:00:00.000Z');
    expect(given.summary()).toEqual({ order: 'dmy', how: 'option', slashDates: 1, ambiguous: 1 });
    expect(new DateReading().summary()).toBeNull();
  });
});
