import type { Actor } from '../accounts/customers.js';
import type { HttpsApp } from '../http/https-app.js';
import type { ClaimedProduct } from '../logserver/received-files.js';
import type { Heartbeat, StoredHeartbeat } from '../products/heartbeats.js';
import { isAppError } from '../shared/errors.js';
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
import { heartbeatBatcher } from './heartbeat-batcher.js';
import { heartbeatAnswer, heartbeatBody, type HeartbeatBody } from './heartbeat-messages.js';
import { heartbeatPatternTasks } from './pattern-tasks.js';
import { claimSessionProduct, knownProducts, type KnownProducts } from './product-claims.js';

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
 * from the appliance's clock (C35): an appliance whose clock was set back stays online. A known
 * appliance's heartbeat goes straight to the store, which commits heartbeats in batches.
 */
export function registerHeartbeatRoutes(
  app: HttpsApp,
  context: ApiContext,
  guard: BearerGuard,
): void {
  const store = heartbeatBatcher(context.store, context.heartbeatTimeoutSeconds * 1000);
  const known = knownProducts();

  app.post(HEARTBEATS_PATH, { bodyLimit: API_BODY_LIMIT, preHandler: guard }, async (request) => {
    const receivedAt = context.clock.now();
    const session = sessionOf(request);
    const body = parseInput(heartbeatBody, request.body, 'heartbeat');
    const actor: Actor = { name: session.userName, source: request.ip };
    const storeFor: StoreFor = async (product) => {
      const heartbeat = heartbeatOf(body, session.customerId, product.productId, receivedAt);
      return { ...(await store(heartbeat, actor)), heartbeat };
    };

    const cached = known.get(session.customerId, body.guid);
    const stored =
      (cached === undefined ? null : await storeKnown(cached, storeFor)) ??
      (await storeClaimed(context, request.ip, session, body.guid, known, storeFor));

    logOutcome(context, stored.heartbeat, stored.product, stored);
    return heartbeatAnswer.parse({
      serverTime: receivedAt.toISOString(),
      heartbeatIntervalSeconds: heartbeatIntervalSeconds(context.heartbeatTimeoutSeconds),
      clockSkewSeconds: stored.clockSkewSeconds,
      pendingTasks: await heartbeatPatternTasks(context, stored.heartbeat, stored),
    });
  });
}

type Stored = StoredHeartbeat & { heartbeat: Heartbeat; product: ClaimedProduct };
type StoreFor = (product: ClaimedProduct) => Promise<StoredHeartbeat & { heartbeat: Heartbeat }>;

/** A product the store cannot find for this account is no longer trusted from the cache. */
async function storeKnown(product: ClaimedProduct, storeFor: StoreFor): Promise<Stored | null> {
  try {
    return { ...(await storeFor(product)), product };
  } catch (error) {
    if (isAppError(error) && error.code === 'not_found') return null;
    throw error;
  }
}

async function storeClaimed(
  context: ApiContext,
  source: string,
  session: ApplianceSession,
  guid: string,
  known: KnownProducts,
  storeFor: StoreFor,
): Promise<Stored> {
  known.forget(session.customerId, guid);
  const product = await claimSessionProduct(context, session, guid, source);
  const stored = await storeFor(product);
  known.remember(session.customerId, guid, product);
  return { ...stored, product };
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
