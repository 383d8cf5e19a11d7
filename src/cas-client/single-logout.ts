import type { FastifyRequest } from 'fastify';

import { recordAudit } from '../audit/audit-log.js';
import { AppError } from '../shared/errors.js';
import { inTransaction } from '../storage/transaction.js';
import type { SignOnContext } from './context.js';
import { formFields } from './form-body.js';
import { isSignedByCas } from './signatures.js';
import { endWebSessionsOfTicket } from './web-sessions.js';

// CAS's SAML LogoutRequest is read with anchored patterns, never an XML parser: there is no
// DTD or entity to expand, and anything that is not exactly this shape is ignored.
const LOGOUT_REQUEST = /^<samlp:LogoutRequest\s[^<>]*>[\s\S]*<\/samlp:LogoutRequest>$/;
const SESSION_INDEX = /<samlp:SessionIndex>(ST-[A-Za-z0-9-]{20,256})<\/samlp:SessionIndex>/g;
const MAX_LENGTH = 16 * 1024;

/** The service ticket a single-logout request names, or null when it is not one. */
export function sessionIndexOf(logoutRequest: string): string | null {
  const text = logoutRequest.trim();
  if (text.length > MAX_LENGTH || text.includes('<!') || !LOGOUT_REQUEST.test(text)) return null;
  const indexes = [...text.matchAll(SESSION_INDEX)];
  if (indexes.length !== 1 || text.split('<samlp:SessionIndex').length !== 2) return null;
  return indexes[0]?.[1] ?? null;
}

/**
 * POST on the callback: CAS's single-logout request. Honoured only when signed with the
 * service key, so a forged one (C30) changes nothing; it ends every session from the ticket.
 */
export async function acceptLogoutRequest(
  context: SignOnContext,
  request: FastifyRequest,
): Promise<string> {
  const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  if (!isSignedByCas(body, request.headers['x-tmsp-signature'], context.deps.serviceKey)) {
    context.logger.warn({ source: request.ip }, 'single-logout request not signed by CAS ignored');
    await recordAudit(context.store.db, context.deps.clock.now(), {
      ...singleLogoutEntry(context, request),
      result: 'failure',
      detail: { reason: 'signature' },
    });
    throw new AppError('forbidden', 'logout requests are accepted from CAS only');
  }
  const ticket = sessionIndexOf(formFields(body).get('logoutRequest') ?? '');
  if (ticket === null) throw new AppError('invalid_input', 'not a CAS logout request');

  await inTransaction(context.store, async (db) => {
    const ended = await endWebSessionsOfTicket(db, context.site.server, ticket);
    await recordAudit(db, context.deps.clock.now(), {
      ...singleLogoutEntry(context, request),
      result: 'success',
      detail: { sessionsEnded: ended },
    });
  });
  return '';
}

function singleLogoutEntry(context: SignOnContext, request: FastifyRequest) {
  return { actor: 'cas', source: request.ip, action: `${context.site.server}.single_logout` };
}
