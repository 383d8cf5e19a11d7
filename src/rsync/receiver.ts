import { ExitCode, RsyncError, protocolError } from './errors.js';
import type { FileRequest } from './generator.js';
import { ITEM_TRANSFER } from './generator.js';
import { MessageCode, type PeerInput, type PeerOutput } from './multiplex.js';
import { NDX_DONE, type NdxReader } from './ndx.js';
import type { IncomingFile, ReceiveSink } from './sink.js';
import { coveredLength, readSumHead, sameSumHead } from './sum-head.js';
import { readVstring } from './handshake.js';
import type { Token } from './tokens.js';

const ITEM_BASIS_TYPE_FOLLOWS = 1 << 11;
const ITEM_XNAME_FOLLOWS = 1 << 12;
const ITEM_IS_NEW = 1 << 13;
/** The held copy is read in pieces this big when append mode reuses it. */
const COPY_PIECE = 256 * 1024;

export interface TokenSource {
  /** Starts a file whose held copy has `blockCount` blocks. */
  beginFile(blockCount: number): void;
  next(): Promise<Token>;
  /** Shows a matched block to the decompressor, which the old zlib format needs. */
  seeBlock(data: Buffer): void;
}

/** A whole-file digest, computed here or on the hashing thread. */
export interface StreamDigest {
  update(data: Buffer): void | Promise<void>;
  digest(): Buffer | Promise<Buffer>;
  /** Forgets a digest that will not be finished (the file failed). */
  discard?(): void;
}

export interface ReceiverSettings {
  protocol: number;
  fileDigest: () => StreamDigest;
  digestLength: number;
  /** Tell the client each stored file so it can delete its copy (--remove-source-files). */
  confirmEach: boolean;
  keepPartial: boolean;
  /** Bytes written so far by this push, shared with the session's limits. */
  onBytes: (count: number) => void;
  /**
   * The most one file may become. The listed size is only the sender's claim (a growing log
   * legitimately sends more), so the bytes actually written are what is held to it.
   */
  maxFileBytes: number;
}

export interface FileOutcome {
  ndx: number;
  stored: boolean;
  literalBytes: number;
  matchedBytes: number;
}

/** What the receiver reads between two NDX_DONE markers: a phase of the run. */
export interface PhaseResult {
  failed: number[];
}

/**
 * The receiving half: reads each file's delta, rebuilds the file from literal data and blocks
 * of the held copy, checks the whole-file digest and only then lets the sink store it.
 */
export class Receiver {
  literalBytes = 0;
  matchedBytes = 0;
  readonly stored: string[] = [];

  constructor(
    private readonly input: PeerInput,
    private readonly output: PeerOutput,
    private readonly ndx: NdxReader,
    private readonly tokens: TokenSource,
    private readonly sink: ReceiveSink,
    private readonly requests: Map<number, FileRequest>,
    private readonly settings: ReceiverSettings,
    private readonly listLength: number,
  ) {}

  /** Reads file deltas until the client's next NDX_DONE; returns the files that failed. */
  async receivePhase(): Promise<PhaseResult> {
    const failed: number[] = [];
    for (;;) {
      const ndx = await this.ndx.read();
      if (ndx === NDX_DONE) return { failed };
      if (ndx < 0) throw protocolError(`invalid file index ${ndx}`);
      const iflags = await this.readItemFlags();
      if (this.isKeepAlive(ndx, iflags)) continue;
      if ((iflags & ITEM_TRANSFER) === 0) continue;
      const request = this.requests.get(ndx);
      if (request === undefined) throw protocolError(`the client sent file ${ndx} unasked`);
      this.requests.delete(ndx);
      if (!(await this.receiveFile(request))) failed.push(ndx);
    }
  }

  /** The client's last NDX_DONE of the run (protocol 31 and later). */
  async readGoodbye(): Promise<void> {
    const ndx = await this.ndx.read();
    if (ndx !== NDX_DONE) throw protocolError(`invalid packet at end of run (${ndx})`);
  }

