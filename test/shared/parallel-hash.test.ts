import { createHash, randomBytes } from 'node:crypto';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { parallelHash } from '../../src/shared/parallel-hash.js';

describe('hashing on the second thread', () => {
  it('gives the digest node:crypto gives, for any split of the data', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 600_000 }), { maxLength: 12 }),
        fc.constantFrom('md5', 'sha1', 'sha256'),
        async (sizes, algorithm) => {
          const pieces = sizes.map((size) => randomBytes(size));
          const hash = parallelHash(algorithm);
          for (const piece of pieces) await hash.update(piece);
          const expected = createHash(algorithm).update(Buffer.concat(pieces)).digest();
          expect((await hash.digest()).equals(expected)).toBe(true);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('leaves the caller’s small buffers intact (they share memory with others)', async () => {
    const small = Buffer.from('a few bytes');
    const neighbour = Buffer.from('a neighbour in the same pool');
    const hash = parallelHash('sha256');
    await hash.update(small);
    await hash.digest();
    expect(small.toString()).toBe('a few bytes');
    expect(neighbour.toString()).toBe('a neighbour in the same pool');
  });

  it('runs many hashes at once without mixing them up', async () => {
    const inputs = Array.from({ length: 20 }, (_, index) => randomBytes(100_000 * (index + 1)));
    const digests = await Promise.all(
      inputs.map(async (input) => {
        const hash = parallelHash('md5');
        for (let start = 0; start < input.length; start += 32_768) {
          await hash.update(input.subarray(start, start + 32_768));
        }
        return hash.digest();
      }),
    );
    digests.forEach((digest, index) => {
      expect(digest.equals(createHash('md5').update(inputs[index]!).digest())).toBe(true);
    });
  });

  it('forgets a discarded hash', async () => {
    const hash = parallelHash('md5');
    await hash.update(randomBytes(2_000_000));
    hash.discard();
    const next = parallelHash('md5');
    await next.update(Buffer.from('abc'));
    expect((await next.digest()).toString('hex')).toBe('900150983cd24fb0d6963f7d28e17f72');
  });
});
