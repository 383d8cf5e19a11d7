import type { HttpsApp } from '../http/https-app.js';
import { canonicalAddress } from '../network/cidr.js';
import { storeOcsEvents, type OcsEvent } from '../ocs/ocs-events.js';
import type { ApiContext } from './api-context.js';
import { parseInput } from './api-input.js';
import { BAD_REQUEST, errorAnswer, UNAUTHENTICATED, type ApiOperation } from './api-operations.js';
import { sessionOf, type BearerGuard } from './bearer-guard.js';
import { ocsAnswer, ocsBody, type OcsEventBody } from './ocs-messages.js';
import { claimSessionProduct } from './product-claims.js';

export const OCS_LOGS_PATH = '/v1/ocs-logs';

/** A batch of a hundred events with long content fields; a burst is sent as several. */
const OCS_BODY_LIMIT = 256 * 1024;

export const OCS_OPERATIONS: ApiOperation[] = [
  {
    method: 'post',
    path: OCS_LOGS_PATH,
    summary: 'Report OCS events as they happen (one, or a batch of up to 100)',
    bearer: true,
    body: ocsBody,
    answers: {
      200: { description: 'Stored, each with its malware name', body: ocsAnswer },
      400: BAD_REQUEST,
      401: UNAUTHENTICATED,
      403: { description: 'The GUID belongs to another customer account', body: errorAnswer },
      413: { description: 'The body is larger than 256 KiB', body: errorAnswer },
    },
  },
];

/**
 * OCS logs (PROTOCOLS.md §3): stored per product with the malware name the mapping gives
 * them, and counted into `ocs.triggered` appliance events that notifications read.
 */
export function registerOcsRoutes(app: HttpsApp, context: ApiContext, guard: BearerGuard): void {
  app.post(OCS_LOGS_PATH, { bodyLimit: OCS_BODY_LIMIT, preHandler: guard }, async (request) => {
    const receivedAt = context.clock.now().getTime();
    const session = sessionOf(request);
    const body = parseInput(ocsBody, request.body, 'OCS log');

    const product = await claimSessionProduct(context, session, body.guid, request.ip);
    const stored = await storeOcsEvents(context.store, {
      customerId: session.customerId,
      productId: product.productId,
      guid: product.guid,
      receivedAt,
      events: body.events.map(ocsEventOf),
    });

    const log = context.logger.child({
      customerId: session.customerId,
      productId: product.productId,
      guid: product.guid,
    });
    for (const burst of stored.bursts.filter((each) => each.opened)) {
      log.info({ applianceEventId: burst.applianceEventId, count: burst.count }, 'ocs.triggered');
    }
    return ocsAnswer.parse({ stored: stored.stored, duplicates: stored.duplicates });
  });
}

function ocsEventOf(body: OcsEventBody): OcsEvent {
  return {
    eventId: body.eventId,
    occurredAt: Date.parse(body.time),
    action: body.action,
    // One spelling per address, so that a source's events count into one burst.
    sourceIp: canonicalAddress(body.sourceIp) ?? body.sourceIp,
    sourceHost: body.sourceHost ?? null,
    destinationIp: body.destinationIp === undefined ? null : canonicalAddress(body.destinationIp),
    destinationPort: body.destinationPort ?? null,
    protocol: body.protocol ?? null,
    ruleId: body.ruleId ?? null,
    ruleName: body.ruleName ?? null,
    detectionName: body.detectionName ?? null,
    content: body.content ?? null,
    fileName: body.fileName ?? null,
    url: body.url ?? null,
  };
}
