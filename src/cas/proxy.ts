import type { CasContext } from './context.js';
import { serviceTicketMs } from './context.js';
import { failure, type CasFailure } from './responses.js';
import { findLiveSession } from './sso-sessions.js';
import { ticketPrefix } from './ticket-ids.js';
import { findProxyGrantingTicket, issueTicket } from './tickets.js';

/** /proxy: a proxy ticket for a registered target service, granted with a live PGT (§2.7). */
export async function grantProxyTicket(
  context: CasContext,
  pgt: string | undefined,
  targetService: string | undefined,
): Promise<{ ok: true; proxyTicket: string } | CasFailure> {
  if (pgt === undefined || pgt === '' || targetService === undefined || targetService === '') {
    return failure('INVALID_REQUEST', 'pgt and targetService are both required');
  }
  if (ticketPrefix(pgt) !== 'PGT')
    return failure('INVALID_TICKET_SPEC', 'that is not a proxy-granting ticket');
  if (!(await context.registry.isService(targetService))) {
    return failure('UNAUTHORIZED_SERVICE_PROXY', 'the target service is not registered');
  }

  const now = context.clock.now();
  const granting = await findProxyGrantingTicket(context.store.db, pgt, now);
  if (granting === null)
    return failure('INVALID_TICKET', 'the proxy-granting ticket was not recognised');
  const session = await findLiveSession(
    context.store.db,
    granting.sessionId,
    now,
    context.sessionLimits,
  );
  if (session === null) return failure('INVALID_TICKET', 'the single sign-on session has ended');

  const proxyTicket = await issueTicket(
    context.store.db,
    {
      kind: 'PT',
      sessionId: granting.sessionId,
      service: targetService,
      fromNewLogin: false,
      proxyChain: JSON.parse(granting.proxyChain) as string[],
      parentTicket: granting.ticket,
    },
    now,
    serviceTicketMs(context),
  );
  return { ok: true, proxyTicket };
}
