import type { RegisteredProduct } from '../storage/schema.js';

/**
 * Online means a heartbeat was received within the timeout, measured on the server's clock at
 * receipt (never the appliance's own clock), and the appliance has not said it is going offline.
 */
export function isOnline(
  product: RegisteredProduct,
  now: Date,
  heartbeatTimeoutMs: number,
): boolean {
  const last = product.lastHeartbeatAt;
  if (last === null) return false;
  if (product.offlineAnnouncedAt !== null && product.offlineAnnouncedAt >= last) return false;
  return now.getTime() - last <= heartbeatTimeoutMs;
}
