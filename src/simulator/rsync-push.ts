import { spawn } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';

export type PushProtocol = 'ssh' | 'tls';

export interface PushTarget {
  protocol: PushProtocol;
  /** endpoints.json log.ssh or log.tls: `host:port`. */
  door: string;
  userName: string;
  secret: string;
  /** The TMSP CA certificate file, for rsync-ssl's check of the server. */
  caFile: string;
}

export interface PushResult {
  ok: boolean;
  detail: string;
}

const PUSH_TIMEOUT_MS = 60_000;
const IO_TIMEOUT_SECONDS = '30';

/** Pushes a directory's files with the real rsync client, as an appliance does. */
export async function pushDirectory(
  target: PushTarget,
  workDir: string,
  sourceDir: string,
  guid: string,
  dropAfterMs: number | null = null,
): Promise<PushResult> {
  const { host, port } = splitDoor(target.door);
  const source = `${sourceDir}/`;
  const timeout = `--timeout=${IO_TIMEOUT_SECONDS}`;
  if (target.protocol === 'ssh') {
    const askpass = await askpassScript(workDir);
    const remote = `${host}:${guid}/`;
    const args = ['-a', timeout, '-e', sshCommand(target.userName, port), source, remote];
    const env = {
      SSH_ASKPASS: askpass,
      SSH_ASKPASS_REQUIRE: 'force',
      TMSP_SIMULATOR_SECRET: target.secret,
    };
    return run('rsync', args, env, dropAfterMs);
  }
  const url = `rsync://${target.userName}@${tlsHost(host)}:${port}/logs/${guid}/`;
  const env = { RSYNC_PASSWORD: target.secret, RSYNC_SSL_CA_CERT: target.caFile };
  return run('rsync-ssl', ['-a', timeout, source, url], env, dropAfterMs);
}

function splitDoor(door: string): { host: string; port: string } {
  const colon = door.lastIndexOf(':');
  const host = door.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { host, port: door.slice(colon + 1) };
}

/** rsync-ssl checks the name in the certificate, and TMSP's names loopback `localhost`. */
function tlsHost(host: string): string {
  return host === '127.0.0.1' || host === '::1' ? 'localhost' : host;
}

/** ssh reads a password only from a terminal or an askpass program; the script echoes it. */
async function askpassScript(workDir: string): Promise<string> {
  const file = path.join(workDir, 'askpass.sh');
  await writeFile(file, '#!/bin/sh\nprintf "%s\\n" "$TMSP_SIMULATOR_SECRET"\n');
  await chmod(file, 0o700);
  return file;
}

function sshCommand(userName: string, port: string): string {
  return [
    'ssh',
    `-p ${port}`,
    `-l ${userName}`,
    // A simulator meets a fresh host key at every `tmsp up` of a scratch data directory.
    '-o StrictHostKeyChecking=no',
    '-o UserKnownHostsFile=/dev/null',
    '-o PreferredAuthentications=password',
    '-o PubkeyAuthentication=no',
    '-o NumberOfPasswordPrompts=1',
    '-o ConnectTimeout=10',
    '-o LogLevel=ERROR',
  ].join(' ');
}

/**
 * The child sees only PATH and its own variables: nothing of the caller's environment.
 * dropAfterMs cuts the connection mid-push, as a flaky uplink does (`--misbehave drop`).
 */
function run(
  program: string,
  args: string[],
  env: Record<string, string>,
  dropAfterMs: number | null,
): Promise<PushResult> {
  return new Promise((resolve) => {
    const child = spawn(program, args, {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: PUSH_TIMEOUT_MS,
    });
    const drop = dropAfterMs === null ? null : setTimeout(() => child.kill(), dropAfterMs);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => resolve({ ok: false, detail: `${program}: ${error.message}` }));
    child.on('close', (code, signal) => {
      if (drop !== null) clearTimeout(drop);
      const why = signal === null ? `exit ${code ?? '?'}` : `killed by ${signal}`;
      const said = stderr.trim().split('\n')[0] ?? '';
      resolve({ ok: code === 0, detail: code === 0 ? '' : `${program} ${why} ${said}`.trim() });
    });
  });
}
