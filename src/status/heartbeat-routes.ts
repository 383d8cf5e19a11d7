import type { Actor } from '../accounts/customers.js';
import type { HttpsApp } from '../http/https-app.js';
import { claimProductForPush, type ClaimedProduct } from '../logserver/received-files.js';
import { storeHeartbeat, type Heartbeat, type StoredHeartbeat } from '../products/heartbeats.js';
import { AppError, isAppError } from '../shared/errors.js';
import { API_BODY_LIMIT, heartbeatIntervalSeconds, type ApiContext } from './api-context.js';
import { parseInput } from './api-input.js';
import {
  BAD_REQUEST,
  errorAnswer,
  TOO_LARGE,
  UNAUTHENTICATED,
  type ApiOperation,
} from './api-operations.js';
import type { ApplianceSession } from './appliance-sessions.js';
import { sessionOf, type BearerGuard } from './bearer-guard.js';
import { heartbeatAnswer, heartbeatBody, type HeartbeatBody } from './heartbeat-messages.js';

export const HEARTBEATS_PATH = '/v1/heartbeats';

export const HEARTBEAT_OPERATIONS: ApiOperation[] = [
  {
    method: 'post',
    path: HEARTBEATS_PATH,
    summary: 'Report that the appliance is alive; the first one registers its GUID',
    bearer: true,
    body: heartbeatBody,
    answers: {
      200: {
        description: 'Stored; when to send the next, and pending tasks',
        body: heartbeatAnswer,
      },
      400: BAD_REQUEST,
      401: UNAUTHENTICATED,
      403: {
        description: 'The GUID belongs to another customer account, or this one is disabled',
        body: errorAnswer,
      },
      413: TOO_LARGE,
    },
  },
];

/**
 * Heartbeats. Online and offline are computed from the time the server received them, never
 * from the appliance's clock (C35): an appliance whose clock was set back stays online.
 */
export function registerHeartbeatRoutes(
  app: HttpsApp,
  context: ApiContext,
  guard: BearerGuard,
): void {
  const timeoutMs = context.heartbeatTimeoutSeconds * 1000;

  app.post(HEARTBEATS_PATH, { bodyLimit: API_BODY_LIMIT, preHandler: guard }, async (request) => {
    const receivedAt = context.clock.now();
    const session = sessionOf(request);
    const body = parseInput(heartbeatBody, request.body, 'heartbeat');
    const actor: Actor = { name: session.userName, source: request.ip };

    const product = await claimProduct(context, session, body.guid, actor);
    const heartbeat = heartbeatOf(body, session.customerId, product.productId, receivedAt);
    const stored = await storeHeartbeat(context.store, heartbeat, timeoutMs, actor);

    logOutcome(context, heartbeat, product, stored);
    return heartbeatAnswer.parse({
      serverTime: receivedAt.toISOString(),
      heartbeatIntervalSeconds: heartbeatIntervalSeconds(context.heartbeatTimeoutSeconds),
      clockSkewSeconds: stored.clockSkewSeconds,
      pendingTasks: [],
    });
  });
}

/** The first authenticated contact registers the GUID under the session's customer account. */
async function claimProduct(
  context: ApiContext,
  session: ApplianceSession,
  guid: string,
  actor: Actor,
): Promise<ClaimedProduct> {
  const claim = { customerId: session.customerId, guid, actor: actor.name, source: actor.source };
  try {
    return await claimProductForPush(context.store, claim, context.clock);
  } catch (error) {
    if (!isAppError(error) || error.code !== 'forbidden') throw error;
    context.logger.warn({ customerId: session.customerId, guid }, 'heartbeat refused');
    // Says no more than that: which account holds the GUID is none of this one's business.
    throw new AppError('forbidden', 'this GUID cannot be used with these credentials');
  }
}

/** Registrations and online changes are worth a line; the heartbeats themselves are not. */
function logOutcome(
  context: ApiContext,
  heartbeat: Heartbeat,
  product: ClaimedProduct,
  stored: StoredHeartbeat,
): void {
  const log = context.logger.child({
    customerId: heartbeat.customerId,
    productId: product.productId,
    guid: product.guid,
  });
  if (product.registered) log.info({ type: heartbeat.type }, 'appliance registered');
  for (const change of stored.changes) log.info({ at: change.at }, change.kind);
}

function heartbeatOf(
  body: HeartbeatBody,
  customerId: number,
  productId: number,
  receivedAt: Date,
): Heartbeat {
  return {
    customerId,
    productId,
    receivedAt: receivedAt.getTime(),
    type: body.type === 'tda' ? 'TDA' : 'TM',
    hostName: body.hostName,
    ipAddress: body.ipAddress,
    version: body.version,
    timeZone: body.timeZone ?? null,
    applianceTime: Date.parse(body.sentAt),
    securityCompliance: body.type === 'tda' ? body.securityCompliance : null,
    canRunMitigation: body.type === 'tm' ? body.canRunMitigation : null,
    licenceExpiresAt:
      body.licenceExpiresAt === undefined ? null : Date.parse(body.licenceExpiresAt),
    patternVersion: body.patternVersion ?? null,
    state: body.state,
  };
}
