import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  ocsBurst,
  postOcsEvents,
  putNetworkConfiguration,
  simulatedNetwork,
} from '../../src/simulator/ocs.js';
import { Random } from '../../src/simulator/random.js';
import type { StatusAccess } from '../../src/simulator/status-api.js';
import { statusHarness, type StatusHarness } from '../status/status-harness.js';
import { newGuid } from './ocs-support.js';

describe('the simulator’s OCS and network configuration client', () => {
  let harness: StatusHarness;
  let access: StatusAccess;
  beforeAll(async () => {
    harness = await statusHarness('sqlite');
    const token = await harness.appliance().signOn();
    access = { statusUrl: harness.endpoints.status.url, ca: harness.ca, token };
  });
  afterAll(async () => {
    await harness.close();
  });

  it('posts a burst in batches the API takes, and a network configuration', async () => {
    const guid = newGuid();
    const burst = ocsBurst(new Random(7), 12, harness.clock.now(), 150);

    expect(await postOcsEvents(access, guid, burst)).toEqual({ stored: 150, duplicates: 0 });
    expect(await postOcsEvents(access, guid, burst.slice(0, 10))).toEqual({
      stored: 0,
      duplicates: 10,
    });
    await putNetworkConfiguration(access, guid, simulatedNetwork(12));

    const db = harness.runtime.store.db;
    const named = await db
      .selectFrom('ocsEvents')
      .select('malwareName')
      .where('malwareName', 'is not', null)
      .execute();
    expect(named).toHaveLength(150);
    const ranges = await db.selectFrom('monitoredNetworks').select('cidr').orderBy('id').execute();
    expect(ranges.map((range) => range.cidr)).toEqual(['10.12.0.0/17', '10.12.128.0/17']);
  });
});
