import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { detectFraming } from '../../../src/ingest/parsers/detect-framing.js';
import { utf8SafeLength } from '../../../src/ingest/parsers/frame-buffer.js';
import { Framer } from '../../../src/ingest/parsers/framer.js';
import type { Frame } from '../../../src/ingest/parsers/framing-types.js';
import { splitFrames } from '../../../src/ingest/parsers/framing.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const concatBytes = (...parts: Uint8Array[]): Uint8Array => {
  const joined = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
};
const texts = (frames: { text: string }[]): string[] => frames.map((frame) => frame.text);

/** Feeds a stream in the given pieces and collects every frame, the end included. */
function frameInPieces(stream: Uint8Array, cuts: number[], fileComplete = true) {
  const framer = new Framer();
  const frames = [];
  let start = 0;
  for (const cut of [...cuts, stream.length]) {
    frames.push(...framer.push(stream.subarray(start, cut)));
    start = cut;
  }
  const end = framer.finish({ fileComplete });
  return { frames: [...frames, ...end.frames], end, framing: framer.framing };
}

// From go-syslog's octet-counting tests (influxdata/go-syslog, MIT). The accented omicron of
// "κόσμε" is U+1F79 (bytes e1 bd b9), built from bytes so no editor can normalise it.
const KOSME = concatBytes(bytes('κ'), Uint8Array.from([0xe1, 0xbd, 0xb9]), bytes('σμε'));
const C11_STREAM = concatBytes(
  bytes('48 <1>1 2003-10-11T22:14:15.003Z host.local - - - -25 <3>1 - host.local - - - -'),
  bytes('38 <2>1 - host.local su - - - '),
  KOSME,
);

