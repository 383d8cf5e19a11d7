import type { FastifyRequest } from 'fastify';

import type { HttpsApp } from '../http/https-app.js';
import type { Logger } from '../shared/log.js';
import { AppError } from '../shared/errors.js';
import type { Store } from '../storage/database.js';
import type { SignedInView } from '../web/sign-on-pages.js';
import { acceptServiceTicket } from './callback-route.js';
import { signOnContext, type CasClientDeps, type SignOnSite } from './context.js';
import { acceptFormBodies } from './form-body.js';
import { logout } from './logout-route.js';
import { requireSession, type SessionGuard } from './require-session.js';
import { csrfTokenFor } from './signatures.js';
import { acceptLogoutRequest } from './single-logout.js';
import type { WebSession } from './web-sessions.js';

export type { CasClientDeps, SignOnSite } from './context.js';
export type { WebSession } from './web-sessions.js';

/** What a console or portal uses of single sign-on once it is mounted. */
export interface SignOn {
  /** preHandler for every page behind the logon. */
  requireSession: SessionGuard;
  /** The signed-in user, for a route behind requireSession. */
  sessionOf(request: FastifyRequest): WebSession;
  /** What the landing page shows of a session, with its logout form. */
  signedInView(session: WebSession): SignedInView;
}

/**
 * Mounts CAS single sign-on on a console or portal: the callback (GET: service ticket, POST:
 * single logout) at `<base>/cas/callback` and the logout form's target at `<base>/logout`.
 */
export function mountSignOn(
  app: HttpsApp,
  site: SignOnSite,
  deps: CasClientDeps,
  web: { store: Store; logger: Logger },
): SignOn {
  const context = signOnContext(site, deps, web.store, web.logger);
  acceptFormBodies(app);
  app.decorateRequest('webSession', null);
  app.get(context.callbackPath, (request, reply) => acceptServiceTicket(context, request, reply));
  app.post(context.callbackPath, (request) => acceptLogoutRequest(context, request));
  app.post(context.logoutPath, (request, reply) => logout(context, request, reply));

  return {
    requireSession: requireSession(context),
    sessionOf: (request) => {
      if (request.webSession === null) throw new AppError('unauthenticated', 'sign in first');
      return request.webSession;
    },
    signedInView: (session) => ({
      title: site.title,
      userName: session.userName,
      role: session.role,
      customerAccounts: session.customerScope === 'all' ? null : session.customerAccounts,
      mustChangePassword: session.mustChangePassword,
      logoutAction: context.logoutPath,
      csrfToken: csrfTokenFor(session.idHash, deps.serviceKey),
    }),
  };
}
