import { createReadStream } from 'node:fs';

import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

import { parseApplianceGuid } from '../logserver/received-files.js';
import { reportDeployment } from '../patterns/deployment-reports.js';
import { patternFile } from '../patterns/pattern-files.js';
import { findDeployedPattern } from '../patterns/patterns.js';
import type { HttpsApp } from '../http/https-app.js';
import { AppError, notFound } from '../shared/errors.js';
import { pathExists } from '../shared/files.js';
import { API_BODY_LIMIT, type ApiContext } from './api-context.js';
import { parseInput } from './api-input.js';
import {
  BAD_REQUEST,
  errorAnswer,
  TOO_LARGE,
  UNAUTHENTICATED,
  type ApiOperation,
} from './api-operations.js';
import { sessionOf, type BearerGuard } from './bearer-guard.js';
import { byteRange } from './byte-ranges.js';
import { applianceGuid, plainText } from './heartbeat-messages.js';
import type { PatternApiDeps } from './pattern-context.js';
import { PatternStreams } from './pattern-stream.js';
import { PATTERN_CONTENT_PATH } from './pattern-tasks.js';

export const EVENTS_PATH = '/v1/events';
const REPORTS_PATH = '/v1/patterns/:id/reports';

const eventsQuery = z.strictObject({ guid: applianceGuid });

const patternId = z.strictObject({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/, 'must be a pattern id')
    .transform(Number),
});

const reportBody = z.strictObject({
  guid: applianceGuid,
  state: z.enum(['downloaded', 'deployed', 'failed']).meta({
    description: '`deployed` is confirmed only once heartbeats report the pattern’s version',
  }),
  endpoint: plainText(255).min(1).optional().meta({ description: 'The endpoint concerned' }),
  message: plainText(1000).optional().meta({ description: 'Why it failed, for people' }),
});

const reportAnswer = z.strictObject({
  patternId: z.int(),
  guid: z.string(),
  state: z.enum(['notified', 'downloaded', 'deployed', 'failed']),
  confirmed: z.boolean().meta({ description: 'A heartbeat reported the pattern’s version' }),
});

const NOT_DEPLOYED = {
  description: 'No such pattern deployed to this customer account’s appliance',
  body: errorAnswer,
};

export const PATTERN_OPERATIONS: ApiOperation[] = [
  {
    method: 'get',
    path: EVENTS_PATH,
    summary:
      'Server-Sent Events: `event: pattern` with a pattern task (as in pendingTasks) the ' +
      'moment one is deployed; sends what is pending on connect; comments keep it open',
    bearer: true,
    query: eventsQuery,
    answers: {
      200: { description: 'text/event-stream, open until the session ends' },
      400: BAD_REQUEST,
      401: UNAUTHENTICATED,
      404: { description: 'No such registered product of this account', body: errorAnswer },
    },
  },
  {
    method: 'get',
    path: PATTERN_CONTENT_PATH,
    summary: 'Download a pattern; a Range request resumes an interrupted download',
    bearer: true,
    answers: {
      200: { description: 'application/octet-stream; ETag is the quoted SHA-256' },
      206: { description: 'The range asked for, with Content-Range' },
      401: UNAUTHENTICATED,
      404: NOT_DEPLOYED,
      416: { description: 'The range lies beyond the end; Content-Range: bytes */size' },
      503: { description: 'The content is not on this server yet; try again', body: errorAnswer },
    },
  },
  {
    method: 'post',
    path: REPORTS_PATH,
    summary: 'Report a pattern downloaded, deployed or failed (per endpoint if given)',
    bearer: true,
    body: reportBody,
    answers: {
      200: { description: 'Recorded', body: reportAnswer },
      400: BAD_REQUEST,
      401: UNAUTHENTICATED,
      404: NOT_DEPLOYED,
      413: TOO_LARGE,
    },
  },
];

