import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmod,
  link,
  lstat,
  mkdir,
  mkdtemp,
  rm,
  symlink,
  truncate,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RsyncError } from '../../src/rsync/errors.js';
import {
  DEFAULT_FILE_LIST_LIMITS,
  type FileList,
  type FileListEntry,
  type FileListLimits,
  type FileListOptions,
  readFileList,
} from '../../src/rsync/file-list.js';
import {
  type SortItem,
  compareNames,
  dropDuplicates,
  sortNames,
} from '../../src/rsync/file-list-sort.js';
import { Xmit } from '../../src/rsync/file-list-wire.js';
import { checkName, cleanName, splitName } from '../../src/rsync/file-names.js';
import {
  BufferSource,
  encodeInt32,
  encodeLongint,
  encodeUint16,
  encodeVarint,
  encodeVarlong,
} from '../../src/rsync/wire.js';
import {
  type CaptureOptions,
  type RsyncCapture,
  captureRsyncPush,
  fileListOptionsFor,
  fileListSource,
  serverListing,
} from '../support/rsync-capture.js';

/**
 * File lists recorded from the real rsync client, decoded and checked against what the real
 * `rsync --server` made of the same bytes (its `--debug=FLIST3` listing) and against the files
 * themselves.
 */

const PROTOCOLS = [27, 28, 29, 30, 31, 32];
const isRoot = process.getuid?.() === 0;

let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'tmsp-file-list-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface Decoded {
  capture: RsyncCapture;
  list: FileList;
  /** Bytes of the client's data the list took, from its start. */
  consumed: number;
}

let counter = 0;

async function record(
  sources: string[],
  options: CaptureOptions = {},
  args: string[] = ['-a'],
): Promise<Decoded> {
  const destination = path.join(work, `destination-${counter++}`);
  const capture = await captureRsyncPush(work, sources, destination, {
    ...options,
    args: ['-n', ...args],
  });
  expect(capture.exitCode, capture.output).toBe(0);
  const source = fileListSource(capture);
  const list = await readFileList(source, fileListOptionsFor(capture), DEFAULT_FILE_LIST_LIMITS);
  return { capture, list, consumed: source.consumed };
}

async function tree(name: string, files: Record<string, string | null>): Promise<string> {
  const root = path.join(work, name);
  await mkdir(root, { recursive: true });
  for (const [relative, content] of Object.entries(files)) {
    const target = path.join(root, relative);
    if (content === null) await mkdir(target, { recursive: true });
    else {
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, content);
    }
  }
  return root;
}

/** How rsync prints a name in its listing: anything but printable ASCII escaped. */
function printed(entry: FileListEntry): string {
  let text = '';
  for (const byte of entry.nameBytes) {
    text += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '\\#';
  }
  return entry.type === 'directory' ? `${text}/` : text;
}

/** Our sorted list, as the real server listed the same session. */
function expectSameAsServer({ capture, list }: Decoded): void {
  const listed = serverListing(capture.output);
  expect(listed.length, capture.output).toBe(list.entries.length);
  for (const [index, entry] of list.entries.entries()) {
    const theirs = listed[index]!;
    expect(theirs.index).toBe(index);
    if (entry.duplicate) {
      expect(theirs.mode).toBe(0);
      continue;
    }
    expect(theirs.mode).toBe(entry.mode);
    expect(theirs.size).toBe(entry.size);
    if (!printed(entry).includes('\\')) expect(theirs.name).toBe(printed(entry));
  }
}

/** Each entry's attributes against the file it was made from. */
async function expectSameAsFiles({ capture, list }: Decoded, root: string): Promise<void> {
  for (const entry of list.entries) {
    if (entry.duplicate) continue;
    const stats = await lstat(path.join(root, entry.name), { bigint: true });
    expect(entry.mode, entry.name).toBe(Number(stats.mode));
    expect(entry.mtime, entry.name).toBe(Number(stats.mtimeNs / 1_000_000_000n));
    const nsec = capture.protocol >= 31 ? Number(stats.mtimeNs % 1_000_000_000n) : 0;
    expect(entry.mtimeNsec, entry.name).toBe(nsec);
    if (entry.type !== 'device') expect(entry.size, entry.name).toBe(Number(stats.size));
  }
}

/**
 * After the list of a dry run the client answers the server's requests: file indices (with
 * item flags from protocol 29) up to NDX_DONE. Decoding them shows the list took exactly its
 * own bytes and that both sides number the files alike.
 */
async function followingIndices({ capture, consumed }: Decoded): Promise<number[]> {
  const source = new BufferSource(capture.clientData.subarray(capture.fileListOffset + consumed));
  const indices: number[] = [];
  let previous = -1;
  for (;;) {
    let ndx: number;
    if (capture.protocol < 30) ndx = await source.readInt32();
    else {
      const first = await source.readByte();
      if (first === 0) break;
      expect(first).toBeLessThan(0xfe);
      ndx = previous + first;
      previous = ndx;
    }
    if (ndx === -1) break;
    indices.push(ndx);
    if (capture.protocol >= 29) expect((await source.readUint16()) & 0x1800).toBe(0);
  }
  return indices;
}