describe('octet-counted framing (RFC 6587)', () => {
  it('C11: a stream cut at every byte offset always gives the same three frames', () => {
    expect(KOSME.length).toBe(11);
    for (let cut = 0; cut <= C11_STREAM.length; cut += 1) {
      const { frames, framing } = frameInPieces(C11_STREAM, [cut]);
      expect(framing).toBe('octet-counted');
      expect(frames).toHaveLength(3);
      const third = frames[2]!;
      expect(third.bytes.length).toBe(38);
      expect(third.text.endsWith(new TextDecoder().decode(KOSME))).toBe(true);
      expect(third.validUtf8).toBe(true);
      expect(frames.map((frame) => frame.framingError)).toEqual([null, null, null]);
    }
  });

  it('C11: one byte at a time gives the same frames and offsets', () => {
    const cuts = Array.from({ length: C11_STREAM.length - 1 }, (_, index) => index + 1);
    const { frames, end } = frameInPieces(C11_STREAM, cuts);
    expect(texts(frames)).toEqual([
      '<1>1 2003-10-11T22:14:15.003Z host.local - - - -',
      '<3>1 - host.local - - - -',
      `<2>1 - host.local su - - - ${new TextDecoder().decode(KOSME)}`,
    ]);
    expect(frames.map((frame) => [frame.start, frame.end])).toEqual([
      [0, 51],
      [51, 79],
      [79, 120],
    ]);
    expect(end.consumed).toBe(C11_STREAM.length);
  });

  it('counts octets, not characters', () => {
    const { frames } = splitFrames(bytes('23 <1>1 - - - - - - hellø'), { fileComplete: true });
    expect(texts(frames)).toEqual(['<1>1 - - - - - - hellø']);
  });

  it('recovers the frame after one whose content is bad (framing itself is fine)', () => {
    const stream = bytes('16 <1>1 - - - - - -17 <2>12 A B C D E -16 <1>1 - - - - - -');
    const { frames } = splitFrames(stream, { fileComplete: true });
    expect(texts(frames)).toEqual(['<1>1 - - - - - -', '<2>12 A B C D E -', '<1>1 - - - - - -']);
  });

  it('holds back a frame cut short at the end of a growing file', () => {
    const { frames, pending, consumed } = splitFrames(bytes('16 <1>1'), { fileComplete: false });
    expect(frames).toEqual([]);
    expect(pending).toEqual({ start: 0, receivedBytes: 4, reason: 'incomplete-octet-frame' });
    expect(consumed).toBe(0);
  });

  it('never emits a short frame as complete: at the end of a final file it is a framing error', () => {
    const { frames } = splitFrames(bytes('16 <1>1'), { fileComplete: true });
    expect(frames).toHaveLength(1);
    expect(frames[0]!.text).toBe('<1>1');
    expect(frames[0]!.framingError).toBe('stream ended 12 octets before the end of the frame');
  });

  it('flags bytes that are not an octet count, up to the next LF, and carries on', () => {
    const stream = bytes('16 <1>1 - - - - - -xaaa\n16 <1>1 - - - - - -');
    const { frames } = splitFrames(stream, { fileComplete: true });
    expect(frames.map((frame) => [frame.text, frame.framingError])).toEqual([
      ['<1>1 - - - - - -', null],
      ['xaaa', "'x' where an octet count was expected"],
      ['<1>1 - - - - - -', null],
    ]);
  });

  it('a count without its space keeps the digits in the flagged frame', () => {
    const { frames } = splitFrames(bytes('16<1>1'), {
      fileComplete: true,
      framing: 'octet-counted',
    });
    expect(frames.map((frame) => [frame.text, frame.framingError])).toEqual([
      ['16<1>1', "'<' where a space was expected after the octet count"],
    ]);
  });

  it('a huge octet count is a framing error, not an allocation', () => {
    const stream = bytes('99999999999 <1>1 - - - - - -\n12 <1>1 - - - -');
    const { frames } = splitFrames(stream, { fileComplete: true, framing: 'octet-counted' });
    expect(frames.map((frame) => frame.framingError)).toEqual([
      'octet count longer than 9 digits',
      null,
    ]);
    expect(frames[1]!.text).toBe('<1>1 - - - -');
  });

  it('a frame longer than the maximum keeps its first part, flagged, and the next is intact', () => {
    const stream = bytes('16 <1>1 - - - - - -16 <2>1 - - - - - -');
    const { frames } = splitFrames(stream, { fileComplete: true, maxFrameBytes: 10 });
    expect(frames.map((frame) => [frame.text, frame.truncated, frame.receivedBytes])).toEqual([
      ['<1>1 - - -', true, 16],
      ['<2>1 - - -', true, 16],
    ]);
  });

  it('tolerates line ends between frames', () => {
    const stream = bytes('16 <1>1 - - - - - -\n16 <2>1 - - - - - -\r\n');
    const { frames, consumed } = splitFrames(stream, { fileComplete: false });
    expect(texts(frames)).toEqual(['<1>1 - - - - - -', '<2>1 - - - - - -']);
    expect(consumed).toBe(stream.length);
  });
});

