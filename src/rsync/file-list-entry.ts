import { protocolError } from './errors.js';
import { cleanName } from './file-names.js';
import type {
  DeviceNumber,
  FileAttributes,
  FileListLimits,
  FileListOptions,
  FileType,
} from './file-list.js';
import { Xmit, overLimit, readVarint30, splitOldDevice, typeOf } from './file-list-wire.js';
import type { ByteSource } from './wire.js';

/**
 * One file-list entry as the sender encodes it (flist.c: send_file_entry / recv_file_entry).
 * Most fields may be left out when they equal the previous entry's, so decoding keeps that
 * state from entry to entry.
 */

/** An entry in arrival order, before sorting. */
export interface ReceivedEntry extends FileAttributes {
  arrival: number;
  /** The name after rsync's cleaning, before `-R`'s leading slashes are removed. */
  name: Buffer;
  /** rsync's hard-link group number, for entries it links (non-directories with -H). */
  hardLinkGroup: number | null;
  /** Sent as the first of its hard-link group (protocol 30+): later members may point here. */
  leadsHardLinks: boolean;
}

const MAX_NSEC = 999_999_999;

/** Fields an entry shares with the one before it, or with the hard-link leader it copies. */
interface Carried {
  mtime: number;
  mode: number;
  uid: number;
  gid: number;
  atime: number;
  crtime: number;
  rdevMajor: number;
  /** Protocol 27 sends whole device numbers. */
  rdev: number;
  /** Protocols before 30 identify hard links by device and inode. */
  linkDevice: number;
}

/** Reads entries one by one, keeping what later entries may refer back to. */
export class EntryDecoder {
  readonly received: ReceivedEntry[] = [];
  readonly users = new Map<number, string>();
  readonly groups = new Map<number, string>();
  /** Bytes of names, targets, checksums and owner names held so far. */
  heldBytes = 0;
  private lastName = Buffer.alloc(0);
  private readonly carried: Carried = {
    mtime: 0,
    mode: 0,
    uid: 0,
    gid: 0,
    atime: 0,
    crtime: 0,
    rdevMajor: 0,
    rdev: 0,
    linkDevice: 0,
  };
  private readonly inodeGroups = new Map<string, number>();

  constructor(
    private readonly source: ByteSource,
    private readonly options: FileListOptions,
    private readonly limits: FileListLimits,
  ) {}

  async read(flags: number): Promise<ReceivedEntry> {
    if (this.received.length >= this.limits.maxFiles) {
      throw overLimit(`the file list has more than ${this.limits.maxFiles} entries`);
    }
    const name = await this.readName(flags);
    const leader = await this.readLeader(flags);
    const entry = leader === null ? await this.readFields(flags, name) : this.copy(leader, name);
    const first = Xmit.hardLinked | Xmit.hardLinkFirst;
    entry.leadsHardLinks = this.options.protocol >= 30 && (flags & first) === first;
    await this.readHardLink(flags, entry, leader);
    await this.readChecksum(entry, leader);
    this.hold(entry.checksum?.length ?? 0);
    this.checkWhole(entry);
    this.received.push(entry);
    return entry;
  }

  /** Accounts for bytes kept in memory, refusing more than the list may hold. */
  hold(bytes: number): void {
    this.heldBytes += bytes;
    if (this.heldBytes > this.limits.maxTotalBytes) {
      throw overLimit(`the file list holds more than ${this.limits.maxTotalBytes} bytes`);
    }
  }

  /** A user or group name: a length byte and that many bytes. */
  async readOwnerName(): Promise<string | null> {
    const length = await this.source.readByte();
    if (length === 0) return null;
    this.hold(length);
    return (await this.source.readBytes(length)).toString('utf8');
  }

  readVarint30(): Promise<number> {
    return readVarint30(this.source, this.options.protocol);
  }

