import { setTimeout as sleep } from 'node:timers/promises';

import { recordAudit } from '../audit/audit-log.js';
import { inTransaction } from '../storage/transaction.js';
import type { CasContext } from './context.js';
import { checkPerson } from './principals.js';
import { createSsoSession } from './sso-sessions.js';
import { addressKey, clearFailures, personKey, recordFailure, throttleState } from './throttle.js';

export type SignInOutcome =
  | { ok: true; sessionId: string; passwordChangePending: boolean }
  | { ok: false; reason: 'invalid' | 'throttled' };

// Each failure from an address costs its next attempt a little more time, up to this.
const MAX_SLOWDOWN_MS = 2_000;

/**
 * Signs a person in with user name and password. People are throttled per user name (lockout)
 * and per source address; every attempt, with its reason, goes to the audit trail.
 */
export async function signInPerson(
  context: CasContext,
  userName: string,
  password: string,
  source: string,
): Promise<SignInOutcome> {
  const now = context.clock.now();
  const db = context.store.db;
  const [person, address] = await Promise.all([
    throttleState(db, personKey(userName), now),
    throttleState(db, addressKey(source), now),
  ]);
  await sleep(Math.min(MAX_SLOWDOWN_MS, address.failures * 100));
  if (person.blocked || address.blocked) {
    await audit(
      context,
      userName,
      source,
      'failure',
      person.blocked ? 'user locked' : 'address throttled',
    );
    return { ok: false, reason: 'throttled' };
  }

  const check = await checkPerson(db, userName, password);
  if (!check.ok) {
    await recordFailure(context.store, personKey(userName), context.settings.people, now);
    await recordFailure(context.store, addressKey(source), context.settings.addresses, now);
    await audit(context, userName, source, 'failure', check.reason);
    return { ok: false, reason: 'invalid' };
  }

  await clearFailures(db, personKey(userName));
  const { person: who } = check;
  const sessionId = await inTransaction(context.store, async (tx) => {
    const id = await createSsoSession(
      tx,
      {
        userName: who.userName,
        kind: who.kind,
        customerId: who.customerId,
        passwordChangePending: who.mustChangePassword,
      },
      source,
      now,
      context.sessionLimits,
    );
    await recordAudit(tx, now, {
      actor: who.userName,
      source,
      action: 'logon',
      customerId: who.customerId,
      result: 'success',
      detail: { door: 'cas-login', kind: who.kind, passwordChangeRequired: who.mustChangePassword },
    });
    return id;
  });
  return { ok: true, sessionId, passwordChangePending: who.mustChangePassword };
}

async function audit(
  context: CasContext,
  userName: string,
  source: string,
  result: 'failure',
  reason: string,
): Promise<void> {
  await recordAudit(context.store.db, context.clock.now(), {
    actor: userName.slice(0, 128),
    source,
    action: 'logon',
    result,
    detail: { door: 'cas-login', reason },
  });
}
