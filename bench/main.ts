import { heartbeatBenchmark } from './heartbeats/heartbeat-bench.js';
import { httpsHealth } from './https-health.js';
import { ingestBenchmark } from './ingest/ingest-bench.js';
import { threatProfileBenchmark } from './ingest/profile-bench.js';
import { rsyncPush } from './rsync-push.js';

/** One benchmark's outcome: a ratio against a reference measured in the same run. */
export interface BenchResult {
  name: string;
  subject: string;
  reference: string;
  ratio: number;
  /** The raw figures behind the ratio, one line each. */
  details?: string[];
}

/** A benchmark that could not run here, or a remark about a run: said, never a ratio. */
export interface BenchNote {
  name: string;
  note: string;
}

export type BenchOutcome = BenchResult | BenchNote;

/**
 * Every benchmark, in the order they run; later issues add theirs here. BENCH_ONLY (names,
 * comma-separated) runs a few of them.
 */
const BENCHMARKS: Record<string, () => Promise<BenchOutcome | BenchOutcome[]>> = {
  'https-health': httpsHealth,
  'rsync-push': rsyncPush,
  ingest: ingestBenchmark,
  'threat-profile': threatProfileBenchmark,
  heartbeats: heartbeatBenchmark,
};

function report(outcome: BenchOutcome): string {
  if ('note' in outcome) return `${outcome.name}\n  ${outcome.note}\n`;
  const details = (outcome.details ?? []).map((line) => `    ${line}\n`).join('');
  return (
    `${outcome.name}\n  ${outcome.subject} vs ${outcome.reference}: ` +
    `ratio ${outcome.ratio.toFixed(2)}\n${details}`
  );
}

async function main(): Promise<void> {
  const only = process.env['BENCH_ONLY']?.split(',').filter(Boolean) ?? [];
  for (const [key, bench] of Object.entries(BENCHMARKS)) {
    if (only.length > 0 && !only.includes(key)) continue;
    const outcomes = await bench();
    for (const outcome of [outcomes].flat()) process.stdout.write(report(outcome));
  }
}

await main();
