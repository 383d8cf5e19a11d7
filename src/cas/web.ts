import { randomBytes, timingSafeEqual } from 'node:crypto';

import type { FastifyReply, FastifyRequest } from 'fastify';

import { clearCookie, readCookie, setCookie } from '../http/cookies.js';

import type { CasContext } from './context.js';
import { findLiveSession, type SsoSession } from './sso-sessions.js';

/** The ticket-granting cookie: scoped to /cas, Secure, HttpOnly (PROTOCOLS.md §4). */
export const TGC_COOKIE = 'TGC';
const FORM_COOKIE = 'tmsp_cas_form';

const TGC_SCOPE = { name: TGC_COOKIE, path: '/cas' };
const FORM_SCOPE = { name: FORM_COOKIE, path: '/cas' };

export type Query = Record<string, string | undefined>;

export function queryOf(request: FastifyRequest): Query {
  return singleValues(request.query);
}

export function bodyOf(request: FastifyRequest): Query {
  return singleValues(request.body);
}

/**
 * Parameters as single strings. A repeated parameter counts by its first value everywhere, so
 * no two parts of a request can disagree about, say, which service it names.
 */
function singleValues(input: unknown): Query {
  if (typeof input !== 'object' || input === null) return {};
  const values: Query = {};
  for (const [name, value] of Object.entries(input)) {
    const first: unknown = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') values[name] = first;
  }
  return values;
}

/** A protocol flag such as renew or gateway: set unless absent or "false". */
export function flag(value: string | undefined): boolean {
  return value !== undefined && value !== 'false';
}

export async function currentSession(
  context: CasContext,
  request: FastifyRequest,
): Promise<SsoSession | null> {
  const id = readCookie(request.headers.cookie, TGC_COOKIE);
  if (id === null || !id.startsWith('TGT-')) return null;
  return findLiveSession(context.store.db, id, context.clock.now(), context.sessionLimits);
}

export function setSessionCookie(reply: FastifyReply, sessionId: string): void {
  reply.header('set-cookie', setCookie(TGC_SCOPE, sessionId));
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.header('set-cookie', clearCookie(TGC_SCOPE));
}

/**
 * The form token (double submit): a random value in a cookie and in the form, which a page on
 * another site cannot read, so it cannot post our forms for the user (login CSRF).
 */
export function formToken(request: FastifyRequest, reply: FastifyReply): string {
  const existing = readCookie(request.headers.cookie, FORM_COOKIE);
  if (existing !== null && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const token = randomBytes(32).toString('base64url');
  reply.header('set-cookie', setCookie(FORM_SCOPE, token));
  return token;
}

export function formTokenValid(request: FastifyRequest, submitted: string | undefined): boolean {
  const cookie = readCookie(request.headers.cookie, FORM_COOKIE);
  if (cookie === null || submitted === undefined || cookie.length !== submitted.length)
    return false;
  return timingSafeEqual(Buffer.from(cookie), Buffer.from(submitted));
}

/** The service URL with the ticket appended as its last query parameter. */
export function withTicket(service: string, ticket: string): string {
  return `${service}${service.includes('?') ? '&' : '?'}ticket=${encodeURIComponent(ticket)}`;
}
