import { createHash } from 'node:crypto';

import { commitBatch, type Cursor } from '../../src/ingest/commit.js';
import { clusterDetections } from '../../src/ingest/incidents.js';
import { ingestFrame, type IngestedLine, type LineSource } from '../../src/ingest/lines.js';
import { parseLine } from '../../src/ingest/parsers/detect-format.js';
import { Framer, type Frame } from '../../src/ingest/parsers/framing.js';
import { SummaryTally } from '../../src/ingest/summaries.js';
import type { RowOwner } from './ddi-line.js';
import type { BenchStore } from './engines.js';
import { INGEST_SETTINGS, RECEIVED_AT, recordBenchFile, secondsSince } from './ingest-run.js';

export interface Phase {
  name: string;
  seconds: number;
}

/** Adds up the time spent in named steps over many calls. */
class Stopwatch {
  readonly phases = new Map<string, number>();

  time<T>(name: string, step: () => T): T {
    const started = process.hrtime.bigint();
    const result = step();
    this.add(name, secondsSince(started));
    return result;
  }

  async timeAsync<T>(name: string, step: () => Promise<T>): Promise<T> {
    const started = process.hrtime.bigint();
    const result = await step();
    this.add(name, secondsSince(started));
    return result;
  }

  add(name: string, seconds: number): void {
    this.phases.set(name, (this.phases.get(name) ?? 0) + seconds);
  }
}

const HASH = 'SHA-256 of the bytes';
const FRAME = 'framing (LF split, UTF-8 decode)';
const PARSE = 'parse + normalise (parseLine)';
const ROWS = 'row building (ingestFrame − parseLine)';
const COMMIT = 'SQL and driver (commitBatch − tally − clustering)';
const TALLY = 'summary tally (in memory)';
const CLUSTER = 'incident clustering (in memory)';
/** As ingestVersion reads. */
const READ_SIZE = 1024 * 1024;

/**
 * Where ingestion's time goes, by running its steps one at a time, chunk by chunk and batch
 * by batch as ingestVersion does, on a fresh store: hashing and framing each chunk, then per
 * batch parsing, ingestFrame (parsing again, and building the rows), the summary tally and
 * incident clustering alone, and commitBatch itself (which does both again, then its SQL:
 * cursor, rows, summaries, incidents, counters). Steps that include others are reported less
 * those, so the figures add up to one pass; only reading the file (page cache) is left out.
 */
export async function ingestPhases(bench: BenchStore, bytes: Buffer): Promise<Phase[]> {
  const watch = new Stopwatch();
  const owner = await receivedFile(bench, bytes);
  const hash = createHash('sha256');
  const framer = new Framer({ maxFrameBytes: INGEST_SETTINGS.maxLineBytes });
  const batches = new BatchRunner(bench, watch, owner);
  let frames: Frame[] = [];
  for (let at = 0; at < bytes.length; at += READ_SIZE) {
    const chunk = bytes.subarray(at, at + READ_SIZE);
    watch.time(HASH, () => hash.update(chunk));
    frames = frames.concat(watch.time(FRAME, () => framer.push(chunk)));
    while (frames.length >= INGEST_SETTINGS.batchLines) {
      await batches.run(frames.slice(0, INGEST_SETTINGS.batchLines));
      frames = frames.slice(INGEST_SETTINGS.batchLines);
    }
  }
  frames = frames.concat(framer.finish({ fileComplete: true }).frames);
  if (frames.length > 0) await batches.run(frames);
  watch.add(ROWS, -(watch.phases.get(PARSE) ?? 0));
  const inMemory = (watch.phases.get(TALLY) ?? 0) + (watch.phases.get(CLUSTER) ?? 0);
  watch.add(COMMIT, -inMemory);
  return [...watch.phases].map(([name, seconds]) => ({ name, seconds }));
}

async function receivedFile(bench: BenchStore, bytes: Buffer): Promise<RowOwner> {
  const { customer, fileId } = await recordBenchFile(bench, 'phases', bytes);
  return { customerId: customer.customerId, productId: customer.productId, receivedFileId: fileId };
}

/** Runs one batch's steps, each timed alone, and commits it after the previous one. */
class BatchRunner {
  #cursor: Cursor = { length: 0, sha256: null };
  readonly #source: LineSource;

  constructor(
    private readonly bench: BenchStore,
    private readonly watch: Stopwatch,
    private readonly owner: RowOwner,
  ) {
    const receiveTime = new Date(RECEIVED_AT);
    this.#source = { ...owner, receiveTime, timeZone: 'UTC', fileFormat: 'cef' };
  }

  async run(frames: readonly Frame[]): Promise<void> {
    const { watch } = this;
    const source = this.#source;
    watch.time(PARSE, () => {
      for (const { text } of frames) parseLine(text, source);
    });
    const lines = watch.time(ROWS, () => frames.map((frame) => ingestFrame(frame, source)));
    const detections = lines.flatMap((line) => (line.kind === 'detection' ? [line.row] : []));
    watch.time(TALLY, () => {
      const tally = new SummaryTally();
      for (const line of lines) tally.add(line);
      return tally.counts();
    });
    const window = INGEST_SETTINGS.incidentWindowMs;
    watch.time(CLUSTER, () => clusterDetections(detections, window));
    const next = { length: this.#cursor.length + lines.length, sha256: 'f'.repeat(64) };
    await watch.timeAsync(COMMIT, () => this.#commit(lines, next));
    this.#cursor = next;
  }

  #commit(lines: readonly IngestedLine[], next: Cursor): Promise<void> {
    return commitBatch(this.bench.store, {
      ...this.owner,
      expected: this.#cursor,
      next,
      lines,
      outcome: null,
      now: RECEIVED_AT,
      incidentWindowMs: INGEST_SETTINGS.incidentWindowMs,
    });
  }
}
