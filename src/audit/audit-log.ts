import type { Db } from '../storage/database.js';

export interface AuditEntry {
  /** Who: an administrator's user name, `cli:<os user>`, or the logon name tried. */
  actor: string;
  /** From where: a source address, or `cli`. */
  source: string;
  action: string;
  target?: string | null;
  customerId?: number | null;
  result: 'success' | 'failure';
  detail?: Record<string, unknown>;
}

/**
 * Writes one audit event. Called with the transaction that makes the change, so the trail and
 * the change commit together or not at all. Never pass secrets in detail.
 */
export async function recordAudit(db: Db, at: Date, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('auditEvents')
    .values({
      at: at.getTime(),
      actor: entry.actor,
      source: entry.source,
      action: entry.action,
      target: entry.target ?? null,
      customerId: entry.customerId ?? null,
      result: entry.result,
      detail: entry.detail === undefined ? null : JSON.stringify(entry.detail),
    })
    .execute();
}

export interface AuditRecord extends Omit<AuditEntry, 'detail'> {
  at: Date;
  detail: Record<string, unknown> | null;
}

export async function listAuditEvents(db: Db, since: Date, limit = 1000): Promise<AuditRecord[]> {
  const rows = await db
    .selectFrom('auditEvents')
    .selectAll()
    .where('at', '>=', since.getTime())
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    at: new Date(row.at),
    actor: row.actor,
    source: row.source,
    action: row.action,
    target: row.target,
    customerId: row.customerId,
    result: row.result,
    detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>),
  }));
}
