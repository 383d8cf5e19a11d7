import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';

import type { BenchOutcome } from './main.js';
import { concurrentPushes } from './rsync/concurrency.js';
import { deltaEfficiency } from './rsync/delta.js';
import { writeRandomFile, writeTree } from './rsync/files.js';
import { logSummary, tally } from './rsync/format.js';
import { startOpenSsh } from './rsync/openssh.js';
import { ensureBenchPackages, findProgram } from './rsync/packages.js';
import { type RsyncBenchSettings, rsyncBenchSettings } from './rsync/settings.js';
import { startStunnel } from './rsync/stunnel.js';
import {
  newGuid,
  openSshTarget,
  push,
  stunnelTarget,
  tmspSshTarget,
  tmspTlsTarget,
} from './rsync/targets.js';
import { type Pair, type Payload, throughput } from './rsync/throughput.js';
import { BENCH_CUSTOMER, startTmsp, type Memory, type TmspUnderTest } from './rsync/tmsp.js';

const TITLE = 'rsync push';

/** Cleanups run last first, whatever failed before them. */
class Cleanups {
  private readonly steps: Array<() => Promise<void>> = [];

  add(step: () => Promise<void>): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    for (const step of this.steps.reverse()) await step().catch(() => undefined);
  }
}

/**
 * Log pushes with the stock rsync client into TMSP's doors, against the same pushes into the
 * stock rsync server behind OpenSSH and behind stunnel on loopback; then delta transfer and a
 * burst of concurrent pushes. Sizes come from BENCH_RSYNC_* variables (see settings.ts).
 */
export async function rsyncPush(): Promise<BenchOutcome[]> {
  const settings = rsyncBenchSettings();
  const outcomes: BenchOutcome[] = [{ name: TITLE, note: setting(ensureBenchPackages()) }];
  const base = await mkdtemp(path.join(tmpdir(), 'tmsp-bench-rsync-'));
  const cleanups = new Cleanups();
  cleanups.add(() => rm(base, { recursive: true, force: true }));
  try {
    const tmsp = await startTmsp(path.join(base, 'tmsp'));
    cleanups.add(() => tmsp.stop());
    const payloads = await writePayloads(path.join(base, 'payloads'), settings);
    outcomes.push(...(await overSsh(tmsp, base, payloads, settings, cleanups)));
    outcomes.push(...(await overTls(tmsp, base, payloads, settings, cleanups)));
    outcomes.push(finalWord(tmsp, await tmsp.memory()));
  } finally {
    await cleanups.run();
  }
  return outcomes;
}

/** What was installed, and how busy the machine was, since other work skews every time. */
function setting(packages: string): string {
  const load = loadavg()[0] ?? NaN;
  return `${packages}; load average ${load.toFixed(1)} on ${availableParallelism()} CPUs at start`;
}

async function writePayloads(dir: string, settings: RsyncBenchSettings): Promise<Payload[]> {
  const big = path.join(dir, 'big');
  const bigBytes = settings.bigMiB * 1024 ** 2;
  await writeRandomFile(path.join(big, 'appliance.log'), bigBytes);
  const small = path.join(dir, 'small');
  const smallBytes = settings.smallKiB * 1024;
  await writeTree(small, settings.smallFiles, smallBytes);
  return [
    { label: `1 × ${settings.bigMiB} MiB`, source: big, bytes: bigBytes },
    {
      label: `${settings.smallFiles} × ${settings.smallKiB} KiB`,
      source: small,
      bytes: settings.smallFiles * smallBytes,
    },
  ];
}

async function overSsh(
  tmsp: TmspUnderTest,
  base: string,
  payloads: Payload[],
  settings: RsyncBenchSettings,
  cleanups: Cleanups,
): Promise<BenchOutcome[]> {
  const title = `${TITLE} over SSH (rsync -a)`;
  if (findProgram('sshd') === null) {
    return [{ name: title, note: 'skipped: sshd is missing (openssh-server installs as root)' }];
  }
  const openssh = await started(() => startOpenSsh(path.join(base, 'openssh')));
  if (typeof openssh === 'string') return [{ name: title, note: openssh }];
  cleanups.add(() => openssh.stop());
  const pair: Pair = {
    subject: await tmspSshTarget(tmsp, base),
    reference: await openSshTarget(openssh, path.join(base, 'openssh', 'landing')),
  };
  const warm = await warmUp(pair, base);
  if (warm !== null) return [{ name: title, note: warm }];
  // The burst goes first, while TMSP's heap holds no leftovers of the large pushes.
  const outcomes = [await concurrentPushes(pair, tmsp, base, settings)];
  for (const payload of payloads) outcomes.push(await throughput(title, pair, payload, settings));
  outcomes.push(await deltaEfficiency(pair, base, settings));
  return outcomes;
}

async function overTls(
  tmsp: TmspUnderTest,
  base: string,
  payloads: Payload[],
  settings: RsyncBenchSettings,
  cleanups: Cleanups,
): Promise<BenchOutcome[]> {
  const title = `${TITLE} over TLS (rsync-ssl -a)`;
  if (findProgram('stunnel4') === null && findProgram('stunnel') === null) {
    return [{ name: title, note: 'skipped: stunnel is missing (stunnel4 installs as root)' }];
  }
  const keys = tmsp.keysDir;
  const tls = {
    certificate: path.join(keys, 'server.pem'),
    key: path.join(keys, 'server-key.pem'),
  };
  const { user, secret } = BENCH_CUSTOMER;
  const stunnel = await started(() => startStunnel(path.join(base, 'stunnel'), tls, user, secret));
  if (typeof stunnel === 'string') return [{ name: title, note: stunnel }];
  cleanups.add(() => stunnel.stop());
  const pair: Pair = {
    subject: tmspTlsTarget(tmsp),
    reference: stunnelTarget(stunnel, path.join(keys, 'ca.pem')),
  };
  const warm = await warmUp(pair, base);
  if (warm !== null) return [{ name: title, note: warm }];
  const outcomes: BenchOutcome[] = [];
  for (const payload of payloads) outcomes.push(await throughput(title, pair, payload, settings));
  return outcomes;
}

/** A reference server, or why it did not start: the other parts still run. */
async function started<T>(start: () => Promise<T>): Promise<T | string> {
  try {
    return await start();
  } catch (error) {
    return `the reference did not start: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** One tiny push to each side first: connections to CAS, code paths and caches get warm. */
async function warmUp(pair: Pair, base: string): Promise<string | null> {
  const source = path.join(base, 'payloads', 'warm');
  await writeTree(source, 1, 1024);
  for (const target of [pair.subject, pair.reference]) {
    const name = newGuid();
    const pushed = await push(target, source, name);
    await rm(target.landing(name), { recursive: true, force: true });
    if (!pushed.ok) return `${target.label} refused the warm-up push: ${pushed.stderr}`;
  }
  return null;
}

function finalWord(tmsp: TmspUnderTest, memory: Memory): BenchOutcome {
  const problems = tmsp.problems();
  const lines = tally(problems.map(logSummary));
  const note =
    `TMSP logged ${problems.length} warning or error lines over the whole run; ` +
    `RSS at the end ${(memory.rssKiB / 1024).toFixed(0)} MiB, ` +
    `peak since the burst ${(memory.peakKiB / 1024).toFixed(0)} MiB; ` +
    `load average ${(loadavg()[0] ?? NaN).toFixed(1)} at the end` +
    lines.map((line) => `\n    ${line}`).join('');
  return { name: `${TITLE}: TMSP log`, note };
}
