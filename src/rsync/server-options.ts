import { refused } from './errors.js';
import { type Draft, LONG, type Rule, SHORT, newDraft } from './server-option-rules.js';
import {
  type AppendMode,
  MAX_ARG_LENGTH,
  MAX_SERVER_ARGS,
  type ReceiverOptions,
  type ServerRequest,
  type Transport,
} from './server-option-types.js';

export * from './server-option-types.js';

/**
 * The arguments an rsync client sends its server (`--server -vlogDtpre.iLsfxCIvu --partial .
 * GUID/logs/`), read the way rsync's own server reads them (options.c, parse_arguments), for a
 * server that only receives. Over SSH they come from `rsyncServerArgs`; over the daemon
 * protocol the client sends the same list, one argument a line, after `@RSYNCD: OK`.
 * Every option rsync knows is accepted and recorded, accepted and ignored, or refused with a
 * message for the client's user; each decision is stated beside the option below.
 */

const shown = (text: string): string => (text.length > 40 ? `${text.slice(0, 40)}…` : text);

/** The rule for an option, or the refusal the client's user sees. */
function usable(rule: Rule | undefined, spelled: string): Exclude<Rule, { kind: 'refuse' }> {
  if (rule === undefined) throw refused(`tmsp: unknown option ${shown(spelled)}`);
  if (rule.kind !== 'refuse') return rule;
  throw refused(rule.message ?? `tmsp: option ${spelled} is not supported here`);
}

const takesValue = (rule: Exclude<Rule, { kind: 'refuse' }>): boolean =>
  rule.kind === 'value' || (rule.kind === 'ignore' && rule.takesValue);

function apply(
  rule: Exclude<Rule, { kind: 'refuse' }>,
  draft: Draft,
  value: string,
  spelled: string,
): void {
  if (rule.kind === 'ignore') draft.ignored.add(spelled);
  else rule.apply(draft, value, spelled);
}

/** `--name`, `--name=value` or `--name value`, as popt reads them; returns the next index. */
function readLong(words: readonly string[], index: number, draft: Draft): number {
  const word = words[index] as string;
  const equals = word.indexOf('=');
  const name = equals < 0 ? word.slice(2) : word.slice(2, equals);
  const spelled = `--${name}`;
  const rule = usable(Object.hasOwn(LONG, name) ? LONG[name] : undefined, spelled);

  if (!takesValue(rule)) {
    if (equals >= 0) throw refused(`tmsp: option ${spelled} takes no value`);
    apply(rule, draft, '', spelled);
    return index + 1;
  }
  if (equals >= 0) {
    apply(rule, draft, word.slice(equals + 1), spelled);
    return index + 1;
  }
  apply(rule, draft, valueAfter(words, index, spelled), spelled);
  return index + 2;
}

function valueAfter(words: readonly string[], index: number, spelled: string): string {
  const value = words[index + 1];
  if (value === undefined) throw refused(`tmsp: option ${spelled} needs a value`);
  return value;
}

function shortRule(letter: string, spelled: string): Exclude<Rule, { kind: 'refuse' }> {
  const entry = Object.hasOwn(SHORT, letter) ? SHORT[letter] : undefined;
  return usable(typeof entry === 'string' ? LONG[entry] : entry, spelled);
}

/**
 * A bundle such as `-vlogDtpre.iLsfxCIvu`: letters until one takes a value, which is the rest
 * of the bundle or else the next argument (`-B2048`, `-e.iLsfxCIvu`). Returns the next index.
 */
function readShort(words: readonly string[], index: number, draft: Draft): number {
  const word = words[index] as string;
  for (let at = 1; at < word.length; at++) {
    const spelled = `-${word.charAt(at)}`;
    const rule = shortRule(word.charAt(at), spelled);
    if (!takesValue(rule)) {
      apply(rule, draft, '', spelled);
      continue;
    }
    const attached = word.slice(at + 1);
    if (attached !== '') {
      apply(rule, draft, attached, spelled);
      return index + 1;
    }
    apply(rule, draft, valueAfter(words, index, spelled), spelled);
    return index + 2;
  }
  return index + 1;
}

