import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  base32Decode,
  base32Encode,
  matchTotp,
  otpauthUri,
  totpCode,
  totpStep,
} from '../../src/accounts/totp.js';

// RFC 6238 appendix B, SHA-1, shortened to the six digits authenticator apps show.
const RFC_SECRET = base32Encode(Buffer.from('12345678901234567890'));
const RFC_VECTORS: Array<[number, string]> = [
  [59, '287082'],
  [1111111109, '081804'],
  [1234567890, '005924'],
  [2000000000, '279037'],
];

describe('TOTP', () => {
  it.each(RFC_VECTORS)('computes the RFC 6238 code at %i s', (seconds, code) => {
    expect(totpCode(RFC_SECRET, totpStep(new Date(seconds * 1000)))).toBe(code);
  });

  it('encodes the RFC secret in base32 as authenticator apps expect', () => {
    expect(RFC_SECRET).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  });

  it('reads back any bytes it wrote in base32', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(base32Decode(base32Encode(Buffer.from(bytes)))).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it('accepts one step of drift either way, and no code twice', () => {
    const now = new Date(1_800_000_000_000);
    const step = totpStep(now);
    expect(matchTotp(RFC_SECRET, totpCode(RFC_SECRET, step - 1), now, null)).toBe(step - 1);
    expect(matchTotp(RFC_SECRET, totpCode(RFC_SECRET, step + 1), now, null)).toBe(step + 1);
    expect(matchTotp(RFC_SECRET, totpCode(RFC_SECRET, step - 2), now, null)).toBeNull();
    expect(matchTotp(RFC_SECRET, totpCode(RFC_SECRET, step), now, step)).toBeNull();
    expect(matchTotp(RFC_SECRET, 'abcdef', now, null)).toBeNull();
  });

  it('names issuer and user in the otpauth URI', () => {
    const uri = otpauthUri('TMSP', 'alice', RFC_SECRET);
    expect(uri).toBe(
      `otpauth://totp/TMSP%3Aalice?secret=${RFC_SECRET}&issuer=TMSP&algorithm=SHA1&digits=6&period=30`,
    );
  });
});
