import { createHttpsApp, type HttpsApp } from '../http/https-app.js';
import type { WebServerDeps } from '../http/web-server.js';
import { renderPage } from '../web/page.js';

export const PORTAL_BASE_PATH = '/tms2';

/** The customer portal's HTTPS server. */
export function createPortalServer(deps: WebServerDeps): HttpsApp {
  const app = createHttpsApp({ server: 'portal', ...deps });

  app.get('/', (_request, reply) => reply.redirect(PORTAL_BASE_PATH));
  app.get(PORTAL_BASE_PATH, (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .send(renderPage('TMSP customer portal', ["Your network's security status and reports."])),
  );
  return app;
}
