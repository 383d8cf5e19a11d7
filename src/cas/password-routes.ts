import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { changePassword } from '../accounts/password-change.js';
import { isAppError } from '../shared/errors.js';
import type { CasContext } from './context.js';
import { localeOf, redirectWithTicket } from './login-routes.js';
import { messagePage, passwordPage, text, type Locale } from './pages.js';
import { checkPerson } from './principals.js';
import { clearPasswordChange, type SsoSession } from './sso-sessions.js';
import { bodyOf, currentSession, formToken, formTokenValid, queryOf } from './web.js';

const HTML = 'text/html; charset=utf-8';

/**
 * /password: a person whose password must change (the built-in administrator's factory
 * default, a reset) does it here, before the session grants any ticket.
 */
export function registerPasswordRoutes(app: FastifyInstance, context: CasContext): void {
  app.get('/cas/password', async (request, reply) => {
    const query = queryOf(request);
    const locale = localeOf(request, query['locale']);
    const session = await personSession(context, request);
    if (session === null) return reply.redirect(loginUrl(query['service']));
    return showForm(request, reply, locale, query['service'], null, 200);
  });

  app.post('/cas/password', async (request, reply) => {
    const body = bodyOf(request);
    const locale = localeOf(request, body['locale']);
    const service = body['service'] === '' ? undefined : body['service'];
    const session = await personSession(context, request);
    if (session === null) return reply.redirect(loginUrl(service));
    if (!formTokenValid(request, body['form'])) {
      return showForm(request, reply, locale, service, text(locale, 'expired'), 400);
    }
    if ((body['next'] ?? '') !== (body['repeat'] ?? '')) {
      return showForm(request, reply, locale, service, text(locale, 'mismatch'), 400);
    }

    const check = await checkPerson(context.store.db, session.userName, body['current'] ?? '');
    if (!check.ok) return showForm(request, reply, locale, service, text(locale, 'invalid'), 401);
    try {
      await changePassword(
        context.store,
        context.clock,
        check.person,
        body['next'] ?? '',
        request.ip,
      );
    } catch (error) {
      if (!isAppError(error) || !error.expose) throw error;
      return showForm(request, reply, locale, service, error.message, 400);
    }

    await clearPasswordChange(context.store.db, session.id);
    if (service !== undefined && (await context.registry.isService(service))) {
      return redirectWithTicket(context, reply, session.id, service, true);
    }
    return reply.type(HTML).send(messagePage(locale, 'signedIn'));
  });
}

async function personSession(
  context: CasContext,
  request: FastifyRequest,
): Promise<SsoSession | null> {
  const session = await currentSession(context, request);
  return session !== null && session.principalKind !== 'registration' ? session : null;
}

function showForm(
  request: FastifyRequest,
  reply: FastifyReply,
  locale: Locale,
  service: string | undefined,
  error: string | null,
  status: number,
): FastifyReply {
  const hidden: Record<string, string> = { form: formToken(request, reply), locale };
  if (service !== undefined) hidden['service'] = service;
  return reply
    .status(status)
    .type(HTML)
    .send(passwordPage(locale, hidden, error));
}

function loginUrl(service: string | undefined): string {
  return service === undefined ? 'login' : `login?service=${encodeURIComponent(service)}`;
}
