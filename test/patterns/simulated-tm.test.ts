import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { followPatterns } from '../../src/simulator/patterns.js';
import { patternHarness, tmHeartbeat, until, type PatternHarness } from './pattern-harness.js';

const GUID = '51A00000-0000-4000-8000-000000000001';

describe('a simulated Threat Mitigator following the event stream', () => {
  let harness: PatternHarness;
  beforeAll(async () => {
    harness = await patternHarness('sqlite');
  });
  afterAll(async () => {
    await harness.close();
  });

  it('downloads, checks and reports a pattern; its heartbeat then confirms it', async () => {
    const tm = await harness.threatMitigator(GUID);
    const client = {
      statusUrl: harness.endpoints.status.url,
      ca: harness.ca,
      token: tm.token ?? '',
      guid: GUID,
    };
    const deployed: string[] = [];
    const controller = new AbortController();
    const following = followPatterns(client, controller.signal, (version) =>
      deployed.push(version),
    );
    const { id } = await harness.upload('9.9.1');
    await harness.deployHere(id, GUID);

    await until(() => deployed.length === 1, 5_000);
    expect(await harness.deployments(id)).toMatchObject([{ status: 'unconfirmed' }]);
    const sentAt = harness.clock.now().toISOString();
    await tm.heartbeat(tmHeartbeat(GUID, sentAt, deployed[0]));
    expect(await harness.deployments(id)).toMatchObject([{ status: 'deployed', attempts: 1 }]);

    controller.abort();
    await following;
  });
});
