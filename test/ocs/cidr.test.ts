import { isIP } from 'node:net';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  canonicalAddress,
  cidrContains,
  formatCidr,
  formatIpAddress,
  parseCidr,
  parseIpAddress,
  type Cidr,
} from '../../src/network/cidr.js';

const v4 = fc.bigInt({ min: 0n, max: (1n << 32n) - 1n });
const v6 = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });
const address = fc.oneof(
  v4.map((value) => ({ family: 4 as const, value })),
  v6.map((value) => ({ family: 6 as const, value })),
);
const bits = (family: 4 | 6): bigint => (family === 4 ? 32n : 128n);

function networkOf(family: 4 | 6, value: bigint, prefix: number): Cidr {
  const all = (1n << bits(family)) - 1n;
  return { family, network: value & ((all >> BigInt(prefix)) ^ all), prefix };
}

describe('the address and CIDR parser', () => {
  it('reads the usual spellings and writes the canonical one', () => {
    expect(canonicalAddress('10.1.2.3')).toBe('10.1.2.3');
    expect(canonicalAddress('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(canonicalAddress('::ffff:192.0.2.1')).toBe('::ffff:c000:201');
    expect(canonicalAddress('2001:db8:0:1:0:0:0:0')).toBe('2001:db8:0:1::');
    expect(canonicalAddress('1:0:0:2:0:0:0:3')).toBe('1:0:0:2::3');
    expect(canonicalAddress('1:0:0:2:0:0:3:4')).toBe('1::2:0:0:3:4');
    expect(formatCidr((parseCidr('10.0.0.0/8') as { cidr: Cidr }).cidr)).toBe('10.0.0.0/8');
    expect(formatCidr((parseCidr('192.0.2.7') as { cidr: Cidr }).cidr)).toBe('192.0.2.7/32');
    expect(formatCidr((parseCidr('2001:db8::/32') as { cidr: Cidr }).cidr)).toBe('2001:db8::/32');
  });

  it('refuses what other tools read differently or not at all', () => {
    for (const text of [
      '010.0.0.1',
      '10.0.0',
      '10.0.0.256',
      '1.2.3.4.5',
      ' 10.0.0.1',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      'fe80::1%eth0',
      '[::1]',
      '12345::',
      '::1.2.3',
      '1.2.3.4::',
      '1:2:1.2.3.4::',
      '',
    ]) {
      expect({ text, parsed: parseIpAddress(text) }).toEqual({ text, parsed: null });
    }
  });

  it('names the reason a CIDR is refused', () => {
    expect(parseCidr('10.0.0.1/8')).toEqual({
      ok: false,
      reason: 'host bits are set (the network is 10.0.0.0/8)',
    });
    expect(parseCidr('10.0.0.0/33')).toMatchObject({ ok: false, reason: /prefix length/ });
    expect(parseCidr('10.0.0.0/08')).toMatchObject({ ok: false });
    expect(parseCidr('10.0.0.0/')).toMatchObject({ ok: false });
    expect(parseCidr('host.example/24')).toMatchObject({ ok: false, reason: /not an IPv4/ });
  });

  it('reads back every address it writes', () => {
    fc.assert(
      fc.property(address, (ip) => {
        expect(parseIpAddress(formatIpAddress(ip))).toEqual(ip);
      }),
    );
  });

  it('agrees with Node on which canonical texts are addresses', () => {
    fc.assert(
      fc.property(address, (ip) => {
        expect(isIP(formatIpAddress(ip))).toBe(ip.family);
      }),
    );
  });

  it('reads every network it writes, and a network contains exactly its addresses', () => {
    const cidrOf = address.chain((ip) =>
      fc
        .integer({ min: 0, max: Number(bits(ip.family)) })
        .map((prefix) => networkOf(ip.family, ip.value, prefix)),
    );
    fc.assert(
      fc.property(cidrOf, address, (cidr, ip) => {
        expect(parseCidr(formatCidr(cidr))).toEqual({ ok: true, cidr });
        const inside = ip.family === cidr.family && networkOf(ip.family, ip.value, cidr.prefix);
        const expected = inside !== false && inside.network === cidr.network;
        expect(cidrContains(cidr, ip)).toBe(expected);
      }),
    );
  });

  it('never throws, and accepts only what Node also calls an address', () => {
    const alphabet = fc.constantFrom(...'0123456789abcdefABCDEF:./%x '.split(''));
    const texts = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.string({ unit: alphabet, maxLength: 48 }),
    );
    fc.assert(
      fc.property(texts, (text) => {
        const parsed = parseIpAddress(text);
        if (parsed !== null) expect(isIP(text)).toBe(parsed.family);
        expect(() => parseCidr(text)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });
});