const names = (list: FileList): string[] => list.entries.map((entry) => entry.name);
const verdictOf = (list: FileList, name: string) =>
  list.entries.find((entry) => entry.name === name)?.verdict;

describe('file lists recorded from the real rsync client', () => {
  let plain: string;

  beforeAll(async () => {
    plain = await tree('plain', {
      'z.txt': 'z',
      '-dash': 'dash',
      'dir.txt': 'dir text',
      'dir/b': 'b',
      'dir/a/x': 'x',
      'dir/a/deeper/still/file': 'deep',
      Dir2: null,
      'with space.log': 'spaced',
      'журнал.log': 'cyrillic',
      'emoji-🙂.txt': 'smile',
    });
  });

  it.each(PROTOCOLS)('protocol %i: sorts and numbers entries as the real server', async (p) => {
    const decoded = await record([`${plain}/`], { protocol: p });
    expectSameAsServer(decoded);
    await expectSameAsFiles(decoded, plain);
    const regular = decoded.list.entries.filter((entry) => entry.type === 'regular');
    const following = await followingIndices(decoded);
    if (p < 29) expect(following).toEqual(regular.map((entry) => entry.index));
    else expect(following.every((index) => index < decoded.list.entries.length)).toBe(true);
    expect(decoded.list.ioError).toBe(0);
  });

  it('orders directories after files from protocol 29, plainly by name before', async () => {
    const small = await tree('order', {
      'z.txt': '',
      '-dash': '',
      'dir.txt': '',
      'dir/b': '',
      'dir/a/x': '',
      Dir2: null,
    });
    const old = await record([`${small}/`], { protocol: 28 });
    expect(names(old.list)).toEqual([
      '-dash',
      '.',
      'Dir2',
      'dir',
      'dir.txt',
      'dir/a',
      'dir/a/x',
      'dir/b',
      'z.txt',
    ]);
    const modern = await record([`${small}/`], { protocol: 32 });
    expect(names(modern.list)).toEqual([
      '.',
      '-dash',
      'dir.txt',
      'z.txt',
      'Dir2',
      'dir',
      'dir/b',
      'dir/a',
      'dir/a/x',
    ]);
    expect(modern.list.entries.map((entry) => entry.verdict.action)).toEqual([
      'directory',
      'file',
      'file',
      'file',
      'directory',
      'directory',
      'file',
      'directory',
      'file',
    ]);
  });

  it.each([
    [30, 'iv'],
    [31, 'iv'],
    [30, 'ivf'],
    [31, 'ivfu'],
  ])('protocol %i without capabilities %s: byte flags, no negotiation', async (p, drop) => {
    const decoded = await record([`${plain}/`], { protocol: p, dropCapabilities: drop });
    expect(decoded.capture.compatFlags & 0x80).toBe(0);
    expect(decoded.capture.checksum).toBe('md5');
    expectSameAsServer(decoded);
    await expectSameAsFiles(decoded, plain);
  });

  it('reads many files in nested directories', async () => {
    const files: Record<string, string> = {};
    for (let index = 0; index < 1500; index++) {
      const depth = index % 4;
      const folder = Array.from({ length: depth }, (_, level) => `d${(index + level) % 7}`);
      files[[...folder, `f-${(index * 7919) % 10007}.log`].join('/')] = `${index}`;
    }
    const many = await tree('many', files);
    for (const protocol of [27, 29, 32]) {
      const decoded = await record([`${many}/`], { protocol });
      expect(decoded.list.entries.length).toBeGreaterThan(1500);
      expectSameAsServer(decoded);
    }
  });

  it('judges names: controls, backslashes, bad UTF-8, case and Unicode twins', async () => {
    const root = await tree('names', {
      'line\nbreak.log': 'newline',
      'back\\slash.log': 'backslash',
      README: 'upper',
      readme: 'lower',
      'café.log': 'composed',
      'cafe\u0301.log': 'decomposed',
      'Logs/inner.log': 'inner',
      'logs/other.log': 'other',
      'ok name.log': 'fine',
    });
    await writeFile(Buffer.from(path.join(root, 'bad-\xff.log'), 'latin1'), 'latin1');
    for (const protocol of [29, 32]) {
      const decoded = await record([`${root}/`], { protocol });
      expectSameAsServer(decoded);
      const { list } = decoded;
      expect(verdictOf(list, 'line\nbreak.log')).toMatchObject({ action: 'refused' });
      expect(verdictOf(list, 'back\\slash.log')).toMatchObject({ action: 'refused' });
      expect(verdictOf(list, 'README')).toEqual({ action: 'file', path: 'README' });
      expect(verdictOf(list, 'readme')).toMatchObject({ action: 'refused' });
      expect(verdictOf(list, 'cafe\u0301.log')).toEqual({ action: 'file', path: 'cafe\u0301.log' });
      expect(verdictOf(list, 'café.log')?.action).toBe('refused');
      expect(verdictOf(list, 'Logs')).toMatchObject({ action: 'directory' });
      expect(verdictOf(list, 'logs')).toMatchObject({ action: 'refused' });
      expect(verdictOf(list, 'logs/other.log')).toMatchObject({ action: 'refused' });
      expect(verdictOf(list, 'ok name.log')).toEqual({ action: 'file', path: 'ok name.log' });
      const bad = list.entries.find((entry) => entry.nameBytes.includes(0xff));
      expect(bad?.verdict).toEqual({ action: 'refused', reason: 'the name is not valid UTF-8' });
    }
  });

  it.each(PROTOCOLS)('protocol %i: links, FIFOs, sockets and devices are skipped', async (p) => {
    const root = await tree(`special-${p}`, { 'target.log': 'target' });
    await symlink('target.log', path.join(root, 'link'));
    await symlink('/etc/passwd', path.join(root, 'escape'));
    execFileSync('mkfifo', [path.join(root, 'fifo')]);
    execFileSync('python3', [
      '-c',
      `import socket; socket.socket(socket.AF_UNIX).bind('${root}/sock')`,
    ]);
    if (isRoot) {
      execFileSync('mknod', [path.join(root, 'char'), 'c', '1', '3']);
      execFileSync('mknod', [path.join(root, 'block'), 'b', '259', '70000']);
    }
    const decoded = await record([`${root}/`], { protocol: p });
    expectSameAsServer(decoded);
    await expectSameAsFiles(decoded, root);
    const { list } = decoded;
    const link = list.entries.find((entry) => entry.name === 'link');
    expect(link).toMatchObject({ type: 'symlink', size: 10, verdict: { action: 'skipped' } });
    expect(link?.linkTarget?.toString()).toBe('target.log');
    expect(verdictOf(list, 'escape')).toMatchObject({ action: 'skipped' });
    expect(list.entries.find((entry) => entry.name === 'fifo')).toMatchObject({
      type: 'special',
      rdev: p < 31 ? { major: expect.any(Number), minor: 0 } : null,
      verdict: { action: 'skipped' },
    });
    expect(verdictOf(list, 'sock')).toMatchObject({ action: 'skipped' });
    if (isRoot) {
      const char = list.entries.find((entry) => entry.name === 'char');
      expect(char).toMatchObject({ type: 'device', rdev: { major: 1, minor: 3 }, size: 0 });
      const block = list.entries.find((entry) => entry.name === 'block');
      const minor = p < 28 ? 70000 & 0xfffff : 70000;
      expect(block).toMatchObject({ type: 'device', rdev: { major: 259, minor } });
    }
    expect(verdictOf(list, 'target.log')).toEqual({ action: 'file', path: 'target.log' });
  });

  it.each(PROTOCOLS)('protocol %i: hard links follow their leader', async (p) => {
    const root = await tree(`hard-${p}`, { 'a/first.log': 'shared', 'single.log': 'alone' });
    await link(path.join(root, 'a/first.log'), path.join(root, 'second.log'));
    await link(path.join(root, 'a/first.log'), path.join(root, 'a/third.log'));
    const decoded = await record([`${root}/`], { protocol: p }, ['-aH']);
    expectSameAsServer(decoded);
    await expectSameAsFiles(decoded, root);
    const { list } = decoded;
    const byName = (name: string) => list.entries.find((entry) => entry.name === name)!;
    // The group's first entry in sorted order leads it; the order changed with protocol 29.
    const leader = byName(p < 29 ? 'a/first.log' : 'second.log');
    expect(leader.hardLink?.leaderIndex).toBe(leader.index);
    expect(leader.verdict).toEqual({ action: 'file', path: leader.name });
    const members = ['a/first.log', 'a/third.log', 'second.log'].map(byName);
    for (const follower of members.filter((member) => member !== leader)) {
      expect(follower.hardLink).toEqual(leader.hardLink);
      expect(follower.verdict).toMatchObject({ action: 'skipped' });
      expect(follower.size).toBe(6);
    }
    expect(byName('single.log').hardLink).toBeNull();
    expect(byName('single.log').verdict.action).toBe('file');
  });

  it.each([
    [29, ''],
    [32, ''],
    [30, 'iu'],
    [32, '--numeric-ids'],
  ])('protocol %i %s: owners and their names', async (p, variant) => {
    const root = await tree(`owners-${p}-${variant}`, { 'mine.log': 'm', 'nobody.log': 'n' });
    if (isRoot) await chmod(root, 0o755);
    if (isRoot) execFileSync('chown', ['65534:65534', path.join(root, 'nobody.log')]);
    const numeric = variant === '--numeric-ids';
    const decoded = await record(
      [`${root}/`],
      { protocol: p, dropCapabilities: numeric ? 'i' : `i${variant.slice(1)}` },
      ['-a', ...(numeric ? ['--numeric-ids'] : [])],
    );
    expectSameAsServer(decoded);
    const { list } = decoded;
    const nobody = list.entries.find((entry) => entry.name === 'nobody.log')!;
    const stats = await lstat(path.join(root, 'nobody.log'));
    expect([nobody.uid, nobody.gid]).toEqual([stats.uid, stats.gid]);
    if (numeric) expect(list.users.size + list.groups.size).toBe(0);
    else if (isRoot) {
      expect(list.users.get(65534)).toBe('nobody');
      const zeroNamed = p >= 30 && variant === '';
      expect(list.users.get(0)).toBe(zeroNamed ? 'root' : undefined);
    }
  });

  it.each([
    [27, 'i', 'md4'],
    [29, 'i', 'md4'],
    [30, 'iv', 'md5'],
    [32, 'i', 'xxh128'],
  ])('protocol %i -c: whole-file checksums (%s)', async (p, drop, checksum) => {
    const root = await tree(`sums-${p}`, { 'a.log': 'alpha', 'b/c.log': 'gamma' });
    await symlink('a.log', path.join(root, 'link'));
    const decoded = await record([`${root}/`], { protocol: p, dropCapabilities: drop }, ['-ac']);
    expect(decoded.capture.checksum).toBe(checksum);
    expectSameAsServer(decoded);
    for (const entry of decoded.list.entries) {
      expect(entry.checksum?.length ?? 0).toBe(entry.type === 'regular' ? 16 : 0);
      if (checksum === 'md5' && entry.type === 'regular') {
        const content = entry.name === 'a.log' ? 'alpha' : 'gamma';
        expect(entry.checksum).toEqual(createHash('md5').update(content).digest());
      }
    }
  });

  it.each([27, 29, 30, 32])('protocol %i: sizes beyond 4 GiB', async (p) => {
    const root = await tree(`large-${p}`, { 'small.log': 's' });
    const big = path.join(root, 'big.log');
    await writeFile(big, '');
    await truncate(big, 5 * 2 ** 30 + 7);
    await utimes(big, 4_102_444_800, 4_102_444_800);
    const decoded = await record([`${root}/`], { protocol: p });
    expectSameAsServer(decoded);
    const entry = decoded.list.entries.find((candidate) => candidate.name === 'big.log');
    expect(entry).toMatchObject({ size: 5 * 2 ** 30 + 7, mtime: 4_102_444_800 });
  });

  it.each([30, 31, 32])('protocol %i -U: access times of non-directories', async (p) => {
    const root = await tree(`atimes-${p}`, { 'a.log': 'a', 'b.log': 'b', 'dir/c.log': 'c' });
    await utimes(path.join(root, 'a.log'), 1_600_000_000, 1_700_000_000);
    await utimes(path.join(root, 'b.log'), 1_600_000_000, 1_700_000_001);
    await utimes(path.join(root, 'dir/c.log'), 1_500_000_000, 1_700_000_002);
    const decoded = await record([`${root}/`], { protocol: p }, ['-aU']);
    expectSameAsServer(decoded);
    const atimes = Object.fromEntries(decoded.list.entries.map((e) => [e.name, e.atime]));
    expect(atimes).toMatchObject({ 'a.log': 1_600_000_000, 'b.log': 1_600_000_000 });
    expect(atimes).toMatchObject({ 'dir/c.log': 1_500_000_000, dir: null, '.': null });
  });

  it.each([28, 29, 32])(
    'protocol %i: duplicates keep their index and lose to directories',
    async (p) => {
      const one = await tree(`dupe-one-${p}`, { x: 'file x', y: 'y', 'same.log': 'first' });
      const two = await tree(`dupe-two-${p}`, { 'x/inside.log': 'in', 'same.log': 'second' });
      const decoded = await record([`${one}/`, `${two}/`], { protocol: p });
      expectSameAsServer(decoded);
      const { list } = decoded;
      const duplicates = list.entries.filter((entry) => entry.duplicate);
      expect(duplicates.length).toBe(3);
      const x = list.entries.filter((entry) => entry.name === 'x' && !entry.duplicate);
      expect(x).toMatchObject([{ type: 'directory', verdict: { action: 'directory' } }]);
      const same = list.entries.filter((entry) => entry.name === 'same.log' && !entry.duplicate);
      expect(same.map((entry) => entry.size)).toEqual([5]);
      expect(verdictOf(list, 'x/inside.log')).toEqual({ action: 'file', path: 'x/inside.log' });
    },
  );

  it('skips set-id and sticky entries and everything inside them', async () => {
    const root = await tree('set-id', { tool: '#!', 'shared/inside.log': 'x', 'ok.log': 'ok' });
    await chmod(path.join(root, 'tool'), 0o4755);
    await chmod(path.join(root, 'shared'), 0o1777);
    const decoded = await record([`${root}/`], { protocol: 32 });
    expectSameAsServer(decoded);
    const { list } = decoded;
    expect(verdictOf(list, 'tool')).toMatchObject({ action: 'skipped' });
    expect(verdictOf(list, 'shared')).toMatchObject({ action: 'skipped' });
    expect(verdictOf(list, 'shared/inside.log')).toMatchObject({ action: 'refused' });
    expect(verdictOf(list, 'ok.log')).toEqual({ action: 'file', path: 'ok.log' });
  });

  it.each([
    [29, 'i'],
    [30, 'iv'],
    [31, 'i'],
    [30, 'ivf'],
  ])('protocol %i without %s: the sender’s I/O error', async (p, drop) => {
    const root = await tree(`io-error-${p}-${drop}`, { 'ok.log': 'ok' });
    await symlink('missing', path.join(root, 'dangling'));
    const destination = path.join(work, `destination-${counter++}`);
    const capture = await captureRsyncPush(work, [`${root}/`], destination, {
      protocol: p,
      dropCapabilities: drop,
      args: ['-n', '-rL'],
    });
    expect(capture.exitCode).toBe(23);
    const list = await readFileList(
      fileListSource(capture),
      fileListOptionsFor(capture),
      DEFAULT_FILE_LIST_LIMITS,
    );
    expect(names(list)).toEqual(['.', 'ok.log']);
    const outOfBand = drop === 'ivf';
    expect(list.ioError).toBe(outOfBand ? 0 : 1);
    // Without the safe list end, protocol 30 reports the error as MSG_IO_ERROR (22).
    expect(capture.clientMessages.some((message) => message.tag === 22)).toBe(outOfBand);
  });

  it('relative paths lose their leading slash only after sorting', async () => {
    const root = await tree('relative', { 'a/b.log': 'b', 'a/c/d.log': 'd' });
    const decoded = await record([`${root}/a/c`, `${root}/./a/b.log`], { protocol: 32 }, ['-aR']);
    expectSameAsServer(decoded);
    expect(decoded.capture.clientData.includes(`/${root.slice(1).split('/')[0]!}`)).toBe(true);
    const parts = root.slice(1).split('/');
    const prefixes = parts.map((_, depth) => parts.slice(0, depth + 1).join('/'));
    const inside = `${prefixes.at(-1)}/a`;
    // Sorted while `/tmp…` still had its slash, which sorts before any letter.
    expect(names(decoded.list)).toEqual([
      ...prefixes,
      inside,
      `${inside}/c`,
      `${inside}/c/d.log`,
      'a',
      'a/b.log',
    ]);
    const { list } = decoded;
    expect(verdictOf(list, 'a/b.log')).toEqual({ action: 'file', path: 'a/b.log' });
    // The temporary directory's sticky bit keeps it, and so all it holds, out of the area.
    expect(verdictOf(list, prefixes[0]!)).toMatchObject({ action: 'skipped' });
    expect(verdictOf(list, `${inside}/c/d.log`)).toMatchObject({ action: 'refused' });
  });

  it('skips the filter rules a deleting client sends first', async () => {
    const decoded = await record([`${plain}/`], { protocol: 31 }, [
      '-a',
      '--delete',
      '--exclude=*.tmp',
    ]);
    expect(decoded.capture.fileListOffset).toBeGreaterThan(4);
    expectSameAsServer(decoded);
  });
});

