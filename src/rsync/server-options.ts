import { refused } from './errors.js';

/**
 * The arguments an rsync client sends its server (`--server -vlogDtpre.iLsfxCIvu --partial .
 * GUID/logs/`), read the way rsync's own server reads them (options.c, parse_arguments), for a
 * server that only receives. Over SSH they come from `rsyncServerArgs`; over the daemon
 * protocol the client sends the same list, one argument a line, after `@RSYNCD: OK`.
 * Every option rsync knows is accepted and recorded, accepted and ignored, or refused with a
 * message for the client's user; each decision is stated beside the option below.
 */

/** How the arguments arrived: daemon option values still carry the client's escaping. */
export type Transport = 'ssh' | 'daemon';

export type AppendMode = 'none' | 'verify';
export type DeleteTiming = 'before' | 'during' | 'delay' | 'after';
/** Checksum names rsync ≥ 3.2 knows; `auto` leaves the choice to the protocol version. */
export type ChecksumName = 'xxh128' | 'xxh3' | 'xxh64' | 'md5' | 'md4' | 'sha1' | 'none' | 'auto';
export type CompressName = 'zstd' | 'lz4' | 'zlibx' | 'zlib';

/**
 * `--checksum-choice=TRANSFER[,FILE]`: block and whole-file sums, then `-c` file-list sums.
 * An explicit choice is not negotiated; a transfer sum of `none` makes rsync send whole files.
 */
export interface ChecksumChoice {
  transfer: ChecksumName;
  file: ChecksumName;
}

/** What the client asked the receiving side to do, after rsync's own cross-option rules. */
export interface ReceiverOptions {
  verbose: number;
  dryRun: boolean;
  recursive: boolean;
  /** `-d`, or implied by `-r`: directories are transferred as entries. */
  dirs: boolean;
  relativePaths: boolean;
  /** Only meaningful with `relativePaths`; false otherwise. */
  impliedDirs: boolean;
  preserveLinks: boolean;
  preserveHardLinks: boolean;
  preservePerms: boolean;
  preserveExecutability: boolean;
  preserveTimes: boolean;
  /** `-U`: the file list carries access times. */
  preserveAtimes: boolean;
  /** `-o`: the file list carries uids (and, without `numericIds`, user names). */
  preserveUid: boolean;
  preserveGid: boolean;
  /** `-D` and `--devices`: the file list carries device numbers. */
  preserveDevices: boolean;
  preserveSpecials: boolean;
  numericIds: boolean;
  /** `-c`: the file list carries a whole-file checksum per regular file. */
  alwaysChecksum: boolean;
  /** Null: negotiated (client capability `v`) or the protocol's default. */
  checksumChoice: ChecksumChoice | null;
  /** `--checksum-seed`; 0 or null lets the server pick (rsync uses the time). */
  checksumSeed: number | null;
  compress: boolean;
  /** Null with `compress`: negotiated (client capability `v`), else zlib. */
  compressChoice: CompressName | null;
  compressLevel: number | null;
  wholeFile: boolean;
  /** `-B`: fixed block length for the sums the receiver sends. */
  blockSize: number | null;
  ignoreTimes: boolean;
  sizeOnly: boolean;
  update: boolean;
  ignoreExisting: boolean;
  /** `--existing`: only update files the receiver already has. */
  ignoreNonExisting: boolean;
  maxSize: number | null;
  minSize: number | null;
  /** Seconds; negative means nanosecond comparison. Null: rsync's default (0). */
  modifyWindow: number | null;
  /** Keep partly received files (not set with `inplace`, as in rsync). */
  partial: boolean;
  /** Relative to the destination directory, cleaned; null when none. */
  partialDir: string | null;
  delayUpdates: boolean;
  /** Also set by `append`: rsync appends in place. */
  inplace: boolean;
  append: AppendMode;
  /** The client deletes each file it sent once the receiver reports it done. */
  removeSourceFiles: boolean;
  delete: boolean;
  /** Null: rsync's protocol default (before below protocol 30, during from 30). */
  deleteTiming: DeleteTiming | null;
  deleteExcluded: boolean;
  /** Most deletions allowed; 0 means none (the client sends -1 for `--max-delete=0`). */
  maxDelete: number | null;
  ignoreErrors: boolean;
  cvsExclude: boolean;
  /** `-m`: the receiver gets the filter list and offers no incremental recursion. */
  pruneEmptyDirs: boolean;
  safeLinks: boolean;
  mkpath: boolean;
  /** Seconds of I/O silence the client tolerates; 0 for none. */
  timeout: number;
  /** `--log-format` as the client sends it (`%i`, `%i%I`, `%o`, `X`): what to itemize. */
  logFormat: string | null;
}

