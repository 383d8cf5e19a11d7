import { describe, expect, it } from 'vitest';

import { byteRange } from '../../src/status/byte-ranges.js';

const ETAG = '"abc"';

describe('byte ranges of a pattern download', () => {
  it.each([
    ['bytes=0-99', { kind: 'partial', start: 0, end: 99 }],
    ['bytes=100-', { kind: 'partial', start: 100, end: 999 }],
    ['bytes=900-5000', { kind: 'partial', start: 900, end: 999 }],
    ['bytes=-10', { kind: 'partial', start: 990, end: 999 }],
    ['bytes=1000-', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=5-1', { kind: 'whole' }],
    ['bytes=0-1,5-6', { kind: 'whole' }],
    ['items=0-1', { kind: 'whole' }],
  ])('%s of 1000 bytes', (header, expected) => {
    expect(byteRange(header, 1000, undefined, ETAG)).toEqual(expected);
  });

  it('sends the whole when If-Range names another version', () => {
    expect(byteRange('bytes=0-1', 1000, '"old"', ETAG)).toEqual({ kind: 'whole' });
    expect(byteRange('bytes=0-1', 1000, ETAG, ETAG)).toEqual({ kind: 'partial', start: 0, end: 1 });
  });
});
