import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import pako from 'pako';
import { describe, expect, it } from 'vitest';

import { RsyncError } from '../../src/rsync/errors.js';
import { CHUNK_SIZE, tokenReader, type TokenCompression } from '../../src/rsync/tokens.js';
import { BufferSource, encodeInt32 } from '../../src/rsync/wire.js';
import {
  encodeDeflatedTokens,
  encodePlainTokens,
  type DeflateOptions,
  type TokenOp,
} from '../support/rsync-tokens.js';

/** What a stream means, whatever its chunking: literal bytes between block references. */
type Meaning = ({ kind: 'literal'; hex: string } | { kind: 'block'; index: number })[];

function meaningOf(ops: TokenOp[]): Meaning {
  const meaning: Meaning = [];
  for (const op of ops) {
    const last = meaning.at(-1);
    if (op.kind === 'block') meaning.push({ kind: 'block', index: op.index });
    else if (op.data.length === 0) continue;
    else if (last?.kind === 'literal') last.hex += op.data.toString('hex');
    else meaning.push({ kind: 'literal', hex: op.data.toString('hex') });
  }
  return meaning;
}

/** Reads a whole file's tokens, replaying blocks from the basis as the receiver does. */
async function readAll(
  stream: Buffer,
  compression: TokenCompression,
  blocks: Buffer[],
  protocol: number,
  seeBlocks = true,
): Promise<Meaning> {
  const source = new BufferSource(stream);
  const reader = tokenReader(source, compression, blocks.length - 1, protocol);
  const ops: TokenOp[] = [];
  for (;;) {
    const token = await reader.next();
    if (token.kind === 'end') break;
    if (token.kind === 'literal') {
      expect(token.data.length).toBeGreaterThan(0);
      expect(token.data.length).toBeLessThanOrEqual(CHUNK_SIZE);
      ops.push({ kind: 'literal', data: token.data });
    } else {
      const data = blocks[token.index]!;
      if (seeBlocks) reader.seeBlock(data);
      ops.push({ kind: 'block', index: token.index, data });
    }
  }
  expect(source.done).toBe(true);
  return meaningOf(ops);
}

function encode(ops: TokenOp[], compression: TokenCompression, options: Partial<DeflateOptions>) {
  if (compression === 'none') return encodePlainTokens(ops);
  return encodeDeflatedTokens(ops, { protocol: 31, ...options, variant: compression });
}

/** A basis whose blocks repeat themselves and each other, so the compressor finds matches. */
function makeBasis(count: number, blockLength: number): Buffer[] {
  const seed = randomBytes(blockLength);
  return Array.from({ length: count }, (_, i) => {
    const block = Buffer.from(seed);
    block.fill(i & 0xff, 0, i % blockLength);
    return block;
  });
}

const literalArbitrary = (basis: Buffer[]) =>
  fc.oneof(
    fc.uint8Array({ maxLength: 3000 }).map((bytes) => Buffer.from(bytes)),
    fc
      .record({ block: fc.nat(basis.length - 1), start: fc.nat(500), length: fc.nat(800) })
      .map(({ block, start, length }) => basis[block]!.subarray(start, start + length)),
    fc
      .record({ byte: fc.nat(255), length: fc.integer({ min: 1, max: 80_000 }) })
      .map(({ byte, length }) => Buffer.alloc(length, byte)),
    fc.integer({ min: CHUNK_SIZE - 2, max: 2 * CHUNK_SIZE + 3 }).map((n) => randomBytes(n)),
  );

const opsArbitrary = (basis: Buffer[]) =>
  fc
    .array(
      fc.oneof(
        literalArbitrary(basis).map((data): TokenOp => ({ kind: 'literal', data })),
        fc
          .nat(basis.length - 1)
          .map((index): TokenOp => ({ kind: 'block', index, data: basis[index]! })),
        fc
          .record({ start: fc.nat(basis.length - 1), length: fc.integer({ min: 1, max: 70 }) })
          .map(({ start, length }) =>
            Array.from({ length: Math.min(length, basis.length - start) }, (_, k): TokenOp => ({
              kind: 'block',
              index: start + k,
              data: basis[start + k]!,
            })),
          ),
      ),
      { maxLength: 25 },
    )
    .map((items) => items.flat());