/** Hand-made lists: one entry per call, in the encoding of a protocol. */
class ListWriter {
  private readonly parts: Buffer[] = [];

  constructor(private readonly options: FileListOptions) {}

  flags(value: number): this {
    const { protocol, varintFlags } = this.options;
    if (varintFlags) return this.push(encodeVarint(value));
    if (protocol >= 28 && value > 0xff) return this.push(encodeUint16(value | Xmit.extendedFlags));
    return this.push(Buffer.of(value));
  }

  /** A plain entry: name, length, time and mode, with `flags` for anything else. */
  entry(name: string | Buffer, mode = 0o100644, flags = 0, size = 1): this {
    const bytes = Buffer.isBuffer(name) ? name : Buffer.from(name);
    this.flags(flags || Xmit.topDir).push(Buffer.of(bytes.length), bytes);
    return this.sized(size).time(1_700_000_000).push(encodeInt32(mode));
  }

  sized(size: number): this {
    return this.push(this.options.protocol < 30 ? encodeLongint(size) : encodeVarlong(size, 3));
  }

  time(seconds: number): this {
    return this.push(this.options.protocol < 30 ? encodeInt32(seconds) : encodeVarlong(seconds, 4));
  }

  end(): this {
    if (this.options.varintFlags) return this.push(encodeVarint(0), encodeVarint(0));
    this.push(Buffer.of(0));
    return this.options.protocol < 30 ? this.push(encodeInt32(0)) : this;
  }

