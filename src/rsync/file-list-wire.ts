import { ExitCode, RsyncError, protocolError } from './errors.js';
import type { DeviceNumber, FileListOptions, FileType } from './file-list.js';
import type { ByteSource } from './wire.js';

/** Small pieces of rsync's file-list encoding that the list and its entries share. */

/** The XMIT_* bits: what an entry's flags say about the fields that follow. */
export const Xmit = {
  topDir: 1 << 0,
  sameMode: 1 << 1,
  /** Protocol 28 and later: a second flag byte follows. */
  extendedFlags: 1 << 2,
  /** Protocol 27: the device number equals the previous one. */
  sameRdevPre28: 1 << 2,
  sameUid: 1 << 3,
  sameGid: 1 << 4,
  sameName: 1 << 5,
  longName: 1 << 6,
  sameTime: 1 << 7,
  sameRdevMajor: 1 << 8,
  hardLinked: 1 << 9,
  sameDevPre30: 1 << 10,
  userNameFollows: 1 << 10,
  rdevMinor8Pre30: 1 << 11,
  groupNameFollows: 1 << 11,
  hardLinkFirst: 1 << 12,
  /** With extendedFlags alone, instead of an entry: the end of the list and an error code. */
  ioErrorEndList: 1 << 12,
  modNsec: 1 << 13,
  sameAtime: 1 << 14,
  crtimeEqMtime: 1 << 17,
} as const;

const S_IFMT = 0o170000;
const FILE_TYPES = new Map<number, FileType>([
  [0o100000, 'regular'],
  [0o040000, 'directory'],
  [0o120000, 'symlink'],
  [0o020000, 'device'],
  [0o060000, 'device'],
  [0o010000, 'special'],
  [0o140000, 'special'],
]);

/** A limit of this server, not of rsync: the message says so. */
export const overLimit = (message: string): RsyncError =>
  new RsyncError(`tmsp: ${message}`, ExitCode.unsupported);

/** rsync's varint30: a fixed int before protocol 30, a varint from 30 on. */
export const readVarint30 = (source: ByteSource, protocol: number): Promise<number> =>
  protocol < 30 ? source.readInt32() : source.readVarint();

type Flags = { end: false; value: number } | { end: true; ioError: number };

/** The flags that open the next entry, or the end of the list with the sender's error code. */
export async function readFlags(source: ByteSource, options: FileListOptions): Promise<Flags> {
  if (options.varintFlags) {
    const value = await source.readVarint();
    if (value === 0) return { end: true, ioError: await source.readVarint() };
    return { end: false, value };
  }
  let value = await source.readByte();
  if (value === 0) return { end: true, ioError: 0 };
  if (options.protocol >= 28 && value & Xmit.extendedFlags) value |= (await source.readByte()) << 8;
  if (value === (Xmit.extendedFlags | Xmit.ioErrorEndList)) {
    if (!options.safeFileList) {
      throw protocolError(`invalid file-list flags 0x${value.toString(16)}`);
    }
    return { end: true, ioError: await source.readVarint() };
  }
  return { end: false, value };
}

/** The file type a mode names; rsync's receiver also refuses modes that name none. */
export function typeOf(mode: number): FileType {
  const type = mode >>> 16 === 0 ? FILE_TYPES.get(mode & S_IFMT) : undefined;
  if (type === undefined) throw protocolError(`invalid file mode 0${(mode >>> 0).toString(8)}`);
  return type;
}

/** Protocol 27's 32-bit device numbers, split as Linux splits them. */
export function splitOldDevice(rdev: number): DeviceNumber {
  return { major: (rdev >>> 8) & 0xfff, minor: (rdev & 0xff) | ((rdev >>> 12) & 0xfff00) };
}
