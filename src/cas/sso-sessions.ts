import type { Selectable } from 'kysely';

import type { Db } from '../storage/database.js';
import type { LogonKind, SsoSessionTable } from '../storage/schema.js';
import { newTicketId } from './ticket-ids.js';

export type SsoSession = Selectable<SsoSessionTable>;

export interface SessionLimits {
  idleMs: number;
  hardMs: number;
}

export interface SessionPrincipal {
  userName: string;
  kind: LogonKind;
  customerId: number | null;
  passwordChangePending: boolean;
}

export async function createSsoSession(
  db: Db,
  principal: SessionPrincipal,
  source: string,
  now: Date,
  limits: SessionLimits,
): Promise<string> {
  const id = newTicketId('TGT');
  await db
    .insertInto('ssoSessions')
    .values({
      id,
      userName: principal.userName,
      principalKind: principal.kind,
      customerId: principal.customerId,
      source,
      createdAt: now.getTime(),
      lastUsedAt: now.getTime(),
      expiresAt: now.getTime() + limits.hardMs,
      endedAt: null,
      passwordChangePending: principal.passwordChangePending ? 1 : 0,
    })
    .execute();
  return id;
}

/** The session if it has neither ended nor passed its hard or idle lifetime. */
export async function findLiveSession(
  db: Db,
  id: string,
  now: Date,
  limits: SessionLimits,
): Promise<SsoSession | null> {
  const session = await db
    .selectFrom('ssoSessions')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  if (session === undefined || session.endedAt !== null) return null;
  if (now.getTime() >= session.expiresAt) return null;
  if (now.getTime() - session.lastUsedAt >= limits.idleMs) return null;
  return session;
}

export async function touchSession(db: Db, id: string, now: Date): Promise<void> {
  await db
    .updateTable('ssoSessions')
    .set({ lastUsedAt: now.getTime() })
    .where('id', '=', id)
    .execute();
}

export async function clearPasswordChange(db: Db, id: string): Promise<void> {
  await db
    .updateTable('ssoSessions')
    .set({ passwordChangePending: 0 })
    .where('id', '=', id)
    .execute();
}

/** Ends a session; returns false when it had already ended (logout is idempotent). */
export async function endSession(db: Db, id: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('ssoSessions')
    .set({ endedAt: now.getTime() })
    .where('id', '=', id)
    .where('endedAt', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Every live session of one user, for ending them when their password is reset. */
export async function sessionsOfUser(db: Db, userName: string): Promise<string[]> {
  const rows = await db
    .selectFrom('ssoSessions')
    .select('id')
    .where('userName', '=', userName)
    .where('endedAt', 'is', null)
    .execute();
  return rows.map((row) => row.id);
}