describe('newline framing', () => {
  it('splits on LF and CRLF and skips blank lines', () => {
    const stream = bytes('<1>1 - - - - - -\n\n<2>1 - - - - - -\r\n   \n<3>1 - - - - - -\n');
    const { frames, pending, consumed, framing } = splitFrames(stream, { fileComplete: false });
    expect(framing).toBe('newline');
    expect(texts(frames)).toEqual(['<1>1 - - - - - -', '<2>1 - - - - - -', '<3>1 - - - - - -']);
    expect(pending).toBeNull();
    expect(consumed).toBe(stream.length);
  });

  it('C21: a last line without LF is pending while the file may grow', () => {
    const stream = bytes('<1>1 - - - - - -\n<2>1 - - - - - -');
    const growing = splitFrames(stream, { fileComplete: false });
    expect(texts(growing.frames)).toEqual(['<1>1 - - - - - -']);
    expect(growing.pending).toEqual({ start: 17, receivedBytes: 16, reason: 'line-without-end' });
    expect(growing.consumed).toBe(17);
    const final = splitFrames(stream, { fileComplete: true });
    expect(texts(final.frames)).toEqual(['<1>1 - - - - - -', '<2>1 - - - - - -']);
    expect(final.pending).toBeNull();
    expect(final.consumed).toBe(stream.length);
  });

  it('resumes at the offset an earlier pass consumed, keeping file offsets', () => {
    const file = bytes('<1>1 - - - - - -\n<2>1 - - - - - -\n<3>1 - - - - - -\n');
    const first = splitFrames(file.subarray(0, 20), { fileComplete: false });
    expect(first.consumed).toBe(17);
    const rest = splitFrames(file.subarray(first.consumed), {
      fileComplete: true,
      startOffset: first.consumed,
      framing: first.framing,
    });
    expect(rest.frames.map((frame) => [frame.text, frame.start, frame.end])).toEqual([
      ['<2>1 - - - - - -', 17, 34],
      ['<3>1 - - - - - -', 34, 51],
    ]);
    expect(rest.consumed).toBe(file.length);
  });

  it('an empty file gives no frames and nothing pending', () => {
    expect(splitFrames(new Uint8Array(0), { fileComplete: true })).toEqual({
      frames: [],
      pending: null,
      consumed: 0,
      framing: 'newline',
    });
  });

  it('drops a UTF-8 byte order mark at the start of the file', () => {
    const stream = concatBytes(Uint8Array.from([0xef, 0xbb, 0xbf]), bytes('a=1\nb=2\n'));
    expect(texts(splitFrames(stream, { fileComplete: true }).frames)).toEqual(['a=1', 'b=2']);
  });

  it('a line starting with digits but no "NN <" is newline-framed', () => {
    expect(detectFraming(bytes('2025-03-14 12:00 x'))).toBe('newline');
    expect(detectFraming(bytes('12 <'))).toBe('octet-counted');
    expect(detectFraming(bytes('12'))).toBeUndefined();
    expect(detectFraming(bytes('12 '))).toBeUndefined();
    expect(detectFraming(bytes('12 x'))).toBe('newline');
  });

  it('C14: long, normal and boundary-straddling lines give exactly three intact events', () => {
    const maxFrameBytes = 8192;
    const cefStart = 'CEF:0|Trend Micro|Deep Discovery Inspector|6.0|100|URL|6|';
    const url = `request=http://example.com/${'a'.repeat(6000)}`;
    const customs = Array.from({ length: 80 }, (_, index) => `cs${index}=${'v'.repeat(60)}`);
    const long = `${cefStart}src=10.0.0.1 ${url} ${customs.join(' ')}`.slice(0, 9000);
    const normal = `<13>Mar 14 12:00:00 ddi01 ddi: ${'n'.repeat(269)}`;
    // "€" is 3 bytes; put one so that it straddles byte offset 2048 of the third line.
    const straddling = `${'x'.repeat(2047)}€${'y'.repeat(950)}`;
    expect(bytes(long).length).toBe(9000);
    expect(bytes(normal).length).toBe(300);
    expect(bytes(straddling).length).toBe(3000);
    const stream = bytes(`${long}\n${normal}\n${straddling}\n`);
    const thirdStart = 9000 + 1 + 300 + 1;
    const cutLists = [2048, 1024, 4096, 65536].map((chunkSize) => {
      const cuts = [];
      for (let cut = chunkSize; cut < stream.length; cut += chunkSize) cuts.push(cut);
      return cuts;
    });
    cutLists.push([thirdStart + 2048], [thirdStart + 2049]);
    for (const cuts of cutLists) {
      const framer = new Framer({ maxFrameBytes });
      const frames = [];
      let start = 0;
      for (const cut of [...cuts, stream.length]) {
        frames.push(...framer.push(stream.subarray(start, cut)));
        start = cut;
      }
      frames.push(...framer.finish({ fileComplete: true }).frames);
      expect(frames).toHaveLength(3);
      const [first, second, third] = frames;
      expect(first!.truncated).toBe(true);
      expect(first!.receivedBytes).toBe(9000);
      expect(first!.bytes.length).toBe(maxFrameBytes);
      expect(first!.text).toBe(long.slice(0, maxFrameBytes));
      expect(second!.text).toBe(normal);
      expect(second!.truncated).toBe(false);
      expect(third!.text).toBe(straddling);
      expect(third!.text).not.toContain('\uFFFD');
    }
  });

  it('cuts a long line before a character, never inside one', () => {
    const line = `${'a'.repeat(9)}€tail`;
    const { frames } = splitFrames(bytes(`${line}\nnext\n`), {
      fileComplete: true,
      maxFrameBytes: 10,
    });
    expect(frames.map((frame) => [frame.text, frame.truncated, frame.validUtf8])).toEqual([
      ['a'.repeat(9), true, true],
      ['next', false, true],
    ]);
  });

  it('a line exactly at the limit followed by CRLF is not truncated', () => {
    const { frames } = splitFrames(bytes('abcde\r\n'), { fileComplete: true, maxFrameBytes: 5 });
    expect(frames.map((frame) => [frame.text, frame.truncated])).toEqual([['abcde', false]]);
  });

  it('flags invalid UTF-8 per line and keeps its bytes', () => {
    const bad = Uint8Array.from([0x61, 0xff, 0xfe, 0x62]);
    const stream = concatBytes(bytes('good\n'), bad, bytes('\nalso good\n'));
    const { frames } = splitFrames(stream, { fileComplete: true });
    expect(frames.map((frame) => frame.validUtf8)).toEqual([true, false, true]);
    expect(Array.from(frames[1]!.bytes)).toEqual(Array.from(bad));
    expect(frames[1]!.text).toBe('a\uFFFD\uFFFDb');
  });

  it('utf8SafeLength backs off only over an incomplete trailing character', () => {
    const euro = bytes('a€');
    expect(utf8SafeLength(euro, 4)).toBe(4);
    expect(utf8SafeLength(euro, 3)).toBe(1);
    expect(utf8SafeLength(euro, 2)).toBe(1);
    expect(utf8SafeLength(bytes('abc'), 2)).toBe(2);
  });
});

