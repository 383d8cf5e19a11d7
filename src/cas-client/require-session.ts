import type { FastifyReply, FastifyRequest } from 'fastify';

import { AppError } from '../shared/errors.js';
import { casLoginUrl } from './cas-urls.js';
import type { SignOnContext } from './context.js';
import { readCookie, setCookie } from '../http/cookies.js';
import { safeReturnPath } from './return-path.js';
import { findWebSession, type WebSession } from './web-sessions.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by requireSession: the signed-in user of this console or portal. */
    webSession: WebSession | null;
  }
}

const RETURN_COOKIE_SECONDS = 600;

export type SessionGuard = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/**
 * A preHandler for pages behind single sign-on. Without a live session a browser is sent to
 * CAS (remembering the page asked for) and any other method is refused; a session of a role
 * this server does not serve is refused too.
 */
export function requireSession(context: SignOnContext): SessionGuard {
  return async (request, reply) => {
    const session = await sessionOf(context, request);
    // Answering from an async hook: returning the reply tells fastify to stop here.
    if (session === null) return sendToCas(context, request, reply);
    if (session.role !== context.site.role) {
      throw new AppError('forbidden', 'this account cannot use this site');
    }
    request.webSession = session;
    return undefined;
  };
}

export async function sessionOf(
  context: SignOnContext,
  request: FastifyRequest,
): Promise<WebSession | null> {
  const secret = readCookie(request.headers.cookie, context.sessionCookie.name);
  if (secret === null) return null;
  const now = context.deps.clock.now();
  return findWebSession(context.store.db, context.site.server, secret, now, context.lifetimes);
}

function sendToCas(
  context: SignOnContext,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    throw new AppError('unauthenticated', 'sign in first');
  }
  const returnPath = safeReturnPath(context.site.basePath, request.url);
  if (returnPath !== null) {
    const value = encodeURIComponent(returnPath);
    reply.header('set-cookie', setCookie(context.returnCookie, value, RETURN_COOKIE_SECONDS));
  }
  return reply.redirect(casLoginUrl(context.deps.casUrl(), context.deps.serviceUrl()), 302);
}
