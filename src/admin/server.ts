import http from 'node:http';

import { createHttpsApp, type HttpsApp } from '../http/https-app.js';
import type { WebServerDeps } from '../http/web-server.js';
import { renderPage } from '../web/page.js';

export const ADMIN_BASE_PATH = '/admin';

/** The administrative console's HTTPS server. */
export function createAdminServer(deps: WebServerDeps): HttpsApp {
  const app = createHttpsApp({ server: 'admin', ...deps });

  app.get('/', (_request, reply) => reply.redirect(ADMIN_BASE_PATH));
  app.get(ADMIN_BASE_PATH, (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .send(
        renderPage('TMSP administrative console', [
          'Provider staff manage customer accounts here.',
        ]),
      ),
  );
  return app;
}

/**
 * The console's plain-HTTP port only sends browsers on to HTTPS. The target origin comes from
 * the configuration, never from the request's Host header (handed case C26).
 */
export function createAdminRedirect(httpsOrigin: () => string): http.Server {
  return http.createServer((request, response) => {
    const path = (request.url ?? '/').startsWith('/') ? (request.url ?? '/') : '/';
    response.writeHead(301, { location: `${httpsOrigin()}${path}`, 'content-type': 'text/plain' });
    response.end('moved to HTTPS\n');
  });
}
