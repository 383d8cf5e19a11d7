/**
 * File-list names: cleaned the way rsync's receiver cleans them (so they sort as rsync sorts
 * them), then judged by this server's rules for what it may create in an appliance's area.
 */

const SLASH = 0x2f;
const DOT = 0x2e;
const BACKSLASH = 0x5c;
const NUL = 0x00;

/** Longest path component most file systems accept. */
export const MAX_COMPONENT_BYTES = 255;

const isDot = (segment: Buffer): boolean => segment.length === 1 && segment[0] === DOT;

/** Where each component of a name ends: the positions of its slashes, then its length. */
function componentEnds(name: Buffer): number[] {
  const ends: number[] = [];
  for (let at = name.indexOf(SLASH); at >= 0; at = name.indexOf(SLASH, at + 1)) ends.push(at);
  ends.push(name.length);
  return ends;
}

/** Whether cleaning would change nothing: no empty component, no `.` before the last one. */
function isClean(raw: Buffer): boolean {
  let start = raw[0] === SLASH ? 1 : 0;
  for (;;) {
    const slash = raw.indexOf(SLASH, start);
    const end = slash < 0 ? raw.length : slash;
    if (end === start) return false;
    if (slash < 0) return true;
    if (end - start === 1 && raw[start] === DOT) return false;
    start = slash + 1;
  }
}

/**
 * What rsync's receiver makes of a name before sorting (clean_fname): one leading slash kept,
 * repeated slashes and `.` components dropped except a final `.`, a trailing slash removed,
 * nothing left becoming `.`. rsync aborts on `..`; here `..` stays so the entry can be refused
 * on its own. An empty name stays empty, as in rsync, and never names anything.
 */
export function cleanName(raw: Buffer): Buffer {
  if (raw.length === 0 || isClean(raw)) return raw;
  const ends = componentEnds(raw);
  const segments = ends.map((end, at) =>
    raw.subarray(at === 0 ? 0 : (ends[at - 1] as number) + 1, end),
  );
  const last = segments.length - 1;
  const kept = segments.filter(
    (segment, at) => segment.length > 0 && !(isDot(segment) && at < last),
  );
  const parts: Buffer[] = [];
  kept.forEach((segment, at) => {
    if (at > 0) parts.push(Buffer.of(SLASH));
    parts.push(segment);
  });
  const body = Buffer.concat(parts);
  if (raw[0] === SLASH) return Buffer.concat([Buffer.of(SLASH), body]);
  return body.length === 0 ? Buffer.of(DOT) : body;
}

/** How rsync splits a cleaned name for sorting: everything before the last slash, and after. */
export interface SplitName {
  /** Null without a slash; empty for `/name`, which only relative-path transfers send. */
  dirname: Buffer | null;
  basename: Buffer;
}

export function splitName(name: Buffer): SplitName {
  const slash = name.lastIndexOf(SLASH);
  if (slash < 0) return { dirname: null, basename: name };
  return { dirname: name.subarray(0, slash), basename: name.subarray(slash + 1) };
}

export type NameCheck = { ok: true; path: string } | { ok: false; reason: string };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
/** C0 and C1 controls, line and paragraph separators, and the bidirectional overrides. */
const CONTROL = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

const refuse = (reason: string): NameCheck => ({ ok: false, reason });

/**
 * Whether a name (as listed, after cleaning) may become a path in an appliance's area. `.` is
 * the destination itself. Backslashes are legal in Linux names but mean a separator to other
 * tools that read the area, and control characters would forge lines in logs and listings.
 * Components of dots only (`.`, `..`, `...`) are refused: the first two escape or alias a
 * directory, and the last is a name Windows tools mangle.
 */
export function checkName(name: Buffer): NameCheck {
  if (name.length === 0) return refuse('the name is empty');
  if (name[0] === SLASH) return refuse('the name is absolute');
  if (name.includes(NUL)) return refuse('the name holds a NUL byte');
  if (name.includes(BACKSLASH)) return refuse('the name holds a backslash');
  let text: string;
  try {
    text = strictUtf8.decode(name);
  } catch {
    return refuse('the name is not valid UTF-8');
  }
  if (CONTROL.test(text)) return refuse('the name holds a control character');
  if (text === '.') return { ok: true, path: '.' };
  let start = 0;
  for (const end of componentEnds(name)) {
    const problem = componentProblem(name, start, end);
    if (problem !== null) return refuse(problem);
    start = end + 1;
  }
  return { ok: true, path: text };
}

function componentProblem(name: Buffer, start: number, end: number): string | null {
  if (end === start) return 'the name has an empty component';
  if (end - start > MAX_COMPONENT_BYTES) {
    return `a component is longer than ${MAX_COMPONENT_BYTES} bytes`;
  }
  for (let at = start; at < end; at++) if (name[at] !== DOT) return null;
  return 'a component is made of dots only';
}

const CONTROLS = new RegExp(CONTROL.source, 'gu');

/**
 * A name as messages show it: the characters `checkName` refuses as controls are escaped, so
 * a refused name cannot move the cursor, colour or forge lines in the client's output or logs.
 */
export const displayName = (name: string): string =>
  name.replace(CONTROLS, (char) => `\\u{${(char.codePointAt(0) ?? 0).toString(16)}}`);

const ASCII = /^[\x20-\x7e]*$/;

/** The key two names share when a case-insensitive store would make them one. */
export const foldName = (component: string): string =>
  (ASCII.test(component) ? component : component.normalize('NFC')).toLowerCase();