  push(...parts: Buffer[]): this {
    this.parts.push(...parts);
    return this;
  }

  source(): BufferSource {
    return new BufferSource(Buffer.concat(this.parts));
  }
}

const modern: FileListOptions = {
  protocol: 32,
  varintFlags: true,
  safeFileList: true,
  idZeroNames: true,
  preserveLinks: false,
  preserveDevices: false,
  preserveSpecials: false,
  preserveHardLinks: false,
  preserveUid: false,
  preserveGid: false,
  preserveAtimes: false,
  preserveCrtimes: false,
  alwaysChecksum: false,
  checksumLength: 16,
  numericIds: false,
  relativePaths: false,
};
const old: FileListOptions = {
  ...modern,
  protocol: 29,
  varintFlags: false,
  safeFileList: false,
  idZeroNames: false,
};

const readList = (
  writer: ListWriter,
  options: FileListOptions,
  limits: FileListLimits = DEFAULT_FILE_LIST_LIMITS,
): Promise<FileList> => readFileList(writer.source(), options, limits);

async function expectRefusal(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RsyncError);
  expect((error as RsyncError).message).toMatch(message);
}

describe('file-list names', () => {
  it.each([
    ['a//b/./c/', 'a/b/c'],
    ['./x', 'x'],
    ['./', '.'],
    ['.', '.'],
    ['a/.', 'a/.'],
    ['//abs//x', '/abs/x'],
    ['/', '/'],
    ['a/../b', 'a/../b'],
    ['', ''],
  ])('cleans %j to %j as the rsync receiver does', (raw, cleaned) => {
    expect(cleanName(Buffer.from(raw)).toString()).toBe(cleaned);
  });

  it.each([
    ['logs/app.log', true],
    ['.', true],
    ['/etc/passwd', false],
    ['a/../b', false],
    ['..', false],
    ['a/.', false],
    ['...', false],
    ['back\\slash', false],
    ['tab\there', false],
    ['bidi\u202egol.exe', false],
    ['c1\u0085', false],
    [`${'x'.repeat(256)}/y`, false],
    [`${'x'.repeat(255)}/y`, true],
    ['caf\u00e9 ✓.log', true],
  ])('%j may be created: %s', (name, allowed) => {
    expect(checkName(Buffer.from(name)).ok).toBe(allowed);
  });

  it('refuses bytes that are not UTF-8, overlong forms included', () => {
    expect(checkName(Buffer.from([0x61, 0xc0, 0xaf])).ok).toBe(false);
    expect(checkName(Buffer.from([0xed, 0xa0, 0x80])).ok).toBe(false);
  });
});

