import { loadavg } from 'node:os';

import type { Engine } from '../../src/storage/engine.js';
import type { BenchNote, BenchOutcome, BenchResult } from '../main.js';
import type { RowOwner } from './ddi-line.js';
import { chooseEngines, scratchBenchStore, type BenchStore } from './engines.js';
import { count, fixed2, median, range } from './figures.js';
import {
  ddiFile,
  detectionValues,
  ingestedLines,
  INGEST_SETTINGS,
  linesPerSecond,
  timeBareInsert,
  timeIngest,
  type Timed,
} from './ingest-run.js';
import { ingestPhases, type Phase } from './phases.js';
import { ingestBenchSettings } from './settings.js';

const TITLE = 'ingest';
const WARM_UP_LINES = 20_000;
/** A fresh store's first customer, appliance and received file: what the timed run gets. */
const OWNER: RowOwner = { customerId: 1, productId: 1, receivedFileId: 1 };

interface Round {
  subject: Timed;
  reference: Timed;
}

interface Rows {
  columns: string[];
  rows: unknown[][];
}

/**
 * DDI CEF detection lines through ingestVersion (read, frame, parse, normalise, commit with
 * summaries and incidents), against a bare prepared-statement insert of the same rows into
 * the same table of a fresh store, per engine; then where ingestion's time goes.
 */
export async function ingestBenchmark(): Promise<BenchOutcome[]> {
  const settings = ingestBenchSettings();
  const choice = await chooseEngines();
  const outcomes: BenchOutcome[] = [];
  if (choice.skipped !== null) outcomes.push({ name: TITLE, note: choice.skipped });
  const bytes = ddiFile(settings.lines);
  const warm = ddiFile(Math.min(WARM_UP_LINES, settings.lines), 2);
  const rows = detectionValues(ingestedLines(bytes, OWNER));
  const warmRows = detectionValues(ingestedLines(warm, OWNER));
  const file = { bytes, rows };
  for (const engine of choice.engines) {
    const onEngine = async <T>(use: (bench: BenchStore) => Promise<T>): Promise<T> =>
      withStore(engine, choice.postgresUrl, use);
    await round(onEngine, { bytes: warm, rows: warmRows }, false);
    const rounds: Round[] = [];
    for (let run = 0; run < settings.runs; run += 1) {
      rounds.push(await round(onEngine, file, run % 2 === 1));
    }
    outcomes.push(result(engine, rounds, bytes.length));
    const phases = await onEngine((bench) => ingestPhases(bench, bytes));
    outcomes.push(phaseNote(engine, phases, rounds));
  }
  return outcomes;
}

async function withStore<T>(
  engine: Engine,
  postgresUrl: string | null,
  use: (bench: BenchStore) => Promise<T>,
): Promise<T> {
  const bench = await scratchBenchStore(engine, postgresUrl);
  try {
    return await use(bench);
  } finally {
    await bench.drop();
  }
}

/** One subject and one reference run, each on a fresh store; the order alternates by run. */
async function round(
  onEngine: <T>(use: (bench: BenchStore) => Promise<T>) => Promise<T>,
  file: { bytes: Buffer; rows: Rows },
  referenceFirst: boolean,
): Promise<Round> {
  const subject = () => onEngine((bench) => timeIngest(bench, file.bytes, 'acme'));
  const reference = () => onEngine((bench) => timeBareInsert(bench, file.rows));
  if (referenceFirst) {
    const referenceRun = await reference();
    return { subject: await subject(), reference: referenceRun };
  }
  const subjectRun = await subject();
  return { subject: subjectRun, reference: await reference() };
}

function result(engine: Engine, rounds: readonly Round[], bytes: number): BenchResult {
  const subject = rounds.map((r) => linesPerSecond(r.subject));
  const reference = rounds.map((r) => linesPerSecond(r.reference));
  const ratios = rounds.map((r) => linesPerSecond(r.subject) / linesPerSecond(r.reference));
  const lines = rounds[0]?.subject.lines ?? 0;
  const bare =
    engine === 'sqlite'
      ? 'a prepared INSERT run per row'
      : 'a named multi-row INSERT per ≤ 2,259 rows';
  const details = [
    `${count(lines)} lines, ${(bytes / 1024 ** 2).toFixed(0)} MiB, one file; ` +
      `${count(INGEST_SETTINGS.batchLines)} lines a transaction; ${rounds.length} runs, ` +
      'each on fresh stores, subject and reference in alternating order',
    `ingestVersion: ${range(subject, count)} lines/s (median ${count(median(subject))})`,
    `bare insert (${bare}): ${range(reference, count)} rows/s ` +
      `(median ${count(median(reference))})`,
    `ratio per run: ${ratios.map(fixed2).join(', ')}; target ≥ 0.50` +
      (engine === 'sqlite' ? ', and ≥ 100,000 events/s' : ''),
    `load average ${(loadavg()[0] ?? NaN).toFixed(1)} at the end`,
  ];
  return {
    name: `${TITLE} on ${engine}: DDI CEF detection lines`,
    subject: `ingestVersion ${count(median(subject))} lines/s`,
    reference: `bare insert ${count(median(reference))} rows/s`,
    ratio: median(ratios),
    details,
  };
}

function phaseNote(engine: Engine, phases: readonly Phase[], rounds: readonly Round[]): BenchNote {
  const lines = rounds[0]?.subject.lines ?? 1;
  const endToEnd = median(rounds.map((r) => r.subject.seconds));
  const total = phases.reduce((sum, phase) => sum + phase.seconds, 0);
  const width = Math.max(...phases.map((phase) => phase.name.length));
  const rows = phases.map(
    (phase) =>
      `${phase.name.padEnd(width)} ${phase.seconds.toFixed(2).padStart(6)} s ` +
      `${((phase.seconds / lines) * 1e6).toFixed(1).padStart(6)} µs/line ` +
      `${((phase.seconds / total) * 100).toFixed(0).padStart(3)} %`,
  );
  const note =
    `where the time goes, each step run alone over the same ${count(lines)} lines ` +
    `(steps ${total.toFixed(2)} s in all; ingestVersion took ${endToEnd.toFixed(2)} s, ` +
    `${((endToEnd / lines) * 1e6).toFixed(1)} µs/line)` +
    rows.map((row) => `\n    ${row}`).join('');
  return { name: `${TITLE} on ${engine}: profile`, note };
}