export interface ServerRequest {
  options: ReceiverOptions;
  /** Letters after `-e.` (protocol ≥ 30 clients): `i L s f x C I v u` today. */
  clientCapabilities: ReadonlySet<string>;
  /** Set when the client runs a pre-release protocol (`-e32.1…`). */
  clientPreRelease: { protocol: number; subprotocol: number } | null;
  /** Whether rsync would offer incremental recursion with these options and capabilities. */
  incRecursive: boolean;
  /** As sent: relative to the user's area over SSH, starting with the module over the daemon. */
  destination: string;
  /** Options accepted without effect here, as spelled by the client, for the log. */
  ignoredOptions: string[];
}

/** More than any real client sends; each argument is bounded too. */
export const MAX_SERVER_ARGS = 256;
export const MAX_ARG_LENGTH = 4096;
/** rsync's largest block from protocol 30; older protocols allow 512 MiB, not taken here. */
export const MAX_BLOCK_SIZE = 1 << 17;

interface Draft {
  options: ReceiverOptions;
  appendCount: number;
  deleteTimings: Set<DeleteTiming>;
  compressCount: number;
  compressChoice: CompressName | 'none' | null;
  itemize: boolean;
  qsort: boolean;
  allowIncRecursive: boolean;
  clientInfo: string | null;
  ignored: Set<string>;
}

type Apply = (draft: Draft, value: string, spelled: string) => void;
type Rule =
  | { kind: 'flag'; apply: Apply }
  | { kind: 'value'; apply: Apply }
  | { kind: 'ignore'; takesValue: boolean }
  | { kind: 'refuse'; message?: string };

type BooleanOption = {
  [K in keyof ReceiverOptions]: ReceiverOptions[K] extends boolean ? K : never;
}[keyof ReceiverOptions];

const flag = (apply: (draft: Draft) => void): Rule => ({ kind: 'flag', apply });
const valued = (apply: Apply): Rule => ({ kind: 'value', apply });
const set = (key: BooleanOption, to = true): Rule =>
  flag((draft) => {
    draft.options[key] = to;
  });
const ignore: Rule = { kind: 'ignore', takesValue: false };
const ignoreValue: Rule = { kind: 'ignore', takesValue: true };
const refuse = (message?: string): Rule =>
  message === undefined ? { kind: 'refuse' } : { kind: 'refuse', message };

const PULL = 'tmsp: this log server only receives files';
const SECLUDED =
  'tmsp: secluded arguments (-s) are not supported here; drop -s and unset RSYNC_PROTECT_ARGS';

function wholeNumber(value: string, spelled: string, min: number, max: number): number {
  const number = /^-?\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isNaN(number)) throw refused(`tmsp: ${spelled} needs a whole number`);
  if (number < min || number > max) throw refused(`tmsp: ${spelled} is out of range`);
  return number;
}

const INT32 = [-(2 ** 31), 2 ** 31 - 1] as const;
const int32 = (value: string, spelled: string): number => wholeNumber(value, spelled, ...INT32);

/** rsync's size syntax: `10M`, `1.5G`, `100KB` (powers of 1000), `2MiB`, `1k-1`. */
function size(value: string, spelled: string): number {
  const match = /^(\d+(?:\.\d*)?|\.\d+)(?:([bkmgtp])(b|ib)?)?([+-]1)?$/i.exec(value);
  if (match === null) throw refused(`tmsp: ${spelled} needs a size such as 10M`);
  const [, amount, unit, base, adjust] = match;
  const power = 'bkmgtp'.indexOf((unit ?? 'b').toLowerCase());
  const multiplier = (base?.toLowerCase() === 'b' ? 1000 : 1024) ** power;
  const bytes = Math.floor(Number(amount) * multiplier) + Number(adjust ?? 0);
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw refused(`tmsp: ${spelled} is too large`);
  return bytes;
}

const CHECKSUMS = new Map<string, ChecksumName>([
  ...(['xxh128', 'xxh3', 'xxh64', 'md5', 'md4', 'sha1', 'none', 'auto'] as const).map(
    (name) => [name, name] as const,
  ),
  ['xxhash', 'xxh64'],
]);