describe('token streams', () => {
  const basis = makeBasis(400, 1000);

  for (const compression of ['none', 'zlib', 'zlibx'] as const) {
    it(`reads back what an rsync sender writes (${compression})`, async () => {
      await fc.assert(
        fc.asyncProperty(
          opsArbitrary(basis),
          fc.integer({ min: 27, max: 32 }),
          fc.integer({ min: 1, max: 9 }),
          fc.oneof(fc.constant(16383), fc.integer({ min: 1, max: 16383 })),
          async (ops, protocol, level, recordSize) => {
            const stream = encode(ops, compression, { protocol, level, recordSize });
            const read = await readAll(stream, compression, basis, protocol);
            expect(read).toEqual(meaningOf(ops));
          },
        ),
        { numRuns: 40 },
      );
    });
  }

  it('hands out a well-compressed run a chunk at a time', async () => {
    const stream = encodeDeflatedTokens([{ kind: 'literal', data: Buffer.alloc(8_000_000) }], {
      variant: 'zlibx',
      protocol: 31,
      level: 9,
    });
    expect(stream.length).toBeLessThan(16_383);
    const reader = tokenReader(new BufferSource(stream), 'zlibx', -1, 31);
    let total = 0;
    for (let token = await reader.next(); token.kind === 'literal'; token = await reader.next()) {
      expect(token.data.length).toBeLessThanOrEqual(CHUNK_SIZE);
      expect(token.data.every((byte) => byte === 0)).toBe(true);
      total += token.data.length;
    }
    expect(total).toBe(8_000_000);
  });

  it('keeps answering "end" after the end', async () => {
    const reader = tokenReader(new BufferSource(encodePlainTokens([])), 'none', -1, 31);
    expect(await reader.next()).toEqual({ kind: 'end' });
    expect(await reader.next()).toEqual({ kind: 'end' });
  });

  it('splits literal runs longer than a chunk, as rsync receivers accept them', async () => {
    const data = randomBytes(CHUNK_SIZE * 2 + 5);
    const stream = Buffer.concat([encodeInt32(data.length), data, encodeInt32(0)]);
    const read = await readAll(stream, 'none', [], 31);
    expect(read).toEqual([{ kind: 'literal', hex: data.toString('hex') }]);
  });

  it('writes block runs and far jumps the way rsync does', () => {
    const block = (index: number): TokenOp => ({ kind: 'block', index, data: basis[index]! });
    const ops = [block(0), block(1), block(2), block(100), block(3)];
    const stream = encodeDeflatedTokens(ops, { variant: 'zlibx', protocol: 31 });
    // run of 0..2 at +0, 100 at +98 (absolute), 3 at -97 (absolute), end
    expect(stream.toString('hex')).toBe('c00200' + '2064000000' + '2003000000' + '00');
  });
});

describe('the zlib variant', () => {
  const long = randomBytes(100_000);
  const tail = Buffer.from(long.subarray(70_000, 90_000));
  const ops: TokenOp[] = [
    { kind: 'block', index: 0, data: long },
    { kind: 'literal', data: tail },
  ];

  it('needs the matched blocks in its history', async () => {
    const stream = encodeDeflatedTokens(ops, { variant: 'zlib', protocol: 31 });
    expect(stream.length).toBeLessThan(2000);
    await expect(readAll(stream, 'zlib', [long], 31)).resolves.toEqual(meaningOf(ops));
    const without = readAll(stream, 'zlib', [long], 31, false);
    await expect(without).rejects.toThrow(RsyncError);
  });

  it('replays long blocks the way each protocol did', async () => {
    // Before protocol 31 the window ends with the block's start again, from 31 with its end.
    const early = long.subarray(20_000, 25_000);
    const late = long.subarray(90_000, 95_000);
    const ops: TokenOp[] = [
      { kind: 'block', index: 0, data: long },
      { kind: 'literal', data: Buffer.concat([early, late]) },
    ];
    for (const [sent, read, same] of [
      [30, 30, true],
      [31, 31, true],
      [30, 31, false],
      [31, 30, false],
    ] as const) {
      const stream = encodeDeflatedTokens(ops, { variant: 'zlib', protocol: sent });
      const meaning = readAll(stream, 'zlib', [long], read).catch(() => null);
      if (same) await expect(meaning).resolves.toEqual(meaningOf(ops));
      else await expect(meaning).resolves.not.toEqual(meaningOf(ops));
    }
  });

  it('ignores block data in the zlibx variant', async () => {
    const stream = encodeDeflatedTokens(ops, { variant: 'zlibx', protocol: 31 });
    await expect(readAll(stream, 'zlibx', [long], 31)).resolves.toEqual(meaningOf(ops));
  });

  it('refuses seeBlock anywhere but after a block token', async () => {
    const stream = encodeDeflatedTokens(ops.slice(1), { variant: 'zlib', protocol: 31 });
    const reader = tokenReader(new BufferSource(stream), 'zlib', 0, 31);
    expect((await reader.next()).kind).toBe('literal');
    expect(() => reader.seeBlock(long)).toThrow(/block token/);
  });
});

