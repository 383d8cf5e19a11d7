import { setTimeout as sleep } from 'node:timers/promises';

import { recordAudit } from '../audit/audit-log.js';
import { inTransaction } from '../storage/transaction.js';
import type { CasContext } from './context.js';
import { checkPerson, findPerson, type Person } from './principals.js';
import { acceptCode, pendingToken, pendingUser, secondFactorNeed } from './second-factor.js';
import { createSsoSession } from './sso-sessions.js';
import { addressKey, clearFailures, countAttempt, forgiveAttempt, personKey } from './throttle.js';

export type SignInOutcome =
  | { status: 'signed-in'; sessionId: string; passwordChangePending: boolean }
  | { status: 'second-factor'; pending: string }
  | { status: 'refused'; reason: RefusalReason };

export type RefusalReason = 'invalid' | 'throttled' | 'not-enrolled';

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
  if (await throttled(context, userName, source)) return { status: 'refused', reason: 'throttled' };

  const check = await checkPerson(context.store.db, userName, password);
  if (!check.ok) return fail(context, userName, source, check.reason);

  switch (await secondFactorNeed(context, check.person)) {
    case 'code':
      return { status: 'second-factor', pending: pendingToken(context, check.person.userName) };
    case 'not-enrolled':
      await audit(context, userName, source, 'failure', 'second factor required but not enrolled');
      return { status: 'refused', reason: 'not-enrolled' };
    case 'none':
      return startSession(context, check.person, source);
  }
}

/** The second step for administrators with TOTP: the pending token from step one and a code. */
export async function completeSecondFactor(
  context: CasContext,
  pending: string,
  code: string,
  source: string,
): Promise<SignInOutcome> {
  const userName = pendingUser(context, pending);
  if (userName === null) return { status: 'refused', reason: 'invalid' };
  if (await throttled(context, userName, source)) return { status: 'refused', reason: 'throttled' };

  const person = await findPerson(context.store.db, userName);
  if (person === null || person.refusal !== null)
    return fail(context, userName, source, 'not allowed');
  if (!(await acceptCode(context, person.id, code))) {
    return fail(context, userName, source, 'wrong second factor');
  }
  return startSession(context, person, source);
}

async function throttled(context: CasContext, userName: string, source: string): Promise<boolean> {
  const now = context.clock.now();
  const person = await countAttempt(
    context.store,
    personKey(userName),
    context.settings.people,
    now,
  );
  const address = await countAttempt(
    context.store,
    addressKey(source),
    context.settings.addresses,
    now,
  );
  // Each attempt from a busy address costs it a little more time before the answer.
  await sleep(Math.min(MAX_SLOWDOWN_MS, (address.attempts - 1) * 100));
  if (!person.blocked && !address.blocked) return false;
  const reason = person.blocked ? 'user locked' : 'address throttled';
  await audit(context, userName, source, 'failure', reason);
  return true;
}

async function fail(
  context: CasContext,
  userName: string,
  source: string,
  reason: string,
): Promise<SignInOutcome> {
  await audit(context, userName, source, 'failure', reason);
  return { status: 'refused', reason: 'invalid' };
}

async function startSession(
  context: CasContext,
  who: Person,
  source: string,
): Promise<SignInOutcome> {
  const now = context.clock.now();
  await clearFailures(context.store.db, personKey(who.userName));
  await forgiveAttempt(context.store.db, addressKey(source));
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
  return { status: 'signed-in', sessionId, passwordChangePending: who.mustChangePassword };
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
