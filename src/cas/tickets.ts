import type { Db } from '../storage/database.js';
import type { CasTicketKind, CasTicketTable } from '../storage/schema.js';
import type { Selectable } from 'kysely';
import { newTicketId } from './ticket-ids.js';

export type CasTicket = Selectable<CasTicketTable>;

export interface NewTicket {
  kind: CasTicketKind;
  sessionId: string;
  service: string;
  fromNewLogin: boolean;
  proxyChain?: string[];
  parentTicket?: string | null;
}

export async function issueTicket(
  db: Db,
  ticket: NewTicket,
  now: Date,
  lifetimeMs: number,
): Promise<string> {
  const value = newTicketId(ticket.kind);
  await db
    .insertInto('casTickets')
    .values({
      ticket: value,
      kind: ticket.kind,
      sessionId: ticket.sessionId,
      service: ticket.service,
      createdAt: now.getTime(),
      expiresAt: now.getTime() + lifetimeMs,
      consumedAt: null,
      fromNewLogin: ticket.fromNewLogin ? 1 : 0,
      proxyChain: JSON.stringify(ticket.proxyChain ?? []),
      parentTicket: ticket.parentTicket ?? null,
    })
    .execute();
  return value;
}

/**
 * Uses up a service or proxy ticket: one conditional update decides, so the ticket is valid
 * once even when several CAS processes validate it at the same moment (handed cases C28, P12).
 * Returns the ticket if this call consumed it while it was still valid, else null.
 */
export async function consumeTicket(db: Db, value: string, now: Date): Promise<CasTicket | null> {
  const result = await db
    .updateTable('casTickets')
    .set({ consumedAt: now.getTime() })
    .where('ticket', '=', value)
    .where('consumedAt', 'is', null)
    .where('expiresAt', '>', now.getTime())
    .where('kind', 'in', ['ST', 'PT'])
    .executeTakeFirst();
  if (result.numUpdatedRows !== 1n) return null;
  return (
    (await db
      .selectFrom('casTickets')
      .selectAll()
      .where('ticket', '=', value)
      .executeTakeFirst()) ?? null
  );
}

/** A proxy-granting ticket that may still grant proxy tickets. */
export async function findProxyGrantingTicket(
  db: Db,
  value: string,
  now: Date,
): Promise<CasTicket | null> {
  const row = await db
    .selectFrom('casTickets')
    .selectAll()
    .where('ticket', '=', value)
    .where('kind', '=', 'PGT')
    .where('expiresAt', '>', now.getTime())
    .executeTakeFirst();
  return row ?? null;
}

/** The services that were given a ticket in a session: each gets a single-logout request. */
export async function servicesOfSession(
  db: Db,
  sessionId: string,
): Promise<Array<{ service: string; ticket: string }>> {
  return db
    .selectFrom('casTickets')
    .select(['service', 'ticket'])
    .where('sessionId', '=', sessionId)
    .where('kind', 'in', ['ST', 'PT'])
    .where('consumedAt', 'is not', null)
    .execute();
}

export async function deleteTicketsOfSession(db: Db, sessionId: string): Promise<void> {
  await db.deleteFrom('casTickets').where('sessionId', '=', sessionId).execute();
}
