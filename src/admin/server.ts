import http from 'node:http';

import { mountSignOn, type CasClientDeps } from '../cas-client/sign-on.js';
import { createHttpsApp, type HttpsApp } from '../http/https-app.js';
import type { WebServerDeps } from '../http/web-server.js';
import { renderSignedInPage } from '../web/sign-on-pages.js';
import { type CaseAdminDeps, mountCaseRoutes } from './case-routes.js';
import { mountLogExport } from './log-export-route.js';
import { mountPatternRoutes, type PatternAdminDeps } from './pattern-routes.js';

export const ADMIN_BASE_PATH = '/admin';

/** The administrative console's HTTPS server: provider administrators only, through CAS. */
export function createAdminServer(
  deps: WebServerDeps,
  cas: CasClientDeps,
  patterns?: PatternAdminDeps,
  cases?: CaseAdminDeps,
): HttpsApp {
  const app = createHttpsApp({ server: 'admin', ...deps });
  const signOn = mountSignOn(
    app,
    {
      server: 'admin',
      basePath: ADMIN_BASE_PATH,
      title: 'TMSP administrative console',
      role: 'administrator',
    },
    cas,
    deps,
  );

  app.get('/', (_request, reply) => reply.redirect(ADMIN_BASE_PATH));
  app.get(ADMIN_BASE_PATH, { preHandler: signOn.requireSession }, (request, reply) => {
    const view = signOn.signedInView(signOn.sessionOf(request));
    return reply.type('text/html; charset=utf-8').send(renderSignedInPage(view));
  });
  mountLogExport(app, signOn, { store: deps.store, clock: cas.clock });
  if (cases !== undefined) mountCaseRoutes(app, signOn, { ...cases, ...deps, ...cas });
  if (patterns !== undefined) {
    mountPatternRoutes(app, signOn, { ...patterns, ...deps, ...cas });
  }
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
