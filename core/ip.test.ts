import { describe, expect, it } from 'vitest';
import { isIPv4, normaliseIp } from './ip.ts';

describe('normaliseIp', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4'],
    [' 1.2.3.4 ', '1.2.3.4'],
    ['1.2.3.4:5678', '1.2.3.4'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['[2001:DB8::1]', '2001:db8::1'],
    ['2603:10b6:5:127::10', '2603:10b6:5:127::10'],
    ['::1', '::1'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
  ])('%j → %j', (input, out) => {
    expect(normaliseIp(input)).toBe(out);
  });

  it.each([['sanitized'], ['Not Available'], [''], ['256.1.1.1'], ['1.2.3'], ['1.2.3.4:port'], ['[zz::1]:1'], [null], [42]])('%j → null', (input) => {
    expect(normaliseIp(input)).toBeNull();
  });

  it('isIPv4 refuses leading zeros and empty parts', () => {
    expect(isIPv4('01.2.3.4')).toBe(false);
    expect(isIPv4('1..3.4')).toBe(false);
    expect(isIPv4('10.0.0.1')).toBe(true);
  });
});
