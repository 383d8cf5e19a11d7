import type { FastifyInstance, FastifyReply } from 'fastify';

import type { CasContext } from './context.js';
import { grantProxyTicket } from './proxy.js';
import { renderCas1, renderProxy, renderValidation, type ResponseFormat } from './responses.js';
import { validateTicket } from './validation.js';
import { flag, queryOf } from './web.js';

interface Endpoint {
  path: string;
  acceptProxyTickets: boolean;
  releaseAttributes: boolean;
}

const ENDPOINTS: Endpoint[] = [
  { path: '/cas/serviceValidate', acceptProxyTickets: false, releaseAttributes: false },
  { path: '/cas/proxyValidate', acceptProxyTickets: true, releaseAttributes: false },
  { path: '/cas/p3/serviceValidate', acceptProxyTickets: false, releaseAttributes: true },
  { path: '/cas/p3/proxyValidate', acceptProxyTickets: true, releaseAttributes: true },
];

/** Ticket validation for services (CAS 1.0 /validate, 2.0 and 3.0) and /proxy. */
export function registerValidateRoutes(app: FastifyInstance, context: CasContext): void {
  for (const endpoint of ENDPOINTS) {
    app.get(endpoint.path, async (request, reply) => {
      const query = queryOf(request);
      const outcome = await validateTicket(context, {
        ticket: query['ticket'],
        service: query['service'],
        renew: flag(query['renew']),
        pgtUrl: query['pgtUrl'],
        ...endpoint,
      });
      logOutcome(context, endpoint.path, query['service'], outcome.ok ? null : outcome.code);
      return send(
        reply,
        formatOf(query['format']),
        renderValidation(outcome, formatOf(query['format'])),
      );
    });
  }

  app.get('/cas/validate', async (request, reply) => {
    const query = queryOf(request);
    const outcome = await validateTicket(context, {
      ticket: query['ticket'],
      service: query['service'],
      renew: flag(query['renew']),
      pgtUrl: undefined,
      acceptProxyTickets: false,
      releaseAttributes: false,
    });
    return reply.type('text/plain; charset=utf-8').send(renderCas1(outcome));
  });

  app.get('/cas/proxy', async (request, reply) => {
    const query = queryOf(request);
    const outcome = await grantProxyTicket(context, query['pgt'], query['targetService']);
    return send(reply, formatOf(query['format']), renderProxy(outcome, formatOf(query['format'])));
  });
}

function formatOf(format: string | undefined): ResponseFormat {
  return format?.toUpperCase() === 'JSON' ? 'JSON' : 'XML';
}

function send(reply: FastifyReply, format: ResponseFormat, body: string): FastifyReply {
  const type =
    format === 'JSON' ? 'application/json; charset=utf-8' : 'application/xml; charset=utf-8';
  return reply.type(type).send(body);
}

function logOutcome(
  context: CasContext,
  path: string,
  service: string | undefined,
  code: string | null,
): void {
  if (code === null) context.logger.debug({ path, service }, 'ticket validated');
  else context.logger.info({ path, service, code }, 'ticket validation failed');
}
