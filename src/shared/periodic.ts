import { describeError } from './errors.js';
import type { Logger } from './log.js';

export interface PeriodicTiming {
  firstDelayMs: number;
  intervalMs: number;
}

export interface PeriodicRun {
  /** Lets the run in hand finish (it is told through `stopping`), then ends. */
  stop(): Promise<void>;
}

/**
 * Runs a job now and then in the background, one run at a time: the next is planned when the
 * last has ended, so a slow run never overlaps itself. A failed run is logged and tried again
 * at the next interval. Timers do not keep the process alive.
 */
export function startPeriodic(
  job: (stopping: () => boolean) => Promise<unknown>,
  timing: PeriodicTiming,
  logger: Logger,
  failure: string,
): PeriodicRun {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;
  const later = (delayMs: number): void => {
    timer = setTimeout(run, delayMs);
    timer.unref();
  };
  const run = (): void => {
    timer = null;
    running = job(() => stopped).then(
      () => undefined,
      (error: unknown) => logger.error({ err: describeError(error) }, failure),
    );
    void running.then(() => {
      if (!stopped) later(timing.intervalMs);
    });
  };
  later(timing.firstDelayMs);
  return {
    stop: async () => {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      await running;
    },
  };
}
