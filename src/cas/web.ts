import { randomBytes, timingSafeEqual } from 'node:crypto';

import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

import type { CasContext } from './context.js';
import { findLiveSession, type SsoSession } from './sso-sessions.js';

/** The ticket-granting cookie: scoped to /cas, Secure, HttpOnly (PROTOCOLS.md §4). */
export const TGC_COOKIE = 'TGC';
const FORM_COOKIE = 'tmsp_cas_form';

const BASE_COOKIE = { path: '/cas', secure: true, httpOnly: true, sameSite: 'lax' } as const;

export type Query = Record<string, string | undefined>;

export function queryOf(request: FastifyRequest): Query {
  return (request.query ?? {}) as Query;
}

export function bodyOf(request: FastifyRequest): Query {
  const body = request.body;
  return typeof body === 'object' && body !== null ? (body as Query) : {};
}

/** A protocol flag such as renew or gateway: set unless absent or "false". */
export function flag(value: string | undefined): boolean {
  return value !== undefined && value !== 'false';
}

export async function currentSession(
  context: CasContext,
  request: FastifyRequest,
): Promise<SsoSession | null> {
  const id = request.cookies[TGC_COOKIE];
  if (id === undefined || !id.startsWith('TGT-')) return null;
  return findLiveSession(context.store.db, id, context.clock.now(), context.sessionLimits);
}

export function setSessionCookie(reply: FastifyReply, sessionId: string): void {
  reply.setCookie(TGC_COOKIE, sessionId, BASE_COOKIE);
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(TGC_COOKIE, BASE_COOKIE);
}

/**
 * The form token (double submit): a random value in a cookie and in the form, which a page on
 * another site cannot read, so it cannot post our forms for the user (login CSRF).
 */
export function formToken(request: FastifyRequest, reply: FastifyReply): string {
  const existing = request.cookies[FORM_COOKIE];
  if (existing !== undefined && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const token = randomBytes(32).toString('base64url');
  reply.setCookie(FORM_COOKIE, token, BASE_COOKIE);
  return token;
}

export function formTokenValid(request: FastifyRequest, submitted: string | undefined): boolean {
  const cookie = request.cookies[FORM_COOKIE];
  if (cookie === undefined || submitted === undefined || cookie.length !== submitted.length)
    return false;
  return timingSafeEqual(Buffer.from(cookie), Buffer.from(submitted));
}

/** The service URL with the ticket appended as its last query parameter. */
export function withTicket(service: string, ticket: string): string {
  return `${service}${service.includes('?') ? '&' : '?'}ticket=${encodeURIComponent(ticket)}`;
}
