import { refused } from './errors.js';
import {
  type CompressName,
  type DeleteTiming,
  MAX_BLOCK_SIZE,
  type ReceiverOptions,
  receiverDefaults,
} from './server-option-types.js';
import {
  INT32,
  checksumChoice,
  compressChoice,
  int32,
  size,
  wholeNumber,
} from './server-option-values.js';

/**
 * How each option rsync knows is read: recorded, accepted and ignored, or refused with a
 * message for the client's user; each decision is stated beside the option.
 */
export interface Draft {
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
export type Rule =
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
export const LONG: Record<string, Rule> = {
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
export const SHORT: Record<string, string | Rule> = {
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

export function newDraft(): Draft {
  return {
    options: receiverDefaults(),
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
