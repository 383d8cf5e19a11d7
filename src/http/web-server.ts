import type { KeyMaterial } from '../keys/material.js';
import type { Metrics } from '../metrics/registry.js';
import type { Logger } from '../shared/log.js';
import type { Store } from '../storage/database.js';

/** What every HTTPS server of TMSP is built from. */
export interface WebServerDeps {
  store: Store;
  tls: KeyMaterial['tls'];
  metrics: Metrics;
  logger: Logger;
  /**
   * Told of each request that failed because the store could not take it (the answer is 503):
   * the status server raises the same alarm as the log doors.
   */
  onStoreFailure?: (error: unknown) => void;
}