function checksumChoice(value: string, spelled: string): ChecksumChoice | null {
  const names = value.toLowerCase().split(',');
  const [transfer, file = transfer] = names.map((name) => CHECKSUMS.get(name));
  if (names.length > 2 || transfer === undefined || file === undefined) {
    throw refused(`tmsp: ${spelled} names a checksum this server does not know`);
  }
  return transfer === 'auto' && file === 'auto' ? null : { transfer, file };
}

const COMPRESSIONS = new Set(['zstd', 'lz4', 'zlibx', 'zlib', 'none']);

function compressChoice(value: string, spelled: string): CompressName | 'none' {
  const name = value.toLowerCase();
  if (!COMPRESSIONS.has(name)) {
    throw refused(`tmsp: ${spelled} names a compression this server does not know`);
  }
  return name as CompressName | 'none';
}

/** `--NAME` sets the option; `--no-NAME` and the short negations given clear it. */
function toggle(name: string, key: BooleanOption, ...negations: string[]): Record<string, Rule> {
  const entries: [string, Rule][] = [[name, set(key)]];
  for (const negation of [`no-${name}`, ...negations]) entries.push([negation, set(key, false)]);
  return Object.fromEntries(entries);
}

const rules = (names: string, rule: Rule): Record<string, Rule> =>
  Object.fromEntries(
    names
      .trim()
      .split(/\s+/)
      .map((name) => [name, rule]),
  );

const addDelete = (timing: DeleteTiming | null): Rule =>
  flag((draft) => {
    draft.options.delete = true;
    if (timing !== null) draft.deleteTimings.add(timing);
  });

const setChecksumChoice = valued((draft, value, spelled) => {
  draft.options.checksumChoice = checksumChoice(value, spelled);
});
const setCompressChoice = valued((draft, value, spelled) => {
  draft.compressChoice = compressChoice(value, spelled);
});
const setCompressLevel = valued((draft, value, spelled) => {
  draft.options.compressLevel = int32(value, spelled);
});
const setLogFormat = valued((draft, value) => void (draft.options.logFormat = value));
const setItemize = (to: boolean): Rule => flag((draft) => void (draft.itemize = to));
const setIncRecursive = (to: boolean): Rule => flag((draft) => void (draft.allowIncRecursive = to));
const setQsort = flag((draft) => void (draft.qsort = true));
const resetVerbose = flag((draft) => void (draft.options.verbose = 0));
const secluded = refuse(SECLUDED);

/**
 * Long options by name; short letters below map onto these. The comment on each group says
 * why its options are recorded, ignored or refused.
 */
