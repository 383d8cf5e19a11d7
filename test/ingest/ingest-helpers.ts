import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { addCustomer } from '../../src/accounts/customers.js';
import { ingestVersion, type IngestSettings } from '../../src/ingest/file-ingest.js';
import { pendingVersions } from '../../src/ingest/versions.js';
import { claimProductForPush, recordReceivedFile } from '../../src/logserver/received-files.js';
import { receivedFilePath } from '../../src/shared/area-layout.js';
import { fixedClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/log.js';
import type { Engine } from '../../src/storage/engine.js';
import type { Store } from '../../src/storage/database.js';
import { scratchStore } from '../support/databases.js';
import { ACTOR, accountsContext, newCustomer } from '../accounts/accounts-helpers.js';

export const GUID = '6F9619FF-8B86-D011-B42D-00CF4FC964FF';

export const TEST_SETTINGS: IngestSettings = {
  maxLineBytes: 64 * 1024,
  batchLines: 1000,
  settleMs: 60_000,
  incidentWindowMs: 3_600_000,
};

export interface IngestCounts {
  linesReceived: number;
  detections: number;
  otherEvents: number;
  quarantined: number;
  purged: number;
  incidents: number;
  parseWarnings: number;
  storedDetections: number;
  storedOtherEvents: number;
  storedQuarantined: number;
}

/** A customer with one appliance, an area on disk and a clock the test moves. */
export interface IngestBench {
  store: Store;
  clock: ReturnType<typeof fixedClock>;
  areasDir: string;
  customerId: number;
  productId: number;
  settings: IngestSettings;
  /** Lands a file version the way the log server does (rename, then record). */
  deliver(name: string, content: string | Buffer): Promise<number>;
  /** Reads every version that can be read now, as the worker would. */
  ingestAll(): Promise<void>;
  counts(): Promise<IngestCounts>;
  close(): Promise<void>;
}

export async function ingestBench(
  engine: Engine,
  settings: Partial<IngestSettings> = {},
  customer: { timeZone?: string } = {},
): Promise<IngestBench> {
  const scratch = await scratchStore(engine);
  const store = scratch.store;
  const context = accountsContext(store);
  const clock = context.clock;
  const areasDir = await mkdtemp(path.join(tmpdir(), 'tmsp-areas-'));
  const added = await addCustomer(context, newCustomer('acme', customer), ACTOR);
  const claim = { customerId: added.id, guid: GUID, actor: 'acme-fleet', source: '127.0.0.1' };
  const product = await claimProductForPush(store, claim, clock);
  const full = { ...TEST_SETTINGS, ...settings };
  const resumes = new Map();

  return {
    store,
    clock,
    areasDir,
    customerId: added.id,
    productId: product.productId,
    settings: full,
    deliver: async (name, content) => {
      const bytes = typeof content === 'string' ? Buffer.from(content) : content;
      const target = receivedFilePath(areasDir, added.id, GUID, name);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(`${target}.tmp`, bytes);
      await rename(`${target}.tmp`, target);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const file = {
        name,
        size: bytes.length,
        sha256,
        mtime: Math.floor(clock.now().getTime() / 1000),
      };
      return recordReceivedFile(
        store,
        { ...file, customerId: added.id, productId: product.productId },
        clock,
      );
    },
    ingestAll: async () => {
      const deps = { store, areasDir, clock, logger: silentLogger(), settings: full, resumes };
      for (const version of await pendingVersions(store.db, 1000)) {
        await ingestVersion(deps, version);
      }
    },
    counts: async () => {
      const row = await store.db
        .selectFrom('customerCounters')
        .selectAll()
        .where('customerId', '=', added.id)
        .executeTakeFirstOrThrow();
      const stored = async (table: 'detections' | 'otherEvents' | 'quarantinedLines') =>
        Number(
          (
            await store.db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      return {
        linesReceived: row.linesReceived,
        detections: row.detections,
        otherEvents: row.otherEvents,
        quarantined: row.quarantined,
        purged: row.purged,
        incidents: row.incidents,
        parseWarnings: row.parseWarnings,
        storedDetections: await stored('detections'),
        storedOtherEvents: await stored('otherEvents'),
        storedQuarantined: await stored('quarantinedLines'),
      };
    },
    close: async () => {
      await scratch.close();
      await rm(areasDir, { recursive: true, force: true });
    },
  };
}

/** A DDI-shaped CEF detection line. */
export function detectionLine(index: number, overrides: Record<string, string> = {}): string {
  const fields: Record<string, string> = {
    rt: 'Mar 01 2025 09:00:00 GMT+00:00',
    src: '203.0.113.7',
    dst: `10.1.0.${index % 250}`,
    shost: 'attacker.example',
    dhost: `host-${index % 250}`,
    deviceDirection: '0',
    proto: 'HTTP',
    act: 'not blocked',
    ...overrides,
  };
  const extension = Object.entries(fields)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
  return `CEF:0|Trend Micro|Deep Discovery Inspector|6.0|1539|Trojan.Test ${index % 7}|6|${extension}`;
}

export function lines(count: number, make: (index: number) => string, from = 0): string {
  let text = '';
  for (let i = from; i < from + count; i += 1) text += `${make(i)}\n`;
  return text;
}
