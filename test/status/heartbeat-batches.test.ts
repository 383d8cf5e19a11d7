import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { Heartbeat } from '../../src/products/heartbeats.js';
import { isAppError } from '../../src/shared/errors.js';
import { heartbeatBatcher } from '../../src/status/heartbeat-batcher.js';
import type { Store } from '../../src/storage/database.js';
import { isDatabaseFailure } from '../../src/storage/errors.js';
import { ENGINES, scratchStore, type ScratchDatabase } from '../support/databases.js';
import { insertCustomerAccount, insertRegisteredProduct } from '../support/rows.js';
import { makeUnwritable, shortBusyTimeout } from '../logserver/store-outages.js';

const TIMEOUT_MS = 300_000;
const AT = Date.parse('2026-12-04T10:00:00Z');
const ACTOR = { name: 'acme-fleet', source: '127.0.0.1' };

describe.each(ENGINES)('heartbeats committed in batches on %s', (engine) => {
  let store: Store;
  let database: ScratchDatabase;
  let close: () => Promise<void>;
  let acme: number;
  let globex: number;

  beforeEach(async () => {
    const scratch = await scratchStore(engine);
    ({ store, database } = scratch);
    close = () => scratch.close();
    acme = await addCustomer('acme');
    globex = await addCustomer('globex');
  });
  afterEach(async () => {
    await close();
  });

  const addCustomer = (name: string) => insertCustomerAccount(store.db, name);
  const addProduct = (customerId: number, number: number) =>
    insertRegisteredProduct(store.db, {
      customerId,
      guid: `4EA27BEA-0000-4000-8000-${String(number).padStart(12, '0')}`,
      type: null,
      firstRegisteredAt: AT,
    });

  const heartbeat = (customerId: number, productId: number): Heartbeat => ({
    customerId,
    productId,
    receivedAt: AT,
    type: 'TDA',
    hostName: `tda${productId}.acme.example`,
    ipAddress: '10.1.0.2',
    version: '6.0.1234',
    timeZone: null,
    applianceTime: AT + 2_000,
    securityCompliance: true,
    canRunMitigation: null,
    licenceExpiresAt: null,
    patternVersion: null,
    state: 'online',
  });

  const storedHosts = async () =>
    (
      await store.db
        .selectFrom('registeredProducts')
        .select('hostName')
        .where('lastHeartbeatAt', '=', AT)
        .orderBy('id')
        .execute()
    ).map((row) => row.hostName);

  it('stores the heartbeats of a batch though one of them is refused', async () => {
    const own = await Promise.all([1, 2, 3].map((number) => addProduct(acme, number)));
    const foreign = await addProduct(globex, 4);
    const store_ = heartbeatBatcher(store, TIMEOUT_MS);

    // Asked for in one go, they are stored in one transaction.
    const outcomes = await Promise.allSettled([
      store_(heartbeat(acme, own[0]!), ACTOR),
      store_(heartbeat(acme, foreign), ACTOR),
      store_(heartbeat(acme, own[1]!), ACTOR),
      store_(heartbeat(acme, own[2]!), ACTOR),
    ]);

    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    const refused = outcomes.find((outcome) => outcome.status === 'rejected');
    expect(isAppError(refused?.reason) && refused.reason.code).toBe('not_found');
    expect(outcomes[0]).toMatchObject({ value: { clockSkewSeconds: 2, changes: [] } });
    const hosts = [...own].sort((a, b) => a - b).map((id) => `tda${id}.acme.example`);
    expect(await storedHosts()).toEqual(hosts);
  });

  it('fails every heartbeat of a batch the store refuses, and serves the next batch', async () => {
    const own = await Promise.all([1, 2, 3].map((number) => addProduct(acme, number)));
    const store_ = heartbeatBatcher(store, TIMEOUT_MS);
    await shortBusyTimeout(store);

    const outage = await makeUnwritable(store, database);
    let outcomes: Array<PromiseSettledResult<unknown>>;
    try {
      outcomes = await Promise.allSettled(own.map((id) => store_(heartbeat(acme, id), ACTOR)));
    } finally {
      await outage.end();
    }

    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      expect(outcome.status === 'rejected' && isDatabaseFailure(outcome.reason)).toBe(true);
    }
    expect(await storedHosts()).toEqual([]);
    await store_(heartbeat(acme, own[0]!), ACTOR);
    expect(await storedHosts()).toEqual([`tda${own[0]}.acme.example`]);
  });
});
