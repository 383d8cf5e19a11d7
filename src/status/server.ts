import { createHttpsApp, type HttpsApp } from '../http/https-app.js';
import type { WebServerDeps } from '../http/web-server.js';
import type { ApiContext, ApplianceApiDeps } from './api-context.js';
import type { ApiOperation } from './api-operations.js';
import { bearerGuard } from './bearer-guard.js';
import { FILE_OPERATIONS, registerFileRoutes } from './file-routes.js';
import { FORENSIC_OPERATIONS, registerForensicRoutes } from './forensic-routes.js';
import { HEARTBEAT_OPERATIONS, registerHeartbeatRoutes } from './heartbeat-routes.js';
import { NETWORK_OPERATIONS, registerNetworkRoutes } from './network-routes.js';
import { OCS_OPERATIONS, registerOcsRoutes } from './ocs-routes.js';
import { OPENAPI_OPERATION, OPENAPI_PATH, openApiDocument } from './openapi.js';
import { PATTERN_OPERATIONS, registerPatternRoutes } from './pattern-routes.js';
import { registerSessionRoutes, SESSION_OPERATIONS } from './session-routes.js';

/** Every route of the appliance API, as the OpenAPI document lists them. */
export const API_OPERATIONS: readonly ApiOperation[] = [
  ...SESSION_OPERATIONS,
  ...HEARTBEAT_OPERATIONS,
  ...FILE_OPERATIONS,
  ...FORENSIC_OPERATIONS,
  ...PATTERN_OPERATIONS,
  ...OCS_OPERATIONS,
  ...NETWORK_OPERATIONS,
  OPENAPI_OPERATION,
];

/**
 * The status server: the appliance API under /v1 (PROTOCOLS.md §3), described at
 * /v1/openapi.json. Without the API's dependencies it serves its health route alone, which is
 * what the HTTPS benchmark measures.
 */
export function createStatusServer(web: WebServerDeps, api?: ApplianceApiDeps): HttpsApp {
  const app = createHttpsApp({ server: 'status', ...web });
  if (api === undefined) return app;

  const context: ApiContext = {
    ...api,
    store: web.store,
    logger: web.logger.child({ server: 'status' }),
  };
  // JSON only: any other body is refused with 415 before a route sees it.
  app.removeContentTypeParser('text/plain');
  const guard = bearerGuard(app, context);
  registerSessionRoutes(app, context, guard);
  registerHeartbeatRoutes(app, context, guard);
  registerFileRoutes(app, context, guard);
  if (api.patterns !== undefined) registerPatternRoutes(app, context, guard, api.patterns);
  registerForensicRoutes(app, context, guard);
  registerOcsRoutes(app, context, guard);
  registerNetworkRoutes(app, context, guard);

  const document = openApiDocument(API_OPERATIONS);
  app.get(OPENAPI_PATH, () => document);
  return app;
}