describe('malformed token streams', () => {
  const basis = makeBasis(20, 300);

  async function outcome(stream: Buffer, compression: TokenCompression): Promise<string> {
    const reader = tokenReader(new BufferSource(stream), compression, basis.length - 1, 31);
    try {
      for (let count = 0; count < 10_000; count++) {
        const token = await reader.next();
        if (token.kind === 'end') return 'end';
        if (token.kind === 'block') reader.seeBlock(basis[token.index]!);
      }
      return 'still going';
    } catch (error) {
      if (error instanceof RsyncError) return error.message;
      throw error;
    }
  }

  it('refuses block numbers past the basis', async () => {
    expect(await outcome(encodeInt32(-21), 'none')).toMatch(/invalid block index 20/);
    expect(await outcome(encodeInt32(-0x80000000), 'none')).toMatch(/invalid block index/);
    expect(await outcome(Buffer.from('2015000000', 'hex'), 'zlib')).toMatch(/block index 21/);
    expect(await outcome(Buffer.from('20ffffffff', 'hex'), 'zlib')).toMatch(/block index -1/);
    expect(await outcome(Buffer.from('9f', 'hex'), 'zlibx')).toMatch(/block index 31/);
    expect(await outcome(Buffer.from('c01400', 'hex'), 'zlib')).toMatch(/past the last block/);
    expect(await outcome(Buffer.from('c00000', 'hex'), 'zlib')).toMatch(/empty block run/);
  });

  it('refuses unknown flags, empty records and data that is not at a sync point', async () => {
    expect(await outcome(Buffer.from('01', 'hex'), 'zlib')).toMatch(/invalid flag/);
    expect(await outcome(Buffer.from('4000', 'hex'), 'zlib')).toMatch(/empty compressed/);
    const finalBlock = Buffer.from(pako.deflateRaw(Buffer.from('hello hello hello')));
    const record = Buffer.concat([Buffer.of(0x40, finalBlock.length), finalBlock, Buffer.of(0)]);
    expect(await outcome(record, 'zlib')).toMatch(/inflate returned 1/);
    const unsynced = Buffer.from(pako.deflateRaw(Buffer.from('hi'), { level: 0 })).subarray(0, 3);
    const cut = Buffer.concat([Buffer.of(0x40, unsynced.length), unsynced, Buffer.of(0)]);
    expect(await outcome(cut, 'zlib')).toMatch(/lost sync/);
  });

  it('ends in an RsyncError, never another error or a hang, on random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 400 }),
        fc.constantFrom<TokenCompression>('none', 'zlib', 'zlibx'),
        async (bytes, compression) => {
          const result = await outcome(Buffer.from(bytes), compression);
          expect(result).not.toBe('still going');
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('ends in an RsyncError or a clean end on mutated valid streams', async () => {
    const valid = (compression: TokenCompression) =>
      opsArbitrary(basis).map((ops) => encode(ops, compression, { protocol: 31 }));
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom<TokenCompression>('none', 'zlib', 'zlibx')
          .chain((compression) =>
            fc.tuple(
              fc.constant(compression),
              valid(compression),
              fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }),
              fc.nat(),
            ),
          ),
        async ([compression, stream, flips, cut]) => {
          const mutated = Buffer.from(stream);
          for (const [at, value] of flips) mutated[at % mutated.length] = value;
          const truncated = mutated.subarray(0, cut % (mutated.length + 1));
          for (const candidate of [mutated, truncated]) {
            expect(await outcome(candidate, compression)).not.toBe('still going');
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
