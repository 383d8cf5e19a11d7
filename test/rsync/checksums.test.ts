import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  blockDigest,
  defaultChecksum,
  digestLength,
  fileDigest,
  legacyAuthDigest,
  rollingChecksum,
} from '../../src/rsync/checksums.js';
import { RsyncError } from '../../src/rsync/errors.js';
import { md4 } from '../../src/rsync/md4.js';

const seedBytes = (seed: number): Buffer => {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32LE(seed, 0);
  return bytes;
};
const md5 = (...parts: Buffer[]): Buffer => createHash('md5').update(Buffer.concat(parts)).digest();
const sha1 = (...parts: Buffer[]): Buffer =>
  createHash('sha1').update(Buffer.concat(parts)).digest();

/** The generator's sum1 of each basis block, as the real rsync prints it with --debug. */
function rsyncBlockSums(basis: Buffer, blockSize: number): number[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'tmsp-rolling-'));
  try {
    writeFileSync(path.join(dir, 'basis'), basis);
    writeFileSync(path.join(dir, 'source'), Buffer.concat([basis, Buffer.from('x')]));
    const output = execFileSync(
      'rsync',
      [
        '--no-whole-file',
        '--ignore-times',
        `--block-size=${blockSize}`,
        '--debug=deltasum3',
        path.join(dir, 'source'),
        path.join(dir, 'basis'),
      ],
      { encoding: 'utf8' },
    );
    const generated = output.split('\n').filter((line) => /^chunk\[\d+\] offset=/.test(line));
    return generated.map((line) => parseInt(/sum1=([0-9a-f]+)/.exec(line)![1]!, 16));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('rolling checksum', () => {
  it('counts bytes as signed chars, as rsync does', () => {
    expect(rollingChecksum(Buffer.of(1, 2, 3))).toBe(0x000a0006);
    expect(rollingChecksum(Buffer.of(0x80))).toBe(0xff80ff80);
    expect(rollingChecksum(Buffer.alloc(0))).toBe(0);
  });

  it('matches the sums the real rsync generator computes', () => {
    const basis = randomBytes(20_000);
    const expected = rsyncBlockSums(basis, 700);
    expect(expected).toHaveLength(Math.ceil(basis.length / 700));
    expected.forEach((sum, i) => {
      expect(rollingChecksum(basis.subarray(i * 700, (i + 1) * 700))).toBe(sum);
    });
  });
});

describe('strong block sums', () => {
  const data = Buffer.from('a block of basis data');

  it('puts the md5 seed first only with the seed-order fix', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer(), (bytes, seed) => {
        const block = Buffer.from(bytes);
        const seedPart = seed === 0 ? Buffer.alloc(0) : seedBytes(seed);
        expect(blockDigest('md5', seed, 31, true)(block)).toEqual(md5(seedPart, block));
        expect(blockDigest('md5', seed, 30, false)(block)).toEqual(md5(block, seedPart));
      }),
    );
  });

  it('appends the seed to md4 blocks and leaves a zero seed out', () => {
    expect(blockDigest('md4', -7, 29, false)(data)).toEqual(md4(data, seedBytes(-7)));
    expect(blockDigest('md4', 0x12345678, 27, false)(data)).toEqual(
      md4(data, Buffer.from('78563412', 'hex')),
    );
    expect(blockDigest('md4', 0, 29, false)(data)).toEqual(md4(data));
    expect(blockDigest('md5', 0, 31, false)(data)).toEqual(md5(data));
  });

  it('puts the sha1 seed first', () => {
    expect(blockDigest('sha1', 99, 31, true)(data)).toEqual(sha1(seedBytes(99), data));
    expect(blockDigest('sha1', 99, 31, true)(data)).toHaveLength(digestLength('sha1'));
  });

  it('has no block sum for "none" and no protocol before 27', () => {
    expect(() => blockDigest('none', 1, 31, true)).toThrow(RsyncError);
    expect(() => blockDigest('md4', 1, 26, false)).toThrow(RsyncError);
    expect(() => fileDigest('md4', 1, 26)).toThrow(RsyncError);
  });
});

describe('whole-file sums', () => {
  const content = randomBytes(100_000);

  function digestInPieces(
    name: 'md4' | 'md5' | 'sha1' | 'none',
    seed: number,
    protocol: number,
    named = false,
  ) {
    const digest = fileDigest(name, seed, protocol, named);
    for (let at = 0; at < content.length; at += 7_777) {
      digest.update(content.subarray(at, at + 7_777));
    }
    return digest.digest();
  }

  it('seeds md4 first before protocol 30, even with a zero seed', () => {
    expect(digestInPieces('md4', 12345, 29)).toEqual(md4(seedBytes(12345), content));
    expect(digestInPieces('md4', 0, 27)).toEqual(md4(Buffer.alloc(4), content));
  });

  it('does not seed md4 from protocol 30 or by name, nor md5 or sha1 ever', () => {
    expect(digestInPieces('md4', 12345, 30)).toEqual(md4(content));
    expect(digestInPieces('md4', 12345, 29, true)).toEqual(md4(content));
    expect(digestInPieces('md5', 12345, 29)).toEqual(md5(content));
    expect(digestInPieces('md5', -1, 32)).toEqual(md5(content));
    expect(digestInPieces('sha1', 5, 32)).toEqual(sha1(content));
  });

  it('is one zero byte for "none"', () => {
    expect(digestInPieces('none', 5, 31)).toEqual(Buffer.of(0));
    expect(digestLength('none')).toBe(1);
  });

  it('can be read before the end without disturbing the sum', () => {
    const digest = fileDigest('md5', 1, 31);
    digest.update(content.subarray(0, 10));
    digest.digest();
    digest.update(content.subarray(10));
    expect(digest.digest()).toEqual(md5(content));
  });

  it('defaults to md5 from protocol 30 and to md4 before', () => {
    expect(defaultChecksum(27)).toBe('md4');
    expect(defaultChecksum(29)).toBe('md4');
    expect(defaultChecksum(30)).toBe('md5');
    expect(defaultChecksum(32)).toBe('md5');
    expect(digestLength('md4')).toBe(16);
    expect(digestLength('md5')).toBe(16);
  });
});

describe('daemon authentication of old clients', () => {
  it('is MD4 over four zero bytes, the secret and the challenge', () => {
    expect(legacyAuthDigest('secret', 'challenge')).toEqual(
      md4(Buffer.alloc(4), Buffer.from('secretchallenge')),
    );
  });
});
