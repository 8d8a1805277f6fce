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
    ['2001:DB8:107:0:0:0:0:4E', '2001:db8:107::4e'],
    ['[2001:0db8:0107::004e]:443', '2001:db8:107::4e'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first of two equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // one zero group stays
    ['0:0:0:0:0:0:0:0', '::'],
    ['fe80::1:0:0', 'fe80::1:0:0'],
    ['::ffff:192.0.2.1', '192.0.2.1'], // IPv4-mapped: the IPv4 client
    ['::FFFF:c000:0201', '192.0.2.1'],
    ['64:ff9b::192.0.2.1', '64:ff9b::c000:201'],
    ['[203.0.113.5]:443', '203.0.113.5'], // IPv4 in brackets, as some clients write it with a port
    ['[203.0.113.5]', '203.0.113.5'],
    [' [ 203.0.113.5 ]:65535 ', '203.0.113.5'],
    ['[::ffff:192.0.2.1]:443', '192.0.2.1'],
    ['[::1]', '::1'],
    ['[2001:db8::7]:0', '2001:db8::7'],
  ])('%j → %j', (input, out) => {
    expect(normaliseIp(input)).toBe(out);
  });

  it.each([['sanitized'], ['Not Available'], [''], ['256.1.1.1'], ['1.2.3'], ['1.2.3.4:port'], ['[zz::1]:1'], ['[1.2.3]:443'], ['[256.0.0.1]'], ['[203.0.113.5]:http'], ['[203.0.113.5]:443:1'], ['[2001:db8::1]x'], ['[]:443'], ['[203.0.113.5'], [null], [42]])('%j → null', (input) => {
    expect(normaliseIp(input)).toBeNull();
  });

  it('isIPv4 refuses leading zeros and empty parts', () => {
    expect(isIPv4('01.2.3.4')).toBe(false);
    expect(isIPv4('1..3.4')).toBe(false);
    expect(isIPv4('10.0.0.1')).toBe(true);
  });
});
