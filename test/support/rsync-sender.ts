import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { Duplex, PassThrough } from 'node:stream';

import { ApplianceArea, type StoredFile } from '../../src/logserver/area.js';
import { type ChecksumName, fileDigest } from '../../src/rsync/checksums.js';
import { RsyncError } from '../../src/rsync/errors.js';
import { sortNames } from '../../src/rsync/file-list-sort.js';
import { Xmit } from '../../src/rsync/file-list-wire.js';
import { cleanName, splitName } from '../../src/rsync/file-names.js';
import { ITEM_TRANSFER } from '../../src/rsync/generator.js';
import { CompatFlag } from '../../src/rsync/handshake.js';
import { DEFAULT_PUSH_LIMITS, type PushLimits } from '../../src/rsync/limits.js';
import { MessageCode, PeerInput, PeerOutput } from '../../src/rsync/multiplex.js';
import { NDX_DONE, NdxReader, NdxWriter } from '../../src/rsync/ndx.js';
import { parseServerArgs, receivesFilterList } from '../../src/rsync/server-options.js';
import type { ReceiveSink } from '../../src/rsync/sink.js';
import { type PushSummary, endWithError, receivePush, sessionIo } from '../../src/rsync/session.js';
import { type SumHead, encodeSumHead, readSumHead } from '../../src/rsync/sum-head.js';
import {
  encodeInt32,
  encodeLongint,
  encodeUint16,
  encodeVarint,
  encodeVarlong,
} from '../../src/rsync/wire.js';

/**
 * A test-only rsync sender: the client side of a push, just far enough to hand the receive
 * engine crafted file lists and crafted answers (version, compat flags, checksum negotiation,
 * seed, file list, literal data for each request, the end-of-run exchange). It runs against
 * `receivePush` over an in-memory pipe and decodes every message the server frames for the
 * client, as the real client would print them.
 */

/** Two connected duplex streams: what one side writes, the other reads. */
export function duplexPair(): [Duplex, Duplex] {
  const aToB = new PassThrough();
  const bToA = new PassThrough();
  return [
    Duplex.from({ readable: bToA, writable: aToB }),
    Duplex.from({ readable: aToB, writable: bToA }),
  ];
}

/** How a server run ended: a summary, an RsyncError the client heard, or anything else (a bug). */
export interface ServerOutcome {
  summary: PushSummary | null;
  error: RsyncError | null;
  crash: unknown;
}

/** The engine as the doors run it, on any duplex: errors go to the client, then the stream ends. */
export async function serveStream(
  stream: Duplex,
  args: string[],
  area: ReceiveSink,
  limits: PushLimits = DEFAULT_PUSH_LIMITS,
): Promise<ServerOutcome> {
  const io = sessionIo(stream, () => undefined);
  const outcome: ServerOutcome = { summary: null, error: null, crash: null };
  try {
    outcome.summary = await receivePush(io, parseServerArgs(args), area, limits);
  } catch (error) {
    if (error instanceof RsyncError) {
      outcome.error = error;
      if (io.output.isMultiplexed) await endWithError(io, error);
    } else {
      outcome.crash = error;
    }
  } finally {
    stream.end();
  }
  return outcome;
}

/** An area under `work/area`, recording what it stores. */
export function testArea(work: string): { area: ApplianceArea; stored: StoredFile[] } {
  const stored: StoredFile[] = [];
  const area = new ApplianceArea({
    root: path.join(work, 'area'),
    onStored: (file) => {
      stored.push(file);
      return Promise.resolve();
    },
  });
  return { area, stored };
}

/** What an area holds at its top: everything a push creates is inside one of these. */
const AREA_FOLDERS = ['logs', 'incoming', 'partial'];

/**
 * What is wrong with a work directory after a push: anything beside `area` (and the names in
 * `alsoThere`, such as the harness's socket), anything in the area outside its three folders,
 * anything that is neither a regular file nor a directory, set-id or sticky modes, and
 * leftovers in `incoming/`. Empty when all is well.
 */
export async function treeProblems(work: string, alsoThere: string[] = []): Promise<string[]> {
  const problems: string[] = [];
  for (const name of await readdir(work)) {
    if (name !== 'area' && !alsoThere.includes(name)) problems.push(`outside the area: ${name}`);
  }
  const walk = async (directory: string, relative: string): Promise<void> => {
    for (const name of await readdir(directory).catch(() => [])) {
      const full = path.join(directory, name);
      const shown = relative === '' ? name : `${relative}/${name}`;
      if (relative === '' && !AREA_FOLDERS.includes(name)) problems.push(`outside logs: ${name}`);
      const stat = await lstat(full);
      if (stat.mode & 0o7000) problems.push(`set-id or sticky: ${shown}`);
      if (stat.isDirectory()) await walk(full, shown);
      else if (!stat.isFile()) problems.push(`not a regular file: ${shown}`);
      else if (shown.startsWith('incoming/')) problems.push(`left behind: ${shown}`);
    }
  };
  await walk(path.join(work, 'area'), '');
  return problems;
}

