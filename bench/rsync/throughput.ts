import { rm } from 'node:fs/promises';

import type { BenchOutcome } from '../main.js';
import { mbPerSecond, oneLine, seconds } from './format.js';
import { run } from './processes.js';
import type { RsyncBenchSettings } from './settings.js';
import { newGuid, push, type PushTarget } from './targets.js';

/** TMSP's door and the stock server it is measured against, reached by the same client. */
export interface Pair {
  subject: PushTarget;
  reference: PushTarget;
}

type Role = keyof Pair;

export interface Payload {
  /** What is pushed, for the report: "1 × 256 MiB". */
  label: string;
  source: string;
  bytes: number;
}

/**
 * The same files pushed to both, each run into a fresh destination so that every push is a
 * whole first transfer. The ratio is TMSP's bytes per second over the reference's.
 */
export async function throughput(
  title: string,
  pair: Pair,
  payload: Payload,
  settings: RsyncBenchSettings,
): Promise<BenchOutcome> {
  const name = `${title}, ${payload.label}`;
  const best: Record<Role, number> = { subject: Infinity, reference: Infinity };
  for (let round = 0; round < settings.runs; round++) {
    // Alternating who goes first spreads any drift of the machine over both.
    const order: Role[] = round % 2 === 0 ? ['subject', 'reference'] : ['reference', 'subject'];
    for (const role of order) {
      const timed = await timedPush(pair[role], payload.source, settings);
      if (typeof timed === 'string') return { name, note: `${pair[role].label} failed: ${timed}` };
      best[role] = Math.min(best[role], timed);
    }
  }
  const rate = (role: Role): string => `${mbPerSecond(payload.bytes, best[role])} MB/s`;
  return {
    name,
    subject: `${pair.subject.label} ${rate('subject')}`,
    reference: `${pair.reference.label} ${rate('reference')}`,
    ratio: best.reference / best.subject,
    details: [
      `time ${seconds(best.subject)} s vs ${seconds(best.reference)} s ` +
        `(TMSP/reference time ${(best.subject / best.reference).toFixed(2)}, ` +
        `best of ${settings.runs})`,
    ],
  };
}

/** Milliseconds for one whole push, or the client's error. */
async function timedPush(
  target: PushTarget,
  source: string,
  settings: RsyncBenchSettings,
): Promise<number | string> {
  const name = newGuid();
  // The previous run's dirty pages reach the disk before this run's clock starts.
  await run('sync', []);
  const pushed = await push(target, source, name, { extra: clientOptions(settings) });
  await rm(target.landing(name), { recursive: true, force: true });
  return pushed.ok ? pushed.ms : oneLine(pushed.stderr);
}

/** The options every measured push adds to `-a --stats`. */
export function clientOptions(settings: RsyncBenchSettings): string[] {
  return settings.fsync ? ['--fsync'] : [];
}
