import type { ThrottlePolicy } from '../cas/throttle.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import type { Store } from '../storage/database.js';
import type { ApplianceTicketValidator } from './appliance-tickets.js';
import type { PatternApiDeps } from './pattern-context.js';

/** What the appliance API needs beyond any web server's parts; assembled in system/servers. */
export interface ApplianceApiDeps {
  clock: Clock;
  validateTicket: ApplianceTicketValidator;
  /** servers.status.heartbeatTimeoutSeconds: silent longer than this, a product is offline. */
  heartbeatTimeoutSeconds: number;
  /** Where uploaded forensic packages are stored and the largest one taken. */
  forensics: { areasDir: string; maxBytes: number };
  /** Custom patterns: without them, the pattern routes are not served. */
  patterns?: PatternApiDeps;
  /** Failed sign-ons per address and per registration user; cas.appliances when absent. */
  signOnThrottle?: ThrottlePolicy;
}

/** Everything the appliance API's routes work with. */
export interface ApiContext extends ApplianceApiDeps {
  store: Store;
  logger: Logger;
}

/** Request bodies are a few hundred bytes; anything far larger is refused before it is read. */
export const API_BODY_LIMIT = 16 * 1024;

/**
 * How often appliances are told to heartbeat: three times per timeout, so that one lost
 * heartbeat does not make an appliance offline. Derived, not configured, so that the two can
 * never disagree.
 */
export function heartbeatIntervalSeconds(heartbeatTimeoutSeconds: number): number {
  return Math.max(1, Math.floor(heartbeatTimeoutSeconds / 3));
}
