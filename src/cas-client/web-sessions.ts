import { createHash, randomBytes } from 'node:crypto';

import type { Db } from '../storage/database.js';
import type { WebSessionTable } from '../storage/schema.js';
import type { CasPrincipal, CasRole, CustomerScope } from './principal.js';

export type WebServerName = WebSessionTable['server'];

/** A console or portal session as the pages see it. */
export interface WebSession {
  idHash: string;
  server: WebServerName;
  userName: string;
  role: CasRole;
  customerScope: CustomerScope;
  /** Empty when the scope is 'all'. */
  customerAccounts: string[];
  mustChangePassword: boolean;
}

export interface SessionLifetimes {
  idleMs: number;
  hardMs: number;
}

export const DEFAULT_LIFETIMES: SessionLifetimes = { idleMs: 30 * 60_000, hardMs: 12 * 3_600_000 };

// customer_names holds names; "every account" is stored as this, which no customer name can be.
const EVERY_ACCOUNT = '*';
// Refreshing last_seen_at at most once a minute spares a write per page; idle ends at most a
// minute early.
const TOUCH_INTERVAL_MS = 60_000;
const SESSION_SECRET = /^[A-Za-z0-9_-]{43}$/;

/** Only the hash of the cookie value is stored, so a database copy opens no session. */
export function hashSessionSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export interface NewWebSession {
  server: WebServerName;
  ticket: string;
  principal: CasPrincipal;
  now: Date;
  lifetimes: SessionLifetimes;
}

/** Stores a new session with a fresh random id; returns the cookie value (32 random bytes). */
export async function createWebSession(db: Db, session: NewWebSession): Promise<string> {
  const secret = randomBytes(32).toString('base64url');
  const { principal } = session;
  const names = principal.customerScope === 'all' ? [EVERY_ACCOUNT] : principal.customerAccounts;
  await db
    .insertInto('webSessions')
    .values({
      idHash: hashSessionSecret(secret),
      server: session.server,
      ticket: session.ticket,
      userName: principal.user,
      role: principal.role,
      customerNames: JSON.stringify(names),
      mustChangePassword: principal.mustChangePassword ? 1 : 0,
      createdAt: session.now.getTime(),
      lastSeenAt: session.now.getTime(),
      expiresAt: session.now.getTime() + session.lifetimes.hardMs,
    })
    .execute();
  return secret;
}

/**
 * The live session a cookie value names on this server, or null. A session past its hard or
 * idle lifetime is deleted on sight.
 */
export async function findWebSession(
  db: Db,
  server: WebServerName,
  secret: string,
  now: Date,
  lifetimes: SessionLifetimes,
): Promise<WebSession | null> {
  if (!SESSION_SECRET.test(secret)) return null;
  const idHash = hashSessionSecret(secret);
  const row = await db
    .selectFrom('webSessions')
    .selectAll()
    .where('idHash', '=', idHash)
    .where('server', '=', server)
    .executeTakeFirst();
  if (row === undefined) return null;

  const at = now.getTime();
  if (at >= row.expiresAt || at >= row.lastSeenAt + lifetimes.idleMs) {
    await endWebSession(db, idHash);
    return null;
  }
  if (at - row.lastSeenAt >= TOUCH_INTERVAL_MS) {
    await db
      .updateTable('webSessions')
      .set({ lastSeenAt: at })
      .where('idHash', '=', idHash)
      .execute();
  }
  return toWebSession(row);
}

export async function endWebSession(db: Db, idHash: string): Promise<void> {
  await db.deleteFrom('webSessions').where('idHash', '=', idHash).execute();
}

/** Single logout: every session this server made from the ticket. Returns how many ended. */
export async function endWebSessionsOfTicket(
  db: Db,
  server: WebServerName,
  ticket: string,
): Promise<number> {
  const result = await db
    .deleteFrom('webSessions')
    .where('server', '=', server)
    .where('ticket', '=', ticket)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Sessions nobody came back for; swept at each logon so the table does not grow. */
export async function deleteExpiredWebSessions(
  db: Db,
  server: WebServerName,
  now: Date,
  lifetimes: SessionLifetimes,
): Promise<void> {
  const at = now.getTime();
  await db
    .deleteFrom('webSessions')
    .where('server', '=', server)
    .where((where) =>
      where.or([where('expiresAt', '<=', at), where('lastSeenAt', '<=', at - lifetimes.idleMs)]),
    )
    .execute();
}

/** A row this module did not write (an unknown role) opens nothing. */
function toWebSession(row: WebSessionTable): WebSession | null {
  if (row.role !== 'administrator' && row.role !== 'portal') return null;
  const role: CasRole = row.role;
  const names = JSON.parse(row.customerNames) as string[];
  const scope: CustomerScope =
    role === 'portal' ? 'own' : names.includes(EVERY_ACCOUNT) ? 'all' : 'assigned';
  return {
    idHash: row.idHash,
    server: row.server,
    userName: row.userName,
    role,
    customerScope: scope,
    customerAccounts: scope === 'all' ? [] : names,
    mustChangePassword: row.mustChangePassword === 1,
  };
}
