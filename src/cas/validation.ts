import { issueTicket, consumeTicket } from './tickets.js';
import { attributesOf } from './attributes.js';
import type { CasContext } from './context.js';
import { failure, type ValidationOutcome } from './responses.js';
import { findLiveSession } from './sso-sessions.js';
import { newTicketId, ticketPrefix } from './ticket-ids.js';

export interface ValidationRequest {
  ticket: string | undefined;
  service: string | undefined;
  renew: boolean;
  pgtUrl: string | undefined;
  /** /proxyValidate takes proxy tickets too; /serviceValidate only service tickets. */
  acceptProxyTickets: boolean;
  /** Only the /p3 endpoints release attributes. */
  releaseAttributes: boolean;
}

// A PGT lives as long as the SSO session could; the session's end stops it earlier.
const PROXY_GRANTING_TICKET_MS = 8 * 3_600_000;

/**
 * Validates a service or proxy ticket (CAS 3.0 §2.5, §2.6). Any validation consumes the ticket:
 * one presented with the wrong service fails and is dead (handed cases C27, C28).
 */
export async function validateTicket(
  context: CasContext,
  request: ValidationRequest,
): Promise<ValidationOutcome> {
  const { ticket, service } = request;
  if (ticket === undefined || ticket === '' || service === undefined || service === '') {
    return failure('INVALID_REQUEST', 'ticket and service are both required');
  }
  const prefix = ticketPrefix(ticket);
  if (prefix === 'PT' && !request.acceptProxyTickets) {
    return failure('INVALID_TICKET_SPEC', 'a proxy ticket is not accepted here; use proxyValidate');
  }
  if (prefix !== 'ST' && prefix !== 'PT')
    return failure('INVALID_TICKET', 'the ticket was not recognised');

  const now = context.clock.now();
  const used = await consumeTicket(context.store.db, ticket, now);
  if (used === null)
    return failure('INVALID_TICKET', 'the ticket was not recognised, was used or expired');
  if (used.service !== service) {
    return failure('INVALID_SERVICE', 'the ticket was issued for another service and is now void');
  }
  if (request.renew && used.fromNewLogin !== 1) {
    return failure(
      'INVALID_TICKET',
      'renew was asked for, but the ticket came from single sign-on',
    );
  }
  const session = await findLiveSession(
    context.store.db,
    used.sessionId,
    now,
    context.sessionLimits,
  );
  if (session === null) return failure('INVALID_TICKET', 'the single sign-on session has ended');

  const chain = JSON.parse(used.proxyChain) as string[];
  let iou: string | null = null;
  if (request.pgtUrl !== undefined && request.pgtUrl !== '') {
    if (!(await context.registry.isProxyCallback(request.pgtUrl))) {
      return failure('INVALID_PROXY_CALLBACK', 'the proxy callback is not registered or not HTTPS');
    }
    iou = await grantProxyGrantingTicket(
      context,
      used.sessionId,
      used.ticket,
      request.pgtUrl,
      chain,
    );
  }

  return {
    ok: true,
    user: session.userName,
    attributes: request.releaseAttributes
      ? await attributesOf(context.store.db, session, used.fromNewLogin === 1)
      : null,
    proxyGrantingTicketIou: iou,
    proxies: chain,
  };
}

/**
 * Issues a PGT only if its callback proves it holds the URL: CAS calls it over verified HTTPS
 * with the PGT and its IOU; the IOU alone goes into the validation answer (CAS 3.0 §2.5.4).
 */
async function grantProxyGrantingTicket(
  context: CasContext,
  sessionId: string,
  validatedTicket: string,
  pgtUrl: string,
  chain: string[],
): Promise<string | null> {
  const now = context.clock.now();
  const pgt = await issueTicket(
    context.store.db,
    {
      kind: 'PGT',
      sessionId,
      service: pgtUrl,
      fromNewLogin: false,
      proxyChain: [pgtUrl, ...chain],
      parentTicket: validatedTicket,
    },
    now,
    PROXY_GRANTING_TICKET_MS,
  );
  const iou = newTicketId('PGTIOU');
  const url = new URL(pgtUrl);
  url.searchParams.set('pgtId', pgt);
  url.searchParams.set('pgtIou', iou);

  if (await context.callProxyCallback(url.toString())) return iou;
  await context.store.db.deleteFrom('casTickets').where('ticket', '=', pgt).execute();
  context.logger.warn({ pgtUrl }, 'proxy callback did not answer 200; no proxy-granting ticket');
  return null;
}
