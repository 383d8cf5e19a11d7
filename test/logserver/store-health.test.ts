import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { addCustomer } from '../../src/accounts/customers.js';
import { startIngestWorker } from '../../src/ingest/worker.js';
import { claimProductForPush, recordReceivedFile } from '../../src/logserver/received-files.js';
import { STORE_ALARM } from '../../src/logserver/store-alarms.js';
import { StoreFailure } from '../../src/logserver/store-failures.js';
import { isDatabaseFailure } from '../../src/storage/errors.js';
import { StoreHealth } from '../../src/logserver/store-health.js';
import { RsyncError } from '../../src/rsync/errors.js';
import { receivedFilePath } from '../../src/shared/area-layout.js';
import { systemClock } from '../../src/shared/clock.js';
import { invalidInput } from '../../src/shared/errors.js';
import { silentLogger } from '../../src/shared/log.js';
import { openStore, type Store } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrate.js';
import { ACTOR, accountsContext, newCustomer } from '../accounts/accounts-helpers.js';
import { ENGINES, scratchDatabase, type ScratchDatabase } from '../support/databases.js';
import { makeUnwritable, shortBusyTimeout, waitFor } from './store-outages.js';

const GUID = '6F9619FF-8B86-D011-B42D-00CF4FC964FF';

const withCode = (code: string, message = 'failed'): Error =>
  Object.assign(new Error(message), { code });

describe('which failures blame the store', () => {
  it.each([
    ['SQLite busy', withCode('SQLITE_BUSY'), true],
    ['SQLite disk full', withCode('SQLITE_FULL'), true],
    ['SQLite read-only, extended', withCode('SQLITE_READONLY_DBMOVED'), true],
    ['SQLite I/O, extended', withCode('SQLITE_IOERR_WRITE'), true],
    ['PostgreSQL read-only transaction', withCode('25006'), true],
    ['PostgreSQL shutting down', withCode('57P01'), true],
    ['PostgreSQL disk full', withCode('53100'), true],
    ['a refused connection', withCode('ECONNREFUSED'), true],
    ['a lost pg connection', new Error('Connection terminated unexpectedly'), true],
    ['SQLite constraint', withCode('SQLITE_CONSTRAINT_UNIQUE'), false],
    ['PostgreSQL unique violation', withCode('23505'), false],
    ['PostgreSQL syntax error', withCode('42601'), false],
    ['a bug', new TypeError('x is undefined'), false],
    ['a client error', invalidInput('bad name'), false],
  ])('%s', (_, error, blamed) => {
    expect(isDatabaseFailure(error)).toBe(blamed);
  });
});

describe.each(ENGINES)('the store health on %s', (engine) => {
  let database: ScratchDatabase;
  let store: Store;
  let areasDir: string;
  let health: StoreHealth;
  const gauge: number[] = [];

  beforeEach(async () => {
    database = await scratchDatabase(engine);
    store = await openStore({ url: database.url, sqliteFile: database.sqliteFile });
    await migrateToLatest(store);
    await shortBusyTimeout(store);
    areasDir = path.join(database.directory, 'areas');
    await mkdir(areasDir);
    gauge.length = 0;
    health = new StoreHealth({
      store,
      areasDir,
      clock: systemClock,
      logger: silentLogger(),
      gauge: { set: (value) => gauge.push(value) },
      probeIntervalMs: 50,
    });
  });
  afterEach(async () => {
    await health.stop();
    await store.close();
    await database.drop();
  });

  it('stays writable after failures the client caused', async () => {
    health.noteFailure(new RsyncError('tmsp: "a" clashes with a file already stored'), {});
    health.noteFailure(invalidInput('a received file needs a path inside its area'), {});
    health.noteFailure(new TypeError('a bug'), {});
    expect(health.writable).toBe(true);
    expect(() => health.refuseWhileUnwritable()).not.toThrow();
    expect(gauge).toEqual([]);
    expect(await store.db.selectFrom('alarms').selectAll().execute()).toEqual([]);
  });

  it('clears at once when the probe finds the store writable', async () => {
    const failure = new StoreFailure('disk', 'tmsp: the log store failed', withCode('EIO'));
    health.noteFailure(failure, { task: 'push' });
    expect(health.writable).toBe(false);
    expect(() => health.refuseWhileUnwritable()).toThrow(/^tmsp: the log store cannot take/);
    await waitFor('the store to recover', () => health.writable);
    expect(gauge).toEqual([0, 1]);
    const [alarm] = await store.db.selectFrom('alarms').selectAll().execute();
    expect(alarm).toMatchObject({ kind: STORE_ALARM, customerId: null });
    expect(JSON.parse(alarm!.detail)).toEqual({
      part: 'disk',
      error: 'failed',
      seenBy: { task: 'push' },
      refusedPushes: 1,
    });
  });

  it('raises the alarm when ingestion cannot commit, and ingestion finishes after', async () => {
    const { customerId, productId } = await oneAppliance(store);
    const content = 'CEF:0|Trend Micro|TDA|2.0|100|Test|5|src=10.0.0.1\n'.repeat(3);
    await deliver(store, areasDir, { customerId, productId }, 'detections.log', content);

    const outage = await makeUnwritable(store, database);
    const worker = startIngestWorker(
      { store, areasDir, clock: systemClock, logger: silentLogger(), settings: SETTINGS },
      { pollMs: 50, retryMs: 50 },
      { onFailure: (error) => health.noteFailure(error, { task: 'ingest' }) },
    );
    try {
      await waitFor('the alarm', () => !health.writable);
    } finally {
      await outage.end();
    }
    await waitFor('the store to recover', () => health.writable);
    await worker.idle();
    await worker.stop();

    const file = await store.db.selectFrom('receivedFiles').selectAll().executeTakeFirstOrThrow();
    expect(file.ingestedLength).toBe(content.length);
    const [alarm] = await store.db.selectFrom('alarms').selectAll().execute();
    expect(JSON.parse(alarm!.detail)).toMatchObject({
      part: 'database',
      seenBy: { task: 'ingest' },
    });
    expect(alarm!.clearedAt).not.toBeNull();
  });
});

const SETTINGS = {
  maxLineBytes: 64 * 1024,
  batchLines: 1000,
  settleMs: 60_000,
  incidentWindowMs: 3_600_000,
};

async function oneAppliance(store: Store): Promise<{ customerId: number; productId: number }> {
  const customer = await addCustomer(accountsContext(store), newCustomer('acme'), ACTOR);
  const claim = { customerId: customer.id, guid: GUID, actor: 'acme-fleet', source: '127.0.0.1' };
  const product = await claimProductForPush(store, claim, systemClock);
  return { customerId: customer.id, productId: product.productId };
}

/** Lands and records a file as the log server does. */
async function deliver(
  store: Store,
  areasDir: string,
  owner: { customerId: number; productId: number },
  name: string,
  content: string,
): Promise<void> {
  const target = receivedFilePath(areasDir, owner.customerId, GUID, name);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, content);
  const sha256 = createHash('sha256').update(content).digest('hex');
  const mtime = Math.floor(Date.now() / 1000);
  await recordReceivedFile(
    store,
    { ...owner, name, size: content.length, sha256, mtime },
    systemClock,
  );
}
