import type { FastifyReply, FastifyRequest } from 'fastify';

import { recordAudit } from '../audit/audit-log.js';
import { AppError } from '../shared/errors.js';
import { inTransaction } from '../storage/transaction.js';
import { casLogoutUrl } from './cas-urls.js';
import type { SignOnContext } from './context.js';
import { clearCookie } from '../http/cookies.js';
import { formFields } from './form-body.js';
import { sessionOf } from './require-session.js';
import { isCsrfTokenValid } from './signatures.js';
import { endWebSession } from './web-sessions.js';

/**
 * POST on the logout path: ends this server's session (the form must carry the session's CSRF
 * token) and sends the browser to CAS's logout, so the SSO session ends too (C31).
 */
export async function logout(
  context: SignOnContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const session = await sessionOf(context, request);
  if (session !== null) {
    const token = formFields(request.body).get('csrf');
    if (!isCsrfTokenValid(token, session.idHash, context.deps.serviceKey)) {
      throw new AppError('forbidden', 'the logout form has expired; reload the page');
    }
    await inTransaction(context.store, async (db) => {
      await endWebSession(db, session.idHash);
      await recordAudit(db, context.deps.clock.now(), {
        actor: session.userName,
        source: request.ip,
        action: `${context.site.server}.logout`,
        result: 'success',
      });
    });
  }
  reply.header('set-cookie', clearCookie(context.sessionCookie));
  return reply.redirect(casLogoutUrl(context.deps.casUrl(), context.deps.homeUrl()), 303);
}
