import type { ServerName } from '../config/schema.js';
import { startRecountSchedule, type RecountSchedule } from '../ingest/recount-schedule.js';
import { startPurgeSchedule, type PurgeSchedule } from '../ingest/retention.js';
import { startIngestWorker, type IngestWorker } from '../ingest/worker.js';
import { endAbandonedUploads } from '../forensics/abandoned-uploads.js';
import { sweepLeftovers } from '../logserver/leftovers.js';
import type { StoreHealth } from '../logserver/store-health.js';
import type { Metrics } from '../metrics/registry.js';
import { startPeriodic, type PeriodicRun } from '../shared/periodic.js';
import type { Runtime } from './runtime.js';
import { storeHealthOf } from './servers.js';

/** Work a server does in the background, beside its listening sockets. */
export interface BackgroundTask {
  readonly name: string;
  start(): void;
  /** Lets the step in hand finish, then ends. */
  stop(): Promise<void>;
}

/**
 * The log server reads what it receives into the store: ingestion runs beside its doors, and
 * so do the retention purge, which removes what ingestion stored once it is old enough, the
 * incident recount and the sweep of interrupted pushes' files. The status server ends the
 * forensic uploads appliances abandoned.
 */
export function tasksOf(name: ServerName, runtime: Runtime, metrics: Metrics): BackgroundTask[] {
  if (name === 'status') return [abandonedUploadsTask(runtime)];
  if (name !== 'log') return [];
  return [
    ingestTask(runtime, storeHealthOf(runtime, metrics)),
    purgeTask(runtime),
    recountTask(runtime),
    leftoversTask(runtime),
  ];
}

/** A commit that fails for the store's own reasons raises the same alarm the doors raise. */
function ingestTask(runtime: Runtime, health: StoreHealth): BackgroundTask {
  let worker: IngestWorker | null = null;
  return {
    name: 'ingest',
    start: () => {
      worker = startIngestWorker(
        {
          store: runtime.store,
          areasDir: runtime.paths.areasDir,
          clock: runtime.clock,
          logger: runtime.logger.child({ task: 'ingest' }),
          settings: ingestSettings(runtime),
        },
        { pollMs: runtime.config.ingest.pollMilliseconds, retryMs: 5_000 },
        {
          onFailure: (error) => health.noteFailure(error, { task: 'ingest' }),
          paused: () => !health.writable,
        },
      );
    },
    stop: async () => {
      await worker?.stop();
    },
  };
}

export function ingestSettings(runtime: Runtime) {
  const { ingest } = runtime.config;
  return {
    maxLineBytes: ingest.maxLineBytes,
    batchLines: ingest.batchLines,
    settleMs: ingest.settleSeconds * 1000,
    incidentWindowMs: ingest.incidentWindowMinutes * 60_000,
  };
}

/** Hourly; the first run waits a little, so that a starting server is not slowed by it. */
const PURGE_TIMING = { firstDelayMs: 30_000, intervalMs: 3_600_000 };

function purgeTask(runtime: Runtime): BackgroundTask {
  let schedule: PurgeSchedule | null = null;
  return {
    name: 'purge',
    start: () => {
      schedule = startPurgeSchedule(
        {
          store: runtime.store,
          areasDir: runtime.paths.areasDir,
          clock: runtime.clock,
          logger: runtime.logger.child({ task: 'purge' }),
          policy: runtime.config.retention,
        },
        PURGE_TIMING,
      );
    },
    stop: async () => {
      await schedule?.stop();
    },
  };
}

const RECOUNT_INTERVAL_MS = 5 * 60_000;

/** Each customer's incidents of the day before, rebuilt from 02:00 in the customer's zone. */
function recountTask(runtime: Runtime): BackgroundTask {
  let schedule: RecountSchedule | null = null;
  return {
    name: 'incident-recount',
    start: () => {
      schedule = startRecountSchedule(
        {
          store: runtime.store,
          clock: runtime.clock,
          logger: runtime.logger.child({ task: 'incident-recount' }),
          incidentWindowMs: runtime.config.ingest.incidentWindowMinutes * 60_000,
        },
        RECOUNT_INTERVAL_MS,
      );
    },
    stop: async () => {
      await schedule?.stop();
    },
  };
}

const HOUR_MS = 3_600_000;

/** Unfinished files of interrupted pushes: reported once stuck, deleted once stale (C16). */
function leftoversTask(runtime: Runtime): BackgroundTask {
  let run: PeriodicRun | null = null;
  const { pushes } = runtime.config;
  const logger = runtime.logger.child({ task: 'leftovers' });
  return {
    name: 'leftovers',
    start: () => {
      run = startPeriodic(
        () =>
          sweepLeftovers(
            runtime.paths.areasDir,
            {
              now: runtime.clock.now().getTime(),
              stuckAfterMs: pushes.stuckTransferHours * HOUR_MS,
              deleteAfterMs: pushes.interruptedFilesDays * 24 * HOUR_MS,
            },
            logger,
          ),
        PURGE_TIMING,
        logger,
        'sweeping interrupted push files failed; trying later',
      );
    },
    stop: async () => {
      await run?.stop();
    },
  };
}

/** Forensic uploads an appliance never came back to finish (the status server's). */
function abandonedUploadsTask(runtime: Runtime): BackgroundTask {
  let run: PeriodicRun | null = null;
  const logger = runtime.logger.child({ task: 'abandoned-uploads' });
  const idleMs = runtime.config.forensics.abandonedUploadDays * 24 * HOUR_MS;
  const deps = { db: runtime.store.db, areasDir: runtime.paths.areasDir, logger };
  return {
    name: 'abandoned-uploads',
    start: () => {
      run = startPeriodic(
        () => endAbandonedUploads(deps, runtime.clock.now().getTime() - idleMs),
        PURGE_TIMING,
        logger,
        'ending abandoned forensic uploads failed; trying later',
      );
    },
    stop: async () => {
      await run?.stop();
    },
  };
}
