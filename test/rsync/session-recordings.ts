import {
  appendFile,
  link,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';

import { DEFAULT_PUSH_LIMITS, type PushLimits } from '../../src/rsync/limits.js';
import { rsyncServerArgs } from '../../src/rsync/server-command.js';
import { type ReceiveServer, firstLine, push } from '../support/rsync-harness.js';
import { type ServerOutcome, serveStream, testArea } from '../support/rsync-sender.js';

/**
 * Real client→server byte streams for replaying into the engine: the Debian rsync client
 * pushes through the harness's rsh bridge to an in-process server that runs the real session
 * and keeps a copy of every byte the client sent. A fixed checksum seed and fixed contents and
 * times make a replay of the same bytes succeed again (protocols below 30 seed the file sum).
 */

export interface HeldCopy {
  name: string;
  data: Buffer;
  mtime: number;
}

export interface Recording {
  label: string;
  /** The remote command, as the server received it. */
  command: string;
  /** Everything the client sent after the command line. */
  input: Buffer;
  /** Where each piece of `input` ended, and how much the server had written before it came. */
  gates: Gate[];
  /** What the area held before the push (the old version of a grown file). */
  held: HeldCopy[];
  /** What a faithful replay stores. */
  files: { name: string; data: Buffer }[];
}

const SEED = 20260101;
const MTIME = 1_750_000_000;

/** Deterministic text-like bytes: compressible, but not trivially. */
function logLines(count: number, salt: number): Buffer {
  let state = salt;
  const lines: string[] = [];
  for (let line = 0; line < count; line++) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    lines.push(`${MTIME + line} host${state % 7} event=${state.toString(36)} n=${line}\n`);
  }
  return Buffer.from(lines.join(''));
}

/**
 * The client only sends in answer to what it read, so a replay hands over the bytes up to `end`
 * only once the server has written `after` bytes; all at once, the receiver would see answers
 * to requests the generator has not made yet.
 */
export interface Gate {
  end: number;
  after: number;
}

interface Session {
  command: string;
  input: Buffer;
  gates: Gate[];
  outcome: ServerOutcome;
}

interface Recorder {
  socketPath: string;
  /** The bytes of the next session, once it ended. */
  next(): Promise<Session>;
  close(): Promise<void>;
}

