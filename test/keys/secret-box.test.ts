import { randomBytes } from 'node:crypto';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { SecretBox } from '../../src/keys/secret-box.js';
import { AppError } from '../../src/shared/errors.js';

const newBox = (): SecretBox => SecretBox.fromBase64(randomBytes(32).toString('base64'), 'test');

/** The AppError open() throws; fails the test when open succeeds or throws anything else. */
function openFailure(box: SecretBox, sealed: string): AppError {
  try {
    box.open(sealed);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('open() accepted a sealed value it should refuse');
}

/** Replaces the part at index (0 version, 1 iv, 2 tag, 3 body) of a sealed value. */
function withPart(sealed: string, index: number, change: (part: Buffer) => Buffer): string {
  const parts = sealed.split(':');
  parts[index] = change(Buffer.from(parts[index]!, 'base64')).toString('base64');
  return parts.join(':');
}

const flipFirstBit = (part: Buffer): Buffer => {
  const copy = Buffer.from(part);
  copy[0] = (copy[0] ?? 0) ^ 1;
  return copy;
};

describe('SecretBox', () => {
  it('opens what it sealed, for any string of any Unicode code points', () => {
    const box = newBox();
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (plaintext) => {
        expect(box.open(box.seal(plaintext))).toBe(plaintext);
      }),
      { numRuns: 300 },
    );
  });

  it('never carries the plaintext, nor its base64 form, in the sealed value', () => {
    const box = newBox();
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii', minLength: 8, maxLength: 128 }), (text) => {
        const sealed = box.seal(text);
        expect(sealed).not.toContain(text);
        expect(sealed).not.toContain(Buffer.from(text).toString('base64').slice(0, 8));
      }),
      { numRuns: 200 },
    );
  });

  it('seals the same plaintext differently every time (fresh IV)', () => {
    const box = newBox();
    const sealed = new Set(Array.from({ length: 50 }, () => box.seal('Fleet-Secret-77')));
    expect(sealed.size).toBe(50);
    const ivs = new Set([...sealed].map((value) => value.split(':')[1]));
    expect(ivs.size).toBe(50);
  });

  it('writes a versioned v1:iv:tag:body value with a 96-bit IV and a 128-bit tag', () => {
    const [version, iv, tag, body, extra] = newBox().seal('abcdefgh').split(':');
    expect(version).toBe('v1');
    expect(Buffer.from(iv!, 'base64')).toHaveLength(12);
    expect(Buffer.from(tag!, 'base64')).toHaveLength(16);
    expect(Buffer.from(body!, 'base64')).toHaveLength(8);
    expect(extra).toBeUndefined();
  });

  it.each([
    ['the IV', 1],
    ['the tag', 2],
    ['the body', 3],
  ])('refuses a value whose %s was changed, with an AppError that holds no plaintext', (_l, i) => {
    const box = newBox();
    const plaintext = 'Registration-Secret-42';
    const error = openFailure(box, withPart(box.seal(plaintext), i, flipFirstBit));
    expect(error.code).toBe('unavailable');
    expect(error.expose).toBe(false);
    expect(error.message).toBe('a stored secret cannot be decrypted with this secrets key');
    expect(error.message).not.toContain(plaintext);
  });

  it('refuses any single-bit change anywhere in iv, tag or body', () => {
    const box = newBox();
    const sealed = box.seal('Registration-Secret-42');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.nat(), fc.nat(7), (part, at, bit) => {
        const tampered = withPart(sealed, part, (bytes) => {
          const copy = Buffer.from(bytes);
          const index = at % copy.length;
          copy[index] = (copy[index] ?? 0) ^ (1 << bit);
          return copy;
        });
        expect(openFailure(box, tampered).code).toBe('unavailable');
      }),
    );
  });

  it('refuses a value sealed under another key', () => {
    const sealed = newBox().seal('Registration-Secret-42');
    const error = openFailure(newBox(), sealed);
    expect(error.code).toBe('unavailable');
    expect(error.message).not.toContain('Registration-Secret-42');
  });

  // A tag cut short would lower the forgery bound to 2^32 tries.
  it('refuses a sealed value whose tag was truncated to 4 bytes', () => {
    const box = newBox();
    const shortTag = withPart(box.seal('Registration-Secret-42'), 2, (tag) => tag.subarray(0, 4));
    expect(openFailure(box, shortTag).code).toBe('unavailable');
  });

  it('refuses a body taken from another sealed value', () => {
    const box = newBox();
    const sealed = box.seal('Registration-Secret-42');
    const other = box.seal('Other-Secret-000000000').split(':');
    const spliced = sealed.split(':').slice(0, 3).concat(other[3]!).join(':');
    expect(openFailure(box, spliced).code).toBe('unavailable');
  });

  it.each(['', 'plaintext', 'v2:a:b:c', 'v1:only:three', 'v1::', 'v1'])(
    'refuses the malformed value %j as an unknown format',
    (value) => {
      const error = openFailure(newBox(), value);
      expect(error.code).toBe('unavailable');
      expect(error.expose).toBe(false);
    },
  );

  it.each([16, 31, 33, 64])('refuses a %i-byte key naming where it came from', (bytes) => {
    const encoded = randomBytes(bytes).toString('base64');
    expect(() => SecretBox.fromBase64(encoded, '/keys/secrets.key')).toThrow(
      expect.objectContaining({
        code: 'startup_failed',
        message: '/keys/secrets.key does not hold a 256-bit key',
      }) as Error,
    );
  });

  it('opens values sealed by another instance built from the same key', () => {
    const key = randomBytes(32).toString('base64');
    const sealed = SecretBox.fromBase64(key, 'a').seal('Same-Key-Secret');
    expect(SecretBox.fromBase64(key, 'b').open(sealed)).toBe('Same-Key-Secret');
  });
});
