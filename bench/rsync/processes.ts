import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The repository the bench runs from, found upwards from this file wherever it was built to. */
export const REPO_ROOT = findRepoRoot(import.meta.dirname);

function findRepoRoot(start: string): string {
  for (let dir = start; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
    if (name === 'tmsp') return dir;
  }
  throw new Error(`no tmsp package.json above ${start}`);
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command to its end and times it from spawn to exit. */
export function run(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Finished> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, {
      env: env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // A command that cannot start is a failed run, reported like any other.
    child.on('error', (error) => (stderr += `${command}: ${error.message}\n`));
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      resolve({ code, stdout, stderr, ms });
    });
  });
}

export interface Daemon {
  readonly pid: number;
  /** The last part of what it printed, to explain a failure. */
  output(): string;
  exited(): boolean;
  stop(): Promise<void>;
}

const OUTPUT_TAIL = 16 * 1024;
const STOP_GRACE_MS = 5_000;

/** Starts a long-running process; `onLine` sees each line it prints on either stream. */
export function startDaemon(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  onLine: (line: string) => void = () => undefined,
): Daemon {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const exit = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let partial = '';
  const take = (chunk: Buffer): void => {
    tail = (tail + chunk.toString()).slice(-OUTPUT_TAIL);
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  child.on('error', (error) => (tail += `${command}: ${error.message}\n`));
  return {
    pid: child.pid ?? -1,
    output: () => tail,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const late = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exit;
      clearTimeout(late);
    },
  };
}

/** Waits until something accepts connections on the loopback port, or the daemon gives up. */
export async function waitForPort(port: number, daemon: Daemon, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await accepts(port))) {
    if (daemon.exited()) throw new Error(`${what} exited: ${daemon.output()}`);
    if (Date.now() > deadline) throw new Error(`${what} did not listen: ${daemon.output()}`);
    await sleep(50);
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A loopback port that was free a moment ago, for the reference servers, which need one named. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The environment for the clients and reference servers: none of the caller's TMSP settings. */
export function baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('TMSP_') && !name.startsWith('RSYNC_') && !name.startsWith('SSH_')) {
      env[name] = value;
    }
  }
  return { ...env, ...extra };
}
