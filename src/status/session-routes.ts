import type { FastifyRequest } from 'fastify';
import { z } from 'zod';

import { recordAudit } from '../audit/audit-log.js';
import { isServiceTicket } from '../cas-client/cas-urls.js';
import type { HttpsApp } from '../http/https-app.js';
import { AppError } from '../shared/errors.js';
import type { ApiContext } from './api-context.js';
import { API_BODY_LIMIT } from './api-context.js';
import { parseInput } from './api-input.js';
import {
  BAD_REQUEST,
  errorAnswer,
  TOO_LARGE,
  UNAUTHENTICATED,
  type ApiOperation,
} from './api-operations.js';
import { endApplianceSession, openApplianceSession } from './appliance-sessions.js';
import { sessionOf, type BearerGuard } from './bearer-guard.js';
import { countSignOnAttempt, forgiveSignOn, signOnKeys } from './sign-on-throttle.js';

export const SESSIONS_PATH = '/v1/sessions';
export const CURRENT_SESSION_PATH = '/v1/sessions/current';

const sessionRequest = z.strictObject({
  ticket: z.string().max(512).meta({
    description: 'A CAS service ticket (ST-…) issued for the status server’s casService URL',
  }),
});

const sessionAnswer = z.strictObject({
  token: z.string().meta({ description: 'Send as `Authorization: Bearer <token>`' }),
  tokenType: z.literal('Bearer'),
  expiresAt: z.iso.datetime(),
});

export const SESSION_OPERATIONS: ApiOperation[] = [
  {
    method: 'post',
    path: SESSIONS_PATH,
    summary: 'Sign on with a CAS service ticket got with the registration credentials',
    bearer: false,
    body: sessionRequest,
    answers: {
      201: { description: 'A session token', body: sessionAnswer },
      400: BAD_REQUEST,
      401: { description: 'The ticket was refused, or is not an appliance’s', body: errorAnswer },
      413: TOO_LARGE,
      429: { description: 'Too many failed sign-ons: wait Retry-After seconds', body: errorAnswer },
      503: { description: 'CAS could not be asked; try again later', body: errorAnswer },
    },
  },
  {
    method: 'delete',
    path: CURRENT_SESSION_PATH,
    summary: 'End the session whose token the request carries',
    bearer: true,
    answers: { 204: { description: 'Ended' }, 401: UNAUTHENTICATED },
  },
];

/**
 * Appliances sign on with a service ticket for the status server's own service URL (taken from
 * configuration, never from the request: C26, C27) and get an opaque bearer token.
 */
export function registerSessionRoutes(
  app: HttpsApp,
  context: ApiContext,
  guard: BearerGuard,
): void {
  app.post(SESSIONS_PATH, { bodyLimit: API_BODY_LIMIT }, async (request, reply) => {
    const { ticket } = parseInput(sessionRequest, request.body, 'session request');
    const address = signOnKeys.address(request.ip);
    await countSignOnAttempt(context, reply, { key: address, source: request.ip });
    // A ticket of another form never reaches CAS (C24).
    if (!isServiceTicket(ticket)) throw refused();

    const result = await context.validateTicket(ticket);
    if (!result.ok) {
      await auditRefusal(context, request, result.code);
      context.logger.info({ code: result.code, source: request.ip }, 'appliance sign-on refused');
      throw refused();
    }
    const user = signOnKeys.user(result.principal.user);
    await countSignOnAttempt(context, reply, { key: user, source: request.ip });
    const opened = await openApplianceSession(
      context.store,
      result.principal,
      request.ip,
      context.clock.now(),
    );
    await forgiveSignOn(context, [address, user]);
    context.logger.info(
      { customerId: opened.customerId, user: result.principal.user, source: request.ip },
      'appliance signed on',
    );
    const answer = { token: opened.token, tokenType: 'Bearer' as const, expiresAt: iso(opened) };
    return reply.status(201).send(sessionAnswer.parse(answer));
  });

  app.delete(CURRENT_SESSION_PATH, { preHandler: guard }, async (request, reply) => {
    const { tokenHash } = sessionOf(request);
    await endApplianceSession(context.store.db, tokenHash);
    guard.forget(tokenHash);
    return reply.status(204).send();
  });
}

function refused(): AppError {
  return new AppError('unauthenticated', 'the ticket was not accepted');
}

function auditRefusal(context: ApiContext, request: FastifyRequest, code: string): Promise<void> {
  return recordAudit(context.store.db, context.clock.now(), {
    actor: 'unknown',
    source: request.ip,
    action: 'status.logon',
    result: 'failure',
    detail: { code },
  });
}

function iso(opened: { expiresAt: number }): string {
  return new Date(opened.expiresAt).toISOString();
}
