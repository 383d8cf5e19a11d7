import { ExitCode, RsyncError, protocolError } from './errors.js';
import { EntryDecoder, type ReceivedEntry } from './file-list-entry.js';
import { readFlags } from './file-list-wire.js';
import { type SortItem, dropDuplicates, sortNames } from './file-list-sort.js';
import { splitName } from './file-names.js';
import { classifyEntries } from './file-verdicts.js';
import type { ByteSource } from './wire.js';

/**
 * The sender's file list, read as rsync's receiver reads it when incremental recursion is off
 * (flist.c: recv_file_list), sorted and cleaned as rsync sorts and cleans it, and judged entry
 * by entry: only regular files and directories with safe names are ever created.
 */

export type FileType = 'regular' | 'directory' | 'symlink' | 'device' | 'special';

export interface DeviceNumber {
  major: number;
  minor: number;
}

/** What the session settled that changes how entries are encoded. */
export interface FileListOptions {
  /** The negotiated protocol, 27 to 32. */
  protocol: number;
  /** Compat flag CF_VARINT_FLIST_FLAGS (protocol 30+, client capability `v`). */
  varintFlags: boolean;
  /**
   * Compat flag CF_SAFE_FLIST (client capability `f`), always on from protocol 31: the list
   * may end with an error code after the flags `XMIT_EXTENDED_FLAGS | XMIT_IO_ERROR_ENDLIST`.
   */
  safeFileList: boolean;
  /** Compat flag CF_ID0_NAMES (client capability `u`): the id lists name uid 0 and gid 0. */
  idZeroNames: boolean;
  /** `-l`: symbolic links carry their targets. */
  preserveLinks: boolean;
  /** `--devices` (part of `-D`): devices carry their numbers. */
  preserveDevices: boolean;
  /** `--specials` (part of `-D`): before protocol 31, FIFOs and sockets carry a device number. */
  preserveSpecials: boolean;
  /** `-H`: hard-linked files carry their group. */
  preserveHardLinks: boolean;
  /** `-o` and `-g`: entries carry owners, and id lists follow the entries. */
  preserveUid: boolean;
  preserveGid: boolean;
  /** `-U`: non-directories carry access times. */
  preserveAtimes: boolean;
  /** `-N`: entries carry creation times (needs `varintFlags`). */
  preserveCrtimes: boolean;
  /** `-c`: regular files carry a whole-file checksum of `checksumLength` bytes. */
  alwaysChecksum: boolean;
  /** The file checksum's length: 16 (md4, md5, xxh128), 8 (xxh64, xxh3), 20 (sha1), 1 (none). */
  checksumLength: number;
  /** `--numeric-ids`: no id lists. */
  numericIds: boolean;
  /** `-R`: names may start with a slash, which is removed after sorting. */
  relativePaths: boolean;
}

/** Bounds on what one list may make this server hold. */
export interface FileListLimits {
  maxFiles: number;
  /** As rsync's MAXPATHLEN: a name or link target and its terminating NUL must fit. */
  maxNameBytes: number;
  /** Bytes of names, link targets, checksums and owner names held at once. */
  maxTotalBytes: number;
}

export const DEFAULT_FILE_LIST_LIMITS: FileListLimits = {
  maxFiles: 100_000,
  maxNameBytes: 4096,
  maxTotalBytes: 64 * 1024 * 1024,
};

/** What may happen to an entry: only `file` and `directory` entries are ever created. */
export type Verdict =
  | { action: 'file'; path: string }
  | { action: 'directory'; path: string }
  | { action: 'skipped'; reason: string }
  | { action: 'refused'; reason: string };

/** An entry in its final place, before it is judged. */
/** What the sender says of a file, whatever its place in the list. */
export interface FileAttributes {
  type: FileType;
  /** The whole st_mode: type, permissions and the set-id and sticky bits. */
  mode: number;
  size: number;
  mtime: number;
  mtimeNsec: number;
  atime: number | null;
  crtime: number | null;
  uid: number | null;
  gid: number | null;
  rdev: DeviceNumber | null;
  linkTarget: Buffer | null;
  checksum: Buffer | null;
}

export interface SortedEntry extends FileAttributes {
  /** The file index both sides use: the position in the sorted list. */
  index: number;
  /** The position in arrival order, which protocol 30+ hard-link references count in. */
  arrival: number;
  /** The name as rsync keeps it: cleaned, without `-R`'s leading slash. */
  nameBytes: Buffer;
  /** The name for messages (invalid UTF-8 shows as replacement characters). */
  name: string;
  /** Dropped by rsync's clean-up: the index stays taken, but the file is never asked for. */
  duplicate: boolean;
  /** For groups of two or more: the leader is the group's first entry in sorted order. */
  hardLink: { group: number; leaderIndex: number } | null;
}

export interface FileListEntry extends SortedEntry {
  verdict: Verdict;
}

export interface FileList {
  /** Sorted: `entries[i].index === i`. */
  entries: FileListEntry[];
  /** The sender's IOERR_* bits: 1 general error, 2 vanished files, 4 deletion limit. */
  ioError: number;
  users: ReadonlyMap<number, string>;
  groups: ReadonlyMap<number, string>;
}

const IOERR_VALID_MASK = 0b111;

