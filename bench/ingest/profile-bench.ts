import { loadavg } from 'node:os';

import { sql } from 'kysely';

import { threatProfile } from '../../src/reports/threat-profile.js';
import { fixedClock } from '../../src/shared/clock.js';
import type { Engine } from '../../src/storage/engine.js';
import type { BenchOutcome } from '../main.js';
import { openBareWriter } from './bare-insert.js';
import { addBenchCustomer, chooseEngines, scratchBenchStore, type BenchStore } from './engines.js';
import { count, median, range, seconds } from './figures.js';
import { secondsSince } from './ingest-run.js';
import { fillCustomer, type Filled } from './profile-fill.js';
import { checkRowsAgree } from './row-check.js';
import { profileBenchSettings, type ProfileBenchSettings } from './settings.js';
import { HOSTS, THREATS } from './world.js';

const TITLE = 'threat profile';
const DAY_MS = 86_400_000;
const STORED_DAYS = 60;
const PROFILE_DAYS = 30;
/** Midnight UTC: the profile covers the 30 whole days before it, the data the 60 before. */
const END = Date.parse('2025-06-01T00:00:00Z');

interface Measured {
  size: number;
  fillSeconds: number;
  filled: Filled;
  /** Summary rows the profile reads, and how many a per-day rollup would hold instead. */
  hourRows: number;
  dayRows: number;
  times: number[];
}

/**
 * The portal's 30-day threat profile for customers with each of BENCH_PROFILE_SIZES stored
 * detections (60 days of them), on one store per engine; reports each time and how it grows
 * from the smallest to the largest size. It must grow far less than the detections do.
 */
export async function threatProfileBenchmark(): Promise<BenchOutcome[]> {
  const settings = profileBenchSettings();
  const choice = await chooseEngines();
  const outcomes: BenchOutcome[] = [];
  if (choice.skipped !== null) outcomes.push({ name: TITLE, note: choice.skipped });
  checkRowsAgree(2_000);
  for (const engine of choice.engines) {
    const bench = await scratchBenchStore(engine, choice.postgresUrl);
    try {
      const measured: Measured[] = [];
      for (const size of settings.sizes) measured.push(await measureSize(bench, size, settings));
      outcomes.push(outcome(engine, measured));
    } finally {
      await bench.drop();
    }
  }
  return outcomes;
}

async function measureSize(
  bench: BenchStore,
  size: number,
  settings: ProfileBenchSettings,
): Promise<Measured> {
  const clock = fixedClock(new Date(END));
  const customer = await addBenchCustomer(bench.store, `profile-${size}`, clock);
  const started = process.hrtime.bigint();
  const say = (text: string) => process.stderr.write(`${TITLE} on ${bench.engine}: ${text}\n`);
  const filled = await fillCustomer(bench, {
    customer,
    detections: size,
    end: END,
    spanMs: STORED_DAYS * DAY_MS,
    seed: size,
    progress: (stored) => {
      const elapsed = secondsSince(started).toFixed(0);
      say(`${count(stored)} of ${count(size)} detections stored (${elapsed} s)`);
    },
  });
  const fillSeconds = secondsSince(started);
  if (bench.engine === 'postgres') await vacuumAnalyze(bench);
  const range = { from: new Date(END - PROFILE_DAYS * DAY_MS), to: new Date(END) };
  const rows = await summaryRows(bench, customer.customerId, range.from.getTime());
  say(`timing the profile (${count(rows.hourRows)} summary rows in its 30 days)`);

  const profileOnce = async (): Promise<number> => {
    const at = process.hrtime.bigint();
    const profile = await threatProfile(bench.store.db, customer.customerId, range);
    if (profile.detections === 0) throw new Error('the profile found no detections');
    return secondsSince(at);
  };
  await profileOnce();
  const times: number[] = [];
  for (let run = 0; run < settings.runs; run += 1) times.push(await profileOnce());
  return { size, fillSeconds, filled, ...rows, times };
}

/** What autovacuum would do by itself after a bulk load: statistics and a visibility map. */
async function vacuumAnalyze(bench: BenchStore): Promise<void> {
  const writer = await openBareWriter(bench);
  try {
    for (const table of ['hourly_summaries', 'incidents'])
      await writer.exec(`vacuum analyze ${table}`);
  } finally {
    await writer.close();
  }
}

async function summaryRows(
  bench: BenchStore,
  customerId: number,
  from: number,
): Promise<{ hourRows: number; dayRows: number }> {
  const { rows } = await sql<{ hourRows: number | string; dayRows: number | string }>`
    select count(*) as hour_rows,
      count(distinct ${sql.raw(`(hour / ${DAY_MS})`)} || '|' || dimension || '|' || value)
        as day_rows
    from hourly_summaries
    where customer_id = ${customerId} and hour >= ${from} and hour < ${END}`.execute(
    bench.store.db,
  );
  const row = rows[0];
  return { hourRows: Number(row?.hourRows ?? 0), dayRows: Number(row?.dayRows ?? 0) };
}

function outcome(engine: Engine, measured: readonly Measured[]): BenchOutcome {
  const name = `${TITLE} on ${engine}: ${PROFILE_DAYS} days of ${STORED_DAYS} stored`;
  const details = [
    `${THREATS} threats and ${count(HOSTS)} hosts, Zipf-skewed; ` +
      `median of ${measured[0]?.times.length ?? 0} runs after one untimed`,
    ...measured.map(sizeLine),
    `load average ${(loadavg()[0] ?? NaN).toFixed(1)} at the end`,
  ];
  const first = measured[0];
  const last = measured[measured.length - 1];
  if (first === undefined || last === undefined || first === last) {
    return { name, note: details.join('\n    ') };
  }
  const growth = median(last.times) / median(first.times);
  details.push(
    `growth ${growth.toFixed(2)}× for ${(last.size / first.size).toFixed(0)}× the detections ` +
      `(summary rows read ${(last.hourRows / first.hourRows).toFixed(2)}×)`,
  );
  return {
    name,
    subject: `${count(last.size)} detections ${seconds(median(last.times))}`,
    reference: `${count(first.size)} detections ${seconds(median(first.times))}`,
    ratio: growth,
    details,
  };
}

function sizeLine(measured: Measured): string {
  return (
    `${count(measured.size)} detections: profile ${range(measured.times, seconds)} ` +
    `(median ${seconds(median(measured.times))}); reads ${count(measured.hourRows)} summary ` +
    `rows (a daily rollup would hold ${count(measured.dayRows)}); ` +
    `${count(measured.filled.incidents)} incidents, ${count(measured.filled.summaries)} ` +
    `summary rows stored; filled in ${measured.fillSeconds.toFixed(0)} s`
  );
}
