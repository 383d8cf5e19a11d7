import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import pg from 'pg';

import { addCustomer } from '../../src/accounts/customers.js';
import { SecretBox } from '../../src/keys/secret-box.js';
import { claimProductForPush } from '../../src/logserver/received-files.js';
import type { Clock } from '../../src/shared/clock.js';
import { openStore, type Store } from '../../src/storage/database.js';
import type { Engine } from '../../src/storage/engine.js';
import { migrateToLatest } from '../../src/storage/migrate.js';

const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/test';

/** Where the benchmarks may make their scratch databases: SQLite always, PostgreSQL maybe. */
export interface EngineChoice {
  engines: Engine[];
  /** The PostgreSQL server to make scratch databases on, when one answers. */
  postgresUrl: string | null;
  /** Why PostgreSQL is not among the engines, when it is not. */
  skipped: string | null;
}

/** BENCH_ENGINES (default `sqlite,postgres`); PostgreSQL when DATABASE_URL or local answers. */
export async function chooseEngines(env: NodeJS.ProcessEnv = process.env): Promise<EngineChoice> {
  const wanted = (env['BENCH_ENGINES'] ?? 'sqlite,postgres').split(',').filter(Boolean);
  const engines: Engine[] = wanted.includes('sqlite') ? ['sqlite'] : [];
  if (!wanted.includes('postgres')) {
    return { engines, postgresUrl: null, skipped: 'PostgreSQL not asked for (BENCH_ENGINES)' };
  }
  const url = env['DATABASE_URL'] ?? LOCAL_POSTGRES;
  const problem = await postgresProblem(url);
  if (problem !== null) {
    return { engines, postgresUrl: null, skipped: `PostgreSQL skipped: ${problem}` };
  }
  return { engines: [...engines, 'postgres'], postgresUrl: url, skipped: null };
}

async function postgresProblem(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (error) {
    return `no server answers at DATABASE_URL or ${LOCAL_POSTGRES} (${String(error)})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A migrated store of its own, in a temporary directory or a scratch PostgreSQL database. */
export interface BenchStore {
  store: Store;
  engine: Engine;
  /** The SQLite file (also for PostgreSQL, where it stays unused). */
  sqliteFile: string;
  /** The scratch database's URL on PostgreSQL. */
  url: string | null;
  /** The appliances' areas, next to the SQLite file. */
  areasDir: string;
  drop(): Promise<void>;
}

export async function scratchBenchStore(
  engine: Engine,
  postgresUrl: string | null,
): Promise<BenchStore> {
  const directory = await mkdtemp(path.join(tmpdir(), 'tmsp-bench-ingest-'));
  const sqliteFile = path.join(directory, 'tmsp.sqlite');
  const name = `tmsp_bench_${randomBytes(6).toString('hex')}`;
  let url: string | null = null;
  if (engine === 'postgres') {
    if (postgresUrl === null) throw new Error('no PostgreSQL server to make a database on');
    await withAdmin(postgresUrl, (client) => client.query(`create database ${name}`));
    const scratch = new URL(postgresUrl);
    scratch.pathname = `/${name}`;
    url = scratch.toString();
  }
  const store = await openStore({ url, sqliteFile });
  await migrateToLatest(store);
  const drop = async (): Promise<void> => {
    await store.close().catch(() => undefined);
    if (postgresUrl !== null && url !== null) {
      await withAdmin(postgresUrl, (client) =>
        client.query(`drop database if exists ${name} with (force)`),
      );
    }
    await rm(directory, { recursive: true, force: true });
  };
  return { store, engine, sqliteFile, url, areasDir: path.join(directory, 'areas'), drop };
}

async function withAdmin(url: string, fn: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await fn(client);
  } finally {
    await client.end();
  }
}

/** A customer account with one registered appliance, as `tmsp customer add` and a push make. */
export interface BenchCustomer {
  customerId: number;
  productId: number;
  guid: string;
}

export async function addBenchCustomer(
  store: Store,
  name: string,
  clock: Clock,
): Promise<BenchCustomer> {
  const secrets = SecretBox.fromBase64(randomBytes(32).toString('base64'), 'bench');
  const actor = { name: 'cli:bench', source: 'cli' };
  const registrationUser = `${name}-fleet`;
  const customer = await addCustomer(
    { store, clock, secrets },
    { name, registrationUser, registrationSecret: 'Fleet-Secret-77', timeZone: 'UTC' },
    actor,
  );
  const guid = randomGuid();
  const claim = { customerId: customer.id, guid, actor: registrationUser, source: '127.0.0.1' };
  const product = await claimProductForPush(store, claim, clock);
  return { customerId: customer.id, productId: product.productId, guid: product.guid };
}

function randomGuid(): string {
  const hex = randomBytes(16).toString('hex').toUpperCase();
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    hex.slice(12, 16),
    hex.slice(16, 20),
    hex.slice(20),
  ].join('-');
}
