import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Endpoints } from '../../src/system/endpoints.js';

export const TMSP_BIN = path.resolve(import.meta.dirname, '../../bin/tmsp.js');

/** Every port on 0: the system picks free ones and reports them in endpoints.json. */
export const ANY_PORTS: Record<string, string> = {
  TMSP_SERVERS_ADMIN_PORT: '0',
  TMSP_SERVERS_ADMIN_HTTP_PORT: '0',
  TMSP_SERVERS_PORTAL_PORT: '0',
  TMSP_SERVERS_CAS_PORT: '0',
  TMSP_SERVERS_LOG_SSH_PORT: '0',
  TMSP_SERVERS_LOG_TLS_PORT: '0',
  TMSP_SERVERS_STATUS_PORT: '0',
  TMSP_SERVERS_STATUS_SSH_PORT: '0',
  TMSP_SERVERS_METRICS_PORT: '0',
};

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment a test's tmsp runs in: none of the caller's TMSP_ variables leak in. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('TMSP_')) env[name] = value;
  }
  return { ...env, ...extra };
}

/** Runs one tmsp command to its end. */
export function tmsp(args: string[], env: Record<string, string> = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TMSP_BIN, ...args], { env: cleanEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface RunningTmsp {
  child: ChildProcess;
  endpoints: Endpoints;
  stdout(): string;
  /** Sends SIGTERM (or the signal given) and resolves with the exit code and how long it took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
}

/** Starts `tmsp up` and waits until it has written endpoints.json. */
export async function tmspUp(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<RunningTmsp> {
  const child = spawn(process.execPath, [TMSP_BIN, 'up', '--data-dir', dataDir], {
    env: cleanEnv({ ...ANY_PORTS, ...env }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const deadline = Date.now() + 30_000;
  while (!stdout.includes('Endpoints:')) {
    if (child.exitCode !== null) throw new Error(`tmsp up exited ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`tmsp up did not come up: ${stderr}`);
    await sleep(50);
  }
  const endpoints = JSON.parse(
    await readFile(path.join(dataDir, 'endpoints.json'), 'utf8'),
  ) as Endpoints;

  return {
    child,
    endpoints,
    stdout: () => stdout,
    stop: async (signal = 'SIGTERM') => {
      const started = Date.now();
      child.kill(signal);
      const code = await exited;
      return { code, ms: Date.now() - started };
    },
  };
}

/** A port that was free a moment ago, for the few listeners a test must name itself. */
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

/** The customer account most end-to-end tests work with. */
export const ACME = {
  name: 'acme',
  registrationUser: 'acme-fleet',
  registrationSecret: 'Fleet-Secret-2026',
  portalUser: 'acme-staff',
  portalPassword: 'Portal-Password-9',
};

/** Adds a customer account with `tmsp customer add`, as an operator's script would. */
export async function addCustomer(
  dataDir: string,
  env: Record<string, string> = {},
  customer = ACME,
): Promise<void> {
  const result = await tmsp(
    [
      ...['customer', 'add', '--data-dir', dataDir, '--name', customer.name],
      ...['--registration-user', customer.registrationUser],
      ...['--registration-secret', customer.registrationSecret],
      ...['--portal-user', customer.portalUser, '--portal-password', customer.portalPassword],
    ],
    env,
  );
  if (result.code !== 0) throw new Error(`tmsp customer add failed: ${result.stderr}`);
}
