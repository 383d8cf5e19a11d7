/**
 * Sizes and counts of the rsync push benchmark. Each can be changed by an environment variable,
 * so that a quick look or a longer, steadier run needs no edit.
 */
export interface RsyncBenchSettings {
  bigMiB: number;
  smallFiles: number;
  smallKiB: number;
  deltaMiB: number;
  growthPercent: number;
  concurrentPushes: number;
  concurrentFiles: number;
  concurrentKiB: number;
  /** One appliance GUID for every concurrent push instead of one each. */
  sameGuid: boolean;
  /** Timed pushes per subject and size; the fastest counts, as the least disturbed. */
  runs: number;
  /** Adds --fsync to every push: the stock rsync then syncs each file, as TMSP always does. */
  fsync: boolean;
}

export function rsyncBenchSettings(env: NodeJS.ProcessEnv = process.env): RsyncBenchSettings {
  const number = (name: string, fallback: number): number => positive(env, name, fallback);
  return {
    bigMiB: number('BENCH_RSYNC_BIG_MIB', 256),
    smallFiles: number('BENCH_RSYNC_SMALL_FILES', 2000),
    smallKiB: number('BENCH_RSYNC_SMALL_KIB', 16),
    deltaMiB: number('BENCH_RSYNC_DELTA_MIB', 64),
    growthPercent: number('BENCH_RSYNC_GROWTH_PERCENT', 1),
    concurrentPushes: number('BENCH_RSYNC_CONCURRENT', 500),
    concurrentFiles: number('BENCH_RSYNC_CONCURRENT_FILES', 2),
    concurrentKiB: number('BENCH_RSYNC_CONCURRENT_KIB', 4),
    sameGuid: env['BENCH_RSYNC_SAME_GUID'] === '1',
    runs: number('BENCH_RSYNC_RUNS', 3),
    fsync: env['BENCH_RSYNC_FSYNC'] === '1',
  };
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${name} must be a positive number, not ${raw}`);
  }
  return value;
}
