import { describe, expect, it } from 'vitest';
import { formatIso, parseTimeMs, parseTimeSpanDays } from './time.ts';

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