const item = (name: string, directory = false): SortItem => ({
  ...splitName(Buffer.from(name)),
  directory,
  active: true,
});

describe('rsync name order', () => {
  it('puts "." first, files before directories, directories before their contents', () => {
    const items = [
      item('b', true),
      item('b/x'),
      item('a.txt'),
      item('.', true),
      item('b/a', true),
      item('-'),
    ];
    sortNames(items, 32);
    const order = items.map((entry) => entry.basename.toString());
    expect(order).toEqual(['.', '-', 'a.txt', 'b', 'x', 'a']);
  });

  it('compares directories and files of one name as equal only before protocol 29', () => {
    expect(compareNames(item('x', true), item('x'), 28)).toBe(0);
    expect(compareNames(item('x', true), item('x'), 29)).toBeGreaterThan(0);
    expect(compareNames(item('a/.', true), item('a', true), 32)).toBe(0);
    expect(compareNames(item('a', true), item('a/b'), 32)).toBeLessThan(0);
  });

  it('drops a file that a later directory of its name shadows, keeping positions', () => {
    const items = [item('.', true), item('x'), item('y'), item('x', true), item('x/in')];
    sortNames(items, 32);
    dropDuplicates(items, 32);
    expect(items.map((entry) => [entry.basename.toString(), entry.active])).toEqual([
      ['.', true],
      ['x', false],
      ['y', true],
      ['x', true],
      ['in', true],
    ]);
  });

  it('keeps the first of equal names: a stable sort', () => {
    const first = item('same');
    const second = item('same');
    const items = [item('z'), first, second, item('a')];
    sortNames(items, 32);
    dropDuplicates(items, 32);
    expect(items.filter((entry) => entry.active).length).toBe(3);
    expect(first.active).toBe(true);
    expect(second.active).toBe(false);
  });
});

