import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';

import { findProgram } from './packages.js';
import { baseEnv, freePort, run, startDaemon, waitForPort } from './processes.js';

export interface OpenSshReference {
  port: number;
  user: string;
  /** The client's private key the reference accepts. */
  clientKey: string;
  stop(): Promise<void>;
}

/**
 * A private sshd on a free loopback port with its own host key, accepting one client key for
 * the current user, so the stock rsync runs as `rsync --server` the way appliances reach it.
 */
export async function startOpenSsh(dir: string): Promise<OpenSshReference> {
  const sshd = findProgram('sshd');
  if (sshd === null) throw new Error('sshd is not installed');
  await mkdir(dir, { recursive: true });
  const hostKey = await newKey(path.join(dir, 'host_key'));
  const clientKey = await newKey(path.join(dir, 'client_key'));
  await writeFile(path.join(dir, 'authorized_keys'), await readPublic(clientKey), { mode: 0o600 });
  const port = await freePort();
  const config = path.join(dir, 'sshd_config');
  await writeFile(config, sshdConfig(port, hostKey, path.join(dir, 'authorized_keys')));
  // As root, sshd insists on its privilege separation directory, which a bare install lacks.
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const daemon = startDaemon(sshd, ['-D', '-e', '-f', config], baseEnv());
  await waitForPort(port, daemon, 'sshd');
  return { port, user: userInfo().username, clientKey, stop: () => daemon.stop() };
}

async function newKey(file: string): Promise<string> {
  const result = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
  if (result.code !== 0) throw new Error(`ssh-keygen failed: ${result.stderr}`);
  return file;
}

function readPublic(key: string): Promise<string> {
  return readFile(`${key}.pub`, 'utf8');
}

function sshdConfig(port: number, hostKey: string, authorizedKeys: string): string {
  return [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKey}`,
    `AuthorizedKeysFile ${authorizedKeys}`,
    'PidFile none',
    'UsePAM no',
    // The bench's temporary directory is not what StrictModes expects of a home directory.
    'StrictModes no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    // The concurrency run opens hundreds of connections at once; the default drops most.
    'MaxStartups 2048',
    // sshd runs each command through the user's shell, and Debian's bash then reads ~/.bashrc
    // (here root's, with a slow `pyenv init`): SHLVL=1 makes it skip that, measuring rsync only.
    'SetEnv SHLVL=1',
    'LogLevel ERROR',
    '',
  ].join('\n');
}
