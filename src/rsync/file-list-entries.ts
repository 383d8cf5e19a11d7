import { digestLength } from './checksums.js';
import {
  DEFAULT_FILE_LIST_LIMITS,
  type FileListEntry,
  type FileListOptions,
  readFileList,
} from './file-list.js';
import { displayName } from './file-names.js';
import { CompatFlag, type Negotiated } from './handshake.js';
import type { PushLimits } from './limits.js';
import type { ReceiverOptions } from './server-options.js';
import type { ByteSource } from './wire.js';

/** A list entry as the session acts on it: a file to ask for, a directory, or one left out. */
export type ListedEntry =
  | { kind: 'file'; ndx: number; name: string; size: number; mtime: number }
  | { kind: 'directory'; name: string }
  | { kind: 'skipped'; name: string; reason: string }
  | { kind: 'refused'; name: string; reason: string };

/** Reads the client's file list with the options the handshake and command line settled. */
export async function readListedEntries(
  source: ByteSource,
  negotiated: Negotiated,
  options: ReceiverOptions,
  limits: PushLimits,
): Promise<ListedEntry[]> {
  const list = await readFileList(source, fileListOptions(negotiated, options), {
    ...DEFAULT_FILE_LIST_LIMITS,
    maxFiles: limits.maxFiles,
  });
  return list.entries.filter((entry) => !entry.duplicate).map(listed);
}

function fileListOptions(negotiated: Negotiated, options: ReceiverOptions): FileListOptions {
  const { protocol, compatFlags } = negotiated;
  const has = (flag: number): boolean => (compatFlags & flag) !== 0;
  const fileChecksum = options.checksumChoice?.file;
  const namedFileChecksum =
    fileChecksum === 'md5' || fileChecksum === 'md4' || fileChecksum === 'sha1'
      ? fileChecksum
      : null;
  return {
    protocol,
    varintFlags: has(CompatFlag.varintFileListFlags),
    safeFileList: has(CompatFlag.safeFileList) || protocol >= 31,
    idZeroNames: has(CompatFlag.id0Names),
    preserveLinks: options.preserveLinks,
    preserveDevices: options.preserveDevices,
    preserveSpecials: options.preserveSpecials,
    preserveHardLinks: options.preserveHardLinks,
    preserveUid: options.preserveUid,
    preserveGid: options.preserveGid,
    preserveAtimes: options.preserveAtimes,
    preserveCrtimes: false,
    alwaysChecksum: options.alwaysChecksum,
    checksumLength: digestLength(namedFileChecksum ?? negotiated.checksum),
    numericIds: options.numericIds,
    relativePaths: options.relativePaths,
  };
}

function listed(entry: FileListEntry): ListedEntry {
  const { verdict } = entry;
  switch (verdict.action) {
    case 'file':
      return {
        kind: 'file',
        ndx: entry.index,
        name: verdict.path,
        size: entry.size,
        mtime: entry.mtime,
      };
    case 'directory':
      return { kind: 'directory', name: verdict.path };
    case 'skipped':
    case 'refused':
      return { kind: 'skipped', name: displayName(entry.name), reason: verdict.reason };
  }
}
