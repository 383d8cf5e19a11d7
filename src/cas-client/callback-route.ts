import type { FastifyReply, FastifyRequest } from 'fastify';

import { recordAudit } from '../audit/audit-log.js';
import { inTransaction } from '../storage/transaction.js';
import { renderLogonFailedPage, renderNotAllowedPage } from '../web/sign-on-pages.js';
import { casLogoutUrl, isServiceTicket } from './cas-urls.js';
import type { SignOnContext } from './context.js';
import { clearCookie, readCookie, setCookie } from '../http/cookies.js';
import type { CasPrincipal } from './principal.js';
import { safeReturnPath } from './return-path.js';
import {
  createWebSession,
  deleteExpiredWebSessions,
  endWebSession,
  hashSessionSecret,
} from './web-sessions.js';

const HTML = 'text/html; charset=utf-8';

/**
 * GET on the callback: CAS sends the browser back with a service ticket. A malformed ticket
 * never reaches CAS (C24); a valid one opens a new session (P11) for the right role only.
 */
export async function acceptServiceTicket(
  context: SignOnContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const { ticket } = request.query as Record<string, unknown>;
  if (!isServiceTicket(ticket)) return logonFailed(context, reply);

  const result = await context.validate(ticket);
  if (!result.ok) {
    await auditFailedLogon(context, request, 'unknown', { code: result.code });
    return logonFailed(context, reply);
  }
  const { principal } = result;
  if (principal.role !== context.site.role) {
    await auditFailedLogon(context, request, principal.user, { role: principal.role });
    const casLogout = casLogoutUrl(context.deps.casUrl(), context.deps.homeUrl());
    return reply.status(403).type(HTML).send(renderNotAllowedPage(context.site.title, casLogout));
  }

  const secret = await openSession(context, request, ticket, principal);
  reply.header('set-cookie', [
    setCookie(context.sessionCookie, secret),
    clearCookie(context.returnCookie),
  ]);
  return reply.redirect(returnPathOf(context, request) ?? context.site.basePath, 302);
}

/** The session named by the incoming cookie dies with the logon, so no id survives it. */
async function openSession(
  context: SignOnContext,
  request: FastifyRequest,
  ticket: string,
  principal: CasPrincipal,
): Promise<string> {
  const previous = readCookie(request.headers.cookie, context.sessionCookie.name);
  const now = context.deps.clock.now();
  const { server } = context.site;

  return inTransaction(context.store, async (db) => {
    if (previous !== null) await endWebSession(db, hashSessionSecret(previous));
    await deleteExpiredWebSessions(db, server, now, context.lifetimes);
    const secret = await createWebSession(db, {
      server,
      ticket,
      principal,
      now,
      lifetimes: context.lifetimes,
    });
    await recordAudit(db, now, {
      actor: principal.user,
      source: request.ip,
      action: `${server}.logon`,
      result: 'success',
    });
    return secret;
  });
}

function auditFailedLogon(
  context: SignOnContext,
  request: FastifyRequest,
  actor: string,
  detail: Record<string, unknown>,
): Promise<void> {
  return recordAudit(context.store.db, context.deps.clock.now(), {
    actor,
    source: request.ip,
    action: `${context.site.server}.logon`,
    result: 'failure',
    detail,
  });
}

function returnPathOf(context: SignOnContext, request: FastifyRequest): string | null {
  const remembered = readCookie(request.headers.cookie, context.returnCookie.name);
  if (remembered === null) return null;
  try {
    return safeReturnPath(context.site.basePath, decodeURIComponent(remembered));
  } catch {
    return null;
  }
}

function logonFailed(context: SignOnContext, reply: FastifyReply): FastifyReply {
  const page = renderLogonFailedPage(context.site.title, context.site.basePath);
  return reply.status(401).type(HTML).send(page);
}
