import type { FastifyInstance, FastifyReply } from 'fastify';

import { inTransaction } from '../storage/transaction.js';
import { authenticateAppliance } from './appliances.js';
import { serviceTicketMs, type CasContext } from './context.js';
import { signOut } from './sign-out.js';
import { createSsoSession, findLiveSession } from './sso-sessions.js';
import { ticketPrefix } from './ticket-ids.js';
import { issueTicket } from './tickets.js';
import { bodyOf } from './web.js';

const TEXT = 'text/plain; charset=utf-8';

/**
 * The REST protocol appliances use to reach the status server's API (PROTOCOLS.md §1):
 * registration credentials → ticket-granting ticket → service tickets for the status server.
 */
export function registerRestRoutes(app: FastifyInstance, context: CasContext): void {
  app.post('/cas/v1/tickets', async (request, reply) => {
    const body = bodyOf(request);
    const userName = body['username'];
    const secret = body['password'];
    if (!userName || !secret) return plain(reply, 400, 'username and password are required');

    const outcome = await authenticateAppliance(
      context,
      userName,
      { kind: 'secret', secret },
      request.ip,
      'cas-rest',
    );
    if (!outcome.ok)
      return plain(reply, outcome.reason === 'throttled' ? 429 : 401, 'authentication failed');

    const { account } = outcome;
    const id = await inTransaction(context.store, (db) =>
      createSsoSession(
        db,
        {
          userName: account.userName,
          kind: 'registration',
          customerId: account.customerId,
          passwordChangePending: false,
        },
        request.ip,
        context.clock.now(),
        context.sessionLimits,
      ),
    );
    const location = `${context.casUrl()}/v1/tickets/${id}`;
    return reply.status(201).header('location', location).type(TEXT).send(`${location}\n`);
  });

  app.post('/cas/v1/tickets/:tgt', async (request, reply) => {
    const tgt = (request.params as { tgt: string }).tgt;
    const service = bodyOf(request)['service'];
    if (!service) return plain(reply, 400, 'service is required');
    if (!(await context.registry.isService(service)))
      return plain(reply, 400, 'service is not registered');

    const now = context.clock.now();
    const session =
      ticketPrefix(tgt) === 'TGT'
        ? await findLiveSession(context.store.db, tgt, now, context.sessionLimits)
        : null;
    if (session === null) return plain(reply, 404, 'ticket-granting ticket not found');
    const ticket = await issueTicket(
      context.store.db,
      { kind: 'ST', sessionId: session.id, service, fromNewLogin: false },
      now,
      serviceTicketMs(context),
    );
    return reply.type(TEXT).send(ticket);
  });

  app.delete('/cas/v1/tickets/:tgt', async (request, reply) => {
    const tgt = (request.params as { tgt: string }).tgt;
    const now = context.clock.now();
    const session =
      ticketPrefix(tgt) === 'TGT'
        ? await findLiveSession(context.store.db, tgt, now, context.sessionLimits)
        : null;
    if (session !== null) await signOut(context, session, request.ip);
    return plain(reply, 200, tgt);
  });
}

function plain(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.status(status).type(TEXT).send(`${message}\n`);
}