const LONG: Record<string, Rule> = {
  /** Must come first; repeating it changes nothing, as in rsync. */
  server: flag(() => undefined),
  /** The client would receive, or only list: this server never sends files. */
  sender: refuse(PULL),
  'list-only': refuse(PULL),
  'old-dirs': refuse(PULL),
  'old-d': refuse(PULL),
  /** The real arguments would follow inside the protocol, past this parser. */
  'secluded-args': secluded,
  'protect-args': secluded,
  ...rules('no-secluded-args no-protect-args no-s', ignore),

  /** Verbosity decides which messages the server sends back; `dryRun` writes nothing. */
  verbose: flag((draft) => {
    draft.options.verbose++;
  }),
  'no-verbose': resetVerbose,
  'no-v': resetVerbose,
  'dry-run': set('dryRun'),
  /** `-a` is -rlptgoD; clients expand it before sending, but it means the same here. */
  archive: flag(archive),
  /** The shape of the file list and of the paths in it. */
  ...toggle('recursive', 'recursive', 'no-r'),
  ...toggle('dirs', 'dirs', 'no-d'),
  ...toggle('relative', 'relativePaths', 'no-R'),
  ...toggle('implied-dirs', 'impliedDirs', 'no-i-d'),
  'i-d': set('impliedDirs'),
  /** Incremental recursion stays the server's choice; these only allow or forbid it. */
  'inc-recursive': setIncRecursive(true),
  'i-r': setIncRecursive(true),
  'no-inc-recursive': setIncRecursive(false),
  'no-i-r': setIncRecursive(false),
  /**
   * Both forbid incremental recursion on a receiver (rsync's rule); `-m` also has the client
   * send its filter list (see `receivesFilterList`).
   */
  ...toggle('prune-empty-dirs', 'pruneEmptyDirs', 'no-m'),
  qsort: setQsort,
  'use-qsort': setQsort,

  /** Attributes: each changes what a file-list entry carries, so each is recorded. */
  ...toggle('links', 'preserveLinks', 'no-l'),
  ...toggle('hard-links', 'preserveHardLinks', 'no-H'),
  ...toggle('perms', 'preservePerms', 'no-p'),
  executability: set('preserveExecutability'),
  ...toggle('times', 'preserveTimes', 'no-t'),
  /** `-UU` only adds open-noatime, which concerns the sender. */
  ...toggle('atimes', 'preserveAtimes', 'no-U'),
  ...toggle('owner', 'preserveUid', 'no-o'),
  ...toggle('group', 'preserveGid', 'no-g'),
  ...toggle('devices', 'preserveDevices'),
  ...toggle('specials', 'preserveSpecials'),
  'no-D': flag((draft) => devicesAndSpecials(draft, false)),
  ...toggle('numeric-ids', 'numericIds'),
  /** Id maps imply -o / -g as in rsync (ids stay in the file list); no map is applied. */
  usermap: valued((draft, _value, spelled) => mapIds(draft, spelled, 'preserveUid')),
  groupmap: valued((draft, _value, spelled) => mapIds(draft, spelled, 'preserveGid')),
  chown: valued(chown),
  /** ACLs, extended attributes and creation times: data this store never keeps. */
  ...rules('acls xattrs crtimes', refuse()),
  ...rules('no-acls no-A no-xattrs no-X no-crtimes no-N', ignore),

  /** Which files the receiver asks for, and how it compares them. */
  ...toggle('checksum', 'alwaysChecksum', 'no-c'),
  'checksum-choice': setChecksumChoice,
  cc: setChecksumChoice,
  'checksum-seed': valued((draft, value, spelled) => {
    draft.options.checksumSeed = int32(value, spelled);
  }),
  'ignore-times': set('ignoreTimes'),
  'size-only': set('sizeOnly'),
  update: set('update'),
  existing: set('ignoreNonExisting'),
  'ignore-non-existing': set('ignoreNonExisting'),
  'ignore-existing': set('ignoreExisting'),
  'max-size': valued((draft, value, spelled) => {
    draft.options.maxSize = size(value, spelled);
  }),
  'min-size': valued((draft, value, spelled) => {
    draft.options.minSize = size(value, spelled);
  }),
  'modify-window': valued((draft, value, spelled) => {
    draft.options.modifyWindow = int32(value, spelled);
  }),
  ...toggle('whole-file', 'wholeFile', 'no-W'),
  /** Beyond protocol 30's limit one block match could demand 512 MiB of memory. */
  'block-size': valued((draft, value, spelled) => {
    const bytes = size(value, spelled);
    if (bytes > MAX_BLOCK_SIZE) throw refused(`tmsp: ${spelled} is at most ${MAX_BLOCK_SIZE}`);
    draft.options.blockSize = bytes;
  }),
  /** Only protects files from deletion; recorded for the engine. */
  'cvs-exclude': set('cvsExclude'),

  /** Compression of the client's data; negotiated unless the client named one. */
  compress: flag((draft) => {
    draft.compressCount++;
  }),
  ...rules('no-compress no-z', flag(noCompression)),
  'old-compress': flag((draft) => void (draft.compressChoice = 'zlib')),
  'new-compress': flag((draft) => void (draft.compressChoice = 'zlibx')),
  'compress-choice': setCompressChoice,
  zc: setCompressChoice,
  'compress-level': setCompressLevel,
  zl: setCompressLevel,

  /** How received data lands: each shapes the receiver's writes (see `finish`). */
  ...toggle('partial', 'partial'),
  'partial-dir': valued((draft, value) => void (draft.options.partialDir = value)),
  ...toggle('delay-updates', 'delayUpdates'),
  ...toggle('inplace', 'inplace'),
  /** Counted: the client sends `--append` twice for --append-verify (see `appendMode`). */
  append: flag((draft) => {
    draft.appendCount++;
  }),
  'append-verify': flag((draft) => void (draft.appendCount = 2)),
  'no-append': flag((draft) => void (draft.appendCount = 0)),
  /** The receiver's part of both names is one success message per finished file. */
  'remove-source-files': set('removeSourceFiles'),
  'remove-sent-files': set('removeSourceFiles'),
  ...toggle('mkpath', 'mkpath'),
  'safe-links': set('safeLinks'),

  /** Deletion inside the appliance's own area; the engine keeps it there. */
  delete: addDelete(null),
  del: addDelete('during'),
  'delete-before': addDelete('before'),
  'delete-during': addDelete('during'),
  'delete-delay': addDelete('delay'),
  'delete-after': addDelete('after'),
  'delete-excluded': flag((draft) => {
    draft.options.delete = true;
    draft.options.deleteExcluded = true;
  }),
  /** rsync treats every negative count as "delete nothing". */
  'max-delete': valued((draft, value, spelled) => {
    draft.options.maxDelete = Math.max(0, int32(value, spelled));
  }),
  ...toggle('ignore-errors', 'ignoreErrors'),
  /** Would have the receiver delete, by name, what the sender lacks: not offered. */
  'delete-missing-args': refuse(),

  timeout: valued((draft, value, spelled) => {
    draft.options.timeout = wholeNumber(value, spelled, 0, INT32[1]);
  }),
  'no-timeout': flag((draft) => void (draft.options.timeout = 0)),
  /** What the client will print decides which unchanged files the receiver itemizes. */
  'log-format': setLogFormat,
  'out-format': setLogFormat,
  'itemize-changes': setItemize(true),
  ...rules('no-itemize-changes no-i', setItemize(false)),
  /** Carries the capability flags (`-e.iLsfxCIvu`), read by `readCapabilities`. */
  rsh: valued((draft, value) => void (draft.clientInfo = value)),

  /** Ignored, shown only by the client: messages, progress, statistics, number formats. */
  ...rules(
    `quiet motd no-motd stats human-readable no-human-readable no-h progress no-progress
     msgs2stderr no-msgs2stderr`,
    ignore,
  ),
  ...rules('stderr info debug', ignoreValue),
  /** Ignored, the sender's business: what it reads, follows, maps, filters or converts. */
  ...rules(
    `copy-links copy-unsafe-links copy-dirlinks copy-devices one-file-system
     no-one-file-system no-x open-noatime no-open-noatime from0 no-from0 old-args
     no-old-args trust-sender ignore-missing-args no-iconv no-backup`,
    ignore,
  ),
  ...rules('chmod skip-compress compress-threads zt', ignoreValue),
  /** Ignored, local disk tuning the engine decides for itself (it always syncs its files). */
  ...rules('sparse no-sparse no-S preallocate fsync', ignore),
  ...rules('max-alloc', ignoreValue),
  /**
   * Ignored, never done by this store: it sets no directory or link times, creates no
   * devices, owners or links to follow, keeps no fuzzy basis, and deletes directories only
   * as the engine decides.
   */
  ...rules(
    `omit-dir-times no-omit-dir-times no-O omit-link-times no-omit-link-times no-J super
     no-super fake-super keep-dirlinks munge-links no-munge-links no-insecure-links drop-D
     no-drop-D no-write-devices fuzzy no-fuzzy no-y force no-force`,
    ignore,
  ),
  /** Ignored: a backup suffix means nothing without backups, which are refused. */
  ...rules('suffix', ignoreValue),
  /** Ignored, how a client reaches and paces its server; the version exchange sets the protocol. */
  ...rules('no-bwlimit no-contimeout blocking-io no-blocking-io ipv4 ipv6', ignore),
  ...rules('8-bit-output no-8-bit-output no-8', ignore),
  ...rules('bwlimit contimeout outbuf stop-after time-limit stop-at protocol', ignoreValue),
  ...rules('rsync-path', ignoreValue),

  /** Refused: backups would keep copies this store does not account for. */
  ...rules('backup backup-dir', refuse()),
  /** Refused: a basis or temp directory, a file list or filter file names server paths. */
  ...rules('compare-dest copy-dest link-dest temp-dir files-from', refuse()),
  ...rules('filter exclude include exclude-from include-from', refuse()),
  /** Refused: batch files, and the dry run --only-write-batch asks of the receiver. */
  ...rules('read-batch write-batch only-write-batch', refuse()),
  /** Refused: converting names between character sets is not done here. */
  ...rules('iconv', refuse()),
  /** Refused: writing into device files. */
  ...rules('write-devices', refuse()),
  /** Refused: the server's own confinement, identity and files are not the client's to set. */
  ...rules('insecure-links confine-root copy-as log-file log-file-format', refuse()),
  ...rules('password-file early-input', refuse()),
  /** Refused: relaying options, client networking, daemon mode, help and version. */
  ...rules('remote-option address port sockopts', refuse()),
  ...rules('daemon config dparam detach no-detach help version', refuse()),
};

