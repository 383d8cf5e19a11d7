import { createHash, timingSafeEqual } from 'node:crypto';

import { recordAudit } from '../audit/audit-log.js';
import type { CasContext } from './context.js';
import { findApplianceAccount, type ApplianceAccount } from './principals.js';
import { applianceAddressKey, countAttempt, forgiveAttempt } from './throttle.js';

export type ApplianceOutcome =
  { ok: true; account: ApplianceAccount } | { ok: false; reason: 'invalid' | 'throttled' };

/** How the appliance proved it holds the secret. */
export type ApplianceProof =
  | { kind: 'secret'; secret: string }
  | { kind: 'rsync-challenge'; challenge: string; response: string; digest: RsyncDigest };

/** Digests of the rsync daemon challenge that this Node.js can compute (PROTOCOLS.md §2.2). */
export const RSYNC_DIGESTS = ['sha512', 'sha256', 'sha1', 'md5'] as const;
export type RsyncDigest = (typeof RSYNC_DIGESTS)[number];

/**
 * Authenticates an appliance by its customer account's registration credentials. Appliances
 * share those credentials and often one NAT address, so they are slowed per source address
 * only: no attacker can lock a customer's fleet out by failing with its user name.
 */
export async function authenticateAppliance(
  context: CasContext,
  userName: string,
  proof: ApplianceProof,
  source: string,
  door: string,
): Promise<ApplianceOutcome> {
  const now = context.clock.now();
  const key = applianceAddressKey(source);
  if ((await countAttempt(context.store, key, context.settings.appliances, now)).blocked) {
    await audit(context, userName, source, door, null, 'address throttled');
    return { ok: false, reason: 'throttled' };
  }

  const account = await findApplianceAccount(context.store.db, context.secrets, userName, now);
  const matched = account !== null && account.secrets.some((secret) => proves(secret, proof));
  if (!matched) {
    await audit(
      context,
      userName,
      source,
      door,
      null,
      account === null ? 'unknown registration user' : 'wrong secret',
    );
    return { ok: false, reason: 'invalid' };
  }
  await forgiveAttempt(context.store.db, key);
  await audit(context, userName, source, door, account.customerId, null);
  return { ok: true, account };
}

function proves(secret: string, proof: ApplianceProof): boolean {
  if (proof.kind === 'secret') return equalText(secret, proof.secret);
  return equalText(rsyncResponse(secret, proof.challenge, proof.digest), proof.response);
}

/** rsync's daemon answer: unpadded base64 of digest(secret ‖ challenge). */
export function rsyncResponse(secret: string, challenge: string, digest: RsyncDigest): string {
  return createHash(digest).update(secret).update(challenge).digest('base64').replace(/=+$/, '');
}

function equalText(expected: string, given: string): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

async function audit(
  context: CasContext,
  userName: string,
  source: string,
  door: string,
  customerId: number | null,
  failureReason: string | null,
): Promise<void> {
  await recordAudit(context.store.db, context.clock.now(), {
    actor: userName.slice(0, 128),
    source,
    action: 'appliance.logon',
    customerId,
    result: failureReason === null ? 'success' : 'failure',
    detail: failureReason === null ? { door } : { door, reason: failureReason },
  });
}