/** The custom-pattern routes: the event stream, the download and the reports. */
export function registerPatternRoutes(
  app: HttpsApp,
  context: ApiContext,
  guard: BearerGuard,
  deps: PatternApiDeps,
): void {
  const streams = new PatternStreams(context, deps);
  // Before the server closes: open streams would otherwise keep its close waiting.
  app.addHook('preClose', (done) => {
    streams.close();
    done();
  });

  // No HEAD twin: a HEAD would open a stream that sends nothing.
  app.get(EVENTS_PATH, { preHandler: guard, exposeHeadRoute: false }, async (request, reply) => {
    const session = sessionOf(request);
    const { guid } = parseInput(eventsQuery, request.query, 'query');
    const product = await ownProduct(context, session.customerId, guid);
    const { tokenHash, expiresAt } = session;
    await streams.open(reply, { ...product, tokenHash, expiresAt });
  });

  app.get(PATTERN_CONTENT_PATH, { preHandler: guard }, async (request, reply) => {
    const session = sessionOf(request);
    const { id } = parseInput(patternId, request.params, 'path');
    const pattern = await findDeployedPattern(context.store.db, session.customerId, id);
    const file = patternFile(deps.dir, pattern.sha256);
    // Another host's status server without the shared patterns directory: try again later.
    if (!(await pathExists(file))) throw new AppError('unavailable', 'pattern content unavailable');
    return sendContent(reply, file, pattern, request.headers);
  });

  app.post(REPORTS_PATH, { bodyLimit: API_BODY_LIMIT, preHandler: guard }, (request) =>
    acceptReport(context, request),
  );
}

async function acceptReport(context: ApiContext, request: FastifyRequest) {
  const session = sessionOf(request);
  const { id } = parseInput(patternId, request.params, 'path');
  const body = parseInput(reportBody, request.body, 'report');
  const report = {
    customerId: session.customerId,
    patternId: id,
    guid: body.guid,
    state: body.state,
    endpoint: body.endpoint ?? null,
    message: body.message ?? null,
  };
  const outcome = await reportDeployment(context, report);

  const { guid, state, confirmed, productId } = outcome;
  const log = context.logger.child({ customerId: session.customerId, productId, guid });
  if (body.state === 'failed') log.warn({ patternId: id }, 'pattern deployment failed');
  else log.info({ patternId: id, reported: body.state, state }, 'pattern report');
  return reportAnswer.parse({ patternId: id, guid, state, confirmed });
}

async function ownProduct(context: ApiContext, customerId: number, guidText: string) {
  const guid = parseApplianceGuid(guidText) ?? '';
  const product = await context.store.db
    .selectFrom('registeredProducts')
    .select(['id as productId', 'customerId', 'guid'])
    .where('guid', '=', guid)
    .where('customerId', '=', customerId)
    .executeTakeFirst();
  // Another account's GUID answers like an unknown one: which account holds it is not said.
  if (product === undefined) throw notFound('registered product (heartbeat first)');
  return product;
}

function sendContent(
  reply: FastifyReply,
  file: string,
  pattern: { size: number; sha256: string },
  headers: { range?: string | undefined; 'if-range'?: string | undefined },
): FastifyReply {
  const etag = `"${pattern.sha256}"`;
  void reply.header('accept-ranges', 'bytes').header('etag', etag);
  const range = byteRange(headers.range, pattern.size, headers['if-range'], etag);
  if (range.kind === 'unsatisfiable') {
    return reply.status(416).header('content-range', `bytes */${pattern.size}`).send();
  }
  const { start, end } = range.kind === 'partial' ? range : { start: 0, end: pattern.size - 1 };
  void reply.type('application/octet-stream').header('content-length', String(end - start + 1));
  if (range.kind === 'partial') {
    void reply.status(206).header('content-range', `bytes ${start}-${end}/${pattern.size}`);
  }
  return reply.send(createReadStream(file, { start, end }));
}
