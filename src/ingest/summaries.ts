import type { Db } from '../storage/database.js';
import type { IngestedLine } from './lines.js';

const HOUR_MS = 3_600_000;
/** Longer values are cut: a summary key is for grouping, not for reading the whole URL. */
const MAX_KEY_LENGTH = 200;

/**
 * Counts kept per customer and hour of event time, so that dashboards and reports read a few
 * rows per hour instead of every detection. Dimensions: kind (every line, quarantined ones
 * included, by receive hour for those), and for detections severity, threat, host, protocol,
 * direction and detection type; application for application filter events, category for
 * URL filtering events.
 */
export type SummaryDimension =
  | 'kind'
  | 'severity'
  | 'threat'
  | 'host'
  | 'protocol'
  | 'direction'
  | 'detectionType'
  | 'application'
  | 'urlCategory';

export interface SummaryCount {
  customerId: number;
  hour: number;
  dimension: SummaryDimension;
  value: string;
  count: number;
}

/** One customer's counts of one hour, by dimension and value. */
interface HourCounts {
  customerId: number;
  hour: number;
  byDimension: Map<SummaryDimension, Map<string, SummaryCount>>;
}

/**
 * Counts are kept in nested maps, customer then hour then dimension then value: lines of a
 * batch mostly share their customer and hour, so those are looked up once per line and no key
 * text is built per count.
 */
export class SummaryTally {
  readonly #byCustomer = new Map<number, Map<number, HourCounts>>();
  #last: HourCounts | null = null;

  add(line: IngestedLine): void {
    if (line.kind === 'quarantine') {
      const { customerId, receiveTime } = line.row;
      this.#count(this.#hourCounts(customerId, receiveTime), 'kind', 'quarantined');
      return;
    }
    const hour = this.#hourCounts(line.row.customerId, line.row.eventTime);
    if (line.kind === 'detection') {
      const row = line.row;
      this.#count(hour, 'kind', 'detection');
      const severity = row.severity;
      this.#count(
        hour,
        'severity',
        severity === null || severity === undefined ? null : String(severity),
      );
      this.#count(hour, 'threat', row.detectionName);
      this.#count(hour, 'host', row.affectedHost);
      this.#count(hour, 'protocol', row.protocol);
      this.#count(hour, 'direction', row.direction);
      this.#count(hour, 'detectionType', row.detectionType);
      return;
    }
    const row = line.row;
    this.#count(hour, 'kind', row.kind);
    if (row.kind === 'application-filter') this.#count(hour, 'application', row.application);
    if (row.kind === 'url-filtering') this.#count(hour, 'urlCategory', row.urlCategory);
  }

  counts(): SummaryCount[] {
    const counts: SummaryCount[] = [];
    for (const hours of this.#byCustomer.values()) {
      for (const { byDimension } of hours.values()) {
        for (const values of byDimension.values()) {
          for (const count of values.values()) counts.push(count);
        }
      }
    }
    return counts;
  }

  #hourCounts(customerId: number, time: number): HourCounts {
    const hour = Math.floor(time / HOUR_MS) * HOUR_MS;
    const last = this.#last;
    if (last !== null && last.customerId === customerId && last.hour === hour) return last;
    let hours = this.#byCustomer.get(customerId);
    if (hours === undefined) {
      hours = new Map();
      this.#byCustomer.set(customerId, hours);
    }
    let counts = hours.get(hour);
    if (counts === undefined) {
      counts = { customerId, hour, byDimension: new Map() };
      hours.set(hour, counts);
    }
    this.#last = counts;
    return counts;
  }

  #count(hour: HourCounts, dimension: SummaryDimension, value: string | null | undefined): void {
    const text = value === null || value === undefined || value === '' ? 'unknown' : value;
    const keyValue = text.length > MAX_KEY_LENGTH ? text.slice(0, MAX_KEY_LENGTH) : text;
    let values = hour.byDimension.get(dimension);
    if (values === undefined) {
      values = new Map();
      hour.byDimension.set(dimension, values);
    }
    const known = values.get(keyValue);
    if (known !== undefined) {
      known.count += 1;
      return;
    }
    const { customerId } = hour;
    values.set(keyValue, { customerId, hour: hour.hour, dimension, value: keyValue, count: 1 });
  }
}

/** Rows per statement: five parameters each, well under both engines' limits. */
const UPSERT_ROWS = 500;

/** Adds the tally to the stored summaries, inside the caller's transaction. */
export async function addSummaries(db: Db, counts: readonly SummaryCount[]): Promise<void> {
  for (let start = 0; start < counts.length; start += UPSERT_ROWS) {
    await db
      .insertInto('hourlySummaries')
      .values(counts.slice(start, start + UPSERT_ROWS))
      .onConflict((conflict) =>
        conflict.columns(['customerId', 'dimension', 'hour', 'value']).doUpdateSet((eb) => ({
          count: eb('hourlySummaries.count', '+', eb.ref('excluded.count')),
        })),
      )
      .execute();
  }
}
