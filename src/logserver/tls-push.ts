import type tls from 'node:tls';

import { refused } from '../rsync/errors.js';
import { checkedProtocol, NEWEST_PROTOCOL } from '../rsync/handshake.js';
import type { LineReader } from '../rsync/line-reader.js';
import { MAX_SERVER_ARGS, parseServerArgs } from '../rsync/server-options.js';
import { endWithError, refuseBeforeHandshake, sessionIo } from '../rsync/session.js';
import type { Logger } from '../shared/log.js';
import type { ApplianceAccount } from './appliance-checks.js';
import { clientError, type PushDeps, runPush } from './pushes.js';

export interface DaemonPush {
  socket: tls.TLSSocket;
  lines: LineReader;
  /** The protocol the client's greeting named. */
  clientProtocol: number;
  account: ApplianceAccount;
  userName: string;
  module: string;
  log: Logger;
}

/**
 * After `@RSYNCD: OK`: the client's server arguments (NUL-terminated from protocol 30, lines
 * before), then the binary protocol of a push, as over SSH but without the version exchange.
 */
export async function receiveOverDaemon(deps: PushDeps, push: DaemonPush): Promise<string> {
  const { socket, log } = push;
  const protocol = Math.min(push.clientProtocol, NEWEST_PROTOCOL);
  const args = await readArguments(push.lines, protocol);
  const io = sessionIo(socket, (message) =>
    log.debug({ code: message.code, text: message.payload.toString('utf8') }, 'client said'),
  );
  io.input.unshift(push.lines.detach());
  let request;
  try {
    checkedProtocol(protocol);
    if (args === null) throw refused('tmsp: the arguments were not understood');
    request = parseServerArgs(args, 'daemon');
  } catch (caught) {
    const error = clientError(caught, log);
    log.info({ reason: error.message }, 'push refused');
    await refuseBeforeHandshake(io, protocol, error);
    socket.end();
    return 'refused';
  }
  try {
    const destination = request.destination.slice(push.module.length + 1);
    await runPush(
      deps,
      { ...push, peer: socket.remoteAddress ?? '', request, destination },
      io,
      protocol,
    );
    socket.end();
    return 'pushed';
  } catch (caught) {
    const error = clientError(caught, log);
    log.info({ reason: error.message }, 'push refused');
    if (io.output.isMultiplexed) await endWithError(io, error);
    else await refuseBeforeHandshake(io, protocol, error);
    socket.end();
    return 'refused';
  }
}

async function readArguments(lines: LineReader, protocol: number): Promise<string[] | null> {
  const separator = protocol >= 30 ? 0x00 : 0x0a;
  const args: string[] = [];
  for (;;) {
    const arg = await lines.next(separator);
    if (arg === null || args.length > MAX_SERVER_ARGS) return null;
    if (arg === '') return args;
    args.push(arg);
  }
}
