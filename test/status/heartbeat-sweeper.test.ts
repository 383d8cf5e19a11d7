import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { addCustomer } from '../../src/accounts/customers.js';
import { SecretBox } from '../../src/keys/secret-box.js';
import { claimProductForPush } from '../../src/logserver/received-files.js';
import { storeHeartbeat, type Heartbeat } from '../../src/products/heartbeats.js';
import { isOnline } from '../../src/products/registered-products.js';
import { fixedClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/log.js';
import type { Store } from '../../src/storage/database.js';
import type { RegisteredProduct } from '../../src/storage/schema.js';
import {
  startHeartbeatSweeper,
  sweepHeartbeats,
  sweepTiming,
  type SweeperDeps,
} from '../../src/status/heartbeat-sweeper.js';
import { ENGINES, scratchStore } from '../support/databases.js';

const TIMEOUT_S = 300;
const TIMEOUT_MS = TIMEOUT_S * 1000;
const NOON = Date.parse('2026-12-04T12:00:00Z');
const at = (time: string): Date => new Date(`2026-12-04T${time}Z`);

describe('online, from the time of receipt (C37)', () => {
  const product = { lastHeartbeatAt: NOON, offlineAnnouncedAt: null } as RegisteredProduct;

  it('is offline strictly after the timeout: online, offline, offline', () => {
    expect(isOnline(product, at('12:04:59'), TIMEOUT_MS)).toBe(true);
    expect(isOnline(product, at('12:05:00'), TIMEOUT_MS)).toBe(true);
    expect(isOnline(product, at('12:05:01'), TIMEOUT_MS)).toBe(false);
    expect(isOnline(product, at('12:09:59'), TIMEOUT_MS)).toBe(false);
  });

  it('sweeps at least every fifth of the timeout, first after one heartbeat interval', () => {
    expect(sweepTiming(TIMEOUT_S)).toEqual({ firstDelayMs: 100_000, intervalMs: 60_000 });
    expect(sweepTiming(10).intervalMs).toBeLessThanOrEqual(2_000);
  });
});

describe.each(ENGINES)('heartbeat events on %s', (engine) => {
  let scratch: Awaited<ReturnType<typeof scratchStore>>;
  let store: Store;
  let clock: ReturnType<typeof fixedClock>;
  let productId: number;
  let customerId: number;

  beforeEach(async () => {
    scratch = await scratchStore(engine);
    store = scratch.store;
    clock = fixedClock(new Date(NOON));
    const secrets = SecretBox.fromBase64(randomBytes(32).toString('base64'), 'test');
    const customer = await addCustomer(
      { store, clock, secrets },
      { name: 'acme', registrationUser: 'acme-fleet', registrationSecret: 'Fleet-Secret-77' },
      { name: 'test', source: 'test' },
    );
    customerId = customer.id;
    const claim = { customerId, guid: '5EE9E000-0000-4000-8000-000000000001' };
    const claimed = await claimProductForPush(
      store,
      { ...claim, actor: 'acme-fleet', source: '192.0.2.7' },
      clock,
    );
    productId = claimed.productId;
  });
  afterEach(async () => {
    await scratch.close();
  });

  const deps = (): SweeperDeps => ({
    store,
    clock,
    logger: silentLogger(),
    heartbeatTimeoutSeconds: TIMEOUT_S,
  });
  const heartbeatAt = (time: string, state: Heartbeat['state'] = 'online') =>
    storeHeartbeat(
      store,
      {
        customerId,
        productId,
        receivedAt: at(time).getTime(),
        type: 'TDA',
        hostName: 'ddi01',
        ipAddress: '10.1.0.2',
        version: '6.0',
        timeZone: null,
        applianceTime: at(time).getTime(),
        securityCompliance: true,
        canRunMitigation: null,
        licenceExpiresAt: null,
        patternVersion: null,
        state,
      },
      TIMEOUT_MS,
      { name: 'acme-fleet', source: '192.0.2.7' },
    );
  const sweepAt = async (time: string) => {
    clock.advance(at(time).getTime() - clock.now().getTime());
    return (await sweepHeartbeats(deps())).map((change) => change.kind);
  };
  const events = async () =>
    (
      await store.db
        .selectFrom('applianceEvents')
        .selectAll()
        .where('productId', '=', productId)
        .orderBy('id')
        .execute()
    ).map((event) => ({
      kind: event.kind,
      at: new Date(event.at).toISOString(),
      customerId: event.customerId,
      detail: JSON.parse(event.detail),
    }));

  it('records heartbeat.lost once the timeout ran out, not again after a restart', async () => {
    await heartbeatAt('12:00:00');

    expect(await sweepAt('12:04:59')).toEqual([]);
    expect(await sweepAt('12:05:01')).toEqual(['heartbeat.lost']);
    expect(await sweepAt('12:09:59')).toEqual([]);
    // A new sweeper, as after a restart, knows from the database what was recorded.
    expect(await sweepHeartbeats(deps())).toEqual([]);

    expect(await events()).toEqual([
      {
        kind: 'heartbeat.lost',
        at: '2026-12-04T12:05:00.000Z',
        customerId,
        detail: {
          guid: '5EE9E000-0000-4000-8000-000000000001',
          reason: 'timeout',
          lastHeartbeat: '2026-12-04T12:00:00.000Z',
          detectedAt: '2026-12-04T12:05:01.000Z',
          timeoutSeconds: TIMEOUT_S,
        },
      },
    ]);
  });

  it('records heartbeat.recovered once, at the heartbeat that brings it back', async () => {
    await heartbeatAt('12:00:00');
    await sweepAt('12:06:00');
    const back = await heartbeatAt('12:07:00');

    expect(back.changes.map((change) => change.kind)).toEqual(['heartbeat.recovered']);
    expect(await sweepAt('12:07:30')).toEqual([]);
    expect((await heartbeatAt('12:08:00')).changes).toEqual([]);
    expect((await events()).map((event) => [event.kind, event.at])).toEqual([
      ['heartbeat.lost', '2026-12-04T12:05:00.000Z'],
      ['heartbeat.recovered', '2026-12-04T12:07:00.000Z'],
    ]);
  });

  it('records a loss shorter than one sweep when the next heartbeat arrives', async () => {
    await heartbeatAt('12:00:00');
    const back = await heartbeatAt('12:05:30');

    expect(back.changes.map((change) => change.kind)).toEqual([
      'heartbeat.lost',
      'heartbeat.recovered',
    ]);
    expect(await sweepAt('12:06:00')).toEqual([]);
    expect(await events()).toHaveLength(2);
  });

  it('records an announced shutdown at once, and the sweeper does not repeat it', async () => {
    await heartbeatAt('12:00:00');
    const leaving = await heartbeatAt('12:01:00', 'going-offline');

    expect(leaving.changes).toEqual([
      expect.objectContaining({ kind: 'heartbeat.lost', at: at('12:01:00').getTime() }),
    ]);
    expect(leaving.changes[0]?.detail).toMatchObject({ reason: 'going-offline' });
    expect(await sweepAt('12:02:00')).toEqual([]);
    expect(await sweepAt('12:30:00')).toEqual([]);
  });

  it('records one event when several status servers sweep at once', async () => {
    await heartbeatAt('12:00:00');
    clock.advance(TIMEOUT_MS + 1_000);
    const sweeps = await Promise.all([1, 2, 3, 4].map(() => sweepHeartbeats(deps())));

    expect(sweeps.flat()).toHaveLength(1);
    expect(await events()).toHaveLength(1);
  });

  it('leaves products that never sent a heartbeat alone', async () => {
    expect(await sweepAt('13:00:00')).toEqual([]);
  });

  it('runs in the background until stopped', async () => {
    await heartbeatAt('12:00:00');
    clock.advance(TIMEOUT_MS + 1);
    const sweeper = startHeartbeatSweeper(deps(), { firstDelayMs: 0, intervalMs: 10 });
    try {
      for (let tries = 0; tries < 200 && (await events()).length === 0; tries += 1) {
        await sleep(10);
      }
    } finally {
      await sweeper.stop();
    }
    expect((await events()).map((event) => event.kind)).toEqual(['heartbeat.lost']);
  });
});
