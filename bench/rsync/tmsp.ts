import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Endpoints } from '../../src/system/endpoints.js';
import { baseEnv, type Daemon, REPO_ROOT, run, startDaemon } from './processes.js';

const TMSP_BIN = path.join(REPO_ROOT, 'bin', 'tmsp.js');

/** The customer account every benchmark appliance pushes as. */
export const BENCH_CUSTOMER = {
  name: 'bench',
  id: 1,
  user: 'bench-fleet',
  secret: 'Bench-Secret-2026',
};

/** Every port on 0: the system picks free ones and reports them in endpoints.json. */
const ANY_PORTS = Object.fromEntries(
  [
    'ADMIN_PORT',
    'ADMIN_HTTP_PORT',
    'PORTAL_PORT',
    'CAS_PORT',
    'LOG_SSH_PORT',
    'LOG_TLS_PORT',
    'STATUS_PORT',
    'STATUS_SSH_PORT',
    'METRICS_PORT',
  ].map((name) => [`TMSP_SERVERS_${name}`, '0']),
);

export interface Memory {
  rssKiB: number;
  peakKiB: number;
}

export interface TmspUnderTest {
  dataDir: string;
  pid: number;
  sshPort: number;
  tlsPort: number;
  keysDir: string;
  /** Where an appliance's pushed files land. */
  area(guid: string): string;
  /** Warning and error log lines (and anything not JSON, such as a crash) seen so far. */
  problems(): readonly string[];
  memory(): Promise<Memory>;
  /** Starts the peak RSS (VmHWM) afresh; false where the kernel does not allow it. */
  resetPeak(): Promise<boolean>;
  stop(): Promise<void>;
}

/** `tmsp up` as an operator starts it, in its own process, plus the bench customer. */
export async function startTmsp(dataDir: string): Promise<TmspUnderTest> {
  const problems: string[] = [];
  const env = baseEnv({ ...ANY_PORTS, TMSP_LOG_FORMAT: 'json' });
  const daemon = startDaemon(
    process.execPath,
    [TMSP_BIN, 'up', '--data-dir', dataDir],
    env,
    (line) => {
      if (isProblem(line)) problems.push(line);
    },
  );
  const endpoints = await awaitEndpoints(daemon, dataDir);
  await addBenchCustomer(dataDir);
  return {
    dataDir,
    pid: daemon.pid,
    sshPort: portOf(endpoints.log.ssh),
    tlsPort: portOf(endpoints.log.tls),
    keysDir: path.dirname(endpoints.caCertificate),
    area: (guid) => path.join(dataDir, 'areas', String(BENCH_CUSTOMER.id), guid),
    problems: () => problems,
    memory: () => memoryOf(daemon.pid),
    resetPeak: () => resetPeak(daemon.pid),
    stop: () => daemon.stop(),
  };
}

/** The startup banner, addresses and ready line are plain text or info; these are not. */
function isProblem(line: string): boolean {
  if (line.trim() === '') return false;
  if (!line.startsWith('{')) return !BANNER.some((pattern) => pattern.test(line));
  try {
    const { level } = JSON.parse(line) as { level?: unknown };
    return level === 'warn' || level === 'error' || level === 'fatal';
  } catch {
    return true;
  }
}

const BANNER = [/^TMSP is running:/, /^ {2}\S/, /^First logon:/, /^Endpoints:/];

async function awaitEndpoints(daemon: Daemon, dataDir: string): Promise<Endpoints> {
  const deadline = Date.now() + 30_000;
  while (!daemon.output().includes('Endpoints:')) {
    if (daemon.exited()) throw new Error(`tmsp up exited: ${daemon.output()}`);
    if (Date.now() > deadline) throw new Error(`tmsp up did not come up: ${daemon.output()}`);
    await sleep(50);
  }
  return JSON.parse(await readFile(path.join(dataDir, 'endpoints.json'), 'utf8')) as Endpoints;
}

async function addBenchCustomer(dataDir: string): Promise<void> {
  const { name, user, secret } = BENCH_CUSTOMER;
  const result = await run(
    process.execPath,
    [
      ...[TMSP_BIN, 'customer', 'add', '--data-dir', dataDir, '--name', name],
      ...['--registration-user', user, '--registration-secret', secret],
    ],
    baseEnv(),
  );
  if (result.code !== 0) throw new Error(`tmsp customer add failed: ${result.stderr}`);
}

function portOf(hostAndPort: string): number {
  return Number(hostAndPort.slice(hostAndPort.lastIndexOf(':') + 1));
}

async function memoryOf(pid: number): Promise<Memory> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKiB: kib('VmRSS'), peakKiB: kib('VmHWM') };
}

/** Writing 5 to clear_refs resets the peak resident set size (Linux 4.0 and later). */
async function resetPeak(pid: number): Promise<boolean> {
  try {
    await writeFile(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
