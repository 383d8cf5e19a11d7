/**
 * Which parser reads a line: told from the line's own first characters where they are
 * definite (`{`, `<PRI>`, `CEF:`, `LEEF:`), else from what the first lines of its file voted
 * for. Syslog bodies are routed again, so CEF, LEEF, JSON and key=value inside syslog reach
 * their own parsers and keep the header's host and time.
 */
import { parseCef } from './cef.js';
import { parseJsonLine } from './json-lines.js';
import { parseKeyValue } from './key-value.js';
import { parseLeef } from './leef.js';
import { accepted, rejected, type ParseResult } from './record.js';
import { isSyslog5424, readSyslog } from './syslog.js';
import type { SyslogMessage } from './syslog-message.js';
import { syslogRecord, withSyslogHeader } from './syslog-record.js';
import type { TimeContext } from './zoned-time.js';

export type LineFormat = 'cef' | 'leef' | 'syslog5424' | 'syslog3164' | 'json' | 'kv' | 'unknown';

/** A parser for a body format another module owns (CEF, LEEF). */
export type BodyParser = (line: string, context: TimeContext) => ParseResult;

export interface BodyParsers {
  cef?: BodyParser;
  leef?: BodyParser;
}

export interface LineOptions extends TimeContext {
  /** What the file's first lines voted for; used when the line itself is not definite. */
  fileFormat?: LineFormat;
  /** Replaces the CEF / LEEF parsers, e.g. in tests. */
  parsers?: BodyParsers;
}

export const DEFAULT_VOTING_LINES = 20;
/** Syslog relayed inside syslog is unwrapped this many times at most. */
const MAX_SYSLOG_NESTING = 3;

const CEF_START = /^CEF: ?\d/;
const LEEF_START = /^LEEF: ?\d/;
const PRI_START = /^<\d{1,3}>/;
const BSD_STAMP_START = new RegExp(
  String.raw`^[*.]?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]{0,6} +\d{1,2},?` +
    String.raw`(?: +\d{4})? +\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?: |:|$)`,
);
const ISO_STAMP_START = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}\S* \S/;
const KEY_START = /^[A-Za-z0-9_.[\],@-]+=/;
const LATER_KEY = /\s[A-Za-z0-9_.[\],@-]+=/g;
/** A relay's octet count in front of a forwarded syslog message. */
const RELAYED_SYSLOG = /^(?:\d{1,9} )?(?=<\d{1,3}>)/;

function hasLaterKeys(line: string, atLeast: number): boolean {
  LATER_KEY.lastIndex = 0;
  let count = 0;
  while (count < atLeast && LATER_KEY.exec(line) !== null) count += 1;
  return count >= atLeast;
}

/** key=value when the line starts with a key, or has some free text and then two keys. */
export function looksLikeKeyValue(line: string): boolean {
  return KEY_START.test(line) || hasLaterKeys(line, 2);
}

/** The format a line declares by itself, without reference to its file. */
export function detectLineFormat(line: string): LineFormat {
  const text = line.trimStart();
  if (text.startsWith('{')) return 'json';
  if (CEF_START.test(text)) return 'cef';
  if (LEEF_START.test(text)) return 'leef';
  if (PRI_START.test(text)) return isSyslog5424(text) ? 'syslog5424' : 'syslog3164';
  if (BSD_STAMP_START.test(text) || ISO_STAMP_START.test(text)) return 'syslog3164';
  if (looksLikeKeyValue(text)) return 'kv';
  return 'unknown';
}

export interface FileFormatVote {
  format: LineFormat;
  votes: Record<LineFormat, number>;
  /** Non-empty lines that voted. */
  sampled: number;
}

/** Ties go to the more specific format: the order of this list. */
const FORMAT_ORDER: LineFormat[] = [
  'cef',
  'leef',
  'syslog5424',
  'syslog3164',
  'json',
  'kv',
  'unknown',
];

