import { SAME_THREAT_SAME_HOST } from '../../src/ingest/incidents.js';

interface OpenIncident {
  threat: string;
  host: string;
  firstSeen: number;
  lastSeen: number;
  detections: number;
  severity: number | null;
}

export const INCIDENT_COLUMNS = [
  'customer_id',
  'rule',
  'threat',
  'host',
  'first_seen',
  'last_seen',
  'detections',
  'severity',
];

/**
 * The incidents ingestion's rule makes of detections that arrive in time order (the same
 * threat on the same host, no gap longer than the window), kept open in memory and handed
 * out as rows once closed, so that a fill of millions needs no lookups.
 */
export class IncidentTracker {
  readonly #open = new Map<string, OpenIncident>();
  #closed: unknown[][] = [];

  constructor(
    private readonly customerId: number,
    private readonly windowMs: number,
  ) {}

  add(threat: string, host: string, time: number, severity: number | null): void {
    const key = `${threat}\u0000${host}`;
    const open = this.#open.get(key);
    if (open !== undefined && time - open.lastSeen <= this.windowMs) {
      open.lastSeen = time;
      open.detections += 1;
      if (severity !== null) open.severity = Math.max(open.severity ?? severity, severity);
      return;
    }
    if (open !== undefined) this.#close(open);
    this.#open.set(key, { threat, host, firstSeen: time, lastSeen: time, detections: 1, severity });
  }

  /** Closes what no detection at or after `time` can extend any more. */
  closeIdle(time: number): void {
    for (const [key, open] of this.#open) {
      if (time - open.lastSeen <= this.windowMs) continue;
      this.#close(open);
      this.#open.delete(key);
    }
  }

  closeAll(): void {
    for (const open of this.#open.values()) this.#close(open);
    this.#open.clear();
  }

  /** The closed incidents' rows, in INCIDENT_COLUMNS order, handed out once. */
  take(): unknown[][] {
    const rows = this.#closed;
    this.#closed = [];
    return rows;
  }

  get waiting(): number {
    return this.#closed.length;
  }

  #close(open: OpenIncident): void {
    this.#closed.push([
      this.customerId,
      SAME_THREAT_SAME_HOST,
      open.threat,
      open.host,
      open.firstSeen,
      open.lastSeen,
      open.detections,
      open.severity,
    ]);
  }
}