/** One entry of a crafted list. */
export interface CraftedEntry {
  name: string | Buffer;
  /** The whole st_mode; a regular file with mode 0644 when left out. */
  mode?: number;
  /** The size the list claims; the data's length when left out. */
  size?: number;
  mtime?: number;
  /** What the sender sends when the server asks for the file. */
  data?: Buffer;
  /** A symbolic link's target (sent with -l). */
  target?: string | Buffer;
  /** A device's number (sent with -D). */
  rdev?: { major: number; minor: number };
  /** Protocol 30+ hard links (-H): `lead` opens a group, a number is the leader's position. */
  hardLink?: 'lead' | number;
}

/** A generator request as the sender read it. */
export interface SeenRequest {
  ndx: number;
  iflags: number;
  head: SumHead;
  entry: CraftedEntry | undefined;
}

/** What a crafted answer may use: the raw output, and the honest pieces of an answer. */
export interface AnswerTools {
  output: PeerOutput;
  /** The index, item flags and sum header as the server expects them echoed. */
  header(head?: SumHead): void;
  /** Literal tokens of at most 32 KiB each, then the end token. */
  literal(data: Buffer): void;
  /** The whole-file digest of `data` in the session's checksum. */
  digest(data: Buffer): void;
  flush(): Promise<void>;
}

export interface SenderScript {
  protocol?: number;
  /** The server's option word as a client sends it. */
  options?: string;
  /** Long options between the option word and `.`. */
  longOptions?: string[];
  entries?: CraftedEntry[];
  /** Writes list entries itself (a list too long to hold); `true` from `stop()` ends it. */
  writeList?: (list: ListWriter, stopped: () => boolean) => Promise<void>;
  /** Replaces the honest answer to a request; return false to stop sending (end of stream). */
  answer?: (request: SeenRequest, tools: AnswerTools) => Promise<boolean>;
  /** An answer sent right after the list, before the server asked for anything. */
  earlyAnswer?: { ndx: number; head: SumHead; data: Buffer };
  /** The filter list's bytes, sent when the options make the server read one (--delete, -m). */
  filterRules?: Buffer;
}

/** Filter rules as rsync sends them: each with an int32 length, then a 0. */
export function filterList(rules: string[]): Buffer {
  const parts = rules.flatMap((rule) => [encodeInt32(Buffer.byteLength(rule)), Buffer.from(rule)]);
  return Buffer.concat([...parts, encodeInt32(0)]);
}

/** A message the server framed for the client: what rsync would print, and the exit code. */
export interface ClientMessage {
  code: number;
  text: string;
}

export interface SenderResult {
  messages: ClientMessage[];
  /** The server's MSG_ERROR_EXIT (protocol 31+), if it sent one. */
  exitCode: number | null;
  /** Whether the run reached the server's last NDX_DONE. */
  completed: boolean;
  /** Why the sender stopped early, if it did (usually the server closing the connection). */
  stoppedBy: string | null;
  requests: SeenRequest[];
}

export const DEFAULT_OPTIONS = '-lDtpre.iLsfxCIvu';
const DEFAULT_MTIME = 1_700_000_000;

/** The server's command-line arguments for a script, as `parseServerArgs` takes them. */
export function serverArgs(script: SenderScript): string[] {
  return ['--server', script.options ?? DEFAULT_OPTIONS, ...(script.longOptions ?? []), '.', '.'];
}

/** Encodes list entries as rsync's send_file_entry does, for the options the server read. */
export class ListWriter {
  private lastName: Buffer = Buffer.alloc(0);
  private lastMode = -1;
  private lastMtime = -1;
  count = 0;

  constructor(
    readonly output: PeerOutput,
    private readonly protocol: number,
    private readonly varintFlags: boolean,
    private readonly letters: string,
  ) {}

