import { claimProductForPush, type ClaimedProduct } from '../logserver/received-files.js';
import { AppError, isAppError } from '../shared/errors.js';
import type { ApiContext } from './api-context.js';
import type { ApplianceSession } from './appliance-sessions.js';

/**
 * The product a request of the session speaks for. The first authenticated contact registers
 * the GUID under the session's customer account, whatever the route (PRODUCT.md, appliances).
 */
export async function claimSessionProduct(
  context: ApiContext,
  session: ApplianceSession,
  guid: string,
  source: string,
): Promise<ClaimedProduct> {
  const claim = { customerId: session.customerId, guid, actor: session.userName, source };
  try {
    return await claimProductForPush(context.store, claim, context.clock);
  } catch (error) {
    if (!isAppError(error) || error.code !== 'forbidden') throw error;
    context.logger.warn({ customerId: session.customerId, guid }, 'appliance request refused');
    // Says no more than that: which account holds the GUID is none of this one's business.
    throw new AppError('forbidden', 'this GUID cannot be used with these credentials');
  }
}

/** Beyond this many, the cache starts over rather than grow with every GUID ever seen. */
const KNOWN_PRODUCTS_LIMIT = 100_000;

export interface KnownProducts {
  get(customerId: number, guid: string): ClaimedProduct | undefined;
  remember(customerId: number, guid: string, product: ClaimedProduct): void;
  forget(customerId: number, guid: string): void;
}

/**
 * The products this process has claimed, by account and GUID as the appliance spells it, so
 * that a known appliance's heartbeat skips the claim. A product never moves to another account
 * and is never deleted; the store still checks the product's account on every heartbeat, and a
 * product it cannot find is forgotten here and claimed again.
 */
export function knownProducts(): KnownProducts {
  const products = new Map<string, ClaimedProduct>();
  const key = (customerId: number, guid: string) => `${customerId}/${guid}`;
  return {
    get: (customerId, guid) => products.get(key(customerId, guid)),
    remember: (customerId, guid, product) => {
      if (products.size >= KNOWN_PRODUCTS_LIMIT) products.clear();
      products.set(key(customerId, guid), { ...product, registered: false });
    },
    forget: (customerId, guid) => products.delete(key(customerId, guid)),
  };
}