/** Reads options up to the first plain argument; returns the plain arguments. */
function readOptions(words: readonly string[], draft: Draft): string[] {
  let index = 0;
  while (index < words.length) {
    const word = words[index] as string;
    if (!word.startsWith('-') || word === '-') break;
    index = word.startsWith('--') ? readLong(words, index, draft) : readShort(words, index, draft);
  }
  return words.slice(index);
}

function checkArgs(args: readonly string[]): void {
  if (args.length > MAX_SERVER_ARGS) throw refused('tmsp: too many arguments');
  for (const arg of args) {
    if (arg.length > MAX_ARG_LENGTH) throw refused('tmsp: an argument is too long');
    if (/\p{Cc}/u.test(arg)) {
      throw refused('tmsp: control characters are not allowed in arguments');
    }
  }
}

/**
 * A daemon client escapes option values as it would for a shell (rsync ≥ 3.2.4), and rsync's
 * daemon strips that escaping up to the `.`; the paths after it are sent as they are.
 */
function unescapeDaemonOptions(args: readonly string[]): string[] {
  let pastDot = false;
  return args.map((arg) => {
    const word = pastDot ? arg : arg.replace(/\\(.)/gs, '$1');
    pastDot ||= word === '.';
    return word;
  });
}

/**
 * Exactly `.` then one destination. A daemon would expand wildcards in it and split it at
 * ` MODULE/` (how rsync < 3.2.4 sent several paths); neither is done here, so both are refused.
 */
function readDestination(plain: readonly string[], transport: Transport): string {
  const [separator, destination, ...extra] = plain;
  if (separator !== '.') throw refused('tmsp: expected . before the destination');
  if (destination === undefined || destination === '') {
    throw refused('tmsp: no destination given');
  }
  if (extra.length > 0) throw refused('tmsp: only one destination is accepted');
  if (destination.startsWith('-')) throw refused('tmsp: the destination must not start with -');
  if (transport === 'daemon') checkDaemonDestination(destination);
  return destination;
}

