import { createHash, timingSafeEqual } from 'node:crypto';

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';

import { AppError } from '../shared/errors.js';
import { authenticateAppliance, RSYNC_DIGESTS, type ApplianceProof } from './appliances.js';
import type { CasContext } from './context.js';

export const SERVICE_KEY_HEADER = 'x-tmsp-service-key';

const source = z.string().min(1).max(64);
const userName = z.string().min(1).max(128);

const credentialCheck = z.strictObject({ userName, secret: z.string().min(1).max(256), source });
const challengeCheck = z.strictObject({
  userName,
  challenge: z.string().min(1).max(128),
  response: z.string().min(1).max(128),
  digest: z.enum(RSYNC_DIGESTS),
  source,
});

/**
 * Checks the SSH and TLS doors ask CAS to make, so that only CAS ever holds a registration
 * secret. Only TMSP's own servers may call them (the shared service key), and the appliance's
 * address is throttled like any other door, so they are no password oracle.
 */
export function registerInternalRoutes(app: FastifyInstance, context: CasContext): void {
  app.post('/cas/internal/v1/appliance-logons', async (request, reply) => {
    requireServiceKey(context, request);
    const body = parse(credentialCheck, request.body);
    const proof: ApplianceProof = { kind: 'secret', secret: body.secret };
    return answer(
      reply,
      await authenticateAppliance(context, body.userName, proof, body.source, 'ssh'),
    );
  });

  app.post('/cas/internal/v1/rsync-challenges', async (request, reply) => {
    requireServiceKey(context, request);
    const body = parse(challengeCheck, request.body);
    const proof: ApplianceProof = {
      kind: 'rsync-challenge',
      challenge: body.challenge,
      response: body.response,
      digest: body.digest,
    };
    return answer(
      reply,
      await authenticateAppliance(context, body.userName, proof, body.source, 'rsync-tls'),
    );
  });
}

type Outcome = Awaited<ReturnType<typeof authenticateAppliance>>;

function answer(
  reply: { status(code: number): { send(body: unknown): unknown } },
  outcome: Outcome,
): unknown {
  if (outcome.ok)
    return reply
      .status(200)
      .send({ customer: outcome.account.customerName, customerId: outcome.account.customerId });
  return reply.status(outcome.reason === 'throttled' ? 429 : 401).send({ error: outcome.reason });
}

function requireServiceKey(context: CasContext, request: FastifyRequest): void {
  const given = request.headers[SERVICE_KEY_HEADER];
  const expected = createHash('sha256').update(context.serviceKey.toString('base64')).digest();
  const actual = createHash('sha256')
    .update(typeof given === 'string' ? given : '')
    .digest();
  if (!timingSafeEqual(expected, actual))
    throw new AppError('forbidden', 'this endpoint is for TMSP servers only');
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) throw new AppError('invalid_input', 'malformed request');
  return result.data;
}
