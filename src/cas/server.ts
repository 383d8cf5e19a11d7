import formbody from '@fastify/formbody';

import { createHttpsApp, type HttpsApp } from '../http/https-app.js';
import type { WebServerDeps } from '../http/web-server.js';
import type { KeyMaterial } from '../keys/material.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../shared/clock.js';
import type { CasContext } from './context.js';
import { registerInternalRoutes } from './internal-routes.js';
import { registerLoginRoutes } from './login-routes.js';
import { outbound, type Outbound } from './outbound.js';
import { registerPasswordRoutes } from './password-routes.js';
import { registerRestRoutes } from './rest-routes.js';
import { serviceRegistry } from './services.js';
import { registerValidateRoutes } from './validate-routes.js';

export const CAS_BASE_PATH = '/cas';

export interface CasServerDeps extends WebServerDeps {
  keys: KeyMaterial;
  clock: Clock;
  settings: Config['cas'];
  casUrl: () => string;
  /** The console's, portal's and status server's service URLs (from endpoints.json). */
  ownServices: () => string[];
  /** The console's and portal's start pages: a logout may return there, no ticket may. */
  ownStartPages: () => string[];
  /** Replaces the real proxy-callback and single-logout calls (tests record them instead). */
  outbound?: Outbound;
}

/** The CAS server: single sign-on for console and portal, and appliance authentication. */
export function createCasServer(deps: CasServerDeps): HttpsApp {
  const app = createHttpsApp({ server: 'cas', ...deps });
  const context = casContext(deps);

  void app.register(formbody, { bodyLimit: 16 * 1024 });
  void app.register((scope, _options, done) => {
    registerLoginRoutes(scope, context);
    registerPasswordRoutes(scope, context);
    registerValidateRoutes(scope, context);
    registerRestRoutes(scope, context);
    registerInternalRoutes(scope, context);
    done();
  });
  return app;
}

function casContext(deps: CasServerDeps): CasContext {
  const calls =
    deps.outbound ??
    outbound(deps.keys.tls.ca, deps.keys.serviceKey, deps.logger.child({ server: 'cas' }));
  return {
    store: deps.store,
    clock: deps.clock,
    logger: deps.logger.child({ server: 'cas' }),
    registry: serviceRegistry({
      db: deps.store.db,
      configuredServices: () => [...deps.ownServices(), ...deps.settings.services],
      logoutTargets: deps.ownStartPages,
      configuredProxyCallbacks: deps.settings.proxyCallbacks,
    }),
    secrets: deps.keys.secrets,
    serviceKey: deps.keys.serviceKey,
    settings: deps.settings,
    sessionLimits: {
      idleMs: deps.settings.sessionIdleMinutes * 60_000,
      hardMs: deps.settings.sessionHardHours * 3_600_000,
    },
    casUrl: deps.casUrl,
    callProxyCallback: (url) => calls.callProxyCallback(url),
    sendLogoutRequest: (service, ticket) => calls.sendLogoutRequest(service, ticket),
  };
}
