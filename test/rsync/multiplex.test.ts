import { PassThrough } from 'node:stream';

import { describe, expect, it } from 'vitest';

import { PeerInput } from '../../src/rsync/multiplex.js';

describe('the client side of a session', () => {
  it('ends a session whose client sends nothing for too long', async () => {
    const stream = new PassThrough();
    const input = new PeerInput(stream, () => undefined, 100);
    await expect(input.readInt32()).rejects.toThrow(/no data from the client for 0.1 s/);
    expect(stream.destroyed).toBe(true);
  });

  it('keeps a session alive while data keeps coming', async () => {
    const stream = new PassThrough();
    const input = new PeerInput(stream, () => undefined, 150);
    const reading = input.readBytes(3);
    for (const byte of [1, 2, 3]) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      stream.write(Buffer.from([byte]));
    }
    expect([...(await reading)]).toEqual([1, 2, 3]);
  });
});
