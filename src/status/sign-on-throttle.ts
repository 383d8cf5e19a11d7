import type { FastifyReply } from 'fastify';

import { recordAudit } from '../audit/audit-log.js';
import {
  applianceAddressKey,
  countAttempt,
  forgiveAttempt,
  type ThrottlePolicy,
} from '../cas/throttle.js';
import { DEFAULT_CONFIG } from '../config/defaults.js';
import { AppError } from '../shared/errors.js';
import type { ApiContext } from './api-context.js';

/**
 * The status server's sign-on counts failures in CAS's logon throttle, under the same keys:
 * `appliance-address:<ip>` is one budget per address whichever door it fails at, and
 * `appliance-user:<name>` counts the failures of a registration user CAS vouched for (a
 * ticket is refused before anyone is named, so only its holder can spend that budget: nobody
 * can lock a fleet out in its name).
 */
export const signOnKeys = {
  address: applianceAddressKey,
  user: (userName: string): string => `appliance-user:${userName.toLowerCase()}`,
};

function policyOf(context: ApiContext): ThrottlePolicy {
  return context.signOnThrottle ?? DEFAULT_CONFIG.cas.appliances;
}

/**
 * Counts a sign-on attempt under `key` before it is checked (parallel guesses all count), and
 * refuses a key over its limit with 429 and Retry-After. forgiveSignOn takes it back.
 */
export async function countSignOnAttempt(
  context: ApiContext,
  reply: FastifyReply,
  attempt: { key: string; source: string },
): Promise<void> {
  const now = context.clock.now();
  const state = await countAttempt(context.store, attempt.key, policyOf(context), now);
  if (!state.blocked) return;

  const waitMs = (state.lockedUntil ?? now.getTime()) - now.getTime();
  void reply.header('retry-after', String(Math.max(1, Math.ceil(waitMs / 1000))));
  await recordAudit(context.store.db, now, {
    actor: 'unknown',
    source: attempt.source,
    action: 'status.logon',
    result: 'failure',
    detail: { reason: 'throttled', key: attempt.key.split(':')[0] ?? '' },
  });
  context.logger.info({ source: attempt.source }, 'appliance sign-on throttled');
  throw new AppError('throttled', 'too many failed sign-ons: try again later');
}

/** A successful sign-on does not count against its address or user. */
export async function forgiveSignOn(context: ApiContext, keys: string[]): Promise<void> {
  for (const key of keys) await forgiveAttempt(context.store.db, key);
}
