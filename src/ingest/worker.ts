import { setTimeout as sleep } from 'node:timers/promises';

import { describeError } from '../shared/errors.js';
import { CursorMoved } from './commit.js';
import { ingestVersion, type IngestDeps, type ResumePoint } from './file-ingest.js';
import { pendingVersions, type PendingVersion } from './versions.js';

export interface IngestWorker {
  /** Looks for new files now instead of at the next poll. */
  wake(): void;
  /** Lets the batch in hand commit, then stops. */
  stop(): Promise<void>;
  /** Resolves once nothing is waiting that could be read now (for tests and the CLI). */
  idle(): Promise<void>;
}

export interface WorkerTiming {
  pollMs: number;
  /** Wait after a failure (the database unreachable, say) before trying again. */
  retryMs: number;
}

/** Optional observers of the worker, for whoever watches the store's health. */
export interface WorkerHooks {
  /** Told of every failed pass and every file that could not be read or committed. */
  onFailure?: (error: unknown) => void;
  /**
   * True while the store is known to refuse writes: the worker waits instead of trying, since
   * a write to a locked SQLite file blocks the whole process for the busy timeout.
   */
  paused?: () => boolean;
}

const PAGE = 100;

/**
 * Reads received files into the store, oldest first, one version at a time. Several workers
 * (several log servers on one database) may run: the cursor check in each commit keeps a batch
 * from being stored twice, at the price of work done twice.
 */
export function startIngestWorker(
  deps: Omit<IngestDeps, 'resumes'>,
  timing: WorkerTiming,
  hooks: WorkerHooks = {},
): IngestWorker {
  const resumes = new Map<number, ResumePoint>();
  const heldUntil = new Map<number, number>();
  const full: IngestDeps = { ...deps, resumes };
  let stopping = false;
  let wakeUp: (() => void) | null = null;
  let idleWaiters: Array<() => void> = [];

  const pass = async (): Promise<{ progressed: boolean; waiting: boolean }> => {
    let progressed = false;
    let waiting = false;
    let afterId = 0;
    for (;;) {
      const page = await pendingVersions(deps.store.db, PAGE, afterId);
      for (const version of page) {
        if (stopping) return { progressed, waiting: true };
        afterId = version.id;
        const until = heldUntil.get(version.id);
        if (until !== undefined && until > deps.clock.now().getTime()) {
          waiting = true;
          continue;
        }
        const outcome = await readOne(full, version, hooks);
        if (outcome === 'held') heldUntil.set(version.id, heldTime(full, version));
        else if (outcome === 'failed') heldUntil.set(version.id, retryTime(full, timing));
        else heldUntil.delete(version.id);
        progressed ||= outcome === 'done' || outcome === 'skipped';
      }
      if (page.length < PAGE) return { progressed, waiting };
    }
  };

  /** Sleeps until the delay is over or someone wakes the worker. */
  const pause = async (delay: number): Promise<void> => {
    await new Promise<void>((resolve) => {
      wakeUp = resolve;
      void sleep(delay).then(resolve);
    });
    wakeUp = null;
  };

  const loop = async (): Promise<void> => {
    while (!stopping) {
      let delay = timing.pollMs;
      if (hooks.paused?.() === true) {
        await pause(timing.retryMs);
        continue;
      }
      try {
        const { progressed, waiting } = await pass();
        if (progressed) continue;
        if (!waiting || idleWaiters.length > 0) settleIdle();
      } catch (error) {
        hooks.onFailure?.(error);
        deps.logger.error({ err: describeError(error) }, 'ingestion pass failed; retrying');
        delay = timing.retryMs;
      }
      await pause(delay);
    }
    settleIdle();
  };

  const settleIdle = (): void => {
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const running = loop();
  return {
    wake: () => wakeUp?.(),
    stop: async () => {
      stopping = true;
      wakeUp?.();
      await running;
    },
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        wakeUp?.();
      }),
  };
}

function retryTime(deps: IngestDeps, timing: WorkerTiming): number {
  return deps.clock.now().getTime() + timing.retryMs;
}

function heldTime(deps: IngestDeps, version: PendingVersion): number {
  return version.receivedAt + deps.settings.settleMs;
}

async function readOne(
  deps: IngestDeps,
  version: PendingVersion,
  hooks: WorkerHooks,
): Promise<'done' | 'held' | 'skipped' | 'failed'> {
  const context = {
    customerId: version.customerId,
    productId: version.productId,
    file: version.name,
    receivedFileId: version.id,
  };
  try {
    const result = await ingestVersion(deps, version);
    deps.logger.debug({ ...context, lines: result.lines, state: result.state }, 'file ingested');
    return result.state;
  } catch (error) {
    deps.resumes.delete(version.id);
    if (error instanceof CursorMoved) {
      deps.logger.info(context, error.message);
      return 'skipped';
    }
    hooks.onFailure?.(error);
    // One unreadable file must not hold up every other appliance's files.
    deps.logger.error({ ...context, err: describeError(error) }, 'file could not be ingested');
    return 'failed';
  }
}
