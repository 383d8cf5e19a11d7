import { randomUUID } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { OpenSshReference } from './openssh.js';
import { baseEnv, run } from './processes.js';
import type { StunnelReference } from './stunnel.js';
import { BENCH_CUSTOMER, type TmspUnderTest } from './tmsp.js';

export interface PushOptions {
  /** Client options added after `-a --stats`. */
  extra?: string[];
  /** A loopback source address for ssh, so that each concurrent push comes from its own. */
  bind?: string;
}

interface Invocation {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

/** A server rsync pushes to, named and reached the way an appliance or a site would. */
export interface PushTarget {
  label: string;
  /** The loopback port the server listens on. */
  port: number;
  invocation(source: string, name: string, options: PushOptions): Invocation;
  /** Where a push called `name` lands, cleared after each timed run. */
  landing(name: string): string;
}

export interface Pushed {
  ok: boolean;
  ms: number;
  /** The client's `--stats` "Total bytes sent", or null when it printed none. */
  bytesSent: number | null;
  stderr: string;
}

/** Runs one push, as one rsync client process, from spawn to exit. */
export async function push(
  target: PushTarget,
  source: string,
  name: string,
  options: PushOptions = {},
): Promise<Pushed> {
  const { command, args, env } = target.invocation(source, name, options);
  const result = await run(command, args, env);
  return {
    ok: result.code === 0,
    ms: result.ms,
    bytesSent: totalBytesSent(result.stdout),
    stderr: result.stderr.trim() || `${command} exited ${String(result.code)}`,
  };
}

function totalBytesSent(stats: string): number | null {
  const match = /^Total bytes sent: ([\d,.]+)/m.exec(stats);
  return match?.[1] === undefined ? null : Number(match[1].replace(/[,.]/g, ''));
}

/** A fresh appliance GUID, so that each push is a whole first transfer. */
export function newGuid(): string {
  return randomUUID().toUpperCase();
}

/**
 * Both servers get the same key exchange: left to itself the client picks sntrup761 with
 * OpenSSH, which TMSP's SSH library lacks, and its cost would weigh on every small push.
 */
const SSH = [
  'ssh',
  '-F /dev/null',
  '-o KexAlgorithms=curve25519-sha256',
  '-o StrictHostKeyChecking=no',
  '-o UserKnownHostsFile=/dev/null',
  '-o LogLevel=ERROR',
];

function sshCommand(options: string[], bind: string | undefined): string {
  return [...SSH, ...options, ...(bind === undefined ? [] : [`-b ${bind}`])].join(' ');
}

function rsyncArgs(rsh: string | null, options: PushOptions): string[] {
  return ['-a', '--stats', ...(options.extra ?? []), ...(rsh === null ? [] : ['-e', rsh])];
}

/** TMSP's SSH door with the registration secret fed through SSH_ASKPASS, as appliances do. */
export async function tmspSshTarget(tmsp: TmspUnderTest, dir: string): Promise<PushTarget> {
  const askpass = path.join(dir, 'askpass.sh');
  await writeFile(askpass, '#!/bin/sh\nprintf "%s\\n" "$BENCH_SECRET"\n');
  await chmod(askpass, 0o700);
  const env = baseEnv({
    SSH_ASKPASS: askpass,
    SSH_ASKPASS_REQUIRE: 'force',
    BENCH_SECRET: BENCH_CUSTOMER.secret,
  });
  const login = [
    `-p ${tmsp.sshPort}`,
    `-l ${BENCH_CUSTOMER.user}`,
    '-o PreferredAuthentications=password',
    '-o PubkeyAuthentication=no',
    '-o NumberOfPasswordPrompts=1',
  ];
  return {
    label: 'TMSP SSH door',
    port: tmsp.sshPort,
    invocation: (source, name, options) => ({
      command: 'rsync',
      args: [
        ...rsyncArgs(sshCommand(login, options.bind), options),
        `${source}/`,
        `127.0.0.1:${name}/`,
      ],
      env,
    }),
    landing: (name) => tmsp.area(name),
  };
}

/** The private sshd running the stock rsync, reached by the same client with a key. */
export async function openSshTarget(openssh: OpenSshReference, root: string): Promise<PushTarget> {
  await mkdir(root, { recursive: true });
  const login = [
    `-p ${openssh.port}`,
    `-l ${openssh.user}`,
    `-i ${openssh.clientKey}`,
    '-o IdentitiesOnly=yes',
    '-o BatchMode=yes',
  ];
  return {
    label: 'OpenSSH + rsync',
    port: openssh.port,
    invocation: (source, name, options) => ({
      command: 'rsync',
      args: [
        ...rsyncArgs(sshCommand(login, options.bind), options),
        `${source}/`,
        `127.0.0.1:${path.join(root, name)}/`,
      ],
      env: baseEnv(),
    }),
    landing: (name) => path.join(root, name),
  };
}

/**
 * rsync-ssl (openssl s_client underneath) dialling `localhost`, a name TMSP's certificate
 * carries, so the host name is checked as in the field.
 */
function rsyncSslTarget(
  label: string,
  port: number,
  ca: string,
  module: string,
  landing: (name: string) => string,
): PushTarget {
  const env = baseEnv({ RSYNC_PASSWORD: BENCH_CUSTOMER.secret, RSYNC_SSL_CA_CERT: ca });
  const base = `rsync://${BENCH_CUSTOMER.user}@localhost:${port}/${module}`;
  return {
    label,
    port,
    invocation: (source, name, options) => ({
      command: 'rsync-ssl',
      args: [...rsyncArgs(null, options), `${source}/`, `${base}/${name}/`],
      env,
    }),
    landing,
  };
}

export function tmspTlsTarget(tmsp: TmspUnderTest): PushTarget {
  const ca = path.join(tmsp.keysDir, 'ca.pem');
  return rsyncSslTarget('TMSP TLS door', tmsp.tlsPort, ca, 'logs', (name) => tmsp.area(name));
}

export function stunnelTarget(stunnel: StunnelReference, ca: string): PushTarget {
  return rsyncSslTarget('stunnel + rsync daemon', stunnel.port, ca, stunnel.module, (name) =>
    path.join(stunnel.root, name),
  );
}
