import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { ingestVersion, type IngestSettings } from '../../src/ingest/file-ingest.js';
import { ingestFrame, type IngestedLine, type NewDetection } from '../../src/ingest/lines.js';
import { Framer } from '../../src/ingest/parsers/framing.js';
import { pendingVersions } from '../../src/ingest/versions.js';
import { recordReceivedFile } from '../../src/logserver/received-files.js';
import { receivedFilePath } from '../../src/shared/area-layout.js';
import { fixedClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/log.js';
import { openBareWriter, snakeCase, valuesOf } from './bare-insert.js';
import { ddiLine, type RowOwner } from './ddi-line.js';
import { addBenchCustomer, type BenchStore } from './engines.js';
import { detectionSpecs } from './world.js';

/** When the benchmark's file arrives; its lines span the three days before. */
export const RECEIVED_AT = Date.parse('2025-06-01T00:00:00Z');
const SPAN_MS = 3 * 86_400_000;

/** The shipped defaults: 5,000 lines per transaction. */
export const INGEST_SETTINGS: IngestSettings = {
  maxLineBytes: DEFAULT_CONFIG.ingest.maxLineBytes,
  batchLines: DEFAULT_CONFIG.ingest.batchLines,
  settleMs: DEFAULT_CONFIG.ingest.settleSeconds * 1000,
  incidentWindowMs: DEFAULT_CONFIG.ingest.incidentWindowMinutes * 60_000,
};

export interface Timed {
  lines: number;
  seconds: number;
}

export function linesPerSecond(timed: Timed): number {
  return timed.lines / timed.seconds;
}

/** `count` DDI detection lines, LF-terminated, the same for every seed. */
export function ddiFile(count: number, seed = 1): Buffer {
  const lines: string[] = [];
  const start = RECEIVED_AT - SPAN_MS - 3_600_000;
  for (const spec of detectionSpecs(seed, start, SPAN_MS, count)) lines.push(ddiLine(spec));
  lines.push('');
  return Buffer.from(lines.join('\n'));
}

/**
 * Ingests the bytes as one received file of a new customer's appliance, landed the way the
 * log server lands files, and times ingestVersion alone: reading, framing, parsing,
 * normalising and committing every batch with its summaries, incidents and counters.
 */
export async function timeIngest(bench: BenchStore, bytes: Buffer, name: string): Promise<Timed> {
  const { customer, fileId, clock } = await recordBenchFile(bench, name, bytes);
  const target = receivedFilePath(bench.areasDir, customer.customerId, customer.guid, 'ddi.log');
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(`${target}.tmp`, bytes);
  await rename(`${target}.tmp`, target);
  const version = (await pendingVersions(bench.store.db, 100)).find((v) => v.id === fileId);
  if (version === undefined) throw new Error('the landed file is not waiting for ingestion');
  const deps = {
    store: bench.store,
    areasDir: bench.areasDir,
    clock,
    logger: silentLogger(),
    settings: INGEST_SETTINGS,
    resumes: new Map(),
  };

  const started = process.hrtime.bigint();
  const result = await ingestVersion(deps, version);
  const seconds = secondsSince(started);
  if (result.state !== 'done') throw new Error(`ingestion stopped ${result.state}`);
  await checkStored(bench, customer.customerId, result.lines);
  return { lines: result.lines, seconds };
}

/** Every line must have become a detection: a parser change must not make the figure hollow. */
async function checkStored(bench: BenchStore, customerId: number, lines: number): Promise<void> {
  const counters = await bench.store.db
    .selectFrom('customerCounters')
    .select(['detections', 'quarantined'])
    .where('customerId', '=', customerId)
    .executeTakeFirstOrThrow();
  if (counters.detections !== lines) {
    throw new Error(`${lines} lines gave ${counters.detections} detections, not all`);
  }
}

/** What ingestion makes of the bytes, built once and untimed for the bare insert. */
export function ingestedLines(bytes: Buffer, owner: RowOwner): IngestedLine[] {
  const framer = new Framer({ maxFrameBytes: INGEST_SETTINGS.maxLineBytes });
  const frames = [...framer.push(bytes), ...framer.finish({ fileComplete: true }).frames];
  const source = {
    ...owner,
    receiveTime: new Date(RECEIVED_AT),
    timeZone: 'UTC',
    fileFormat: 'cef' as const,
  };
  return frames.map((frame) => ingestFrame(frame, source));
}

/** The detection rows as value arrays in one column order, for the bare insert. */
export function detectionValues(lines: readonly IngestedLine[]): {
  columns: string[];
  rows: unknown[][];
} {
  const detections = lines.flatMap((line) => (line.kind === 'detection' ? [line.row] : []));
  if (detections.length !== lines.length)
    throw new Error('the benchmark file is not all detections');
  const keys = Object.keys(detections[0] ?? {}) as Array<keyof NewDetection>;
  return { columns: keys.map(snakeCase), rows: detections.map((row) => valuesOf(row, keys)) };
}

/**
 * The reference: the same rows into the same table of a fresh store, one prepared statement
 * per row (SQLite) or a prepared multi-row statement (PostgreSQL), one transaction per batch
 * of ingestion's batch size.
 */
export async function timeBareInsert(
  bench: BenchStore,
  values: { columns: string[]; rows: unknown[][] },
): Promise<Timed> {
  const writer = await openBareWriter(bench);
  const batch = INGEST_SETTINGS.batchLines;
  try {
    const started = process.hrtime.bigint();
    for (let start = 0; start < values.rows.length; start += batch) {
      await writer.insert('detections', values.columns, values.rows.slice(start, start + batch));
    }
    return { lines: values.rows.length, seconds: secondsSince(started) };
  } finally {
    await writer.close();
  }
}

export function secondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** A new customer's appliance and the received_files row of `bytes` as its `ddi.log`. */
export async function recordBenchFile(bench: BenchStore, name: string, bytes: Buffer) {
  const clock = fixedClock(new Date(RECEIVED_AT));
  const customer = await addBenchCustomer(bench.store, name, clock);
  const file = {
    customerId: customer.customerId,
    productId: customer.productId,
    name: 'ddi.log',
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    mtime: Math.floor(RECEIVED_AT / 1000),
  };
  const fileId = await recordReceivedFile(bench.store, file, clock);
  return { customer, fileId, clock };
}