function checkDaemonDestination(destination: string): void {
  if (/[*?[\\]/.test(destination)) throw refused('tmsp: wildcards are not expanded here');
  const module = destination.split('/')[0] ?? '';
  if (destination.includes(` ${module}/`)) throw refused('tmsp: only one destination is accepted');
}

interface Capabilities {
  letters: ReadonlySet<string>;
  preRelease: ServerRequest['clientPreRelease'];
}

/**
 * `-e` carries `.` (or a pre-release `PROTOCOL.SUB`) and one letter per capability. Protocol
 * 29 and older clients send none. rsync ignores letters it does not know; so does this.
 */
function readCapabilities(clientInfo: string | null): Capabilities {
  if (clientInfo === null) return { letters: new Set(), preRelease: null };
  const match = /^(?:(\d{1,3})\.(\d{1,3})|\.)([A-Za-z]*)$/.exec(clientInfo);
  if (match === null) throw refused('tmsp: malformed capability flags after -e');
  const [, protocol, subprotocol, letters = ''] = match;
  const preRelease =
    protocol === undefined || Number(subprotocol) === 0
      ? null
      : { protocol: Number(protocol), subprotocol: Number(subprotocol) };
  return { letters: new Set(letters), preRelease };
}

/**
 * Two `--append` mean append-verify: the receiver sums the data it holds with the new bytes,
 * so a changed head is caught. One alone trusts the held data blindly and is refused, except
 * from a client without capability flags (protocol < 30), where rsync itself verifies. Three
 * or more would be plain append again in rsync's receiver.
 */
function appendMode(count: number, hasCapabilities: boolean): AppendMode {
  if (count === 0) return 'none';
  if (count === 2 || (count === 1 && !hasCapabilities)) return 'verify';
  if (count === 1) {
    throw refused('tmsp: --append cannot detect a changed file here; use --append-verify');
  }
  throw refused('tmsp: --append may be given at most twice');
}

/** rsync's rules: append writes in place; in-place writing has no partial file or dir. */
function settleWriteMode(options: ReceiverOptions): void {
  if (options.append !== 'none') {
    if (options.wholeFile) throw refused('tmsp: --append cannot be used with --whole-file');
    options.inplace = true;
  }
  if (options.delayUpdates && options.partialDir === null) options.partialDir = '.~tmp~';
  if (options.inplace) {
    if (options.partialDir !== null) {
      const mode = options.append === 'none' ? '--inplace' : '--append';
      const other = options.delayUpdates ? '--delay-updates' : '--partial-dir';
      throw refused(`tmsp: ${mode} cannot be used with ${other}`);
    }
    options.partial = false;
    return;
  }
  options.partialDir = cleanPartialDir(options.partialDir);
  if (options.partialDir !== null) options.partial = true;
}

/** Relative to each destination directory, and never out of it. */
function cleanPartialDir(dir: string | null): string | null {
  if (dir === null) return null;
  if (dir.startsWith('/')) throw refused('tmsp: --partial-dir must be a relative path');
  const parts = dir.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw refused('tmsp: --partial-dir must not contain ..');
  return parts.length === 0 ? null : parts.join('/');
}

function settleDelete(draft: Draft): void {
  const { options } = draft;
  const timings = [...draft.deleteTimings];
  if (timings.length > 1) throw refused('tmsp: give only one --delete-WHEN option');
  options.deleteTiming = timings[0] ?? null;
  if (options.delete && !options.dirs) {
    throw refused('tmsp: --delete needs --recursive (-r) or --dirs (-d)');
  }
}

/** An explicit name wins (`none` turns compression off); -z alone leaves the name open. */
function settleCompression(draft: Draft): void {
  const { options, compressChoice } = draft;
  if (compressChoice === null) {
    options.compress = draft.compressCount > 0;
    return;
  }
  options.compress = compressChoice !== 'none';
  options.compressChoice = compressChoice === 'none' ? null : compressChoice;
}

function finish(draft: Draft, hasCapabilities: boolean): ReceiverOptions {
  const { options } = draft;
  options.append = appendMode(draft.appendCount, hasCapabilities);
  options.dirs ||= options.recursive;
  if (!options.relativePaths) options.impliedDirs = false;
  if (draft.itemize && options.logFormat === null) options.logFormat = '%i %n%L';
  settleCompression(draft);
  settleDelete(draft);
  settleWriteMode(options);
  return options;
}

/** rsync's own test (compat.c) for a receiving server; the engine may still decline. */
function incRecursive(draft: Draft, letters: ReadonlySet<string>): boolean {
  const { options } = draft;
  const blockedByDelete = options.deleteTiming === 'before' || options.deleteTiming === 'after';
  return (
    draft.allowIncRecursive &&
    options.recursive &&
    letters.has('i') &&
    !draft.qsort &&
    !blockedByDelete &&
    !options.delayUpdates &&
    !options.pruneEmptyDirs
  );
}

/**
 * Reads the arguments after the program name (`--server`, options, `.`, destination) and
 * returns what the client asked for; throws `RsyncError` with a message for the client's user
 * on anything refused.
 */
export function parseServerArgs(
  args: readonly string[],
  transport: Transport = 'ssh',
): ServerRequest {
  checkArgs(args);
  const words = transport === 'daemon' ? unescapeDaemonOptions(args) : args;
  if (words[0] !== '--server') throw refused('tmsp: expected --server first');

  const draft = newDraft();
  const plain = readOptions(words, draft);
  const destination = readDestination(plain, transport);
  const capabilities = readCapabilities(draft.clientInfo);
  const options = finish(draft, draft.clientInfo !== null);

  return {
    options,
    clientCapabilities: capabilities.letters,
    clientPreRelease: capabilities.preRelease,
    incRecursive: incRecursive(draft, capabilities.letters),
    destination,
    ignoredOptions: [...draft.ignored],
  };
}

/**
 * Whether the client sends its filter rules after the handshake (exclude.c): a receiver gets
 * them only when it prunes empty directories or deletes, and not for --delete-excluded below
 * protocol 29.
 */
export function receivesFilterList(options: ReceiverOptions, protocol: number): boolean {
  return options.pruneEmptyDirs || (options.delete && (!options.deleteExcluded || protocol >= 29));
}
