import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { defaultChecksum, fileDigest } from '../../src/rsync/checksums.js';
import { tokenReader, type TokenCompression } from '../../src/rsync/tokens.js';
import { BufferSource, encodeInt32 } from '../../src/rsync/wire.js';

/**
 * The real rsync client as the sender: --only-write-batch records exactly what it would send
 * the receiver (sum header, token stream, whole-file sum) for a basis it is told about, with
 * -z as the 'zlib' variant (batches never negotiate) and any protocol from 27 on.
 */

const work = mkdtempSync(path.join(tmpdir(), 'tmsp-tokens-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Batch {
  bytes: Buffer;
  blockLength: number;
  basis: Buffer;
}

function writeBatch(
  name: string,
  basis: Buffer,
  source: Buffer,
  options: { protocol: number; compress: boolean; blockLength: number; seed: number },
  extra: string[] = [],
): Batch {
  const dir = path.join(work, name);
  mkdirSync(path.join(dir, 'src'), { recursive: true });
  mkdirSync(path.join(dir, 'dst'), { recursive: true });
  writeFileSync(path.join(dir, 'src', 'f'), source);
  writeFileSync(path.join(dir, 'dst', 'f'), basis);
  const batch = path.join(dir, 'batch');
  execFileSync('rsync', [
    `--protocol=${options.protocol}`,
    ...(options.compress ? ['-z'] : []),
    '--no-whole-file',
    '--ignore-times',
    `--block-size=${options.blockLength}`,
    `--checksum-seed=${options.seed}`,
    `--only-write-batch=${batch}`,
    ...extra,
    path.join(dir, 'src', 'f'),
    path.join(dir, 'dst') + '/',
  ]);
  return { bytes: readFileSync(batch), blockLength: options.blockLength, basis };
}

/** Where the tokens start: just after the sum header the sender echoes for the file. */
function tokensStart({ bytes, blockLength, basis }: Batch): number {
  const count = Math.ceil(basis.length / blockLength);
  const head = Buffer.concat([encodeInt32(count), encodeInt32(blockLength)]);
  const remainder = basis.length % blockLength;
  for (let at = bytes.indexOf(head); at >= 0; at = bytes.indexOf(head, at + 1)) {
    const s2length = bytes.readInt32LE(at + 8);
    if (s2length >= 2 && s2length <= 16 && bytes.readInt32LE(at + 12) === remainder) {
      return at + 16;
    }
  }
  throw new Error('no sum header in the batch');
}

/** Rebuilds the file from the batch's tokens, as the receiver will, and reads its sum. */
async function receive(
  batch: Batch,
  compression: TokenCompression,
  protocol: number,
  replayProtocol = protocol,
) {
  const { blockLength, basis } = batch;
  const source = new BufferSource(batch.bytes.subarray(tokensStart(batch)));
  const count = Math.ceil(basis.length / blockLength);
  const reader = tokenReader(source, compression, count - 1, replayProtocol);
  const parts: Buffer[] = [];
  let blocks = 0;
  for (let token = await reader.next(); token.kind !== 'end'; token = await reader.next()) {
    if (token.kind === 'literal') {
      parts.push(token.data);
      continue;
    }
    const block = basis.subarray(token.index * blockLength, (token.index + 1) * blockLength);
    reader.seeBlock(block);
    parts.push(block);
    blocks++;
  }
  const sentSum = await source.readBytes(16);
  return { file: Buffer.concat(parts), blocks, sentSum };
}

/**
 * A new version of the basis: blocks moved, repeated and skipped (relative and absolute block
 * numbers, runs), new data longer than a chunk, and pieces of blocks that are not whole blocks,
 * which only compress against the matched blocks in the 'zlib' history.
 */
function newVersion(basis: Buffer, blockLength: number): Buffer {
  const block = (index: number) => basis.subarray(index * blockLength, (index + 1) * blockLength);
  const last = Math.ceil(basis.length / blockLength) - 1;
  expect(last).toBeGreaterThanOrEqual(3);
  return Buffer.concat([
    block(1),
    randomBytes(1000),
    block(2),
    block(3),
    block(last),
    basis.subarray(blockLength + 100, blockLength + 700),
    randomBytes(40_000),
    block(0),
    block(0),
    blockLength > 4000 ? basis.subarray(blockLength - 4000, blockLength - 1000) : Buffer.alloc(0),
    basis.subarray(100, Math.min(blockLength - 100, 69_000)),
    block(2),
    basis.subarray(blockLength * 2 - 3000, blockLength * 2 - 500),
    randomBytes(10),
  ]);
}

describe('token streams of the real rsync client', () => {
  const cases = [27, 28, 29, 30, 31, 32].flatMap((protocol) =>
    [false, true].flatMap((compress) =>
      [700, 70_000].map((blockLength) => ({ protocol, compress, blockLength })),
    ),
  );

  it.each(cases)(
    'protocol $protocol, compressed $compress, blocks of $blockLength',
    async ({ protocol, compress, blockLength }) => {
      const basis = randomBytes(blockLength === 700 ? 30_000 : 230_000);
      const source = newVersion(basis, blockLength);
      const seed = randomInt(-0x80000000, 0x7fffffff) || 1;
      const name = `p${protocol}-${compress ? 'z' : 'n'}-${blockLength}`;
      const batch = writeBatch(name, basis, source, { protocol, compress, blockLength, seed });
      const compression = compress ? 'zlib' : 'none';

      const received = await receive(batch, compression, protocol);

      expect(received.file.equals(source)).toBe(true);
      expect(received.blocks).toBeGreaterThan(3);
      const sum = fileDigest(defaultChecksum(protocol), seed, protocol);
      sum.update(received.file);
      expect(sum.digest().toString('hex')).toBe(received.sentSum.toString('hex'));

      if (compress && blockLength > 0xffff) {
        // Long blocks go into the history differently before protocol 31: the other way fails.
        const otherWay = protocol < 31 ? 31 : 30;
        const wrong = await receive(batch, compression, protocol, otherWay).catch(() => null);
        expect(wrong?.file.equals(source)).not.toBe(true);
      }
    },
  );

  it.each([27, 28, 29])('sends md4 named below protocol 30 unseeded (%i)', async (protocol) => {
    const basis = randomBytes(5000);
    const source = newVersion(basis, 700);
    const seed = randomInt(1, 0x7fffffff);
    const options = { protocol, compress: false, blockLength: 700, seed };
    const batch = writeBatch(`named-${protocol}`, basis, source, options, [
      '--checksum-choice=md4',
    ]);

    const received = await receive(batch, 'none', protocol);

    expect(received.file.equals(source)).toBe(true);
    const sum = fileDigest('md4', seed, protocol, true);
    sum.update(received.file);
    expect(sum.digest().toString('hex')).toBe(received.sentSum.toString('hex'));
  });
});
