import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { ApplianceArea, type StoredFile } from '../../src/logserver/area.js';
import { RsyncError } from '../../src/rsync/errors.js';
import { DEFAULT_PUSH_LIMITS, type PushLimits } from '../../src/rsync/limits.js';
import { rsyncServerArgs } from '../../src/rsync/server-command.js';
import { parseServerArgs } from '../../src/rsync/server-options.js';
import { type PushSummary, endWithError, receivePush, sessionIo } from '../../src/rsync/session.js';

const BRIDGE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bin', 'rsh-bridge.mjs');

export interface ReceiveServer {
  socketPath: string;
  summaries: PushSummary[];
  stored: StoredFile[];
  errors: Error[];
  close(): Promise<void>;
}

/**
 * The receive engine behind a Unix socket, without SSH: the real rsync client reaches it through
 * an rsh program that relays its remote command and bytes (test/support/rsh-bridge.mjs).
 */
export async function startReceiveServer(
  workDir: string,
  limits: PushLimits = DEFAULT_PUSH_LIMITS,
  onStored?: (file: StoredFile) => Promise<void>,
): Promise<ReceiveServer> {
  const socketPath = path.join(workDir, 'receive.sock');
  // eslint-disable-next-line prefer-const -- the server is made after the state it reports to
  let server: net.Server;
  const state: ReceiveServer = {
    socketPath,
    summaries: [],
    stored: [],
    errors: [],
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const area = new ApplianceArea({
    root: path.join(workDir, 'area'),
    onStored: async (file) => {
      await onStored?.(file);
      state.stored.push(file);
    },
  });
  const sockets = new Set<net.Socket>();
  server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serve(socket, area, limits, state).catch((error: unknown) => state.errors.push(error as Error));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return state;
}

async function serve(
  socket: net.Socket,
  area: ApplianceArea,
  limits: PushLimits,
  state: ReceiveServer,
): Promise<void> {
  const command = await firstLine(socket);
  const io = sessionIo(socket, () => undefined);
  try {
    const request = parseServerArgs(rsyncServerArgs(command));
    state.summaries.push(await receivePush(io, request, area, limits));
  } catch (error) {
    if (!(error instanceof RsyncError)) throw error;
    state.errors.push(error);
    await endWithError(io, error);
  } finally {
    socket.end();
  }
}

/** The rsh bridge's first line (the remote command); what follows is given back to the socket. */
export function firstLine(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let seen = Buffer.alloc(0);
    const onReadable = (): void => {
      for (
        let chunk = socket.read() as Buffer | null;
        chunk;
        chunk = socket.read() as Buffer | null
      ) {
        seen = Buffer.concat([seen, chunk]);
        const end = seen.indexOf(0x0a);
        if (end < 0) continue;
        socket.off('readable', onReadable);
        socket.unshift(seen.subarray(end + 1));
        resolve(seen.subarray(0, end).toString('utf8'));
        return;
      }
    };
    socket.on('readable', onReadable);
  });
}

export interface PushResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real rsync client against the receive server (args as for rsync, host `x:`);
 * `killAfterMs` cuts the client off mid-push, as a lost connection would.
 */
export function push(
  server: ReceiveServer,
  args: string[],
  rsync = 'rsync',
  killAfterMs?: number,
): Promise<PushResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(rsync, ['-e', `node ${BRIDGE} ${server.socketPath}`, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
