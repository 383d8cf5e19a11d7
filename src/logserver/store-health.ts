import { ExitCode, RsyncError } from '../rsync/errors.js';
import type { Clock } from '../shared/clock.js';
import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import type { Store } from '../storage/database.js';
import { clearAlarm, STORE_ALARM, storeAlarm } from './store-alarms.js';
import { failedPart, STORE_UNAVAILABLE, StoreFailure, type StorePart } from './store-failures.js';
import { probeStore } from './store-probe.js';

/** How often a running log server tries a probe write while the store refuses writes. */
export const PROBE_INTERVAL_MS = 5_000;

export interface StoreHealthOptions {
  store: Store;
  areasDir: string;
  clock: Clock;
  logger: Logger;
  /** Shows 1 while the store takes writes, 0 while it refuses them. */
  gauge: { set(value: number): void };
  probeIntervalMs: number;
}

interface Outage {
  since: number;
  part: StorePart;
  /** The first failure, in one line. */
  error: string;
  /** Where it was seen: the push or task that hit it. */
  seenBy: Record<string, unknown>;
  refusedPushes: number;
  alarmId: number | null;
}

/**
 * Whether the store (the database and the disk holding the areas) takes writes, as the doors,
 * the push recording and ingestion find it. A write that fails for the store's own reasons
 * raises an alarm (an error log line, the gauge, an alarm row) and makes the doors refuse new
 * pushes before any file data moves, so that appliances keep their files. A probe write every
 * few seconds finds the store recovered, clears the alarm and lets pushes in again.
 */
export class StoreHealth {
  private outage: Outage | null = null;
  private timer: NodeJS.Timeout | null = null;
  private attempt: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly options: StoreHealthOptions) {}

  get writable(): boolean {
    return this.outage === null;
  }

  /** Throws the refusal a new push gets while the store refuses writes. */
  refuseWhileUnwritable(): void {
    if (this.outage === null) return;
    this.outage.refusedPushes += 1;
    throw new RsyncError(STORE_UNAVAILABLE, ExitCode.fileIo);
  }

  /** Hears of a failed write or read; one the store is to blame for raises the alarm. */
  noteFailure(error: unknown, seenBy: Record<string, unknown>): void {
    const part = failedPart(error);
    if (part === null || this.outage !== null) return;
    const underlying = error instanceof StoreFailure ? error.underlying : error;
    this.outage = {
      since: this.options.clock.now().getTime(),
      part,
      error: describeError(underlying),
      seenBy,
      refusedPushes: 0,
      alarmId: null,
    };
    this.options.gauge.set(0);
    this.options.logger.error(
      { alarm: STORE_ALARM, part, err: this.outage.error, ...seenBy },
      'the store refuses writes; new pushes are refused until a probe write succeeds',
    );
    this.schedule(0);
  }

  /** Ends the probing (at shutdown); the state stays as it was. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.attempt;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.attempt = this.tryRecovery().finally(() => (this.attempt = null));
    }, delayMs);
    // A probe pending must not keep a stopping process alive.
    this.timer.unref();
  }

  private async tryRecovery(): Promise<void> {
    const outage = this.outage;
    if (outage === null) return;
    await this.keepAlarm(outage);
    try {
      await probeStore(this.options.store, this.options.areasDir, this.options.clock.now());
      await this.clear(outage);
    } catch (error) {
      const cause = error instanceof StoreFailure ? error.underlying : error;
      this.options.logger.debug(
        { alarm: STORE_ALARM, part: failedPart(error), err: describeError(cause) },
        'the store still refuses writes',
      );
      this.schedule(this.options.probeIntervalMs);
    }
  }

  /** The alarm row, as soon as the database takes it (at once, when only the disk failed). */
  private async keepAlarm(outage: Outage): Promise<void> {
    if (outage.alarmId !== null) return;
    try {
      outage.alarmId = await storeAlarm(this.options.store, {
        raisedAt: outage.since,
        clearedAt: null,
        detail: detailOf(outage),
      });
    } catch (error) {
      this.options.logger.debug({ err: describeError(error) }, 'alarm row not stored yet');
    }
  }

  private async clear(outage: Outage): Promise<void> {
    const clearedAt = this.options.clock.now().getTime();
    const detail = detailOf(outage);
    if (outage.alarmId === null) {
      outage.alarmId = await storeAlarm(this.options.store, {
        raisedAt: outage.since,
        clearedAt,
        detail,
      });
    } else {
      await clearAlarm(this.options.store, outage.alarmId, clearedAt, detail);
    }
    if (this.outage === outage) {
      this.outage = null;
      this.options.gauge.set(1);
    }
    this.options.logger.info(
      {
        alarm: STORE_ALARM,
        alarmId: outage.alarmId,
        part: outage.part,
        downMs: clearedAt - outage.since,
        refusedPushes: outage.refusedPushes,
      },
      'the store takes writes again; alarm cleared, pushes are accepted',
    );
  }
}

function detailOf(outage: Outage): Record<string, unknown> {
  return {
    part: outage.part,
    error: outage.error,
    seenBy: outage.seenBy,
    refusedPushes: outage.refusedPushes,
  };
}
