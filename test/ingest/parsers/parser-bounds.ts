import { expect } from 'vitest';

import type { ParseResult } from '../../../src/ingest/parsers/record.js';

const LINE_CHARS = 100_000;
/** Generous: these lines parse in milliseconds; only super-linear work comes near it. */
const TIME_LIMIT_MS = 1_000;
/** Property names, warning codes and words such as `inbound` that a parser adds itself. */
const OWN_TEXT_ALLOWANCE = 1_024;

function filled(unit: string): string {
  return unit.repeat(Math.ceil(LINE_CHARS / unit.length));
}

/** 100 KB lines built to make a careless tokenizer backtrack, rescan or copy. */
export function adversarialTails(head: string): { name: string; line: string }[] {
  const tails: Record<string, string> = {
    backslashes: filled('\\'),
    'equals signs': filled('='),
    'spaces before one key': `${filled(' ')}a=b`,
    'one long key': `${filled('a')}=b`,
    'short pairs': filled(' a='),
    'escaped equals': filled('\\='),
    pipes: filled('|'),
    'escaped pipes': filled('\\|'),
    'custom labels': filled('cs1Label=x cs1=y '),
    'many custom fields': Array.from({ length: 8_000 }, (_, n) => `cs${n}=v cs${n}Label=l${n}`)
      .join(' ')
      .slice(0, LINE_CHARS),
    'format markers': filled('CEF:0|LEEF:2.0|'),
    'tabs and carets': filled('\t^x='),
    'a long time stamp': `rt=${filled('Mar 09 2015 ')} devTime=${filled('0')}`,
    'line breaks': filled('a=\\n\n'),
  };
  return Object.entries(tails).map(([name, tail]) => ({ name, line: head + tail }));
}

function collectText(value: unknown, texts: Set<string>): void {
  if (typeof value === 'string') texts.add(value);
  else if (Array.isArray(value)) for (const item of value) collectText(item, texts);
  else if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const [key, item] of Object.entries(value)) {
      texts.add(key);
      collectText(item, texts);
    }
  }
}

/** Characters of distinct text a record holds; equal strings share memory in practice. */
export function retainedChars(value: unknown): number {
  const texts = new Set<string>();
  collectText(value, texts);
  let total = 0;
  for (const text of texts) total += text.length;
  return total;
}

/** The parse answers within the time limit and keeps no more text than the line had. */
export function expectBoundedParse(parse: (line: string) => ParseResult, line: string): void {
  const started = performance.now();
  const result = parse(line);
  const elapsed = performance.now() - started;

  expect(elapsed).toBeLessThan(TIME_LIMIT_MS);
  if (result.ok) {
    expect(retainedChars(result.record)).toBeLessThanOrEqual(line.length + OWN_TEXT_ALLOWANCE);
  }
}