  entry(entry: CraftedEntry): void {
    const name = Buffer.isBuffer(entry.name) ? entry.name : Buffer.from(entry.name);
    const mode = entry.mode ?? 0o100644;
    const mtime = entry.mtime ?? DEFAULT_MTIME;
    let flags = 0;
    let shared = 0;
    while (shared < 255 && shared < name.length && name[shared] === this.lastName[shared]) {
      shared++;
    }
    if (shared > 0) flags |= Xmit.sameName;
    if (name.length - shared > 255) flags |= Xmit.longName;
    if (mode === this.lastMode) flags |= Xmit.sameMode;
    if (mtime === this.lastMtime) flags |= Xmit.sameTime;
    if (entry.hardLink !== undefined) flags |= Xmit.hardLinked;
    if (entry.hardLink === 'lead') flags |= Xmit.hardLinkFirst;
    const smallMinor = (entry.rdev?.minor ?? 0) < 256;
    if (this.isDevice(mode) && this.protocol >= 28 && this.protocol < 30 && smallMinor) {
      flags |= Xmit.rdevMinor8Pre30;
    }
    this.writeFlags(flags, mode);
    if (flags & Xmit.sameName) this.output.write(Buffer.of(shared));
    const added = name.subarray(shared);
    this.output.write(
      flags & Xmit.longName ? this.varint30(added.length) : Buffer.of(added.length),
    );
    this.output.write(added);
    this.lastName = name;
    this.count++;
    if (typeof entry.hardLink === 'number' && this.protocol >= 30) {
      this.output.write(encodeVarint(entry.hardLink));
      return;
    }
    this.fields(entry, flags, mode, mtime);
    this.oldHardLink(entry, mode);
  }

  /**
   * Before protocol 30 hard links travel as device and inode: with -H on every regular file
   * in protocol 27, on flagged entries in 28 and 29. The inode names the group's leader.
   */
  private oldHardLink(entry: CraftedEntry, mode: number): void {
    if (this.protocol >= 30 || !this.letters.includes('H')) return;
    const regular = (mode & 0o170000) === 0o100000;
    if (!(this.protocol < 28 && regular) && entry.hardLink === undefined) return;
    const inode = typeof entry.hardLink === 'number' ? entry.hardLink : this.count - 1;
    this.output.write(Buffer.concat([encodeLongint(1), encodeLongint(1000 + inode)]));
  }

  private fields(entry: CraftedEntry, flags: number, mode: number, mtime: number): void {
    const { output, protocol } = this;
    const size = entry.size ?? entry.data?.length ?? 0;
    output.write(protocol >= 30 ? encodeVarlong(size, 3) : encodeLongint(size));
    if (!(flags & Xmit.sameTime)) {
      output.write(protocol >= 30 ? encodeVarlong(mtime, 4) : encodeInt32(mtime));
    }
    if (!(flags & Xmit.sameMode)) output.write(encodeInt32(mode));
    this.lastMode = mode;
    this.lastMtime = mtime;
    if (this.isDevice(mode)) this.device(entry, flags);
    if ((mode & 0o170000) === 0o120000 && this.letters.includes('l')) {
      const target = Buffer.from(entry.target ?? '');
      output.write(this.varint30(target.length));
      output.write(target);
    }
  }

  private device(entry: CraftedEntry, flags: number): void {
    const { major, minor } = entry.rdev ?? { major: 0, minor: 0 };
    if (this.protocol < 28) {
      // One 32-bit number, as old Linux packed it.
      this.output.write(encodeInt32(((major & 0xfff) << 8) | (minor & 0xff)));
      return;
    }
    this.output.write(this.varint30(major));
    if (this.protocol >= 30) this.output.write(encodeVarint(minor));
    else if (flags & Xmit.rdevMinor8Pre30) this.output.write(Buffer.of(minor));
    else this.output.write(encodeInt32(minor));
  }

  /** Devices, and before protocol 31 FIFOs and sockets, carry numbers with -D. */
  private isDevice(mode: number): boolean {
    const type = mode & 0o170000;
    const device = type === 0o020000 || type === 0o060000;
    const special = type === 0o010000 || type === 0o140000;
    return this.letters.includes('D') && (device || (special && this.protocol < 31));
  }

  private writeFlags(flags: number, mode: number): void {
    const isDirectory = (mode & 0o170000) === 0o040000;
    if (this.varintFlags) {
      this.output.write(encodeVarint(flags === 0 ? Xmit.extendedFlags : flags));
    } else if (this.protocol >= 28) {
      const value = flags === 0 && !isDirectory ? Xmit.topDir : flags;
      if (value & 0xff00 || value === 0) {
        this.output.write(encodeUint16(value | Xmit.extendedFlags));
      } else this.output.write(Buffer.of(value));
    } else {
      const value = flags & 0xff ? flags : flags | (isDirectory ? Xmit.longName : Xmit.topDir);
      this.output.write(Buffer.of(value & 0xff));
    }
  }