/** Short letters: a long name above, or a rule of their own where rsync has no long name. */
const SHORT: Record<string, string | Rule> = {
  ...(Object.fromEntries(
    `v=verbose q=quiet n=dry-run a=archive r=recursive d=dirs R=relative l=links H=hard-links
     p=perms E=executability t=times U=atimes o=owner g=group A=acls X=xattrs N=crtimes
     O=omit-dir-times J=omit-link-times c=checksum I=ignore-times u=update W=whole-file
     B=block-size @=modify-window C=cvs-exclude x=one-file-system S=sparse z=compress
     m=prune-empty-dirs K=keep-dirlinks L=copy-links k=copy-dirlinks y=fuzzy
     i=itemize-changes h=human-readable e=rsh s=secluded-args b=backup T=temp-dir f=filter
     M=remote-option 0=from0 4=ipv4 6=ipv6 8=8-bit-output V=version`
      .trim()
      .split(/\s+/)
      .map((pair) => pair.split('=')),
  ) as Record<string, string>),
  D: flag((draft) => devicesAndSpecials(draft, true)),
  /** `-P` is --partial --progress; only the first concerns the receiver. */
  P: flag((draft) => {
    draft.options.partial = true;
    draft.ignored.add('--progress');
  }),
  /** A per-directory filter file on the server side. */
  F: refuse(),
};

