import type { Duplex } from 'node:stream';

import { ExitCode, RsyncError, protocolError } from './errors.js';
import { encodeInt32, encodeVarint } from './wire.js';
import { Generator, type WantedFile } from './generator.js';
import { type HandshakeRequest, type Negotiated, shakeHands } from './handshake.js';
import { ByteBudget, type PushLimits } from './limits.js';
import { MessageCode, type PeerMessage, PeerInput, PeerOutput } from './multiplex.js';
import { NDX_DONE, NdxReader, NdxWriter } from './ndx.js';
import { Receiver } from './receiver.js';
import { type ReceiveSink, underDirectory } from './sink.js';
import { type ProtocolParts, protocolParts } from './session-parts.js';
import { type ListedEntry, readListedEntries } from './file-list-entries.js';
import { type ReceiverOptions, type ServerRequest, receivesFilterList } from './server-options.js';

export interface PushSummary {
  protocol: number;
  stored: string[];
  failed: string[];
  literalBytes: number;
  matchedBytes: number;
  skipped: string[];
}

export interface SessionIo {
  input: PeerInput;
  output: PeerOutput;
  /** Set once the handshake settled it. */
  protocol?: number;
}

/** Opens the framing layer over a byte stream (an SSH channel or a TLS socket). */
export function sessionIo(stream: Duplex, onMessage: (message: PeerMessage) => void): SessionIo {
  return { input: new PeerInput(stream, onMessage), output: new PeerOutput(stream) };
}

/**
 * A whole push, server side: handshake, filter rules, file list, then generator and receiver
 * side by side until the end-of-run exchange. Throws RsyncError for anything the client should
 * hear; `endWithError` turns that into the messages and exit code rsync clients understand.
 */
export async function receivePush(
  io: SessionIo,
  request: ServerRequest,
  sink: ReceiveSink,
  limits: PushLimits,
  daemonProtocol?: number,
): Promise<PushSummary> {
  const negotiated = await shakeHands(
    io.input,
    io.output,
    handshakeRequest(request),
    daemonProtocol,
  );
  io.protocol = negotiated.protocol;
  io.output.startMultiplex();
  if (negotiated.protocol >= 30) io.input.startMultiplex();
  await io.output.flush();

  const options = request.options;
  if (receivesFilterList(options, negotiated.protocol)) await skipFilterRules(io.input);
  const listed = await readListedEntries(io.input, negotiated, options, limits);
  const destination = underDirectory(sink, request.destination);
  const wanted = await prepare(listed, destination, limits);
  const parts = protocolParts(negotiated);
  return runTransfers(io, options, negotiated, parts, destination, limits, wanted, listed.length);
}

function handshakeRequest(request: ServerRequest): HandshakeRequest {
  const { options } = request;
  return {
    capabilities: [...request.clientCapabilities].join(''),
    compress: options.compress,
    compressChoice: options.compressChoice ?? undefined,
    checksumChoice: options.checksumChoice?.transfer ?? undefined,
    checksumSeed: options.checksumSeed ?? undefined,
  };
}

interface Prepared {
  files: WantedFile[];
  skipped: string[];
}

async function prepare(
  listed: ListedEntry[],
  sink: ReceiveSink,
  limits: PushLimits,
): Promise<Prepared> {
  refuseHostileOrHuge(listed, limits);
  const files: WantedFile[] = [];
  const skipped: string[] = [];
  for (const entry of listed) {
    if (entry.kind === 'directory') await sink.prepareDirectory(entry.name);
    else if (entry.kind === 'file') files.push(entry);
    else skipped.push(`${entry.name} (${entry.reason})`);
  }
  return { files, skipped };
}

/** Ends the push before anything is written: a hostile name, as rsync does, or a huge file. */
function refuseHostileOrHuge(listed: ListedEntry[], limits: PushLimits): void {
  for (const entry of listed) {
    if (entry.kind === 'refused') {
      throw new RsyncError(
        `tmsp: refused ${JSON.stringify(entry.name)}: ${entry.reason}; nothing was stored`,
        ExitCode.fileSelect,
      );
    }
    if (entry.kind === 'file' && entry.size > limits.maxFileBytes) {
      throw new RsyncError(
        `tmsp: ${entry.name} is larger than the ${limits.maxFileBytes} bytes a file may have`,
        ExitCode.fileSelect,
      );
    }
  }
}

