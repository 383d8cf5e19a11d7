import type { NewDetection } from '../../src/ingest/lines.js';
import { SummaryTally, type SummaryCount } from '../../src/ingest/summaries.js';
import { openBareWriter, snakeCase, valuesOf, type BareWriter } from './bare-insert.js';
import { detectionRow, type RowOwner } from './ddi-line.js';
import type { BenchCustomer, BenchStore } from './engines.js';
import { INCIDENT_COLUMNS, IncidentTracker } from './incident-tracker.js';
import { detectionSpecs } from './world.js';

const HOUR_MS = 3_600_000;
const INCIDENT_WINDOW_MS = 3_600_000;
/** Rows per fill transaction: large, since the fill is not what is measured. */
const FILL_ROWS = 20_000;
const SUMMARY_COLUMNS = ['customer_id', 'hour', 'dimension', 'value', 'count'];
const SUMMARY_KEYS = ['customerId', 'hour', 'dimension', 'value', 'count'];
/** Appliances ship logs a few minutes after the event. */
const DELIVERY_DELAY_MS = 4 * 60_000;

export interface FillPlan {
  customer: BenchCustomer;
  detections: number;
  /** Epoch ms: the detections span [end - spanMs, end). */
  end: number;
  spanMs: number;
  seed: number;
  /** Told now and then how many detections are stored. */
  progress(stored: number): void;
}

/** What ingestion would have left: detections, their hourly summaries and their incidents. */
export interface Filled {
  summaries: number;
  incidents: number;
}

/**
 * Stores a customer's detections with bare inserts (without fsync), with the hourly summaries
 * and incidents ingestion keeps for them, built in memory from the same rows with ingestion's
 * own tally. The detections come in time order, so every hour and incident is complete when
 * it is written and nothing needs an upsert.
 */
export async function fillCustomer(bench: BenchStore, plan: FillPlan): Promise<Filled> {
  const writer = await openBareWriter(bench, { unsafeFast: true });
  try {
    const filler = new Filler(writer, plan);
    for (const spec of detectionSpecs(
      plan.seed,
      plan.end - plan.spanMs,
      plan.spanMs,
      plan.detections,
    )) {
      await filler.add(
        detectionRow(spec, filler.owner, filler.offset, spec.time + DELIVERY_DELAY_MS),
      );
    }
    const filled = await filler.finish();
    await writer.exec(
      `update customer_counters set detections = ${plan.detections}, ` +
        `lines_received = ${plan.detections}, incidents = ${filled.incidents} ` +
        `where customer_id = ${plan.customer.customerId}`,
    );
    if (bench.engine === 'sqlite') await writer.exec('pragma wal_checkpoint(truncate)');
    return filled;
  } finally {
    await writer.close();
  }
}

class Filler {
  readonly owner: RowOwner;
  offset = 0;
  #keys: Array<keyof NewDetection> | null = null;
  #rows: unknown[][] = [];
  #stored = 0;
  #hour = -1;
  #tally = new SummaryTally();
  readonly #incidents: IncidentTracker;
  readonly #filled: Filled = { summaries: 0, incidents: 0 };

  constructor(
    private readonly writer: BareWriter,
    private readonly plan: FillPlan,
  ) {
    const { customerId, productId } = plan.customer;
    this.owner = { customerId, productId, receivedFileId: 1 };
    this.#incidents = new IncidentTracker(customerId, INCIDENT_WINDOW_MS);
  }

  async add(row: NewDetection): Promise<void> {
    const hour = Math.floor(row.eventTime / HOUR_MS);
    if (hour !== this.#hour) await this.#newHour(hour, row.eventTime);
    this.#keys ??= Object.keys(row) as Array<keyof NewDetection>;
    this.#tally.add({ kind: 'detection', row, warnings: 0 });
    this.#incidents.add(
      row.detectionName ?? '',
      row.affectedHost ?? '',
      row.eventTime,
      row.severity ?? null,
    );
    this.#rows.push(valuesOf(row, this.#keys));
    this.offset += row.raw.length + 1;
    if (this.#rows.length >= FILL_ROWS) await this.#flushRows();
  }

  async finish(): Promise<Filled> {
    await this.#flushRows();
    await this.#flushSummaries(this.#tally.counts());
    this.#incidents.closeAll();
    await this.#flushIncidents();
    return this.#filled;
  }

  async #newHour(hour: number, time: number): Promise<void> {
    await this.#flushSummaries(this.#tally.counts());
    this.#tally = new SummaryTally();
    this.#hour = hour;
    this.#incidents.closeIdle(time);
    if (this.#incidents.waiting >= FILL_ROWS) await this.#flushIncidents();
  }

  async #flushRows(): Promise<void> {
    if (this.#rows.length === 0 || this.#keys === null) return;
    const before = Math.floor(this.#stored / (this.plan.detections / 10));
    await this.writer.insert('detections', this.#keys.map(snakeCase), this.#rows);
    this.#stored += this.#rows.length;
    this.#rows = [];
    if (Math.floor(this.#stored / (this.plan.detections / 10)) > before) {
      this.plan.progress(this.#stored);
    }
  }

  async #flushSummaries(counts: readonly SummaryCount[]): Promise<void> {
    if (counts.length === 0) return;
    await this.writer.insert(
      'hourly_summaries',
      SUMMARY_COLUMNS,
      counts.map((summary) => valuesOf(summary, SUMMARY_KEYS)),
    );
    this.#filled.summaries += counts.length;
  }

  async #flushIncidents(): Promise<void> {
    const rows = this.#incidents.take();
    for (let start = 0; start < rows.length; start += FILL_ROWS) {
      await this.writer.insert('incidents', INCIDENT_COLUMNS, rows.slice(start, start + FILL_ROWS));
    }
    this.#filled.incidents += rows.length;
  }
}
