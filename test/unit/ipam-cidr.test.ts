import { describe, expect, it } from 'vitest';
import { ErrorCodes, WeftError } from '../../src/errors/index.js';
import {
  cidrContains,
  cidrsOverlap,
  formatCidr,
  formatIp,
  parseCidr,
  parseIp,
  parseRouteCidr,
  tryParseIp,
} from '../../src/ipam/cidr.js';

function errorOf(fn: () => unknown): WeftError {
  try {
    fn();
  } catch (err) {
    if (err instanceof WeftError) return err;
    throw err;
  }
  throw new Error('expected a WeftError');
}

/** WHATWG URL serialises IPv6 hosts in RFC 5952 form: an independent formatter. */
function canonicalByUrl(ip: string): string {
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

describe('IP parsing and formatting', () => {
  it('parses IPv4 into its 32-bit value and back', () => {
    expect(parseIp('10.1.2.3')).toEqual({ family: 4, value: 0x0a010203n });
    expect(formatIp(4, 0xffffffffn)).toBe('255.255.255.255');
    expect(formatIp(4, 0n)).toBe('0.0.0.0');
    expect(parseIp('0.0.0.0').value).toBe(0n);
    expect(parseIp('255.255.255.255').value).toBe(0xffffffffn);
    expect(parseIp('100.200.10.0').value).toBe(0x64c80a00n);
  });

  it.each(['1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.-4', ' 1.2.3.4', '1.2.3.4%eth0', 'a.b.c.d', '', '1.2.3.', '1..2.3', '1.2.3.4.', '1234.1.1.1', '1.2.3.00'])(
    'rejects IPv4 %j',
    (text) => {
      expect(tryParseIp(text)).toBeUndefined();
      expect(errorOf(() => parseIp(text)).code).toBe(ErrorCodes.BAD_ADDRESS);
    },
  );

  it.each([
    '::',
    '::1',
    'fd00:7765:6674::',
    'FD00:0:0:0:0:0:0:1',
    '2001:db8:0:0:1:0:0:1',
    '2001:0db8:0000:0000:0000:ff00:0042:8329',
    '::ffff:10.1.2.3',
    '1:0:0:2:0:0:0:3',
    '1:2:3:4:5:6:7::',
  ])('formats IPv6 %s like RFC 5952 (as WHATWG URL does)', (text) => {
    const ip = parseIp(text);
    expect(ip.family).toBe(6);
    expect(formatIp(6, ip.value)).toBe(canonicalByUrl(text));
  });

  it.each(['1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', 'fe80::1%eth0', ':1:2', 'g::1', '1.2.3.4::', '::1.2.3'])(
    'rejects IPv6 %j',
    (text) => expect(tryParseIp(text)).toBeUndefined(),
  );
});

describe('CIDR parsing', () => {
  it('parses subnets of both families', () => {
    expect(parseCidr('10.1.0.0/16')).toEqual({ family: 4, network: 0x0a010000n, prefix: 16 });
    expect(formatCidr(parseCidr('FD00:7765:6674:0::/64'))).toBe('fd00:7765:6674::/64');
    expect(parseCidr('0.0.0.0/0').prefix).toBe(0);
    expect(parseCidr('10.0.0.5/32').network).toBe(0x0a000005n);
  });

  it.each([
    ['10.0.0.0/33', 'exceeds 32'],
    ['abc', 'missing the /prefix'],
    ['', 'missing the /prefix'],
    ['10.0.0.0', 'missing the /prefix'],
    ['10.0.0.0/', 'not a number'],
    ['10.0.0.0/08', 'not a number'],
    ['10.0.0.0/-1', 'not a number'],
    ['10.0.0/8', 'not an IPv4 or IPv6'],
    ['fd00::/129', 'exceeds 128'],
    ['fd00::1::/64', 'not an IPv4 or IPv6'],
  ])('rejects %j with WEFT_BAD_CIDR naming the text', (text, reason) => {
    const err = errorOf(() => parseCidr(text));
    expect(err.code).toBe(ErrorCodes.BAD_CIDR);
    expect(err.kind).toBe('BadRequest');
    expect(err.message).toContain(JSON.stringify(text));
    expect(err.message).toContain(reason);
  });

  it('rejects host bits and names the subnet that was probably meant', () => {
    const err = errorOf(() => parseCidr('10.0.0.1/24'));
    expect(err.code).toBe(ErrorCodes.BAD_CIDR);
    expect(err.message).toContain('did you mean 10.0.0.0/24?');
    expect(errorOf(() => parseCidr('fd00::1/64')).message).toContain('did you mean fd00::/64?');
  });

  it('parses routes leniently: host bits cleared, plain addresses as host routes, garbage ignored', () => {
    expect(parseRouteCidr('192.168.1.17/24')).toEqual(parseCidr('192.168.1.0/24'));
    expect(parseRouteCidr('10.0.0.5')).toEqual(parseCidr('10.0.0.5/32'));
    expect(parseRouteCidr('fe80::1/64')).toEqual(parseCidr('fe80::/64'));
    expect(parseRouteCidr('nonsense')).toBeUndefined();
  });

  it('computes containment and overlap', () => {
    const a = parseCidr('10.1.0.0/16');
    expect(cidrContains(a, parseCidr('10.1.2.0/24'))).toBe(true);
    expect(cidrContains(a, parseCidr('10.0.0.0/8'))).toBe(false);
    expect(cidrsOverlap(a, parseCidr('10.0.0.0/8'))).toBe(true);
    expect(cidrsOverlap(a, parseCidr('10.2.0.0/16'))).toBe(false);
    expect(cidrsOverlap(parseCidr('::/0'), parseCidr('0.0.0.0/0'))).toBe(false);
  });
});
