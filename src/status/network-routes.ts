import type { HttpsApp } from '../http/https-app.js';
import {
  replaceNetworkConfiguration,
  type NetworkConfiguration,
} from '../network/network-configuration.js';
import type { ApiContext } from './api-context.js';
import { parseInput } from './api-input.js';
import { BAD_REQUEST, errorAnswer, UNAUTHENTICATED, type ApiOperation } from './api-operations.js';
import { sessionOf, type BearerGuard } from './bearer-guard.js';
import {
  networkConfigurationAnswer,
  networkConfigurationBody,
  type NetworkConfigurationBody,
} from './network-messages.js';
import { claimSessionProduct } from './product-claims.js';

export const NETWORK_CONFIGURATION_PATH = '/v1/network-configuration';

/** Thousands of ranges, domains and services fit; the schema bounds each list. */
const NETWORK_BODY_LIMIT = 512 * 1024;

export const NETWORK_OPERATIONS: ApiOperation[] = [
  {
    method: 'put',
    path: NETWORK_CONFIGURATION_PATH,
    summary: 'Replace the product’s network configuration with the one it watches now',
    bearer: true,
    body: networkConfigurationBody,
    answers: {
      200: { description: 'Stored as the current configuration', body: networkConfigurationAnswer },
      400: BAD_REQUEST,
      401: UNAUTHENTICATED,
      403: { description: 'The GUID belongs to another customer account', body: errorAnswer },
      413: { description: 'The body is larger than 512 KiB', body: errorAnswer },
    },
  },
];

/**
 * A TDA's monitored networks, registered domains and registered services (PROTOCOLS.md §3):
 * each report is the whole configuration, and replaces the previous one at once.
 */
export function registerNetworkRoutes(
  app: HttpsApp,
  context: ApiContext,
  guard: BearerGuard,
): void {
  app.put(
    NETWORK_CONFIGURATION_PATH,
    { bodyLimit: NETWORK_BODY_LIMIT, preHandler: guard },
    async (request) => {
      const now = context.clock.now();
      const session = sessionOf(request);
      const body = parseInput(networkConfigurationBody, request.body, 'network configuration');

      const product = await claimSessionProduct(context, session, body.guid, request.ip);
      const configuration = configurationOf(body);
      const ref = { customerId: session.customerId, productId: product.productId };
      await replaceNetworkConfiguration(context.store, ref, configuration, now);

      context.logger.info(
        { customerId: ref.customerId, productId: ref.productId, guid: product.guid },
        'network configuration replaced',
      );
      return networkConfigurationAnswer.parse({
        updatedAt: now.toISOString(),
        monitoredRanges: configuration.monitoredNetworks.flatMap((group) => group.ranges).length,
        registeredDomains: configuration.registeredDomains.length,
        registeredServices: configuration.registeredServices.length,
      });
    },
  );
}

function configurationOf(body: NetworkConfigurationBody): NetworkConfiguration {
  return {
    monitoredNetworks: body.monitoredNetworks,
    registeredDomains: [...new Set(body.registeredDomains)],
    registeredServices: body.registeredServices.map((service) => ({
      kind: service.kind,
      name: service.name ?? null,
      address: service.address,
      port: service.port ?? null,
    })),
  };
}
