import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { Md4, md4 } from '../../src/rsync/md4.js';

/** RFC 1320, appendix A.5. */
const RFC_VECTORS: [string, string][] = [
  ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
  ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
  ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
  ['message digest', 'd9130a8164549fe818874806e1c7014b'],
  ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
  [
    'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
    '043f8582f241db351ce627e153e7f0e4',
  ],
  [
    '12345678901234567890123456789012345678901234567890123456789012345678901234567890',
    'e33b4ddc9c38f2199c3e7b164fcc0536',
  ],
];

/** MD4 from OpenSSL's legacy provider, in a child Node: one process for many inputs. */
function opensslMd4(inputs: Buffer[]): string[] {
  const script = `
    const { createHash } = require('node:crypto');
    const inputs = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
    const md4 = (hex) => createHash('md4').update(Buffer.from(hex, 'hex')).digest('hex');
    const sums = inputs.map(md4);
    process.stdout.write(JSON.stringify(sums));`;
  const output = execFileSync(process.execPath, ['--openssl-legacy-provider', '-e', script], {
    input: JSON.stringify(inputs.map((input) => input.toString('hex'))),
  });
  return JSON.parse(output.toString()) as string[];
}

describe('MD4', () => {
  it('gives the RFC 1320 test digests', () => {
    for (const [text, hex] of RFC_VECTORS) {
      expect(md4(Buffer.from(text)).toString('hex')).toBe(hex);
    }
  });

  it('gives the same digest however the data is split', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.array(fc.nat({ max: 600 }), { maxLength: 6 }),
        (data, cuts) => {
          const points = [...new Set(cuts.map((cut) => cut % (data.length + 1)))].sort(
            (a, b) => a - b,
          );
          const hash = new Md4();
          let start = 0;
          for (const point of [...points, data.length]) {
            hash.update(data.subarray(start, point));
            start = point;
          }
          expect(hash.digest()).toEqual(md4(data));
        },
      ),
    );
  });

  it('agrees with OpenSSL on lengths around every padding boundary and on large inputs', () => {
    const lengths = [...Array.from({ length: 200 }, (_, i) => i), 1000, 4096, 65_536, 1_000_003];
    const inputs = lengths.map((length) => randomBytes(length));
    const expected = opensslMd4(inputs);
    inputs.forEach((input, i) => {
      expect(md4(input).toString('hex'), `length ${input.length}`).toBe(expected[i]);
    });
  });

  it('can be read midway and still go on', () => {
    const hash = new Md4().update(Buffer.from('abc'));
    expect(hash.digest().toString('hex')).toBe('a448017aaf21d8525fc10ae87aa6729d');
    hash.update(Buffer.from('defghijklmnopqrstuvwxyz'));
    expect(hash.digest().toString('hex')).toBe('d79e1c308aa5bbcdeea8ed63df412da9');
  });
});