describe('hand-made file lists', () => {
  it('reads byte flags, two-byte flags and shared name prefixes', async () => {
    const writer = new ListWriter(old)
      .entry('.', 0o40755)
      .entry('logs', 0o40755)
      .flags(Xmit.sameName | Xmit.sameTime | Xmit.sameMode)
      .push(Buffer.of(4, 4), Buffer.from('/a.1'))
      .sized(12)
      .end();
    const list = await readList(writer, old);
    expect(names(list)).toEqual(['.', 'logs', 'logs/a.1']);
    expect(list.entries[2]).toMatchObject({ mode: 0o40755, size: 12, mtime: 1_700_000_000 });
  });

  it('copies a protocol-30 hard link from its leader', async () => {
    const options = { ...modern, preserveHardLinks: true };
    const first = Xmit.hardLinked | Xmit.hardLinkFirst;
    const writer = new ListWriter(options)
      .entry('b.log', 0o100600, first, 77)
      .flags(Xmit.hardLinked)
      .push(Buffer.of(5), Buffer.from('a.log'), encodeVarint(0))
      .end();
    const list = await readList(writer, options);
    expect(list.entries.map((entry) => [entry.name, entry.size, entry.verdict.action])).toEqual([
      ['a.log', 77, 'file'],
      ['b.log', 77, 'skipped'],
    ]);
  });

  it.each([
    ['a hard link to an entry that leads none', Xmit.hardLinked, /leads no hard links/],
    ['a NUL byte in a name', 0, /NUL/],
  ])('refuses %s', async (_, flags, message) => {
    const name = flags === 0 ? Buffer.from('a\0b') : Buffer.from('x');
    const writer = new ListWriter(modern).entry('plain', 0o100644);
    writer.flags(flags || Xmit.topDir).push(Buffer.of(name.length), name, encodeVarint(0));
    await expectRefusal(readList(writer, modern), message);
  });

  it('refuses a shared prefix longer than the previous name', async () => {
    const writer = new ListWriter(modern)
      .entry('ab')
      .flags(Xmit.sameName)
      .push(Buffer.of(3, 1), Buffer.from('c'));
    await expectRefusal(readList(writer, modern), /reuses 3 bytes/);
  });

  it.each([
    ['mode 0', 0, /invalid file mode/],
    ['"." as a file', 0o100644, /not a directory/],
  ])('refuses %s', async (_, mode, message) => {
    const writer = new ListWriter(modern).entry('.', mode).end();
    await expectRefusal(readList(writer, modern), message);
  });

  it('refuses a negative length', async () => {
    const writer = new ListWriter(old).entry('minus', 0o100644, 0, -5).end();
    await expectRefusal(readList(writer, old), /negative/);
  });

  it('ends with an error code only where the safe list end was agreed', async () => {
    const ending = (options: FileListOptions) =>
      new ListWriter(options).entry('a').flags(Xmit.ioErrorEndList).push(encodeVarint(3));
    await expectRefusal(readList(ending(old), old), /invalid file-list flags/);
    const safe = { ...old, protocol: 31, safeFileList: true };
    expect((await readList(ending(safe), safe)).ioError).toBe(3);
  });

  it('keeps names that rsync would drop or abort on, and refuses them', async () => {
    const options = { ...modern, relativePaths: false };
    const writer = new ListWriter(options)
      .entry('', 0o100644)
      .entry('/etc/shadow')
      .entry('../up')
      .entry('ok')
      .end();
    const list = await readList(writer, options);
    expect(list.entries.map((entry) => [entry.name, entry.verdict.action])).toEqual([
      ['', 'refused'],
      ['ok', 'file'],
      ['../up', 'refused'],
      ['/etc/shadow', 'refused'],
    ]);
  });

  it('refuses names inside files and names that differ only in case or form', async () => {
    const writer = new ListWriter(modern)
      .entry('Data', 0o40755)
      .entry('Data/x.log')
      .entry('data', 0o40755)
      .entry('data/y.log')
      .entry('file')
      .entry('file/inner')
      .entry('nested/deep/one.log')
      .entry('NESTED/two.log')
      .end();
    const list = await readList(writer, modern);
    const verdicts = Object.fromEntries(list.entries.map((e) => [e.name, e.verdict.action]));
    expect(verdicts).toEqual({
      Data: 'directory',
      'Data/x.log': 'file',
      data: 'refused',
      'data/y.log': 'refused',
      file: 'file',
      'file/inner': 'refused',
      'NESTED/two.log': 'file',
      'nested/deep/one.log': 'refused',
    });
  });

  it('reads creation times, equal to the modification time or sent apart', async () => {
    const options = { ...modern, preserveCrtimes: true };
    const writer = new ListWriter(options)
      .flags(Xmit.topDir | Xmit.crtimeEqMtime)
      .push(Buffer.of(1), Buffer.from('a'))
      .sized(1)
      .time(1_700_000_000)
      .push(encodeInt32(0o100644))
      .flags(Xmit.sameMode)
      .push(Buffer.of(1), Buffer.from('b'))
      .sized(2)
      .time(1_700_000_005)
      .push(encodeVarlong(1_600_000_000, 4))
      .end();
    const list = await readList(writer, options);
    expect(list.entries.map((entry) => entry.crtime)).toEqual([1_700_000_000, 1_600_000_000]);
  });

  it('keeps user and group names from the id lists', async () => {
    const options = { ...old, preserveUid: true, preserveGid: true };
    const writer = new ListWriter(options)
      .entry('a')
      .push(encodeInt32(1000), encodeInt32(100))
      .push(Buffer.of(0))
      .push(encodeInt32(1000), Buffer.of(4), Buffer.from('anna'), encodeInt32(0))
      .push(encodeInt32(100), Buffer.of(5), Buffer.from('users'), encodeInt32(0))
      .push(encodeInt32(0));
    const list = await readList(writer, options);
    expect(list.entries[0]).toMatchObject({ uid: 1000, gid: 100 });
    expect([...list.users]).toEqual([[1000, 'anna']]);
    expect([...list.groups]).toEqual([[100, 'users']]);
  });

  it('refuses an id list longer than the file list', async () => {
    const options = { ...old, preserveUid: true };
    const writer = new ListWriter(options).entry('a').push(encodeInt32(7), Buffer.of(0));
    for (let id = 1; id < 4; id++) writer.push(encodeInt32(id), Buffer.of(1), Buffer.from('u'));
    await expectRefusal(readList(writer, options), /more owners than there are files/);
  });
});