/**
 * Reads the whole list, the id lists after it, and before protocol 30 the error code that
 * ends it. Throws RsyncError for anything malformed or beyond the limits.
 */
export async function readFileList(
  source: ByteSource,
  options: FileListOptions,
  limits: FileListLimits,
): Promise<FileList> {
  checkOptions(options);
  const decoder = new EntryDecoder(source, options, limits);
  let ioError: number;
  for (;;) {
    const flags = await readFlags(source, options);
    if (flags.end) {
      ioError = flags.ioError;
      break;
    }
    await decoder.read(flags.value);
  }
  if (!options.numericIds) {
    if (options.preserveUid) await readIdList(decoder, decoder.users, options.idZeroNames);
    if (options.preserveGid) await readIdList(decoder, decoder.groups, options.idZeroNames);
  }
  const entries = arrange(decoder.received, options);
  if (options.protocol < 30) ioError |= await source.readInt32();
  classifyEntries(entries).forEach((verdict, index) => {
    (entries[index] as FileListEntry).verdict = verdict;
  });
  return {
    entries,
    ioError: ioError & IOERR_VALID_MASK,
    users: decoder.users,
    groups: decoder.groups,
  };
}

/** Settings no session can have; a caller's mistake, reported like a protocol failure. */
function checkOptions(options: FileListOptions): void {
  const { protocol, varintFlags, preserveCrtimes, alwaysChecksum, checksumLength } = options;
  const problems: [boolean, string][] = [
    [protocol < 27 || protocol > 32, `file lists of protocol ${protocol} are not read here`],
    [varintFlags && protocol < 30, 'varint file-list flags need protocol 30'],
    [preserveCrtimes && !varintFlags, 'creation times need varint file-list flags'],
    [
      alwaysChecksum && !(checksumLength >= 1 && checksumLength <= 64),
      `a file checksum of ${checksumLength} bytes is impossible`,
    ],
  ];
  const problem = problems.find(([applies]) => applies);
  if (problem !== undefined) throw new RsyncError(`tmsp: ${problem[1]}`, ExitCode.protocol);
}

/** A uid or gid list: id and name pairs up to id 0, then (CF_ID0_NAMES) the name of id 0. */
async function readIdList(
  decoder: EntryDecoder,
  names: Map<number, string>,
  namesZero: boolean,
): Promise<void> {
  // The sender lists each owner of a listed file once: more than that is not an id list.
  const most = decoder.received.length;
  for (let count = 0; ; count++) {
    const id = (await decoder.readVarint30()) >>> 0;
    if (id === 0) break;
    if (count >= most) throw protocolError('the id list names more owners than there are files');
    const name = await decoder.readOwnerName();
    if (name !== null) names.set(id, name);
  }
  if (namesZero) {
    const name = await decoder.readOwnerName();
    if (name !== null) names.set(0, name);
  }
}

interface Slot extends SortItem {
  entry: ReceivedEntry;
}

const UNJUDGED: Verdict = { action: 'refused', reason: 'not judged' };

/** Sorts and cleans as rsync does, then gives each entry its final name and hard-link group. */
function arrange(received: readonly ReceivedEntry[], options: FileListOptions): FileListEntry[] {
  const slots = received.map((entry): Slot => {
    const { dirname, basename } = splitName(entry.name);
    const directory = entry.type === 'directory';
    return { dirname, basename, directory, active: basename.length > 0, entry };
  });
  const named = slots.map((slot) => slot.active);
  sortNames(slots, options.protocol);
  dropDuplicates(slots, options.protocol);
  const sorted = slots.map((slot, index): FileListEntry => {
    const { entry } = slot;
    const duplicate = !slot.active && (named[entry.arrival] ?? false);
    const nameBytes = options.relativePaths && !duplicate ? withoutRoot(entry.name) : entry.name;
    return {
      index,
      arrival: entry.arrival,
      nameBytes,
      name: nameBytes.toString('utf8'),
      type: entry.type,
      mode: entry.mode,
      size: entry.size,
      mtime: entry.mtime,
      mtimeNsec: entry.mtimeNsec,
      atime: entry.atime,
      crtime: entry.crtime,
      uid: entry.uid,
      gid: entry.gid,
      rdev: entry.rdev,
      linkTarget: entry.linkTarget,
      checksum: entry.checksum,
      duplicate,
      hardLink: null,
      verdict: UNJUDGED,
    };
  });
  groupHardLinks(sorted, slots);
  return sorted;
}

const withoutRoot = (name: Buffer): Buffer => {
  let start = 0;
  while (name[start] === 0x2f && start < name.length - 1) start++;
  return name.subarray(start);
};

/** rsync links the members of a group to the first of them in sorted order. */
function groupHardLinks(sorted: SortedEntry[], slots: readonly Slot[]): void {
  const members = new Map<number, SortedEntry[]>();
  for (let index = 0; index < sorted.length; index++) {
    const entry = sorted[index] as SortedEntry;
    const group = (slots[index] as Slot).entry.hardLinkGroup;
    if (group === null || entry.duplicate) continue;
    const list = members.get(group);
    if (list === undefined) members.set(group, [entry]);
    else list.push(entry);
  }
  for (const [group, list] of members) {
    if (list.length < 2) continue;
    const leaderIndex = (list[0] as SortedEntry).index;
    for (const entry of list) entry.hardLink = { group, leaderIndex };
  }
}
