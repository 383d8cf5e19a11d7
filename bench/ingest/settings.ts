/**
 * Sizes of the ingest and threat-profile benchmarks, each changeable by an environment
 * variable, so that a quick look or a longer, steadier run needs no edit.
 */
export interface IngestBenchSettings {
  /** DDI CEF detection lines in the timed file. */
  lines: number;
  /** Timed rounds per engine, each on fresh stores: the spread is the noise. */
  runs: number;
}

export interface ProfileBenchSettings {
  /** Stored detections per customer, one customer (and one measurement) per size. */
  sizes: number[];
  /** Timed profile queries per size, after one untimed. */
  runs: number;
}

export function ingestBenchSettings(env: NodeJS.ProcessEnv = process.env): IngestBenchSettings {
  return {
    lines: positiveInteger(env, 'BENCH_INGEST_LINES', 200_000),
    runs: positiveInteger(env, 'BENCH_INGEST_RUNS', 3),
  };
}

export function profileBenchSettings(env: NodeJS.ProcessEnv = process.env): ProfileBenchSettings {
  const sizes = (env['BENCH_PROFILE_SIZES'] ?? '1000000,10000000')
    .split(',')
    .filter((size) => size.trim() !== '')
    .map((size) => checkedInteger('BENCH_PROFILE_SIZES', size.trim()));
  if (sizes.length === 0) throw new Error('BENCH_PROFILE_SIZES names no size');
  return { sizes, runs: positiveInteger(env, 'BENCH_PROFILE_RUNS', 5) };
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  return raw === undefined || raw === '' ? fallback : checkedInteger(name, raw);
}

function checkedInteger(name: string, raw: string): number {
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive whole number, not ${raw}`);
  }
  return value;
}
