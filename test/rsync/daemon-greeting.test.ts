import { PassThrough } from 'node:stream';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  negotiatedDigest,
  newChallenge,
  parseChallengeResponse,
  parseGreeting,
  SERVER_GREETING,
} from '../../src/rsync/daemon-greeting.js';
import { LineReader } from '../../src/rsync/line-reader.js';

describe('the rsync daemon greeting', () => {
  it('offers protocol 32 and only digests this server can check', () => {
    expect(SERVER_GREETING).toBe('@RSYNCD: 32.0 sha512 sha256 sha1 md5\n');
  });

  it.each([
    [
      '@RSYNCD: 32.0 sha512 sha256 sha1 md5 md4',
      { protocol: 32, digests: ['sha512', 'sha256', 'sha1', 'md5', 'md4'] },
    ],
    ['@RSYNCD: 31.0', { protocol: 31, digests: [] }],
    ['@RSYNCD: 29.0 md5', { protocol: 29, digests: ['md5'] }],
  ])('reads %j', (line, expected) => {
    expect(parseGreeting(line)).toEqual(expected);
  });

  it.each(['', 'RSYNCD: 32.0', '@RSYNCD: 99.0', '@RSYNCD: 32', '@RSYNCD: 32.0 <script>'])(
    'refuses %j',
    (line) => {
      expect(parseGreeting(line)).toBeNull();
    },
  );

  it.each([
    [{ protocol: 32, digests: ['sha512', 'md5'] }, 'sha512'],
    [{ protocol: 32, digests: ['xxh3', 'md5'] }, 'md5'],
    [{ protocol: 31, digests: [] }, 'md5'],
    [{ protocol: 29, digests: [] }, null],
    [{ protocol: 32, digests: ['md4'] }, null],
  ])('picks the client first choice the server offers: %j', (client, digest) => {
    expect(negotiatedDigest(client)).toBe(digest);
  });

  it('reads a challenge response line and nothing else', () => {
    expect(parseChallengeResponse('acme-fleet AbC+/9')).toEqual({
      userName: 'acme-fleet',
      response: 'AbC+/9',
    });
    expect(parseChallengeResponse('acme-fleet')).toBeNull();
    expect(parseChallengeResponse('a b c')).toBeNull();
  });

  it('makes a fresh unpadded challenge each time', () => {
    const first = newChallenge();
    expect(first).toMatch(/^[A-Za-z0-9+/]{22}$/);
    expect(newChallenge()).not.toBe(first);
  });

  it('never throws on any greeting line', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (line) => {
        parseGreeting(line);
        parseChallengeResponse(line);
      }),
    );
  });
});

describe('the line reader', () => {
  it('returns lines however the bytes are split, and keeps the rest unread', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.stringMatching(/^[a-z0-9 @.:]{0,40}$/), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 }),
        async (lines, cuts) => {
          const stream = new PassThrough();
          const reader = new LineReader(stream, 100);
          const bytes = Buffer.from(lines.map((line) => `${line}\n`).join(''));
          let offset = 0;
          for (const cut of [...cuts, bytes.length]) {
            stream.write(bytes.subarray(offset, offset + cut));
            offset += cut;
          }
          for (const line of lines) expect(await reader.next()).toBe(line);
        },
      ),
    );
  });

  it('gives up on a line longer than the limit', async () => {
    const stream = new PassThrough();
    const reader = new LineReader(stream, 16);
    stream.write('x'.repeat(100));
    expect(await reader.next()).toBeNull();
  });

  it('returns null when the stream ends before a newline', async () => {
    const stream = new PassThrough();
    const reader = new LineReader(stream, 16);
    stream.end('partial');
    expect(await reader.next()).toBeNull();
  });
});
