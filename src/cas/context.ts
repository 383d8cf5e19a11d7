import type { Config } from '../config/schema.js';
import type { SecretBox } from '../keys/secret-box.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import type { Store } from '../storage/database.js';
import type { ServiceRegistry } from './services.js';
import type { SessionLimits } from './sso-sessions.js';

/** Everything the CAS server's routes work with, assembled once in server.ts. */
export interface CasContext {
  store: Store;
  clock: Clock;
  logger: Logger;
  registry: ServiceRegistry;
  secrets: SecretBox;
  serviceKey: Buffer;
  settings: Config['cas'];
  sessionLimits: SessionLimits;
  /** The CAS base URL as configured (never built from a request), e.g. https://host/cas. */
  casUrl: () => string;
  /** Calls a proxy callback (GET with pgtId and pgtIou); true when it answered 200. */
  callProxyCallback: (url: string) => Promise<boolean>;
  /** Delivers a single-logout request to a service; failures are logged, never thrown. */
  sendLogoutRequest: (service: string, ticket: string) => Promise<void>;
}

export function serviceTicketMs(context: CasContext): number {
  return context.settings.serviceTicketSeconds * 1000;
}
