import { createHttpsApp, type HttpsApp } from '../http/https-app.js';
import type { WebServerDeps } from '../http/web-server.js';

/** The appliance API's HTTPS server; its versioned routes live under /v1. */
export function createStatusServer(deps: WebServerDeps): HttpsApp {
  return createHttpsApp({ server: 'status', ...deps });
}
