import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { STORE_ALARM } from '../../src/logserver/store-alarms.js';
import { ENGINES } from '../support/databases.js';
import { makeUnwritable, shortBusyTimeout } from '../logserver/store-outages.js';
import { tdaHeartbeat, type ApplianceClient } from './appliance-client.js';
import { statusHarness, type StatusHarness } from './status-harness.js';

const GUID = '4EA27BEA-0000-4000-8000-0000000000AA';

describe.each(ENGINES)('the appliance API while the %s store refuses writes', (engine) => {
  let harness: StatusHarness;
  let appliance: ApplianceClient;

  beforeAll(async () => {
    harness = await statusHarness(engine);
    await shortBusyTimeout(harness.runtime.store);
    appliance = harness.appliance();
    await appliance.signOn();
  });
  afterAll(async () => {
    await harness.close();
  });

  it('answers 503 with a time to retry, and raises the store alarm', async () => {
    expect((await appliance.heartbeat(tdaHeartbeat(GUID))).status).toBe(200);
    const { runtime } = harness;
    const location = {
      url: runtime.config.database.url,
      sqliteFile: runtime.paths.databaseFile,
      directory: runtime.config.dataDir,
      drop: () => Promise.resolve(),
    };

    const outage = await makeUnwritable(runtime.store, location);
    try {
      const [refused, ...others] = await Promise.all(
        [GUID, GUID, GUID].map((guid) => appliance.heartbeat(tdaHeartbeat(guid))),
      );
      expect(refused?.status).toBe(503);
      expect(others.map((answer) => answer.status)).toEqual([503, 503]);
      expect(refused?.headers['retry-after']).toBe('30');
      expect(refused?.json).toEqual({
        error: 'unavailable',
        message: 'the store cannot take this now; try again later',
      });
    } finally {
      await outage.end();
    }

    const alarm = harness
      .logLines()
      .map((line) => JSON.parse(line))
      .find((entry) => entry.alarm === STORE_ALARM);
    expect(alarm).toMatchObject({ server: 'status' });
    expect(JSON.stringify(alarm)).not.toContain('Bearer');
  });
});