describe('file-list limits', () => {
  const small: FileListLimits = { maxFiles: 50, maxNameBytes: 4096, maxTotalBytes: 64 * 1024 };

  it('refuses more entries than allowed', async () => {
    const writer = new ListWriter(modern);
    for (let index = 0; index < 51; index++) writer.entry(`f${index}`);
    await expectRefusal(readList(writer.end(), modern, small), /^tmsp: .*more than 50 entries/);
  });

  it('refuses names longer than allowed', async () => {
    const writer = new ListWriter(modern)
      .flags(Xmit.longName)
      .push(encodeVarint(5000), Buffer.alloc(5000, 0x61));
    await expectRefusal(readList(writer, modern), /^tmsp: a file name is longer than 4095/);
  });

  it('bounds what shared prefixes inflate: 5 wire bytes may hold 256 of name', async () => {
    const writer = new ListWriter(modern)
      .flags(Xmit.longName)
      .push(encodeVarint(4000), Buffer.alloc(4000, 0x61))
      .sized(0)
      .time(0)
      .push(encodeInt32(0o100644));
    for (let index = 0; index < 400; index++) {
      const flags = Xmit.sameName | Xmit.sameTime | Xmit.sameMode;
      writer
        .flags(flags)
        .push(Buffer.of(255, 1, 0x30 + (index % 10)))
        .sized(0);
    }
    const roomy = { ...small, maxFiles: 1000 };
    await expectRefusal(readList(writer.end(), modern, roomy), /^tmsp: .*holds more than 65536/);
  });
});

