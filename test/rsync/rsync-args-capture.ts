import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Runs the real rsync client against a fake remote shell that records what the client asks its
 * server to do, then drops the connection: the argument lists real clients send, with no
 * server anywhere. For `host::module` paths the fake plays an rsync daemon just far enough to
 * receive the arguments (greeting, module, `@RSYNCD: OK`, then the argument list).
 */

const FAKE_REMOTE_SHELL = `
import { writeFileSync } from 'node:fs';

const argv = process.argv.slice(2);
const save = (record) => {
  writeFileSync(process.env.TMSP_CAPTURE, JSON.stringify(record));
  process.exit(1);
};
if (!argv.includes('--daemon')) save({ argv });

process.stdout.write('@RSYNCD: 32.0 sha512 sha256 sha1 md5\\n');
let pending = Buffer.alloc(0);
let protocol = 32;
let module = null;
let greeted = false;
const args = [];
process.stdin.on('data', (chunk) => {
  pending = Buffer.concat([pending, chunk]);
  for (;;) {
    const nulls = greeted && module !== null && protocol >= 30;
    const end = pending.indexOf(nulls ? 0 : 0x0a);
    if (end < 0) return;
    const text = pending.subarray(0, end).toString();
    pending = pending.subarray(end + 1);
    if (!greeted) {
      greeted = true;
      protocol = Math.min(32, Number(/^@RSYNCD: (\\d+)/.exec(text)?.[1] ?? 0));
    } else if (module === null) {
      module = text;
      process.stdout.write('@RSYNCD: OK\\n');
    } else if (text === '') {
      save({ argv, protocol, module, args });
    } else args.push(text);
  }
});
`;

export interface Capture {
  /** What ssh would send as the exec request: the remote words joined by spaces. */
  sshCommand: string | null;
  /** The arguments a daemon client sent after `@RSYNCD: OK`. */
  daemonArgs: string[] | null;
  /** The client's protocol as the fake daemon saw it. */
  protocol: number | null;
}

interface Recorded {
  argv: string[];
  args?: string[];
  protocol?: number;
}

export class ArgsCapture {
  private count = 0;

  private constructor(
    readonly dir: string,
    private readonly remoteShell: string,
  ) {}

  /** A temporary folder with the fake remote shell and a file `app.log` to send. */
  static async create(): Promise<ArgsCapture> {
    const dir = await mkdtemp(path.join(tmpdir(), 'tmsp-rsync-args-'));
    const remoteShell = path.join(dir, 'fake-remote-shell.mjs');
    await writeFile(remoteShell, `#!${process.execPath}\n${FAKE_REMOTE_SHELL}`);
    await chmod(remoteShell, 0o700);
    await writeFile(path.join(dir, 'app.log'), 'one line\n');
    return new ArgsCapture(dir, remoteShell);
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Runs `client -e FAKE args…` here; throws with rsync's own error if it sent nothing. */
  async run(args: string[], client = 'rsync'): Promise<Capture> {
    const file = path.join(this.dir, `capture-${String(this.count++)}.json`);
    const stderr = await this.spawnClient(client, args, file);
    const text = await readFile(file, 'utf8').catch(() => {
      throw new Error(`rsync ${args.join(' ')} sent no request: ${stderr}`);
    });
    const recorded = JSON.parse(text) as Recorded;
    return {
      sshCommand: recorded.args === undefined ? recorded.argv.slice(1).join(' ') : null,
      daemonArgs: recorded.args ?? null,
      protocol: recorded.protocol ?? null,
    };
  }

  private spawnClient(client: string, args: string[], file: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(client, ['-e', this.remoteShell, ...args], {
        cwd: this.dir,
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', TMSP_CAPTURE: file },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const timer = setTimeout(() => child.kill(), 10_000);
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', () => {
        clearTimeout(timer);
        resolve(stderr);
      });
    });
  }
}
