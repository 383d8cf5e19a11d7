import type { FastifyReply, FastifyRequest } from 'fastify';

import type { HttpsApp } from '../http/https-app.js';
import { AppError } from '../shared/errors.js';
import type { ApiContext } from './api-context.js';
import { findApplianceSession, hashToken, type ApplianceSession } from './appliance-sessions.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the bearer guard: the appliance session the request's token names. */
    applianceSession: ApplianceSession | null;
  }
}

export type BearerGuard = ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) & {
  /** Drops an ended session from this process's cache: it is refused from now on. */
  forget(tokenHash: string): void;
};

/** RFC 6750: a 401 tells the client which scheme to use. */
const CHALLENGE = 'Bearer realm="tmsp-status"';

/**
 * How long a session found in the store is trusted without asking again. Its expiry and an end
 * through this process take effect at once; a session ended or an account disabled by another
 * process is refused here within this time (heartbeats and product claims check the account
 * themselves at once).
 */
export const SESSION_RECHECK_MS = 3_000;
/** Beyond this many live sessions, the cache starts over rather than grow. */
const CACHED_SESSIONS_LIMIT = 50_000;

interface CachedSession {
  session: ApplianceSession;
  checkedAt: number;
}

/**
 * A preHandler for every route but signing on: the request must carry `Authorization: Bearer`
 * with a live session's token; anything else is 401 before the body is looked at.
 */
export function bearerGuard(app: HttpsApp, context: ApiContext): BearerGuard {
  app.decorateRequest('applianceSession', null);
  const sessions = new Map<string, CachedSession>();
  // A lookup that overlapped a session's end may have read it still live: it is not cached.
  let endings = 0;

  const find = async (token: string): Promise<ApplianceSession | null> => {
    const now = context.clock.now();
    const tokenHash = hashToken(token);
    const cached = sessions.get(tokenHash);
    if (cached !== undefined && isFresh(cached, now.getTime())) return cached.session;
    sessions.delete(tokenHash);
    const endingsBefore = endings;
    const session = await findApplianceSession(context.store.db, token, now);
    if (session === null || endings !== endingsBefore) return session;
    if (sessions.size >= CACHED_SESSIONS_LIMIT) sessions.clear();
    sessions.set(tokenHash, { session, checkedAt: now.getTime() });
    return session;
  };

  const guard = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const token = bearerToken(request.headers.authorization);
    const session = token === null ? null : await find(token);
    if (session === null) {
      void reply.header('www-authenticate', CHALLENGE);
      throw new AppError('unauthenticated', 'a live session token is required (POST /v1/sessions)');
    }
    request.applianceSession = session;
  };
  const forget = (tokenHash: string): void => {
    endings += 1;
    sessions.delete(tokenHash);
  };
  return Object.assign(guard, { forget });
}

function isFresh(cached: CachedSession, now: number): boolean {
  const age = now - cached.checkedAt;
  return cached.session.expiresAt > now && age >= 0 && age < SESSION_RECHECK_MS;
}

export function sessionOf(request: FastifyRequest): ApplianceSession {
  if (request.applianceSession === null) throw new AppError('unauthenticated', 'sign on first');
  return request.applianceSession;
}

function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer +(\S+)\s*$/i.exec(header ?? '');
  return match?.[1] ?? null;
}
