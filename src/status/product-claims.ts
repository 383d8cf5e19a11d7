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
