import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { addMalwareMapping } from '../../src/ocs/malware-mappings.js';
import { customerStats } from '../../src/stats/customer-stats.js';
import { ACME } from '../support/cli.js';
import { ENGINES } from '../support/databases.js';
import { tdaHeartbeat, type ApplianceClient } from '../status/appliance-client.js';
import { GLOBEX, statusHarness, type StatusHarness } from '../status/status-harness.js';
import { newGuid, ocsEvent, postOcs } from './ocs-support.js';

describe.each(ENGINES)('OCS logs over the appliance API on %s', (engine) => {
  let harness: StatusHarness;
  let acme: ApplianceClient;
  beforeAll(async () => {
    harness = await statusHarness(engine);
    acme = harness.appliance();
    await acme.signOn();
  });
  afterAll(async () => {
    await harness.close();
  });

  const db = () => harness.runtime.store.db;
  const productId = async (guid: string) =>
    (
      await db()
        .selectFrom('registeredProducts')
        .select('id')
        .where('guid', '=', guid)
        .executeTakeFirstOrThrow()
    ).id;
  const eventsOf = async (guid: string) =>
    db()
      .selectFrom('ocsEvents')
      .selectAll()
      .where('productId', '=', await productId(guid))
      .orderBy('id')
      .execute();
  const triggeredOf = async (guid: string) =>
    (
      await db()
        .selectFrom('applianceEvents')
        .select(['kind', 'detail', 'customerId'])
        .where('productId', '=', await productId(guid))
        .where('kind', '=', 'ocs.triggered')
        .orderBy('id')
        .execute()
    ).map((row) => ({ ...row, detail: JSON.parse(row.detail) as Record<string, unknown> }));

  it('stores a batch under its product, registering the GUID, with malware names', async () => {
    const guid = newGuid();
    const answer = await postOcs(acme, guid, [
      ocsEvent(),
      ocsEvent({ detectionName: undefined, content: 'Conficker callback', sourceIp: '10.1.0.9' }),
      ocsEvent({ detectionName: 'HKTL_UNKNOWN', content: 'odd traffic' }),
    ]);

    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ stored: 3, duplicates: 0 });
    const stored = await eventsOf(guid);
    expect(stored.map((event) => event.malwareName)).toEqual(['WORM_DOWNAD', 'WORM_DOWNAD', null]);
    expect(stored[0]).toMatchObject({
      customerId: await harness.customerId(ACME),
      action: 'blocked',
      sourceIp: '10.1.0.23',
      destinationPort: 445,
      occurredAt: Date.parse('2026-12-04T10:00:00Z'),
      receivedAt: harness.clock.now().getTime(),
    });
  });

  it("maps with the customer's own entries first, and never with another's", async () => {
    const now = harness.clock.now();
    await addMalwareMapping(
      db(),
      {
        customerId: await harness.customerId(ACME),
        pattern: 'lateral-7',
        malwareName: 'ACME_NAME',
      },
      now,
    );
    await addMalwareMapping(
      db(),
      { customerId: await harness.customerId(GLOBEX), pattern: 'odd', malwareName: 'GLOBEX_NAME' },
      now,
    );
    const guid = newGuid();
    await postOcs(acme, guid, [
      ocsEvent({ content: 'WORM_DOWNAD via LATERAL-7' }),
      ocsEvent({ detectionName: 'x', content: 'odd' }),
    ]);

    expect((await eventsOf(guid)).map((event) => event.malwareName)).toEqual(['ACME_NAME', null]);
  });

  it('stores an event sent again once, and says so', async () => {
    const guid = newGuid();
    const event = ocsEvent();
    await postOcs(acme, guid, [event]);
    const again = await postOcs(acme, guid, [event, event, ocsEvent()]);

    expect(again.json).toEqual({ stored: 1, duplicates: 2 });
    expect(await eventsOf(guid)).toHaveLength(2);
  });

  it('coalesces a flood from one host into one ocs.triggered with the count (P09)', async () => {
    const guid = newGuid();
    for (let batch = 0; batch < 5; batch += 1) {
      const events = Array.from({ length: 40 }, () => ocsEvent({ sourceIp: '10.9.0.1' }));
      expect((await postOcs(acme, guid, events)).status).toBe(200);
      harness.clock.advance(60_000);
    }
    await postOcs(acme, guid, [ocsEvent({ sourceIp: '10.9.0.2', sourceHost: undefined })]);

    const triggered = await triggeredOf(guid);
    expect(triggered.map((event) => event.detail)).toEqual([
      expect.objectContaining({ guid, source: '10.9.0.1', count: 200, malware: ['WORM_DOWNAD'] }),
      expect.objectContaining({ source: '10.9.0.2', sourceHost: null, count: 1 }),
    ]);
    expect(JSON.stringify(triggered)).not.toContain(acme.token!);

    harness.clock.advance(10 * 60_000 + 1);
    await postOcs(acme, guid, [ocsEvent({ sourceIp: '10.9.0.1' })]);
    expect(await triggeredOf(guid)).toHaveLength(3);
    const logged = harness.logLines().filter((line) => line.includes('"msg":"ocs.triggered"'));
    expect(logged.some((line) => line.includes(guid) && line.includes('"customerId"'))).toBe(true);
  });

  it('bounds the events of a flood from many hosts: beyond 20, one shared', async () => {
    const guid = newGuid();
    const events = Array.from({ length: 60 }, (_, i) =>
      ocsEvent({ sourceIp: `10.8.${Math.floor(i / 2)}.1` }),
    );
    await postOcs(acme, guid, events.slice(0, 30));
    await postOcs(acme, guid, events.slice(30));

    const triggered = await triggeredOf(guid);
    expect(triggered).toHaveLength(21);
    expect(triggered.at(-1)!.detail).toMatchObject({ source: 'many sources', count: 20 });
    expect(triggered.reduce((sum, event) => sum + Number(event.detail['count']), 0)).toBe(60);
  });

  it("refuses another customer account's GUID with 403, storing nothing", async () => {
    const guid = newGuid();
    await acme.heartbeat(tdaHeartbeat(guid));
    const globex = harness.appliance(GLOBEX);
    await globex.signOn();

    const refused = await postOcs(globex, guid, [ocsEvent()]);
    expect(refused.status).toBe(403);
    expect(refused.text).not.toContain('acme');
    expect(await eventsOf(guid)).toHaveLength(0);
  });

  it('answers 400 naming each field at fault, and 401 without a session', async () => {
    const guid = newGuid();
    const answer = await postOcs(acme, guid, [
      ocsEvent({ sourceIp: '10.0.0.300', action: 'vaporised', content: 'a\u0007b', extra: 1 }),
    ]);
    expect(answer.status).toBe(400);
    for (const part of [
      'events.0.sourceIp: must be an IPv4 or IPv6 address',
      'events.0.action:',
      'events.0.content: must not contain control characters',
      'Unrecognized key: "extra"',
    ]) {
      expect(answer.json.message).toContain(part);
    }
    const tooMany = Array.from({ length: 101 }, () => ocsEvent());
    expect((await postOcs(acme, guid, tooMany)).json.message).toContain('events:');
    expect((await postOcs(acme, guid, [])).status).toBe(400);

    const stranger = harness.appliance();
    expect((await postOcs(stranger, guid, [ocsEvent()])).status).toBe(401);
  });

  it('counts OCS events and shows clock skew in tmsp stats', async () => {
    const guid = newGuid();
    const skewed = new Date(harness.clock.now().getTime() + 90_000).toISOString();
    await acme.heartbeat(tdaHeartbeat(guid, { sentAt: skewed }));
    await postOcs(acme, guid, [ocsEvent(), ocsEvent()]);

    const stats = await customerStats(db(), 'acme', harness.clock.now(), 300_000);
    const product = stats.products.find((each) => each.guid === guid);
    expect(product).toMatchObject({ online: true, clockSkewSeconds: 90, ocsEvents: 2 });
    const total = stats.products.reduce((sum, each) => sum + each.ocsEvents, 0);
    expect(stats.counts.ocsEvents).toBe(total);
    const never = stats.products.find((each) => each.ocsEvents > 0 && each.lastHeartbeat === null);
    expect(never?.clockSkewSeconds).toBeNull();
  });
});
