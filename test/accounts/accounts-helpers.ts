import { randomBytes } from 'node:crypto';

import { sql } from 'kysely';

import type { AccountsContext, Actor, NewCustomer } from '../../src/accounts/customers.js';
import { SecretBox } from '../../src/keys/secret-box.js';
import { fixedClock } from '../../src/shared/clock.js';
import type { Store } from '../../src/storage/database.js';
import { DATA_TABLES } from '../../src/storage/tables.js';

export const T0 = new Date('2025-03-01T09:30:00Z');
export const ACTOR: Actor = { name: 'cli:operator', source: 'cli' };

export function accountsContext(store: Store): AccountsContext & {
  clock: ReturnType<typeof fixedClock>;
} {
  return {
    store,
    clock: fixedClock(T0),
    secrets: SecretBox.fromBase64(randomBytes(32).toString('base64'), 'test'),
  };
}

export function newCustomer(name: string, overrides: Partial<NewCustomer> = {}): NewCustomer {
  return {
    name,
    registrationUser: `${name}-fleet`,
    registrationSecret: 'Fleet-Secret-77',
    ...overrides,
  };
}

/** Every row of every table, as stored (snake_case), for whole-database comparisons. */
export async function everyRow(store: Store): Promise<Record<string, unknown[]>> {
  const dump: Record<string, unknown[]> = {};
  for (const table of DATA_TABLES) {
    const { rows } = await sql`select * from ${sql.table(table.name)}
      order by ${sql.ref(table.key)}`.execute(store.raw);
    dump[table.name] = rows;
  }
  return dump;
}

/** The number of rows in each table. */
export async function rowCounts(store: Store): Promise<Record<string, number>> {
  const dump = await everyRow(store);
  return Object.fromEntries(Object.entries(dump).map(([table, rows]) => [table, rows.length]));
}
