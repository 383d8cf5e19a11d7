import { lockProduct } from '../products/online-changes.js';
import { notFound } from '../shared/errors.js';
import type { Db, Store } from '../storage/database.js';
import type { NetworkTrust } from '../storage/schema.js';
import { inTransaction } from '../storage/transaction.js';
import { formatCidr, parseCidr, type Cidr } from './cidr.js';

export interface MonitoredNetworkGroup {
  name: string;
  trust: NetworkTrust;
  ranges: Cidr[];
}

export interface RegisteredService {
  kind: string;
  name: string | null;
  /** An IP address or a host name. */
  address: string;
  port: number | null;
}

/** What a TDA reports about the network it watches (PRODUCT.md, TDA). */
export interface NetworkConfiguration {
  monitoredNetworks: MonitoredNetworkGroup[];
  registeredDomains: string[];
  registeredServices: RegisteredService[];
}

export interface ProductRef {
  customerId: number;
  productId: number;
}

// Far below both engines' limits on parameters per statement.
const ROWS_PER_INSERT = 500;

/**
 * Makes `configuration` the product's current one, replacing all of the previous one in one
 * transaction: a reader sees the old configuration or the new one, never a mix.
 */
export async function replaceNetworkConfiguration(
  store: Store,
  product: ProductRef,
  configuration: NetworkConfiguration,
  now: Date,
): Promise<void> {
  const owned = { customerId: product.customerId, productId: product.productId };
  await inTransaction(store, async (db) => {
    const row = await lockProduct(store, db, product.productId);
    if (row?.customerId !== product.customerId) {
      throw notFound(`registered product ${product.productId}`);
    }
    for (const table of ['monitoredNetworks', 'registeredDomains', 'registeredServices'] as const) {
      await db
        .deleteFrom(table)
        .where('productId', '=', product.productId)
        .where('customerId', '=', product.customerId)
        .execute();
    }
    const networks = configuration.monitoredNetworks.flatMap((group) =>
      group.ranges.map((range) => ({
        ...owned,
        groupName: group.name,
        trust: group.trust,
        cidr: formatCidr(range),
      })),
    );
    await insertChunked(networks, (rows) => db.insertInto('monitoredNetworks').values(rows));
    const domains = configuration.registeredDomains.map((domain) => ({ ...owned, domain }));
    await insertChunked(domains, (rows) => db.insertInto('registeredDomains').values(rows));
    const services = configuration.registeredServices.map((service) => ({ ...owned, ...service }));
    await insertChunked(services, (rows) => db.insertInto('registeredServices').values(rows));
    await markUpdated(db, owned, now.getTime());
  });
}

async function insertChunked<Row>(
  rows: Row[],
  insert: (rows: Row[]) => { execute(): Promise<unknown> },
): Promise<void> {
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
    await insert(rows.slice(start, start + ROWS_PER_INSERT)).execute();
  }
}

async function markUpdated(db: Db, product: ProductRef, updatedAt: number): Promise<void> {
  await db
    .insertInto('networkConfigurations')
    .values({ ...product, updatedAt })
    .onConflict((conflict) => conflict.column('productId').doUpdateSet({ updatedAt }))
    .execute();
}

/** The product's current configuration and when it was reported, or null if it never was. */
export async function networkConfigurationOf(
  db: Db,
  product: ProductRef,
): Promise<(NetworkConfiguration & { updatedAt: number }) | null> {
  const head = await db
    .selectFrom('networkConfigurations')
    .select('updatedAt')
    .where('productId', '=', product.productId)
    .where('customerId', '=', product.customerId)
    .executeTakeFirst();
  if (head === undefined) return null;
  const networks = await db
    .selectFrom('monitoredNetworks')
    .select(['groupName', 'trust', 'cidr'])
    .where('productId', '=', product.productId)
    .where('customerId', '=', product.customerId)
    .orderBy('id')
    .execute();
  const domains = await db
    .selectFrom('registeredDomains')
    .select('domain')
    .where('productId', '=', product.productId)
    .where('customerId', '=', product.customerId)
    .orderBy('id')
    .execute();
  const services = await db
    .selectFrom('registeredServices')
    .select(['kind', 'name', 'address', 'port'])
    .where('productId', '=', product.productId)
    .where('customerId', '=', product.customerId)
    .orderBy('id')
    .execute();
  return {
    updatedAt: head.updatedAt,
    monitoredNetworks: groupsOf(networks),
    registeredDomains: domains.map((row) => row.domain),
    registeredServices: services,
  };
}

function groupsOf(
  rows: ReadonlyArray<{ groupName: string; trust: NetworkTrust; cidr: string }>,
): MonitoredNetworkGroup[] {
  const groups = new Map<string, MonitoredNetworkGroup>();
  for (const row of rows) {
    const parsed = parseCidr(row.cidr);
    if (!parsed.ok) continue;
    const group = groups.get(row.groupName) ?? {
      name: row.groupName,
      trust: row.trust,
      ranges: [],
    };
    group.ranges.push(parsed.cidr);
    groups.set(row.groupName, group);
  }
  return [...groups.values()];
}
