import { describe, expect, it } from 'vitest';
import { copyDiffers, differsText } from './copies.ts';

const kept = { timeMs: Date.UTC(2026, 10, 15, 9, 1), operation: 'MailItemsAccessed', user: 'Alice@Contoso.com', mailbox: 'alice@contoso.com', clientIp: '203.0.113.5' };

describe('a copy compared with the record kept', () => {
  it('agrees when only the letter case of an identity or operation differs (ASCII, as SQLite NOCASE folds)', () => {
    expect(copyDiffers(kept, { ...kept, user: 'alice@contoso.COM', operation: 'mailitemsaccessed' })).toBeNull();
    expect(copyDiffers(kept, { ...kept, user: 'Älice@contoso.com' })).not.toBeNull();
  });

  it('keeps the copy\'s own values where it differs, the time in ISO 8601 UTC, a missing value as null', () => {
    const d = copyDiffers(kept, { timeMs: Date.UTC(2026, 10, 20, 13), operation: 'HardDelete', user: 'mallory@evil.example', mailbox: null, clientIp: '6.6.6.6' })!;
    expect(JSON.parse(d)).toEqual({ time: '2026-11-20T13:00:00.000Z', operation: 'HardDelete', user: 'mallory@evil.example', mailbox: null, clientIp: '6.6.6.6' });
    expect(differsText(JSON.parse(d) as Record<string, string | null>)).toBe('time 2026-11-20T13:00:00.000Z, operation HardDelete, user mallory@evil.example, mailbox (none), clientIp 6.6.6.6');
    expect(JSON.parse(copyDiffers(kept, { ...kept, clientIp: '203.0.113.6' })!)).toEqual({ clientIp: '203.0.113.6' });
  });
});