  private async readItemFlags(): Promise<number> {
    if (this.settings.protocol < 29) return ITEM_TRANSFER;
    const iflags = await this.input.readUint16();
    if (iflags & ITEM_BASIS_TYPE_FOLLOWS) await this.input.readByte();
    if (iflags & ITEM_XNAME_FOLLOWS) await readVstring(this.input);
    return iflags;
  }

  /** Protocol 29 keeps a quiet connection alive with an index one past the list. */
  private isKeepAlive(ndx: number, iflags: number): boolean {
    return this.settings.protocol < 30 && ndx === this.listLength && iflags === ITEM_IS_NEW;
  }

  /** The request is out of the generator's hands now: its held copy is closed here, always. */
  private async receiveFile(request: FileRequest): Promise<boolean> {
    try {
      const echoed = await readSumHead(this.input, this.settings.protocol);
      if (!sameSumHead(echoed, request.head)) {
        throw protocolError(`the client changed the checksum header of ${request.file.name}`);
      }
      return await this.storeFile(request, await this.sink.begin(request.file.name));
    } finally {
      await request.held?.close();
    }
  }

  private async storeFile(request: FileRequest, incoming: IncomingFile): Promise<boolean> {
    try {
      const matches = await this.rebuild(request, incoming);
      if (!matches) {
        await incoming.discard(false);
        return false;
      }
      await incoming.commit(request.file.mtime);
      this.stored.push(request.file.name);
      if (this.settings.confirmEach) this.output.messageInt(MessageCode.success, request.file.ndx);
      return true;
    } catch (error) {
      await incoming.discard(this.settings.keepPartial).catch(() => undefined);
      throw error;
    }
  }

  /** Writes the new version and reports whether its digest equals the client's. */
  private async rebuild(request: FileRequest, incoming: IncomingFile): Promise<boolean> {
    const digest = this.settings.fileDigest();
    try {
      await this.rebuildInto(request, incoming, digest);
      const theirs = await this.input.readBytes(this.settings.digestLength);
      const ours = await digest.digest();
      return ours.subarray(0, this.settings.digestLength).equals(theirs);
    } catch (error) {
      digest.discard?.();
      throw error;
    }
  }

  private async rebuildInto(
    request: FileRequest,
    incoming: IncomingFile,
    digest: StreamDigest,
  ): Promise<void> {
    const { maxFileBytes } = this.settings;
    let written = 0;
    const write = async (data: Buffer): Promise<void> => {
      written += data.length;
      if (written > maxFileBytes) {
        throw new RsyncError(
          `tmsp: ${request.file.name} grows past the ${maxFileBytes} bytes a file may have`,
          ExitCode.fileSelect,
        );
      }
      await digest.update(data);
      this.settings.onBytes(data.length);
      await incoming.write(data);
    };
    if (request.append) await this.copyHeldPrefix(request, write);
    this.tokens.beginFile(request.head.count);
    for (;;) {
      const token = await this.tokens.next();
      if (token.kind === 'end') return;
      if (token.kind === 'literal') {
        this.literalBytes += token.data.length;
        await write(token.data);
        continue;
      }
      const block = await this.heldBlock(request, token.index);
      this.tokens.seeBlock(block);
      this.matchedBytes += block.length;
      await write(block);
    }
  }

  private async copyHeldPrefix(
    request: FileRequest,
    write: (data: Buffer) => Promise<void>,
  ): Promise<void> {
    const held = request.held;
    const length = coveredLength(request.head);
    if (held === null) return;
    for (let position = 0; position < length; position += COPY_PIECE) {
      const piece = await held.read(position, Math.min(COPY_PIECE, length - position));
      this.matchedBytes += piece.length;
      await write(piece);
    }
  }

  private async heldBlock(request: FileRequest, index: number): Promise<Buffer> {
    const { head, held } = request;
    if (held === null || index < 0 || index >= head.count) {
      throw protocolError(`invalid block index ${index} for ${request.file.name}`);
    }
    const last = index === head.count - 1 && head.remainder !== 0;
    const length = last ? head.remainder : head.blockLength;
    const block = await held.read(index * head.blockLength, length);
    if (block.length !== length) {
      throw new RsyncError(
        `tmsp: the stored copy of ${request.file.name} changed`,
        ExitCode.fileIo,
      );
    }
    return block;
  }
}
