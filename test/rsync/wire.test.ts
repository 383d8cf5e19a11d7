import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  BufferSource,
  encodeInt32,
  encodeLongint,
  encodeVarint,
  encodeVarlong,
} from '../../src/rsync/wire.js';

describe('rsync integer encodings', () => {
  it('writes small varints as one byte and larger ones with a length prefix', () => {
    expect(encodeVarint(0)).toEqual(Buffer.from([0]));
    expect(encodeVarint(0x7f)).toEqual(Buffer.from([0x7f]));
    expect(encodeVarint(0x80)).toEqual(Buffer.from([0x80, 0x80]));
    expect(encodeVarint(-1)).toEqual(Buffer.from([0xf0, 0xff, 0xff, 0xff, 0xff]));
    expect(encodeVarlong(5, 3)).toEqual(Buffer.from([0, 5, 0]));
  });

  it('reads back every varint, varlong and longint it writes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: -0x80000000, max: 0x7fffffff }),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 3, max: 4 }),
        async (small, large, minBytes) => {
          const source = new BufferSource(
            Buffer.concat([
              encodeVarint(small),
              encodeVarlong(large, minBytes),
              encodeLongint(large),
              encodeInt32(small),
            ]),
          );
          expect(await source.readVarint()).toBe(small);
          expect(await source.readVarlong(minBytes)).toBe(large);
          expect(await source.readLongint()).toBe(large);
          expect(await source.readInt32()).toBe(small);
          expect(source.done).toBe(true);
        },
      ),
    );
  });

  it('fails with a stream error, not a crash, on any truncated or random input', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 12 }), async (bytes) => {
        const source = new BufferSource(Buffer.from(bytes));
        await source
          .readVarlong(3)
          .then(
            () => source.readVarint(),
            (error: unknown) => expect((error as Error).name).toBe('RsyncError'),
          )
          .catch((error: unknown) => expect((error as Error).name).toBe('RsyncError'));
      }),
    );
  });
});
