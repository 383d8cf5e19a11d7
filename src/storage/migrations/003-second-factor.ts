import type { Kysely, Migration } from 'kysely';

/** The TOTP step last accepted per administrator, so that a code cannot be replayed. */
export function secondFactor(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('administrators').addColumn('totp_last_step', 'bigint').execute();
    },
  };
}
