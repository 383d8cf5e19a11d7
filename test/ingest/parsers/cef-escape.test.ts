import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { parseCef } from '../../../src/ingest/parsers/cef.js';
import { escapeCefHeader, escapeCefValue } from '../../../src/ingest/parsers/cef-escape.js';
import type { NormalisedRecord } from '../../../src/ingest/parsers/record.js';

function parsedRecord(line: string): NormalisedRecord {
  const result = parseCef(line);
  if (!result.ok) throw new Error(`expected ${line} to parse: ${result.reason}`);
  return result.record;
}

function cefLine(header: readonly string[], pairs: Readonly<Record<string, string>>): string {
  const extension = Object.entries(pairs)
    .map(([key, value]) => `${key}=${escapeCefValue(value)}`)
    .join(' ');
  return `CEF:0|${header.map(escapeCefHeader).join('|')}|${extension}`;
}

/** Readers drop spaces at either end of a value: CEF cannot tell them from separators. */
function withoutEdgeSpaces(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text[start] === ' ') start++;
  while (end > start && text[end - 1] === ' ') end--;
  return text.slice(start, end);
}

const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('\\', '=', '|', ' ', '\n', '\r', 'a', 'k'), maxLength: 40 }),
);

describe('escapeCefValue (handed case C07)', () => {
  it('keeps an attacker-written record break and key on one line, inside the value', () => {
    const msg = 'export FOO=bar\nCEF:0|x|y|1|1|forged|10|';

    expect(escapeCefValue(msg)).toBe('export FOO\\=bar\\nCEF:0|x|y|1|1|forged|10|');
    expect(escapeCefValue('C:\\tmp\\a=b.exe')).toBe('C:\\\\tmp\\\\a\\=b.exe');
  });

  it('escapes backslash before anything else, and CR as \\r', () => {
    expect(escapeCefValue('a\\=b')).toBe('a\\\\\\=b');
    expect(escapeCefValue('line\r\nnext')).toBe('line\\r\\nnext');
    expect(escapeCefValue('pipe | stays')).toBe('pipe | stays');
  });

  it('gives back the exported values when our own output is parsed again', () => {
    const line = cefLine(['TMSP', 'Portal', '1.0', '100', 'export', '5'], {
      msg: 'export FOO=bar\nCEF:0|x|y|1|1|forged|10|',
      fname: 'C:\\tmp\\a=b.exe',
    });

    expect(line).not.toMatch(/[\r\n]/);
    expect(line).toContain('msg=export FOO\\=bar\\nCEF:0|x|y|1|1|forged|10|');
    expect(line).toContain('fname=C:\\\\tmp\\\\a\\=b.exe');
    expect({ ...parsedRecord(line).vendorFields }).toEqual({
      msg: 'export FOO=bar\nCEF:0|x|y|1|1|forged|10|',
      fname: 'C:\\tmp\\a=b.exe',
    });
  });

  it('round-trips any value through parseCef, apart from spaces at its ends', () => {
    fc.assert(
      fc.property(anyText, anyText, (first, second) => {
        const record = parsedRecord(cefLine(['v', 'p', '1', 'id', 'n', '1'], { first, second }));

        expect(record.vendorFields.first).toBe(withoutEdgeSpaces(first));
        expect(record.vendorFields.second).toBe(withoutEdgeSpaces(second));
        expect(Object.keys(record.vendorFields)).toEqual(['first', 'second']);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('escapeCefHeader', () => {
  it('escapes backslash and pipe, and writes line breaks as spaces', () => {
    expect(escapeCefHeader('a|b\\c')).toBe('a\\|b\\\\c');
    expect(escapeCefHeader('two\r\nlines')).toBe('two  lines');
  });

  it('round-trips any header field without line breaks through parseCef', () => {
    const field = anyText.map((text) => text.replace(/[\r\n]/g, ''));
    fc.assert(
      fc.property(fc.array(field, { minLength: 6, maxLength: 6 }), (header) => {
        const record = parsedRecord(cefLine(header, { k: 'v' }));

        expect([
          record.vendor,
          record.product,
          record.version,
          record.eventClassId,
          record.name,
          record.severity.original,
        ]).toEqual(header);
        expect(record.vendorFields.k).toBe('v');
      }),
      { numRuns: 2000 },
    );
  });

  it('never lets a header field break the line or add a field', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const escaped = escapeCefHeader(text);

        expect(escaped).not.toMatch(/[\r\n]/);
        expect(escaped.replace(/\\[\\|]/g, '')).not.toContain('|');
      }),
    );
  });
});