  private async readName(flags: number): Promise<Buffer> {
    const shared = flags & Xmit.sameName ? await this.source.readByte() : 0;
    const added = flags & Xmit.longName ? await this.readVarint30() : await this.source.readByte();
    if (shared > this.lastName.length) {
      throw protocolError(
        `a file name reuses ${shared} bytes of a ${this.lastName.length}-byte name`,
      );
    }
    if (added < 0 || shared + added >= this.limits.maxNameBytes) {
      throw overLimit(`a file name is longer than ${this.limits.maxNameBytes - 1} bytes`);
    }
    this.hold(shared + added);
    const raw = Buffer.concat([
      this.lastName.subarray(0, shared),
      await this.source.readBytes(added),
    ]);
    if (raw.includes(0)) throw protocolError('a file name holds a NUL byte');
    this.lastName = raw;
    return cleanName(raw);
  }

  /** Protocol 30+: a hard link after the first of its group copies that entry's fields. */
  private async readLeader(flags: number): Promise<ReceivedEntry | null> {
    const abbreviated = (flags & (Xmit.hardLinked | Xmit.hardLinkFirst)) === Xmit.hardLinked;
    if (this.options.protocol < 30 || !abbreviated) return null;
    const arrival = await this.source.readVarint();
    const leader = this.received[arrival];
    if (arrival < 0 || leader === undefined || !leader.leadsHardLinks) {
      throw protocolError(`a hard link refers to entry ${arrival}, which leads no hard links`);
    }
    return leader;
  }

  private copy(leader: ReceivedEntry, name: Buffer): ReceivedEntry {
    const { carried, options } = this;
    carried.mtime = leader.mtime;
    carried.mode = leader.mode;
    if (leader.atime !== null) carried.atime = leader.atime;
    if (leader.crtime !== null) carried.crtime = leader.crtime;
    if (leader.uid !== null) carried.uid = leader.uid;
    if (leader.gid !== null) carried.gid = leader.gid;
    if (leader.rdev !== null && options.preserveDevices && leader.type === 'device') {
      carried.rdevMajor = leader.rdev.major;
    }
    this.hold(leader.linkTarget?.length ?? 0);
    return {
      ...leader,
      arrival: this.received.length,
      name,
      hardLinkGroup: null,
      leadsHardLinks: false,
    };
  }

  private async readFields(flags: number, name: Buffer): Promise<ReceivedEntry> {
    const { source, options, carried } = this;
    let size = options.protocol < 30 ? await source.readLongint() : await source.readVarlong(3);
    if (!(flags & Xmit.sameTime)) {
      carried.mtime =
        options.protocol >= 30 ? await source.readVarlong(4) : (await source.readInt32()) >>> 0;
    }
    const mtimeNsec = flags & Xmit.modNsec ? await this.readNsec() : 0;
    if (options.preserveCrtimes && !(flags & Xmit.crtimeEqMtime)) {
      carried.crtime = await source.readVarlong(4);
    } else if (options.preserveCrtimes) carried.crtime = carried.mtime;
    if (!(flags & Xmit.sameMode)) carried.mode = await source.readInt32();
    const type = typeOf(carried.mode);
    const atime =
      options.preserveAtimes && type !== 'directory' ? await this.readAtime(flags) : null;
    const uid = await this.readOwner(flags, 'uid');
    const gid = await this.readOwner(flags, 'gid');
    const rdev = await this.readRdev(flags, type);
    if (type === 'device' || rdev !== null) size = 0;
    const linkTarget = type === 'symlink' && options.preserveLinks ? await this.readTarget() : null;
    return {
      arrival: this.received.length,
      name,
      type,
      mode: carried.mode,
      size,
      mtime: carried.mtime,
      mtimeNsec,
      atime,
      crtime: options.preserveCrtimes ? carried.crtime : null,
      uid,
      gid,
      rdev,
      linkTarget,
      checksum: null,
      hardLinkGroup: null,
      leadsHardLinks: false,
    };
  }

  private async readNsec(): Promise<number> {
    const nsec = await this.source.readVarint();
    if (nsec < 0 || nsec > MAX_NSEC) throw protocolError(`a nanosecond value ${nsec} is invalid`);
    return nsec;
  }

  private async readAtime(flags: number): Promise<number> {
    if (!(flags & Xmit.sameAtime)) this.carried.atime = await this.source.readVarlong(4);
    return this.carried.atime;
  }