  end(ioError = 0): void {
    if (this.varintFlags) {
      this.output.write(Buffer.concat([encodeVarint(0), encodeVarint(ioError)]));
    } else this.output.write(Buffer.of(0));
    if (this.protocol < 30) this.output.write(encodeInt32(ioError));
  }

  private varint30(value: number): Buffer {
    return this.protocol < 30 ? encodeInt32(value) : encodeVarint(value);
  }
}

/** The checksum an honest sender and the server settle on with the lists this sender offers. */
function sessionChecksum(protocol: number, negotiating: boolean): [ChecksumName, boolean] {
  if (negotiating) return ['md5', true];
  return [protocol >= 30 ? 'md5' : 'md4', false];
}

/** The sending side of one push. */
export class CraftedSender {
  private readonly input: PeerInput;
  private readonly output: PeerOutput;
  private readonly messages: ClientMessage[] = [];
  private exitCode: number | null = null;
  private closed = false;
  private readonly whenClosed: Promise<void>;
  private readonly protocol: number;
  private readonly letters: string;
  private checksum: [ChecksumName, boolean] = ['md5', true];
  private seed = 0;
  private varintFlags = false;
  private readonly ndxOut: NdxWriter;

  constructor(
    private readonly stream: Duplex,
    private readonly script: SenderScript,
  ) {
    this.protocol = script.protocol ?? 31;
    this.letters = (script.options ?? DEFAULT_OPTIONS).replace(/e\..*$/, '');
    this.input = new PeerInput(stream, (message) => this.heard(message.code, message.payload));
    this.output = new PeerOutput(stream);
    this.ndxOut = new NdxWriter(this.protocol);
    this.whenClosed = new Promise((resolve) => {
      const close = (): void => {
        this.closed = true;
        resolve();
      };
      stream.once('end', close);
      stream.once('close', close);
    });
  }

  async run(): Promise<SenderResult> {
    const result: SenderResult = {
      messages: this.messages,
      exitCode: null,
      completed: false,
      stoppedBy: null,
      requests: [],
    };
    try {
      await this.handshake();
      if (!(await this.sendList())) return await this.finish(result);
      await this.answerEarly();
      result.completed = await this.transfer(result.requests);
    } catch (error) {
      result.stoppedBy = (error as Error).message;
    }
    return this.finish(result);
  }

  /** Hangs up and collects what the server still said. */
  private async finish(result: SenderResult): Promise<SenderResult> {
    this.output.flush().catch(() => undefined);
    this.stream.end();
    await this.input.drainMessages().catch(() => undefined);
    result.exitCode = this.exitCode;
    return result;
  }

  private async answerEarly(): Promise<void> {
    const early = this.script.earlyAnswer;
    if (early === undefined) return;
    const request = { ndx: early.ndx, iflags: ITEM_TRANSFER, head: early.head, entry: undefined };
    const tools = this.tools(request);
    tools.header();
    tools.literal(early.data);
    tools.digest(early.data);
    await tools.flush();
  }

  private heard(code: number, payload: Buffer): void {
    if (code === MessageCode.errorExit && payload.length === 4) {
      this.exitCode = payload.readInt32LE(0);
    } else {
      this.messages.push({ code, text: payload.toString('utf8').replace(/\n$/, '') });
    }
  }

  private async handshake(): Promise<void> {
    const { input, output, protocol } = this;
    output.write(encodeInt32(protocol));
    await this.flush();
    const serverProtocol = await input.readInt32();
    const agreed = Math.min(serverProtocol, protocol);
    if (agreed !== protocol) throw new Error(`the server speaks ${serverProtocol}`);
    let negotiating = false;
    if (protocol >= 30) {
      const compat = await input.readVarint();
      negotiating = (compat & CompatFlag.varintFileListFlags) !== 0;
      this.varintFlags = negotiating;
    }
    if (negotiating) {
      await this.readVstring();
      output.write(vstring('md5 md4'));
      await this.flush();
    }
    this.checksum = sessionChecksum(protocol, negotiating);
    this.seed = await input.readInt32();
    input.startMultiplex();
    if (protocol >= 30) output.startMultiplex();
  }

  private async readVstring(): Promise<string> {
    let length = await this.input.readByte();
    if (length & 0x80) length = (length & 0x7f) * 0x100 + (await this.input.readByte());
    return (await this.input.readBytes(length)).toString('latin1');
  }

  /** Sends the list; false when the server hung up before it ended. */
  private async sendList(): Promise<boolean> {
    const { options } = parseServerArgs(serverArgs(this.script));
    if (receivesFilterList(options, this.protocol)) {
      this.output.write(this.script.filterRules ?? filterList([]));
    }
    const list = new ListWriter(this.output, this.protocol, this.varintFlags, this.letters);
    if (this.script.writeList !== undefined) {
      await this.script.writeList(list, () => this.closed);
      if (this.closed) return false;
    } else {
      for (const entry of this.script.entries ?? []) list.entry(entry);
    }
    list.end();
    await this.flush();
    return !this.closed;
  }

