import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import type { Store } from '../storage/database.js';
import type { CookieScope } from '../http/cookies.js';
import type { CasRole } from './principal.js';
import { createTicketValidator, type TicketValidator } from './ticket-validator.js';
import { DEFAULT_LIFETIMES, type SessionLifetimes, type WebServerName } from './web-sessions.js';

/**
 * What the composition root hands a console or portal for single sign-on. URLs are functions
 * because a configured port 0 is only known once bound; all of them come from configuration,
 * never from a request's Host header (handed case C26).
 */
export interface CasClientDeps {
  /** The CAS base URL, e.g. https://sso.example.net/cas. */
  casUrl: () => string;
  /** This server's callback, registered at CAS: tickets are issued for and validated with it. */
  serviceUrl: () => string;
  /** Where CAS sends the browser after logout: the console's or portal's own URL. */
  homeUrl: () => string;
  /** The CA that signed the CAS server's certificate (the only one trusted). */
  ca: string;
  /** Signs single-logout requests from CAS; also keys the logout form's CSRF token. */
  serviceKey: Buffer;
  clock: Clock;
  /** Defaults: 30 minutes idle, 12 hours in all. */
  lifetimes?: Partial<SessionLifetimes>;
  validationTimeoutMs?: number;
}

/** What the console or portal itself decides. */
export interface SignOnSite {
  server: WebServerName;
  /** '/admin' or '/tms2': the session cookie's path and the default landing page. */
  basePath: string;
  title: string;
  /** The only CAS role allowed in. */
  role: CasRole;
}

export interface SignOnContext {
  site: SignOnSite;
  deps: CasClientDeps;
  store: Store;
  logger: Logger;
  validate: TicketValidator;
  lifetimes: SessionLifetimes;
  sessionCookie: CookieScope;
  /** Remembers the page asked for while the browser visits CAS; sent only to the callback. */
  returnCookie: CookieScope;
  callbackPath: string;
  logoutPath: string;
}

export function signOnContext(
  site: SignOnSite,
  deps: CasClientDeps,
  store: Store,
  logger: Logger,
): SignOnContext {
  const callbackPath = `${site.basePath}/cas/callback`;
  return {
    site,
    deps,
    store,
    logger,
    validate: createTicketValidator({
      casUrl: deps.casUrl,
      serviceUrl: deps.serviceUrl,
      ca: deps.ca,
      timeoutMs: deps.validationTimeoutMs,
    }),
    lifetimes: { ...DEFAULT_LIFETIMES, ...deps.lifetimes },
    sessionCookie: { name: `tmsp_${site.server}_session`, path: site.basePath },
    returnCookie: { name: `tmsp_${site.server}_return`, path: callbackPath },
    callbackPath,
    logoutPath: `${site.basePath}/logout`,
  };
}
