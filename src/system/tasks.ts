import type { ServerName } from '../config/schema.js';
import { startIngestWorker, type IngestWorker } from '../ingest/worker.js';
import type { Runtime } from './runtime.js';

/** Work a server does in the background, beside its listening sockets. */
export interface BackgroundTask {
  readonly name: string;
  start(): void;
  /** Lets the step in hand finish, then ends. */
  stop(): Promise<void>;
}

/** The log server reads what it receives into the store: ingestion runs beside its doors. */
export function tasksOf(name: ServerName, runtime: Runtime): BackgroundTask[] {
  return name === 'log' ? [ingestTask(runtime)] : [];
}

function ingestTask(runtime: Runtime): BackgroundTask {
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
