import { spawn } from 'node:child_process';
import { access, chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { FileListOptions } from '../../src/rsync/file-list.js';
import { BufferSource } from '../../src/rsync/wire.js';

/**
 * Records real rsync sessions on this machine: the Debian rsync client pushes to the real
 * `rsync --server` through a remote-shell script that only copies both byte streams to files
 * (`rsync -e SCRIPT … capture:DEST`). The recordings show exactly what an appliance sends a
 * receiving server, for decoding tests and as seeds for fuzzing.
 */

export interface CaptureOptions {
  /** The client's `--protocol`; the newest when left out. */
  protocol?: number;
  /** Client options before the sources, such as `['-a', '-H']`. */
  args?: string[];
  /**
   * Capability letters taken out of the server's `-e.` option, as a server that does not
   * support them would ignore them. The default `i` keeps incremental recursion off, as TMSP
   * does; `iv` also turns off varint flags and checksum negotiation; `ivf` the safe list end.
   */
  dropCapabilities?: string;
  /** Makes the real server print its sorted list (`--debug=FLIST3`); on by default. */
  serverListing?: boolean;
  timeoutMs?: number;
}

export interface RsyncCapture {
  /** The negotiated protocol. */
  protocol: number;
  /** What the server announced; 0 before protocol 30. */
  compatFlags: number;
  /** The remote command as the server ran it: `rsync --server … . DEST`. */
  serverArgs: string[];
  /** The negotiated (or implied) checksum name, which sets the `-c` sum length. */
  checksum: string;
  /** The raw byte streams. */
  clientToServer: Buffer;
  serverToClient: Buffer;
  /** The client's data after the handshake, out of its multiplexing from protocol 30. */
  clientData: Buffer;
  /** Where the file list starts in `clientData`, after any filter rules. */
  fileListOffset: number;
  /** Out-of-band messages the client sent (protocol 30+): tag and payload. */
  clientMessages: { tag: number; payload: Buffer }[];
  /** Everything the client printed, including the server's listing. */
  output: string;
  exitCode: number | null;
}

/**
 * The remote shell `rsync -e` runs: it drops the host argument, takes the dropped capability
 * letters out of the server's `-e.` option, and runs the real server between two `tee`s.
 */
function remoteShell(directory: string, drop: string): string {
  if (!/^[A-Za-z]*$/.test(drop)) throw new Error(`capability letters expected, not ${drop}`);
  const kept = drop === '' ? '${tail}' : `\${tail//[${drop}]/}`;
  return [
    '#!/bin/bash',
    'shift',
    'for arg in "$@"; do',
    '  case "$arg" in',
    `    -[!-]*e.*) head=\${arg%%e.*}; tail=\${arg#*e.}; arg="\${head}e.${kept}" ;;`,
    '  esac',
    '  set -- "$@" "$arg"; shift',
    'done',
    `printf '%s\\0' "$@" > '${directory}/args'`,
    // Process substitution: the script ends with the server, as ssh would, while the copy of
    // the client's stream finishes on its own and then leaves a marker.
    `"$@" < <(tee '${directory}/in'; : > '${directory}/in.done') | tee '${directory}/out'`,
    '',
  ].join('\n');
}

/**
 * Pushes `sources` (paths, as given to rsync) to a fresh `destination` through a recording
 * remote shell. `workDir` holds the script and the recordings.
 */
export async function captureRsyncPush(
  workDir: string,
  sources: string[],
  destination: string,
  options: CaptureOptions = {},
): Promise<RsyncCapture> {
  const recordings = path.join(workDir, `capture-${process.hrtime.bigint()}`);
  await mkdir(recordings, { recursive: true });
  await mkdir(destination, { recursive: true });
  const script = path.join(recordings, 'rsh.sh');
  await writeFile(script, remoteShell(recordings, options.dropCapabilities ?? 'i'));
  await chmod(script, 0o700);
  const args = [
    '-e',
    script,
    ...(options.protocol === undefined ? [] : [`--protocol=${options.protocol}`]),
    ...((options.serverListing ?? true) ? ['-M--debug=FLIST3'] : []),
    ...(options.args ?? []),
    ...sources,
    `capture:${destination}/`,
  ];
  const { code, output } = await run('rsync', args, options.timeoutMs ?? 60_000);
  await waitFor(path.join(recordings, 'in.done'));
  const clientToServer = await readFile(path.join(recordings, 'in'));
  const serverToClient = await readFile(path.join(recordings, 'out'));
  const argsText = await readFile(path.join(recordings, 'args'), 'utf8');
  const serverArgs = argsText.split('\0').slice(0, -1);
  const handshake = await decodeHandshake(clientToServer, serverToClient, serverArgs);
  return { ...handshake, output, exitCode: code };
}

function run(
  command: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LANG: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('latin1')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('latin1')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

async function waitFor(file: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (
      await access(file).then(
        () => true,
        () => false,
      )
    )
      return;
    await sleep(50);
  }
  throw new Error(`the recording ${file} never finished`);
}

const CF_SAFE_FLIST = 1 << 3;
const CF_VARINT_FLIST_FLAGS = 1 << 7;
const CF_ID0_NAMES = 1 << 8;

type Handshake = Omit<RsyncCapture, 'output' | 'exitCode'>;

/**
 * Splits the recorded streams as compat.c and main.c order them: versions; from protocol 30
 * the server's compat flags; with varint flags each side's checksum (and compression) lists;
 * the server's seed. Then the client's data, multiplexed from protocol 30, with the filter
 * rules first when the receiver asked for them.
 */
export async function decodeHandshake(
  clientToServer: Buffer,
  serverToClient: Buffer,
  serverArgs: string[],
): Promise<Handshake> {
  const flags = serverFlags(serverArgs);
  const protocol = Math.min(clientToServer.readInt32LE(0), serverToClient.readInt32LE(0));
  const server = new BufferSource(serverToClient.subarray(4));
  const compatFlags = protocol >= 30 ? await server.readVarint() : 0;
  const negotiating = (compatFlags & CF_VARINT_FLIST_FLAGS) !== 0;
  const lists = Number(!flags.long.has('--checksum-choice')) + Number(flags.compressNegotiated);
  const client = new BufferSource(clientToServer.subarray(4));
  let checksum = chosenChecksum(serverArgs) ?? (protocol >= 30 ? 'md5' : 'md4');
  if (negotiating && lists > 0) {
    const ours = (await readVstring(server)).split(' ');
    const theirs = new Set((await readVstring(client)).split(' '));
    if (!flags.long.has('--checksum-choice')) {
      checksum = ours.find((name) => theirs.has(name)) ?? checksum;
    }
    if (lists > 1) await readVstring(client);
  }
  const rest = clientToServer.subarray(4 + client.consumed);
  const { data, messages } = protocol >= 30 ? demultiplex(rest) : { data: rest, messages: [] };
  const fileListOffset = flags.receiverWantsFilters ? filterRulesLength(data) : 0;
  return {
    protocol,
    compatFlags,
    serverArgs,
    checksum,
    clientToServer,
    serverToClient,
    clientData: data,
    fileListOffset,
    clientMessages: messages,
  };
}

/** `--checksum-choice=TRANSFER[,FILE]`: the file-list sums use FILE. */
function chosenChecksum(serverArgs: string[]): string | null {
  const choice = serverArgs.find((arg) => arg.startsWith('--checksum-choice='));
  if (choice === undefined) return null;
  const names = choice.slice('--checksum-choice='.length).split(',');
  return names[names.length - 1] ?? null;
}

async function readVstring(source: BufferSource): Promise<string> {
  const first = await source.readByte();
  const length = first & 0x80 ? (first & 0x7f) * 0x100 + (await source.readByte()) : first;
  return (await source.readBytes(length)).toString('latin1');
}

/** The client→server frames of protocol 30+: 4-byte headers `(7 + tag) << 24 | length`. */
export function demultiplex(stream: Buffer): {
  data: Buffer;
  messages: { tag: number; payload: Buffer }[];
} {
  const data: Buffer[] = [];
  const messages: { tag: number; payload: Buffer }[] = [];
  let at = 0;
  while (at + 4 <= stream.length) {
    const header = stream.readUInt32LE(at);
    const tag = (header >>> 24) - 7;
    const payload = stream.subarray(at + 4, at + 4 + (header & 0xffffff));
    if (tag === 0) data.push(payload);
    else messages.push({ tag, payload });
    at += 4 + payload.length;
  }
  return { data: Buffer.concat(data), messages };
}

function filterRulesLength(data: Buffer): number {
  let at = 0;
  for (let length = data.readInt32LE(0); length !== 0; length = data.readInt32LE(at)) {
    at += 4 + length;
  }
  return at + 4;
}

interface ServerFlags {
  short: Set<string>;
  long: Set<string>;
  capabilities: string;
  compressNegotiated: boolean;
  receiverWantsFilters: boolean;
}

/** The options of `rsync --server -logDtpre.LsfxCIvu --numeric-ids . DEST`. */
export function serverFlags(serverArgs: string[]): ServerFlags {
  const short = new Set<string>();
  const long = new Set<string>();
  let capabilities = '';
  for (const arg of serverArgs.slice(1)) {
    if (arg.startsWith('--')) long.add(arg.split('=')[0] as string);
    else if (arg.startsWith('-')) {
      const [letters = '', flags] = arg.slice(1).split(/e(?=\.)/);
      for (const letter of letters) short.add(letter);
      if (flags !== undefined) capabilities = flags.slice(1);
    }
  }
  const compress = short.has('z') || long.has('--compress');
  return {
    short,
    long,
    capabilities,
    compressNegotiated: compress && !long.has('--compress-choice'),
    receiverWantsFilters: short.has('m') || [...long].some((name) => name.startsWith('--del')),
  };
}

const CHECKSUM_LENGTHS = new Map([
  ['xxh128', 16],
  ['xxh3', 8],
  ['xxh64', 8],
  ['xxhash', 8],
  ['md5', 16],
  ['md4', 16],
  ['sha1', 20],
  ['none', 1],
]);

/** The file-list options the recorded session implies, read from the server's arguments. */
export function fileListOptionsFor(capture: RsyncCapture): FileListOptions {
  const { short, long } = serverFlags(capture.serverArgs);
  const { protocol, compatFlags } = capture;
  const devices = short.has('D') || long.has('--devices');
  return {
    protocol,
    varintFlags: (compatFlags & CF_VARINT_FLIST_FLAGS) !== 0,
    safeFileList: protocol >= 31 || (compatFlags & CF_SAFE_FLIST) !== 0,
    idZeroNames: (compatFlags & CF_ID0_NAMES) !== 0,
    preserveLinks: short.has('l'),
    preserveDevices: devices,
    preserveSpecials: (devices && !long.has('--no-specials')) || long.has('--specials'),
    preserveHardLinks: short.has('H'),
    preserveUid: short.has('o'),
    preserveGid: short.has('g'),
    preserveAtimes: short.has('U'),
    preserveCrtimes: short.has('N'),
    alwaysChecksum: short.has('c'),
    checksumLength: CHECKSUM_LENGTHS.get(capture.checksum) ?? 16,
    numericIds: long.has('--numeric-ids'),
    relativePaths: short.has('R'),
  };
}

/** The file list's bytes and what follows them, ready for `readFileList`. */
export const fileListSource = (capture: RsyncCapture): BufferSource =>
  new BufferSource(capture.clientData.subarray(capture.fileListOffset));

export interface ListedByServer {
  index: number;
  /** As rsync prints it: directories end in `/`, other bytes than printable ASCII escaped. */
  name: string;
  mode: number;
  size: number;
}

/** The real server's own sorted list, from its `--debug=FLIST3` lines. */
export function serverListing(output: string): ListedByServer[] {
  const line = /\[(?:receiver|generator)\] i=(\d+) (?:-?\d+)? (.*?) mode=0([0-7]*) len=([\d,]+)/gi;
  const listed = new Map<number, ListedByServer>();
  for (const match of output.matchAll(line)) {
    const [, index, name, mode, size] = match as unknown as string[];
    const entry = {
      index: Number(index),
      name: name as string,
      mode: parseInt(mode || '0', 8),
      size: Number((size as string).replaceAll(',', '')),
    };
    if (!listed.has(entry.index)) listed.set(entry.index, entry);
  }
  return [...listed.values()].sort((first, second) => first.index - second.index);
}