function archive(draft: Draft): void {
  const { options } = draft;
  options.recursive = true;
  options.preserveLinks = true;
  options.preservePerms = true;
  options.preserveTimes = true;
  options.preserveUid = true;
  options.preserveGid = true;
  devicesAndSpecials(draft, true);
}

function devicesAndSpecials(draft: Draft, to: boolean): void {
  draft.options.preserveDevices = to;
  draft.options.preserveSpecials = to;
}

function noCompression(draft: Draft): void {
  draft.compressCount = 0;
  draft.compressChoice = null;
}

function mapIds(draft: Draft, spelled: string, key: 'preserveUid' | 'preserveGid'): void {
  draft.options[key] = true;
  draft.ignored.add(spelled);
}

function chown(draft: Draft, value: string, spelled: string): void {
  const [user = '', group] = value.split(':');
  if (user !== '') draft.options.preserveUid = true;
  if (group !== undefined && group !== '') draft.options.preserveGid = true;
  draft.ignored.add(spelled);
}

function newDraft(): Draft {
  return {
    options: {
      verbose: 0,
      dryRun: false,
      recursive: false,
      dirs: false,
      relativePaths: false,
      impliedDirs: true,
      preserveLinks: false,
      preserveHardLinks: false,
      preservePerms: false,
      preserveExecutability: false,
      preserveTimes: false,
      preserveAtimes: false,
      preserveUid: false,
      preserveGid: false,
      preserveDevices: false,
      preserveSpecials: false,
      numericIds: false,
      alwaysChecksum: false,
      checksumChoice: null,
      checksumSeed: null,
      compress: false,
      compressChoice: null,
      compressLevel: null,
      wholeFile: false,
      blockSize: null,
      ignoreTimes: false,
      sizeOnly: false,
      update: false,
      ignoreExisting: false,
      ignoreNonExisting: false,
      maxSize: null,
      minSize: null,
      modifyWindow: null,
      partial: false,
      partialDir: null,
      delayUpdates: false,
      inplace: false,
      append: 'none',
      removeSourceFiles: false,
      delete: false,
      deleteTiming: null,
      deleteExcluded: false,
      maxDelete: null,
      ignoreErrors: false,
      cvsExclude: false,
      pruneEmptyDirs: false,
      safeLinks: false,
      mkpath: false,
      timeout: 0,
      logFormat: null,
    },
    appendCount: 0,
    deleteTimings: new Set(),
    compressCount: 0,
    compressChoice: null,
    itemize: false,
    qsort: false,
    allowIncRecursive: true,
    clientInfo: null,
    ignored: new Set(),
  };
}

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
