import { createHash } from 'node:crypto';
import { mkdir, rename, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { addCustomer } from '../../src/accounts/customers.js';
import { ingestVersion } from '../../src/ingest/file-ingest.js';
import { pendingVersions } from '../../src/ingest/versions.js';
import { claimProductForPush, recordReceivedFile } from '../../src/logserver/received-files.js';
import { receivedFilePath } from '../../src/shared/area-layout.js';
import { silentLogger } from '../../src/shared/log.js';
import { ACTOR, accountsContext, newCustomer } from '../accounts/accounts-helpers.js';
import { GUID, TEST_SETTINGS, type IngestBench } from './ingest-helpers.js';

/** A registered product as tests address it. */
export interface Appliance {
  customerId: number;
  productId: number;
  guid: string;
}

/** The bench's own customer account (acme) and its appliance. */
export function benchAppliance(bench: IngestBench): Appliance {
  return { customerId: bench.customerId, productId: bench.productId, guid: GUID };
}

/** Another customer account with an appliance of its own, in the bench's store. */
export async function otherCustomer(
  bench: IngestBench,
  name: string,
  guid: string,
): Promise<Appliance> {
  const customer = await addCustomer(accountsContext(bench.store), newCustomer(name), ACTOR);
  const claim = { customerId: customer.id, guid, actor: `${name}-fleet`, source: '127.0.0.1' };
  const product = await claimProductForPush(bench.store, claim, bench.clock);
  return { customerId: customer.id, productId: product.productId, guid };
}

/** Where files land: an ingest bench, or a data directory's store and areas. */
export type Landing = Pick<IngestBench, 'store' | 'areasDir' | 'clock'>;

/**
 * Lands a file version as the log server does (written aside, renamed, then recorded), with
 * the appliance's modification time on it, at the landing clock's time. Returns its record id.
 */
export async function deliverTo(
  bench: Landing,
  appliance: Appliance,
  name: string,
  content: string,
): Promise<number> {
  const bytes = Buffer.from(content);
  const target = receivedFilePath(bench.areasDir, appliance.customerId, appliance.guid, name);
  const mtime = Math.floor(bench.clock.now().getTime() / 1000);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(`${target}.tmp`, bytes);
  await utimes(`${target}.tmp`, mtime, mtime);
  await rename(`${target}.tmp`, target);
  const file = {
    name,
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    mtime,
    customerId: appliance.customerId,
    productId: appliance.productId,
  };
  return recordReceivedFile(bench.store, file, bench.clock);
}

/** Reads the waiting versions (only those of files `only` accepts), as the worker would. */
export async function ingestPending(
  landing: Landing,
  only: (name: string) => boolean = () => true,
): Promise<void> {
  const deps = {
    store: landing.store,
    areasDir: landing.areasDir,
    clock: landing.clock,
    logger: silentLogger(),
    settings: TEST_SETTINGS,
    resumes: new Map(),
  };
  for (const version of await pendingVersions(landing.store.db, 1000)) {
    if (only(version.name)) await ingestVersion(deps, version);
  }
}

export function filePath(bench: Landing, appliance: Appliance, name: string): string {
  return receivedFilePath(bench.areasDir, appliance.customerId, appliance.guid, name);
}

/** A line every parser rejects: it is stored as a quarantined line. */
export function garbageLine(index: number): string {
  return `garbage line ${index} that no parser reads`;
}

/** A Suricata flow event: an other event of kind network-activity at the given time. */
export function flowLine(index: number, at: Date): string {
  return JSON.stringify({
    timestamp: at.toISOString(),
    event_type: 'flow',
    src_ip: '10.1.0.5',
    dest_ip: '198.51.100.9',
    proto: 'TCP',
    flow_id: index,
  });
}
