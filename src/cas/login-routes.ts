import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { serviceTicketMs, type CasContext } from './context.js';
import { chooseLocale, loginPage, messagePage, secondFactorPage, type Locale } from './pages.js';
import {
  completeSecondFactor,
  signInPerson,
  type RefusalReason,
  type SignInOutcome,
} from './sign-in.js';
import { signOut } from './sign-out.js';
import { touchSession } from './sso-sessions.js';
import { issueTicket } from './tickets.js';
import {
  bodyOf,
  clearSessionCookie,
  currentSession,
  flag,
  formToken,
  formTokenValid,
  queryOf,
  type Query,
  setSessionCookie,
  withTicket,
} from './web.js';

const HTML = 'text/html; charset=utf-8';

/** /login and /logout (CAS 3.0 §2.1 – §2.3). */
export function registerLoginRoutes(app: FastifyInstance, context: CasContext): void {
  app.get('/cas/login', async (request, reply) => {
    const query = queryOf(request);
    const locale = localeOf(request, query['locale']);
    const service = query['service'];
    const renew = flag(query['renew']);
    if (service !== undefined && !(await context.registry.isService(service))) {
      return reply.status(403).type(HTML).send(messagePage(locale, 'unregistered'));
    }

    // renew asks for the form whatever session there is.
    const session = renew ? null : await currentSession(context, request);
    if (session !== null && session.passwordChangePending !== 1) {
      await touchSession(context.store.db, session.id, context.clock.now());
      if (service === undefined) return reply.type(HTML).send(messagePage(locale, 'signedIn'));
      return redirectWithTicket(context, reply, session.id, service, false);
    }
    // Gateway never shows a page, not even the password change a session still owes: the
    // service gets the browser back without a ticket, as for someone not signed in.
    if (flag(query['gateway']) && !renew) {
      if (service === undefined) return reply.type(HTML).send(messagePage(locale, 'signedOut'));
      return reply.redirect(service);
    }
    if (session !== null) return reply.redirect(passwordUrl(service));
    return showForm(request, reply, locale, { service, renew }, null, 200);
  });

  // Both steps of a logon post a form that carries the service, renew and the form token.
  const signInStep =
    (step: (body: Query, source: string) => Promise<SignInOutcome>) =>
    async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const body = bodyOf(request);
      const locale = localeOf(request, body['locale']);
      const target = {
        service: emptyToUndefined(body['service']),
        renew: flag(emptyToUndefined(body['renew'])),
      };
      if (!formTokenValid(request, body['form'])) {
        return showForm(request, reply, locale, target, 'expired', 400);
      }
      if (target.service !== undefined && !(await context.registry.isService(target.service))) {
        return reply.status(403).type(HTML).send(messagePage(locale, 'unregistered'));
      }
      const outcome = await step(body, request.ip);
      return answerSignIn(context, request, reply, locale, target, outcome);
    };

  app.post(
    '/cas/login',
    signInStep((body, source) =>
      signInPerson(context, body['username'] ?? '', body['password'] ?? '', source),
    ),
  );
  app.post(
    '/cas/second-factor',
    signInStep((body, source) =>
      completeSecondFactor(context, body['pending'] ?? '', body['code'] ?? '', source),
    ),
  );

  app.get('/cas/logout', async (request, reply) => {
    const query = queryOf(request);
    const session = await currentSession(context, request);
    if (session !== null) await signOut(context, session, request.ip);
    clearSessionCookie(reply);

    const service = query['service'] ?? query['url'];
    if (service !== undefined && (await context.registry.isLogoutTarget(service)))
      return reply.redirect(service);
    return reply.type(HTML).send(messagePage(localeOf(request, query['locale']), 'signedOut'));
  });
}

type Target = { service: string | undefined; renew: boolean };

async function answerSignIn(
  context: CasContext,
  request: FastifyRequest,
  reply: FastifyReply,
  locale: Locale,
  target: Target,
  outcome: SignInOutcome,
): Promise<FastifyReply> {
  switch (outcome.status) {
    case 'refused': {
      const status =
        outcome.reason === 'invalid' ? 401 : outcome.reason === 'throttled' ? 429 : 403;
      return showForm(request, reply, locale, target, outcome.reason, status);
    }
    case 'second-factor': {
      const hidden = { ...hiddenFields(request, reply, locale, target), pending: outcome.pending };
      return reply.type(HTML).send(secondFactorPage(locale, hidden));
    }
    case 'signed-in':
      setSessionCookie(reply, outcome.sessionId);
      if (outcome.passwordChangePending) return reply.redirect(passwordUrl(target.service));
      if (target.service === undefined)
        return reply.type(HTML).send(messagePage(locale, 'signedIn'));
      return redirectWithTicket(context, reply, outcome.sessionId, target.service, true);
  }
}

export async function redirectWithTicket(
  context: CasContext,
  reply: FastifyReply,
  sessionId: string,
  service: string,
  fromNewLogin: boolean,
): Promise<FastifyReply> {
  const ticket = await issueTicket(
    context.store.db,
    { kind: 'ST', sessionId, service, fromNewLogin },
    context.clock.now(),
    serviceTicketMs(context),
  );
  return reply.redirect(withTicket(service, ticket));
}

function showForm(
  request: FastifyRequest,
  reply: FastifyReply,
  locale: Locale,
  target: Target,
  error: RefusalReason | 'expired' | null,
  status: number,
): FastifyReply {
  const hidden = hiddenFields(request, reply, locale, target);
  const message = error === 'not-enrolled' ? 'notEnrolled' : error;
  return reply
    .status(status)
    .type(HTML)
    .send(loginPage(locale, hidden, message));
}

function hiddenFields(
  request: FastifyRequest,
  reply: FastifyReply,
  locale: Locale,
  target: Target,
): Record<string, string> {
  const hidden: Record<string, string> = { form: formToken(request, reply), locale };
  if (target.service !== undefined) hidden['service'] = target.service;
  if (target.renew) hidden['renew'] = 'true';
  return hidden;
}

export function localeOf(request: FastifyRequest, requested: string | undefined): Locale {
  return chooseLocale(requested, request.headers['accept-language']);
}

function passwordUrl(service: string | undefined): string {
  return service === undefined ? 'password' : `password?service=${encodeURIComponent(service)}`;
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}
