import { createHash, randomBytes } from 'node:crypto';

import { recordAudit } from '../audit/audit-log.js';
import { AppError } from '../shared/errors.js';
import type { Db, Store } from '../storage/database.js';
import { inTransaction } from '../storage/transaction.js';
import type { AppliancePrincipal } from './appliance-tickets.js';

/** An appliance signed on at the status server, as the routes see it. */
export interface ApplianceSession {
  tokenHash: string;
  customerId: number;
  /** The registration user name: who acts, in the audit trail. */
  userName: string;
  expiresAt: number;
}

export interface OpenedSession {
  /** The bearer token; only its hash is stored, so a database copy opens no session. */
  token: string;
  customerId: number;
  expiresAt: number;
}

/** Long enough that a fleet does not sign on all the time, short enough to bound a stolen one. */
export const APPLIANCE_SESSION_MS = 8 * 3_600_000;

// 32 random bytes in base64url: 256 bits, 43 characters.
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Opens a session for an appliance CAS vouched for. The customer account must still exist
 * and be active; expired sessions of every appliance are cleared on the way.
 */
export async function openApplianceSession(
  store: Store,
  principal: AppliancePrincipal,
  source: string,
  now: Date,
): Promise<OpenedSession> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = now.getTime() + APPLIANCE_SESSION_MS;

  return inTransaction(store, async (db) => {
    const customer = await db
      .selectFrom('customerAccounts')
      .select(['id', 'status'])
      .where('name', '=', principal.customerName)
      .executeTakeFirst();
    if (customer?.status !== 'active') {
      throw new AppError('unauthenticated', 'the customer account cannot sign on');
    }
    await db.deleteFrom('applianceSessions').where('expiresAt', '<=', now.getTime()).execute();
    await db
      .insertInto('applianceSessions')
      .values({
        tokenHash: hashToken(token),
        customerId: customer.id,
        userName: principal.user,
        createdAt: now.getTime(),
        expiresAt,
      })
      .execute();
    await recordAudit(db, now, {
      actor: principal.user,
      source,
      action: 'status.logon',
      customerId: customer.id,
      result: 'success',
    });
    return { token, customerId: customer.id, expiresAt };
  });
}

/**
 * The live session a bearer token names, or null: unknown, expired, or of a customer account
 * that has been disabled since (its appliances are cut off at once).
 */
export async function findApplianceSession(
  db: Db,
  token: string,
  now: Date,
): Promise<ApplianceSession | null> {
  if (!TOKEN.test(token)) return null;
  const row = await db
    .selectFrom('applianceSessions as session')
    .innerJoin('customerAccounts as customer', 'customer.id', 'session.customerId')
    .select(['session.tokenHash', 'session.customerId', 'session.userName', 'session.expiresAt'])
    .where('session.tokenHash', '=', hashToken(token))
    .where('session.expiresAt', '>', now.getTime())
    .where('customer.status', '=', 'active')
    .executeTakeFirst();
  return row ?? null;
}

export async function endApplianceSession(db: Db, tokenHash: string): Promise<void> {
  await db.deleteFrom('applianceSessions').where('tokenHash', '=', tokenHash).execute();
}