async function runTransfers(
  io: SessionIo,
  options: ReceiverOptions,
  negotiated: Negotiated,
  parts: ProtocolParts,
  sink: ReceiveSink,
  limits: PushLimits,
  prepared: Prepared,
  listLength: number,
): Promise<PushSummary> {
  const { protocol } = negotiated;
  const generator = new Generator(io.output, new NdxWriter(protocol), sink, {
    protocol,
    digestLength: parts.digestLength,
    rollingSum: parts.rollingSum,
    strongSum: parts.strongSum,
    alwaysTransfer: options.alwaysChecksum || options.ignoreTimes || options.removeSourceFiles,
    wholeFile: options.wholeFile || negotiated.checksum === 'none',
    appendVerify: options.append === 'verify',
  });
  const budget = new ByteBudget(limits.maxPushBytes);
  const receiver = new Receiver(
    io.input,
    io.output,
    new NdxReader(io.input, protocol),
    parts.tokens(io.input),
    sink,
    generator.requests,
    {
      protocol,
      fileDigest: parts.fileDigest,
      digestLength: parts.digestLength,
      confirmEach: options.removeSourceFiles,
      keepPartial: options.partial,
      onBytes: (count) => budget.spend(count),
      maxFileBytes: limits.maxFileBytes,
    },
    listLength,
  );
  for (const skipped of prepared.skipped) {
    io.output.text(MessageCode.warning, `tmsp: skipping ${skipped}`);
  }
  try {
    const failed = await exchange(io, protocol, generator, receiver, prepared.files);
    const byNdx = new Map(prepared.files.map((file) => [file.ndx, file.name]));
    return {
      protocol,
      stored: receiver.stored,
      failed: failed.map((ndx) => byNdx.get(ndx) ?? String(ndx)),
      literalBytes: receiver.literalBytes,
      matchedBytes: receiver.matchedBytes,
      skipped: prepared.skipped,
    };
  } finally {
    await generator.abandon();
  }
}

/**
 * The phases as rsync runs them: first pass, redo pass (full-length sums for files whose digest
 * did not match), then the NDX_DONE handshakes that end the run. rsync's generator and receiver
 * are two processes; here they are two tasks sharing the connection's one writer.
 */
async function exchange(
  io: SessionIo,
  protocol: number,
  generator: Generator,
  receiver: Receiver,
  files: WantedFile[],
): Promise<number[]> {
  const ndxWriter = new NdxWriter(protocol);
  const done = (): void => io.output.write(ndxWriter.encode(NDX_DONE));
  const byNdx = new Map(files.map((file) => [file.ndx, file]));

  const firstPass = (async () => {
    for (const file of files) await generator.request(file);
    done();
    await io.output.flush();
  })();
  // Whichever task fails first ends the phase: a generator that cannot read a held copy must
  // not leave the receiver waiting for a file never asked for, nor its failure unhandled.
  const first = await Promise.race([receiver.receivePhase(), firstPass.then(never)]);
  await firstPass;

  for (const ndx of first.failed) {
    io.output.text(
      MessageCode.warning,
      `tmsp: ${byNdx.get(ndx)?.name} failed verification; retrying`,
    );
    await generator.redo(byNdx.get(ndx) as WantedFile);
  }
  done();
  if (protocol >= 29) done();
  if (protocol >= 31) done();
  await io.output.flush();

  const redone = await receiver.receivePhase();
  if (protocol >= 29) await expectDone(receiver);
  if (protocol >= 31) await receiver.readGoodbye();
  done();
  await io.output.flush();
  for (const ndx of redone.failed) {
    io.output.text(MessageCode.errorXfer, `tmsp: ${byNdx.get(ndx)?.name} failed verification`);
  }
  return redone.failed;
}

/** A finished first pass gives the race nothing; a fresh promise each time, so none is kept. */
const never = (): Promise<never> => new Promise<never>(() => undefined);

async function expectDone(receiver: Receiver): Promise<void> {
  const last = await receiver.receivePhase();
  if (last.failed.length > 0) throw protocolError('the client sent files after the last phase');
}

/** The client's filter rules: read and bounded, but a receiving log server applies none. */
async function skipFilterRules(input: PeerInput): Promise<void> {
  let total = 0;
  for (;;) {
    const length = await input.readInt32();
    if (length === 0) return;
    total += length;
    if (length < 0 || length > 4096 || total > 1024 * 1024) {
      throw protocolError('the client sent an invalid filter rule');
    }
    await input.readBytes(length);
  }
}

/**
 * Ends a session that failed: the client prints the message and exits with the code. Before
 * the framing starts the caller has to use the transport's own error channel instead.
 */
export async function endWithError(io: SessionIo, error: RsyncError): Promise<void> {
  // The client's user should see that the log server said it, whatever part of it failed.
  const message = error.message.startsWith('tmsp: ') ? error.message : `tmsp: ${error.message}`;
  io.output.text(MessageCode.error, message);
  if ((io.protocol ?? 0) >= 31) io.output.messageInt(MessageCode.errorExit, error.exitCode);
  await io.output.flush().catch(() => undefined);
}

/**
 * Refuses a daemon client whose arguments were wrong. Its rsync reads the compat flags and the
 * seed before it reads any message, so those go first, with nothing to negotiate.
 */
export async function refuseBeforeHandshake(
  io: SessionIo,
  protocol: number,
  error: RsyncError,
): Promise<void> {
  if (protocol >= 30) io.output.write(encodeVarint(0));
  io.output.write(encodeInt32(1));
  io.protocol = protocol;
  io.output.startMultiplex();
  await endWithError(io, error);
}
