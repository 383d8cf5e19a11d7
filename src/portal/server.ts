import { mountSignOn, type CasClientDeps } from '../cas-client/sign-on.js';
import { createHttpsApp, type HttpsApp } from '../http/https-app.js';
import type { WebServerDeps } from '../http/web-server.js';
import { renderSignedInPage } from '../web/sign-on-pages.js';

export const PORTAL_BASE_PATH = '/tms2';

/** The customer portal's HTTPS server: one customer's portal logons, through CAS. */
export function createPortalServer(deps: WebServerDeps, cas: CasClientDeps): HttpsApp {
  const app = createHttpsApp({ server: 'portal', ...deps });
  const signOn = mountSignOn(
    app,
    { server: 'portal', basePath: PORTAL_BASE_PATH, title: 'TMSP customer portal', role: 'portal' },
    cas,
    deps,
  );

  app.get('/', (_request, reply) => reply.redirect(PORTAL_BASE_PATH));
  app.get(PORTAL_BASE_PATH, { preHandler: signOn.requireSession }, (request, reply) => {
    const view = signOn.signedInView(signOn.sessionOf(request));
    return reply.type('text/html; charset=utf-8').send(renderSignedInPage(view));
  });
  return app;
}
