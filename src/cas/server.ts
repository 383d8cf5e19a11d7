import { createHttpsApp, type HttpsApp } from '../http/https-app.js';
import type { WebServerDeps } from '../http/web-server.js';

export const CAS_BASE_PATH = '/cas';

/** The CAS server's HTTPS server: the protocol endpoints are mounted under /cas. */
export function createCasServer(deps: WebServerDeps): HttpsApp {
  return createHttpsApp({ server: 'cas', ...deps });
}
