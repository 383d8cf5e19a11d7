import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { sql } from 'kysely';

import { ensureBuiltInAdministrator } from '../../src/accounts/administrators.js';
import { addCustomer, disableCustomer, type Actor } from '../../src/accounts/customers.js';
import { loadConfig } from '../../src/config/load.js';
import { dataPaths, type DataPaths } from '../../src/config/paths.js';
import { ensureKeyMaterial, type KeyMaterial } from '../../src/keys/material.js';
import { recordReceivedFile } from '../../src/logserver/received-files.js';
import { fixedClock, type Clock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/log.js';
import type { Store } from '../../src/storage/database.js';
import type { Engine } from '../../src/storage/engine.js';
import { DATA_TABLES } from '../../src/storage/tables.js';
import { scratchStore } from '../support/databases.js';

export const T0 = new Date('2025-03-01T09:30:00Z');
export const ACTOR: Actor = { name: 'cli:operator', source: 'cli' };
export const HEARTBEAT_TIMEOUT_MS = 300_000;

/** A migrated store plus a data directory of its own; close() removes both. */
export interface Site {
  store: Store;
  paths: DataPaths;
  dataDir: string;
  close(): Promise<void>;
}

export async function newSite(engine: Engine, env: Record<string, string> = {}): Promise<Site> {
  const scratch = await scratchStore(engine);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tmsp-backup-'));
  const paths = dataPaths(loadConfig({ dataDir, env, cwd: dataDir }));
  return {
    store: scratch.store,
    paths,
    dataDir,
    close: async () => {
      await scratch.close();
      await rm(dataDir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}

export function keysOf(site: Site): Promise<KeyMaterial> {
  return ensureKeyMaterial(site.paths, ['localhost', '127.0.0.1'], T0, silentLogger());
}

/** Fills every kind of table, including sign-on state a backup must leave out. */
export async function seed(site: Site, keys: KeyMaterial): Promise<string[]> {
  const clock = fixedClock(T0);
  const context = { store: site.store, clock, secrets: keys.secrets };
  const { db } = site.store;
  await ensureBuiltInAdministrator(site.store, clock);
  const acme = await addCustomer(
    context,
    {
      name: 'acme',
      registrationUser: 'acme-fleet',
      registrationSecret: 'Fleet-Secret-77',
      portalUser: 'acme-portal',
      portalPassword: 'Blue-Harbour-42',
      company: 'Äcme "Quoted" \\ Corp\nSecond line ✓',
      timeZone: 'Europe/Berlin',
    },
    ACTOR,
  );
  clock.advance(1_000);
  await addCustomer(
    context,
    { name: 'globex', registrationUser: 'globex-fleet', registrationSecret: 'Globex-Secret-1' },
    ACTOR,
  );
  await disableCustomer(context, 'globex', ACTOR);

  const at = T0.getTime();
  await db
    .insertInto('registeredProducts')
    .values([
      { customerId: acme.id, guid: 'g-online', type: 'tms', firstRegisteredAt: at },
      { customerId: acme.id, guid: 'g-offline', hostName: 'fw-2', firstRegisteredAt: at },
    ])
    .execute();
  await db
    .updateTable('registeredProducts')
    .set({ lastHeartbeatAt: at + 60_000, lastLogReceivedAt: at + 30_500, version: '3.1' })
    .where('guid', '=', 'g-online')
    .execute();
  await seedReceivedFile(site.store, acme.id, clock);
  await db
    .updateTable('customerCounters')
    .set({ linesReceived: 9_007_199_254_740, detections: 12, incidents: 2 })
    .where('customerId', '=', acme.id)
    .execute();
  const admin = await db.selectFrom('administrators').select('id').executeTakeFirstOrThrow();
  await db
    .insertInto('administratorCustomers')
    .values({ administratorId: admin.id, customerId: acme.id })
    .execute();
  await db
    .insertInto('casServices')
    .values({ url: 'https://127.0.0.1/x', kind: 'service', description: 'd', createdAt: at })
    .execute();
  await db.insertInto('settings').values({ key: 'branding', value: '{"a":1}' }).execute();
  await seedSignOnState(site.store);
  return ['acme', 'globex'];
}

/** A received file part-way through ingestion, so that every column carries a value. */
async function seedReceivedFile(store: Store, customerId: number, clock: Clock): Promise<void> {
  const product = await store.db
    .selectFrom('registeredProducts')
    .select('id')
    .where('guid', '=', 'g-online')
    .executeTakeFirstOrThrow();
  const id = await recordReceivedFile(
    store,
    {
      customerId,
      productId: product.id,
      name: 'logs/détections 2025-03-01.log',
      size: 9_007_199_254_740,
      sha256: 'c0'.repeat(32),
      mtime: 1_740_821_400,
    },
    clock,
  );
  await store.db
    .updateTable('receivedFiles')
    .set({ ingestedLength: 4_096, ingestedSha256: 'e1'.repeat(32), ingestedAt: T0.getTime() + 5 })
    .where('id', '=', id)
    .execute();
}

async function seedSignOnState(store: Store): Promise<void> {
  const at = T0.getTime();
  await sql`insert into sso_sessions (id, user_name, principal_kind, source, created_at,
    last_used_at, expires_at, password_change_pending)
    values ('TGT-1', 'admin', 'administrator', '127.0.0.1', ${at}, ${at}, ${at + 1}, 0)`.execute(
    store.raw,
  );
  await sql`insert into cas_tickets (ticket, kind, session_id, service, created_at, expires_at,
    from_new_login, proxy_chain) values ('ST-1', 'ST', 'TGT-1', 's', ${at}, ${at}, 1, '[]')`.execute(
    store.raw,
  );
  await sql`insert into logon_throttle (key, failures, window_started_at)
    values ('admin', 2, ${at})`.execute(store.raw);
}

/** Every row of every table as stored, in key order. */
export async function allRows(store: Store): Promise<Record<string, unknown[]>> {
  const dump: Record<string, unknown[]> = {};
  for (const table of DATA_TABLES) {
    const { rows } = await sql`select * from ${sql.table(table.name)}
      order by ${sql.ref(table.key)}`.execute(store.raw);
    dump[table.name] = rows;
  }
  return dump;
}