  private async readOwner(flags: number, which: 'uid' | 'gid'): Promise<number | null> {
    const user = which === 'uid';
    const preserved = user ? this.options.preserveUid : this.options.preserveGid;
    if (!preserved) return null;
    if (flags & (user ? Xmit.sameUid : Xmit.sameGid)) return this.carried[which];
    const id = (await this.readVarint30()) >>> 0;
    this.carried[which] = id;
    const nameFollows = user ? Xmit.userNameFollows : Xmit.groupNameFollows;
    if (this.options.protocol >= 30 && flags & nameFollows) {
      const name = await this.readOwnerName();
      if (name !== null) (user ? this.users : this.groups).set(id, name);
    }
    return id;
  }

  private async readRdev(flags: number, type: FileType): Promise<DeviceNumber | null> {
    const { source, options, carried } = this;
    const special = type === 'special' && options.preserveSpecials && options.protocol < 31;
    if (!(type === 'device' && options.preserveDevices) && !special) {
      if (options.protocol < 28 && type !== 'device') carried.rdev = 0;
      return null;
    }
    if (options.protocol < 28) {
      if (!(flags & Xmit.sameRdevPre28)) carried.rdev = (await source.readInt32()) >>> 0;
      return splitOldDevice(carried.rdev);
    }
    if (!(flags & Xmit.sameRdevMajor)) carried.rdevMajor = (await this.readVarint30()) >>> 0;
    let minor: number;
    if (options.protocol >= 30) minor = await source.readVarint();
    else if (flags & Xmit.rdevMinor8Pre30) minor = await source.readByte();
    else minor = await source.readInt32();
    return { major: carried.rdevMajor, minor: minor >>> 0 };
  }

  private async readTarget(): Promise<Buffer> {
    const length = await this.readVarint30();
    if (length < 0 || length >= this.limits.maxNameBytes) {
      throw overLimit(
        `a symbolic link target is longer than ${this.limits.maxNameBytes - 1} bytes`,
      );
    }
    this.hold(length);
    return Buffer.from(await this.source.readBytes(length));
  }

  private async readHardLink(
    flags: number,
    entry: ReceivedEntry,
    leader: ReceivedEntry | null,
  ): Promise<void> {
    const { options } = this;
    if (!options.preserveHardLinks) return;
    const oldRegular = options.protocol < 28 && entry.type === 'regular';
    if (!(flags & Xmit.hardLinked) && !oldRegular) return;
    let group: number;
    if (options.protocol >= 30) group = leader?.arrival ?? entry.arrival;
    else group = await this.readInodeGroup(flags);
    if (entry.type !== 'directory') entry.hardLinkGroup = group;
  }

  /** Protocols before 30: entries with the same device and inode are one group. */
  private async readInodeGroup(flags: number): Promise<number> {
    if (!(flags & Xmit.sameDevPre30)) this.carried.linkDevice = await this.source.readLongint();
    const inode = await this.source.readLongint();
    const key = `${this.carried.linkDevice}:${inode}`;
    let group = this.inodeGroups.get(key);
    if (group === undefined) {
      group = this.inodeGroups.size;
      this.inodeGroups.set(key, group);
    }
    return group;
  }

  private async readChecksum(entry: ReceivedEntry, leader: ReceivedEntry | null): Promise<void> {
    const { options } = this;
    if (!options.alwaysChecksum) return;
    if (entry.type !== 'regular' && options.protocol >= 28) return;
    if (leader !== null) return;
    // Before protocol 28 every entry carries a sum; only regular files' sums mean anything.
    const sum = Buffer.from(await this.source.readBytes(options.checksumLength));
    entry.checksum = entry.type === 'regular' ? sum : null;
  }

  private checkWhole(entry: ReceivedEntry): void {
    if (entry.size < 0) throw protocolError('a file length is negative');
    const root = entry.name.equals(Buffer.from('.')) || entry.name.equals(Buffer.from('/.'));
    if (root && entry.type !== 'directory') {
      throw protocolError('the transfer root "." is not a directory');
    }
  }
}
