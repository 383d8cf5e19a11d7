import { randomBytes } from 'node:crypto';

export type TicketPrefix = 'ST' | 'PT' | 'PGT' | 'PGTIOU' | 'TGT';

/**
 * A ticket value: its prefix and 256 random bits in hex, so it uses only [A-Za-z0-9-] as the
 * protocol requires (PROTOCOLS.md §4) and cannot be guessed.
 */
export function newTicketId(prefix: TicketPrefix): string {
  return `${prefix}-${randomBytes(32).toString('hex')}`;
}

const TICKET_SHAPE = /^(ST|PT|PGT|PGTIOU|TGT)-[A-Za-z0-9-]{1,256}$/;

/** The prefix of a well-formed ticket value, or null for anything else. */
export function ticketPrefix(value: string): TicketPrefix | null {
  const match = TICKET_SHAPE.exec(value);
  return match === null ? null : (match[1] as TicketPrefix);
}
