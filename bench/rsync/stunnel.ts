import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { findProgram } from './packages.js';
import { baseEnv, type Daemon, freePort, startDaemon, waitForPort } from './processes.js';

export interface StunnelReference {
  port: number;
  module: string;
  /** Where the module's files land. */
  root: string;
  stop(): Promise<void>;
}

export interface TlsFiles {
  certificate: string;
  key: string;
}

/**
 * stunnel terminating TLS in front of a stock `rsync --daemon` with one writable module and a
 * secrets file: what an rsync-ssl client reaches when a site runs the usual setup.
 */
export async function startStunnel(
  dir: string,
  tls: TlsFiles,
  user: string,
  secret: string,
): Promise<StunnelReference> {
  const stunnel = findProgram('stunnel4') ?? findProgram('stunnel');
  if (stunnel === null) throw new Error('stunnel is not installed');
  const root = path.join(dir, 'module');
  await mkdir(root, { recursive: true });
  const rsyncd = await startRsyncd(dir, root, user, secret);
  try {
    const port = await freePort();
    const config = path.join(dir, 'stunnel.conf');
    await writeFile(config, stunnelConfig(port, rsyncd.port, tls));
    const daemon = startDaemon(stunnel, [config], baseEnv());
    await waitForPort(port, daemon, 'stunnel');
    const stop = async (): Promise<void> => {
      await daemon.stop();
      await rsyncd.daemon.stop();
    };
    return { port, module: 'logs', root, stop };
  } catch (error) {
    await rsyncd.daemon.stop();
    throw error;
  }
}

async function startRsyncd(
  dir: string,
  root: string,
  user: string,
  secret: string,
): Promise<{ port: number; daemon: Daemon }> {
  const secrets = path.join(dir, 'rsyncd.secrets');
  await writeFile(secrets, `${user}:${secret}\n`, { mode: 0o600 });
  const config = path.join(dir, 'rsyncd.conf');
  await writeFile(config, rsyncdConfig(root, user, secrets, path.join(dir, 'rsyncd.log')));
  const port = await freePort();
  const daemon = startDaemon(
    'rsync',
    ['--daemon', '--no-detach', `--config=${config}`, `--port=${port}`, '--address=127.0.0.1'],
    baseEnv(),
  );
  await waitForPort(port, daemon, 'rsync --daemon');
  return { port, daemon };
}

function rsyncdConfig(root: string, user: string, secrets: string, log: string): string {
  return [
    'use chroot = no',
    `log file = ${log}`,
    '[logs]',
    `  path = ${root}`,
    '  read only = no',
    // As root the daemon would otherwise write as nobody, into a directory it cannot enter.
    `  uid = ${String(process.getuid?.() ?? 0)}`,
    `  gid = ${String(process.getgid?.() ?? 0)}`,
    `  auth users = ${user}`,
    `  secrets file = ${secrets}`,
    '',
  ].join('\n');
}

function stunnelConfig(port: number, rsyncdPort: number, tls: TlsFiles): string {
  return [
    'foreground = yes',
    'pid =',
    'debug = err',
    '[rsync]',
    `accept = 127.0.0.1:${port}`,
    `connect = 127.0.0.1:${rsyncdPort}`,
    `cert = ${tls.certificate}`,
    `key = ${tls.key}`,
    '',
  ].join('\n');
}
