import type { FastifyReply, FastifyRequest } from 'fastify';

import type { HttpsApp } from '../http/https-app.js';
import { AppError } from '../shared/errors.js';
import type { ApiContext } from './api-context.js';
import { findApplianceSession, type ApplianceSession } from './appliance-sessions.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the bearer guard: the appliance session the request's token names. */
    applianceSession: ApplianceSession | null;
  }
}

export type BearerGuard = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** RFC 6750: a 401 tells the client which scheme to use. */
const CHALLENGE = 'Bearer realm="tmsp-status"';

/**
 * A preHandler for every route but signing on: the request must carry `Authorization: Bearer`
 * with a live session's token; anything else is 401 before the body is looked at.
 */
export function bearerGuard(app: HttpsApp, context: ApiContext): BearerGuard {
  app.decorateRequest('applianceSession', null);
  return async (request, reply) => {
    const token = bearerToken(request.headers.authorization);
    const session =
      token === null
        ? null
        : await findApplianceSession(context.store.db, token, context.clock.now());
    if (session === null) {
      void reply.header('www-authenticate', CHALLENGE);
      throw new AppError('unauthenticated', 'a live session token is required (POST /v1/sessions)');
    }
    request.applianceSession = session;
  };
}

export function sessionOf(request: FastifyRequest): ApplianceSession {
  if (request.applianceSession === null) throw new AppError('unauthenticated', 'sign on first');
  return request.applianceSession;
}

function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer +(\S+)\s*$/i.exec(header ?? '');
  return match?.[1] ?? null;
}