interface Variant {
  label: string;
  options: FileListOptions;
}

const VARIANTS: Variant[] = [27, 28, 29, 30, 31, 32].flatMap((protocol) => {
  const all = {
    ...modern,
    protocol,
    varintFlags: protocol >= 30,
    safeFileList: protocol >= 31,
    preserveLinks: true,
    preserveDevices: true,
    preserveSpecials: true,
    preserveHardLinks: true,
    preserveUid: true,
    preserveGid: true,
    alwaysChecksum: true,
  };
  return [
    { label: `${protocol} plain`, options: { ...modern, ...old, protocol, varintFlags: false } },
    { label: `${protocol} everything`, options: all },
  ];
});

const fuzzLimits: FileListLimits = { maxFiles: 200, maxNameBytes: 4096, maxTotalBytes: 256 * 1024 };

/** Reads to the end or to an RsyncError; anything else fails the property. */
async function survives(bytes: Buffer, options: FileListOptions): Promise<void> {
  await readFileList(new BufferSource(bytes), options, fuzzLimits).catch((error: unknown) => {
    if (!(error instanceof RsyncError)) throw error;
  });
}

describe('file-list fuzzing', () => {
  it('turns random bytes into a list or an RsyncError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...VARIANTS),
        fc.uint8Array({ maxLength: 600 }),
        async (variant, bytes) => survives(Buffer.from(bytes), variant.options),
      ),
      { numRuns: 1500 },
    );
  });

  it('turns mutated recordings into a list or an RsyncError', async () => {
    const root = await tree('fuzz-seed', {
      'a.log': 'alpha',
      'dir/b.log': 'beta',
      'dir/sub/c.log': 'gamma',
      'unicodé.log': 'u',
    });
    await link(path.join(root, 'a.log'), path.join(root, 'dir/hard.log'));
    await symlink('a.log', path.join(root, 'link'));
    execFileSync('mkfifo', [path.join(root, 'fifo')]);
    const seeds: { bytes: Buffer; options: FileListOptions }[] = [];
    for (const [protocol, drop] of [
      [27, 'i'],
      [29, 'i'],
      [30, 'iv'],
      [32, 'i'],
    ] as const) {
      const capture = await captureRsyncPush(work, [`${root}/`], path.join(work, `fz${protocol}`), {
        protocol,
        dropCapabilities: drop,
        args: ['-n', '-aHc'],
      });
      const bytes = capture.clientData.subarray(capture.fileListOffset);
      seeds.push({ bytes, options: fileListOptionsFor(capture) });
    }
    const mutation = fc.oneof(
      fc.record({
        kind: fc.constant('flip'),
        at: fc.nat(),
        value: fc.integer({ min: 0, max: 255 }),
      }),
      fc.record({ kind: fc.constant('cut'), at: fc.nat(), value: fc.constant(0) }),
      fc.record({ kind: fc.constant('drop'), at: fc.nat(), value: fc.integer({ min: 1, max: 8 }) }),
      fc.record({
        kind: fc.constant('insert'),
        at: fc.nat(),
        value: fc.integer({ min: 0, max: 255 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...seeds),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        async (seed, mutations) => {
          let bytes: Buffer = Buffer.from(seed.bytes);
          for (const { kind, at, value } of mutations) bytes = mutate(bytes, kind, at, value);
          await survives(bytes, seed.options);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

function mutate(bytes: Buffer, kind: string, at: number, value: number): Buffer {
  const where = bytes.length === 0 ? 0 : at % bytes.length;
  switch (kind) {
    case 'flip':
      return Buffer.concat([bytes.subarray(0, where), Buffer.of(value), bytes.subarray(where + 1)]);
    case 'cut':
      return bytes.subarray(0, where);
    case 'drop':
      return Buffer.concat([bytes.subarray(0, where), bytes.subarray(where + value)]);
    default:
      return Buffer.concat([bytes.subarray(0, where), Buffer.of(value), bytes.subarray(where)]);
  }
}
