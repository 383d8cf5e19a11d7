import { rm } from 'node:fs/promises';
import path from 'node:path';

import type { BenchOutcome } from '../main.js';
import { watchConnections } from './connections.js';
import { writeTree } from './files.js';
import { logSummary, oneLine, seconds, tally } from './format.js';
import type { RsyncBenchSettings } from './settings.js';
import { newGuid, push, type PushTarget } from './targets.js';
import type { Pair } from './throughput.js';
import type { Memory, TmspUnderTest } from './tmsp.js';

interface Burst {
  ms: number;
  errors: string[];
  /** The most connections the server held open at once. */
  peakConnections: number;
  /** Each push's own time, from its client's start to its exit, shortest first. */
  pushMs: number[];
}

/**
 * Many appliances pushing a few small files at the same moment, each from its own loopback
 * address (as from its own site), to TMSP's SSH door and then to the OpenSSH reference. The
 * ratio is the reference's wall time over TMSP's; TMSP's peak RSS is read from VmHWM.
 */
export async function concurrentPushes(
  pair: Pair,
  tmsp: TmspUnderTest,
  dir: string,
  settings: RsyncBenchSettings,
): Promise<BenchOutcome> {
  const count = settings.concurrentPushes;
  const guids = settings.sameGuid ? 'one appliance GUID' : 'a GUID each';
  const name =
    `${count} concurrent SSH pushes of ${settings.concurrentFiles} × ` +
    `${settings.concurrentKiB} KiB (${guids}, one source address each)`;
  const sources = await writeSources(dir, settings);
  const shared = newGuid();
  const names = sources.map(() => (settings.sameGuid ? shared : newGuid()));
  try {
    const peakReset = await tmsp.resetPeak();
    const before = await tmsp.memory();
    const logged = tmsp.problems().length;
    const subject = await burst(pair.subject, sources, names);
    const after = await tmsp.memory();
    const logLines = tmsp.problems().slice(logged);
    const reference = await burst(pair.reference, sources, names);
    const memory = memoryLine(before, after, subject.peakConnections, peakReset);
    return burstResult(name, pair, { subject, reference }, memory, logLines);
  } finally {
    await rm(path.join(dir, 'concurrent'), { recursive: true, force: true });
  }
}

async function writeSources(dir: string, settings: RsyncBenchSettings): Promise<string[]> {
  const sources: string[] = [];
  for (let index = 0; index < settings.concurrentPushes; index++) {
    const source = path.join(dir, 'concurrent', String(index));
    // Names of their own, so that pushes into one GUID do not overwrite each other.
    const prefix = `push-${index}`;
    await writeTree(source, settings.concurrentFiles, settings.concurrentKiB * 1024, prefix);
    sources.push(source);
  }
  return sources;
}

/** 127.0.1.1, 127.0.1.2, …: all loopback, each a different peer to the server. */
function sourceAddress(index: number): string {
  return `127.0.${1 + Math.floor(index / 250)}.${1 + (index % 250)}`;
}

async function burst(target: PushTarget, sources: string[], names: string[]): Promise<Burst> {
  const watch = watchConnections(target.port);
  const started = process.hrtime.bigint();
  const pushes = await Promise.all(
    sources.map((source, index) =>
      push(target, source, names[index] ?? '', { bind: sourceAddress(index) }),
    ),
  );
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const peakConnections = await watch.stop();
  for (const landing of new Set(names.map((name) => target.landing(name)))) {
    await rm(landing, { recursive: true, force: true });
  }
  const errors = pushes.filter((pushed) => !pushed.ok).map((pushed) => oneLine(pushed.stderr));
  const pushMs = pushes.map((pushed) => pushed.ms).sort((a, b) => a - b);
  return { ms, errors, peakConnections, pushMs };
}

/** Median and slowest of a sorted list of milliseconds. */
function spread(sorted: number[]): string {
  const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
  const slowest = sorted[sorted.length - 1] ?? NaN;
  return `${seconds(median)} s (median) to ${seconds(slowest)} s`;
}

/** Growth over the connections really open at once, not over all the pushes of the burst. */
function memoryLine(before: Memory, after: Memory, open: number, reset: boolean): string {
  const growth = after.peakKiB - before.rssKiB;
  return (
    `TMSP RSS ${(before.rssKiB / 1024).toFixed(0)} MiB before, peak ` +
    `${(after.peakKiB / 1024).toFixed(0)} MiB${reset ? '' : ' (peak since start)'}, ` +
    `${open} connections open at most: ${(growth / Math.max(open, 1)).toFixed(0)} KiB each`
  );
}

function burstResult(
  name: string,
  pair: Pair,
  bursts: Record<keyof Pair, Burst>,
  memory: string,
  logLines: readonly string[],
): BenchOutcome {
  const describe = (role: keyof Pair): string =>
    `${pair[role].label} ${seconds(bursts[role].ms)} s, ${bursts[role].errors.length} errors, ` +
    `${bursts[role].peakConnections} open at most`;
  const errors = (role: keyof Pair): string[] =>
    tally(bursts[role].errors).map((line) => `${pair[role].label} client error: ${line}`);
  return {
    name,
    subject: describe('subject'),
    reference: describe('reference'),
    ratio: bursts.reference.ms / bursts.subject.ms,
    details: [
      `one push took ${spread(bursts.subject.pushMs)} with TMSP, ` +
        `${spread(bursts.reference.pushMs)} with the reference`,
      memory,
      `TMSP logged ${logLines.length} warning or error lines meanwhile`,
      ...tally(logLines.map(logSummary)).map((line) => `TMSP log: ${line}`),
      ...logLines.slice(0, 3).map((line) => `TMSP log line: ${oneLine(line, 600)}`),
      ...errors('subject'),
      ...errors('reference'),
    ],
  };
}