describe('framer properties', () => {
  const streamBytes = fc.oneof(
    fc.uint8Array({ maxLength: 400 }),
    fc
      .array(
        fc.oneof(
          fc.constantFrom('16 ', '99999999999 ', '0 ', '\n', '\r\n', '<1>1 - - - - - -', ' '),
          fc.string({ maxLength: 30 }),
        ),
        { maxLength: 40 },
      )
      .map((parts) => bytes(parts.join(''))),
  );

  it('never throws, and chunking never changes the frames', () => {
    fc.assert(
      fc.property(streamBytes, fc.array(fc.nat(), { maxLength: 6 }), (stream, rawCuts) => {
        const cuts = [...new Set(rawCuts.map((cut) => cut % (stream.length + 1)))].sort(
          (a, b) => a - b,
        );
        const whole = splitFrames(stream, { fileComplete: true, maxFrameBytes: 32 });
        const framer = new Framer({ maxFrameBytes: 32 });
        const pieces: Frame[] = [];
        let start = 0;
        for (const cut of [...cuts, stream.length]) {
          pieces.push(...framer.push(stream.subarray(start, cut)));
          start = cut;
        }
        pieces.push(...framer.finish({ fileComplete: true }).frames);
        const summary = (frame: Frame) => [
          Array.from(frame.bytes),
          frame.start,
          frame.end,
          frame.truncated,
          frame.framingError,
        ];
        expect(pieces.map(summary)).toEqual(whole.frames.map(summary));
        for (const frame of pieces) expect(frame.bytes.length).toBeLessThanOrEqual(32);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps memory bounded on a huge line and a huge octet count', () => {
    const framer = new Framer({ maxFrameBytes: 1024 });
    const chunk = new Uint8Array(1024 * 1024).fill(0x61);
    for (let index = 0; index < 64; index += 1) expect(framer.push(chunk)).toEqual([]);
    const [frame] = framer.finish({ fileComplete: true }).frames;
    expect(frame!.bytes.length).toBe(1024);
    expect(frame!.receivedBytes).toBe(64 * 1024 * 1024);

    const octets = new Framer({ maxFrameBytes: 1024 });
    expect(octets.push(bytes('999999999 <1>1 '))).toEqual([]);
    for (let index = 0; index < 64; index += 1) expect(octets.push(chunk)).toEqual([]);
    expect(octets.finish({ fileComplete: false }).pending?.reason).toBe('incomplete-octet-frame');
  });
});