  /** Answers requests until the server's last NDX_DONE; true when the run ended normally. */
  private async transfer(requests: SeenRequest[]): Promise<boolean> {
    const ndxIn = new NdxReader(this.input, this.protocol);
    const echoes = 2 + (this.protocol >= 29 ? 1 : 0) + (this.protocol >= 31 ? 1 : 0);
    let dones = 0;
    for (;;) {
      const ndx = await ndxIn.read();
      if (ndx === NDX_DONE) {
        if (++dones > echoes) return true;
        this.output.write(this.ndxOut.encode(NDX_DONE));
        await this.flush();
        continue;
      }
      const request = await this.readRequest(ndx);
      requests.push(request);
      const answer = this.script.answer ?? ((seen, tools) => honestAnswer(seen, tools));
      if (!(await answer(request, this.tools(request)))) return false;
      await this.flush();
    }
  }

  private async readRequest(ndx: number): Promise<SeenRequest> {
    const iflags = this.protocol >= 29 ? await this.input.readUint16() : 0;
    const head = await readSumHead(this.input, this.protocol);
    await this.input.readBytes(head.count * (4 + head.strongLength));
    const entry = this.sortedEntries()[ndx];
    return { ndx, iflags, head, entry };
  }

  /** The crafted entries in the order the server indexes them (rsync's sort), for answers. */
  private sortedEntries(): CraftedEntry[] {
    const items = (this.script.entries ?? []).map((entry) => ({
      ...splitName(cleanName(Buffer.from(entry.name))),
      directory: ((entry.mode ?? 0) & 0o170000) === 0o040000,
      active: true,
      entry,
    }));
    sortNames(items, this.protocol);
    return items.map((item) => item.entry);
  }

  private tools(request: SeenRequest): AnswerTools {
    const { output, protocol } = this;
    const [name, named] = this.checksum;
    return {
      output,
      header: (head = request.head) => {
        output.write(this.ndxOut.encode(request.ndx));
        if (protocol >= 29) output.write(encodeUint16(request.iflags));
        output.write(encodeSumHead(head, protocol));
      },
      literal: (data) => {
        for (let start = 0; start < data.length; start += 32 * 1024) {
          const piece = data.subarray(start, start + 32 * 1024);
          output.write(encodeInt32(piece.length));
          output.write(piece);
        }
        output.write(encodeInt32(0));
      },
      digest: (data) => {
        const digest = fileDigest(name, this.seed, protocol, named);
        digest.update(data);
        output.write(digest.digest());
      },
      flush: () => this.flush(),
    };
  }

  /** Waits for the pipe unless the server has gone (then nothing would ever drain it). */
  private async flush(): Promise<void> {
    await Promise.race([this.output.flush(), this.whenClosed]);
  }
}

/** What an honest sender answers: the header echoed, the data as literals, its digest. */
export async function honestAnswer(request: SeenRequest, tools: AnswerTools): Promise<boolean> {
  const data = request.entry?.data ?? Buffer.alloc(0);
  tools.header();
  tools.literal(data);
  tools.digest(data);
  await tools.flush();
  return true;
}

function vstring(text: string): Buffer {
  const body = Buffer.from(text);
  return Buffer.concat([Buffer.of(body.length), body]);
}

export interface CraftedPush {
  server: ServerOutcome;
  client: SenderResult;
  stored: StoredFile[];
  problems: string[];
  milliseconds: number;
}

/**
 * Runs one crafted push against a fresh area under `work` and reports both ends; fails on a
 * run that does not end within `timeoutMs`.
 */
export async function pushCrafted(
  work: string,
  script: SenderScript,
  limits: PushLimits = DEFAULT_PUSH_LIMITS,
  timeoutMs = 30_000,
  wrapSink: (area: ReceiveSink) => ReceiveSink = (area) => area,
): Promise<CraftedPush> {
  const started = performance.now();
  const [serverEnd, clientEnd] = duplexPair();
  const { area, stored } = testArea(work);
  const served = serveStream(serverEnd, serverArgs(script), wrapSink(area), limits);
  const sent = new CraftedSender(clientEnd, script).run();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the push hung for ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const [server, client] = await Promise.race([Promise.all([served, sent]), deadline]);
    const problems = await treeProblems(work);
    return { server, client, stored, problems, milliseconds: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
}