/** The first `sampleSize` non-empty lines vote; the format most of them show wins. */
export function detectFileFormat(
  lines: Iterable<string>,
  sampleSize = DEFAULT_VOTING_LINES,
): FileFormatVote {
  const votes = Object.fromEntries(FORMAT_ORDER.map((format) => [format, 0])) as Record<
    LineFormat,
    number
  >;
  let sampled = 0;
  for (const line of lines) {
    if (sampled >= sampleSize) break;
    if (line.trim() === '') continue;
    votes[detectLineFormat(line)] += 1;
    sampled += 1;
  }
  const known = FORMAT_ORDER.filter((format) => format !== 'unknown' && votes[format] > 0);
  const format = known.reduce<LineFormat>(
    (best, candidate) => (best === 'unknown' || votes[candidate] > votes[best] ? candidate : best),
    'unknown',
  );
  return { format, votes, sampled };
}

/** The parser for a line: its own format when definite, else the file's. */
export function chooseFormat(line: string, fileFormat: LineFormat = 'unknown'): LineFormat {
  const own = detectLineFormat(line);
  return own === 'unknown' ? fileFormat : own;
}

const DEFAULT_PARSERS: Required<BodyParsers> = { cef: parseCef, leef: parseLeef };

function bodyParser(format: 'cef' | 'leef', options: LineOptions): BodyParser {
  return options.parsers?.[format] ?? DEFAULT_PARSERS[format];
}

function parseBody(format: LineFormat, body: string, options: LineOptions): ParseResult {
  switch (format) {
    case 'cef':
    case 'leef':
      return bodyParser(format, options)(body, options);
    case 'json':
      return parseJsonLine(body, options);
    case 'kv':
      return parseKeyValue(body, options);
    case 'syslog5424':
    case 'syslog3164':
    case 'unknown':
      return rejected('not a body format');
  }
}

/**
 * Free text in a syslog message often holds a stray `a=b` (`Mix=OK, Jelly=OK`); only a body
 * that starts with a key and has a second one is read as key=value.
 */
function isKeyValueBody(body: string): boolean {
  return KEY_START.test(body) && hasLaterKeys(body, 1);
}

/** A body whose format is only guessed (JSON, key=value) falls back to plain syslog text. */
function routeSyslogBody(syslog: SyslogMessage, options: LineOptions, depth: number): ParseResult {
  const body = syslog.message;
  const relayed = RELAYED_SYSLOG.exec(body);
  if (relayed !== null && depth < MAX_SYSLOG_NESTING) {
    const inner = parseSyslogLine(body.slice(relayed[0].length), options, depth + 1);
    if (inner.ok) return accepted(withSyslogHeader(inner.record, syslog));
  }
  const format = detectLineFormat(body);
  if (format === 'cef' || format === 'leef') {
    const result = parseBody(format, body.trimStart(), options);
    if (!result.ok) return rejected(`${format.toUpperCase()} body: ${result.reason}`);
    return accepted(withSyslogHeader(result.record, syslog));
  }
  if (format === 'json' || (format === 'kv' && isKeyValueBody(body))) {
    const result = parseBody(format, body, options);
    if (result.ok) return accepted(withSyslogHeader(result.record, syslog));
  }
  return accepted(syslogRecord(syslog));
}

function parseSyslogLine(line: string, options: LineOptions, depth: number): ParseResult {
  const read = readSyslog(line, options);
  if (!read.ok) return rejected(read.reason);
  return routeSyslogBody(read.syslog, options, depth);
}

/** Parses one line with the parser its format calls for. */
export function parseLine(line: string, options: LineOptions): ParseResult {
  const format = chooseFormat(line, options.fileFormat);
  switch (format) {
    case 'syslog5424':
    case 'syslog3164':
      return parseSyslogLine(line, options, 0);
    case 'cef':
    case 'leef':
      return parseBody(format, line.trimStart(), options);
    case 'json':
    case 'kv':
      return parseBody(format, line, options);
    case 'unknown':
      return rejected('no known log format');
  }
}