async function startRecorder(work: string, areaDir: string): Promise<Recorder> {
  const socketPath = path.join(work, 'record.sock');
  const sessions: Promise<Session>[] = [];
  const { area } = testArea(areaDir);
  const server = net.createServer((socket) => {
    sessions.push(recordSession(socket, area));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    next: async () => {
      const session = sessions.shift();
      if (session === undefined) throw new Error('no session was recorded');
      return session;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function recordSession(
  socket: net.Socket,
  area: ReturnType<typeof testArea>['area'],
): Promise<Session> {
  const command = await firstLine(socket);
  const chunks: Buffer[] = [];
  const gates: Gate[] = [];
  let received = 0;
  let written = 0;
  // The engine only writes whole buffers; counting them tells each gate its threshold.
  const write = socket.write.bind(socket);
  socket.write = (chunk: Buffer): boolean => {
    written += chunk.length;
    return write(chunk);
  };
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    received += chunk.length;
    gates.push({ end: received, after: written });
  });
  const outcome = await serveStream(socket, rsyncServerArgs(command), area);
  return { command, input: Buffer.concat(chunks), gates, outcome };
}

const PROTOCOLS = [27, 29, 30, 31, 32];

/** Records a few files at each protocol, with and without -z, and a grown file. */
export async function recordSessions(): Promise<Recording[]> {
  const work = await mkdtemp(path.join(tmpdir(), 'tmsp-record-'));
  try {
    const tree = await fewFiles(work);
    const recordings: Recording[] = [];
    for (const protocol of PROTOCOLS) {
      for (const compress of [false, true]) {
        const label = `few files, protocol ${protocol}${compress ? ', -z' : ''}`;
        const areaDir = path.join(work, `area-${protocol}-${compress}`);
        const args = clientArgs(protocol, compress);
        recordings.push(await recordOne(work, areaDir, label, [...args, `${tree.source}/`], tree));
      }
      recordings.push(await recordGrown(work, protocol));
    }
    return recordings;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function clientArgs(protocol: number, compress: boolean): string[] {
  return ['-aH', `--protocol=${protocol}`, `--checksum-seed=${SEED}`, ...(compress ? ['-z'] : [])];
}

interface Tree {
  source: string;
  held: HeldCopy[];
  files: { name: string; data: Buffer }[];
}

async function fewFiles(work: string): Promise<Tree> {
  const source = path.join(work, 'few');
  const files = [
    { name: 'one.log', data: Buffer.from('first line\nsecond line\n') },
    { name: 'nested/two.log', data: logLines(400, 7) },
    { name: 'nested/deeper/three.log', data: logLines(30, 11) },
  ];
  for (const file of files) {
    await mkdir(path.dirname(path.join(source, file.name)), { recursive: true });
    await writeFile(path.join(source, file.name), file.data);
    await utimes(path.join(source, file.name), MTIME, MTIME);
  }
  // Left out by the server, but their list fields (target, hard-link group) are in the bytes.
  // The group's first name in rsync's order is the one stored.
  await symlink('one.log', path.join(source, 'link.log'));
  await link(path.join(source, 'nested/two.log'), path.join(source, 'nested/hard.log'));
  const stored = files.map((file) =>
    file.name === 'nested/two.log' ? { ...file, name: 'nested/hard.log' } : file,
  );
  return { source, held: [], files: stored };
}

async function recordOne(
  work: string,
  areaDir: string,
  label: string,
  args: string[],
  tree: Tree,
): Promise<Recording> {
  await mkdir(areaDir, { recursive: true });
  const recorder = await startRecorder(work, areaDir);
  try {
    const result = await push(target(recorder.socketPath), [...args, 'x:']);
    const session = await recorder.next();
    if (result.code !== 0 || session.outcome.summary === null) {
      throw new Error(`recording "${label}" failed: ${result.stderr}`);
    }
    const { command, input, gates } = session;
    return { label, command, input, gates, ...tree };
  } finally {
    await recorder.close();
  }
}

/** The harness's `push` only needs the socket to reach. */
const target = (socketPath: string): ReceiveServer => ({
  socketPath,
  summaries: [],
  stored: [],
  errors: [],
  close: () => Promise.resolve(),
});

/** The second push of a grown log: the area holds the first version, the client sends a delta. */
async function recordGrown(work: string, protocol: number): Promise<Recording> {
  const source = path.join(work, `grown-${protocol}`);
  const areaDir = path.join(work, `area-grown-${protocol}`);
  await mkdir(source, { recursive: true });
  await mkdir(areaDir, { recursive: true });
  const log = path.join(source, 'grown.log');
  const first = logLines(1500, protocol);
  await writeFile(log, first);
  await utimes(log, MTIME, MTIME);
  const args = [...clientArgs(protocol, protocol === 32), `${source}/`];
  const recorder = await startRecorder(work, areaDir);
  try {
    const initial = await push(target(recorder.socketPath), [...args, 'x:']);
    await recorder.next();
    if (initial.code !== 0) throw new Error(`first push of the grown log failed`);
  } finally {
    await recorder.close();
  }
  await appendFile(log, logLines(40, 99));
  await utimes(log, MTIME + 60, MTIME + 60);
  const tree: Tree = {
    source,
    held: [{ name: 'grown.log', data: first, mtime: MTIME }],
    files: [{ name: 'grown.log', data: await readFile(log) }],
  };
  return recordOne(work, areaDir, `grown file, protocol ${protocol}`, args, tree);
}

/**
 * A duplex that plays `input` to the server gate by gate, in pieces of `chunkSize`, and throws
 * away what the server writes. With `idleMs`, a gate the server does not reach (mutated input
 * changes what it writes) opens anyway once the server has written nothing for that long.
 */
export function replayStream(
  input: Buffer,
  gates: readonly Gate[],
  chunkSize: number,
  idleMs: number | null,
): Duplex {
  let written = 0;
  let sent = 0;
  let gate = 0;
  let idle: NodeJS.Timeout | undefined;
  const stream = new Duplex({
    read() {
      // Bytes go out as the server's writes open the gates.
    },
    write(chunk: Buffer, _encoding, callback) {
      written += chunk.length;
      callback();
      release(false);
    },
    destroy(error, callback) {
      clearTimeout(idle);
      callback(error);
    },
  });
  const send = (end: number): void => {
    for (; sent < end; sent = Math.min(end, sent + chunkSize)) {
      stream.push(input.subarray(sent, Math.min(end, sent + chunkSize)));
    }
  };
  const release = (force: boolean): void => {
    clearTimeout(idle);
    for (let open = force; gate < gates.length; open = false, gate++) {
      const next = gates[gate] as Gate;
      if (!open && next.after > written) break;
      send(Math.min(next.end, input.length));
    }
    if (gate < gates.length && idleMs !== null) idle = setTimeout(() => release(true), idleMs);
    if (gate === gates.length) {
      send(input.length);
      stream.push(null);
      gate++;
    }
  };
  release(false);
  return stream;
}

/**
 * Replays bytes of a recording into a fresh area under `work`. Mutated bytes keep the
 * recording's gates by offset: close enough, and the idle fallback covers the rest.
 */
export async function replay(
  recording: Recording,
  input: Buffer,
  work: string,
  chunkSize = 64 * 1024,
  idleMs: number | null = null,
  limits: PushLimits = DEFAULT_PUSH_LIMITS,
): Promise<ServerOutcome> {
  for (const held of recording.held) {
    const file = path.join(work, 'area/logs', held.name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, held.data);
    await utimes(file, held.mtime, held.mtime);
  }
  const { area } = testArea(work);
  const args = rsyncServerArgs(recording.command);
  const stream = replayStream(input, recording.gates, chunkSize, idleMs);
  return serveStream(stream, args, area, limits);
}
