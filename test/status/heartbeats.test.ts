import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { listAuditEvents } from '../../src/audit/audit-log.js';
import { customerStats } from '../../src/stats/customer-stats.js';
import { ACME } from '../support/cli.js';
import { ENGINES } from '../support/databases.js';
import { json, tdaHeartbeat, type ApplianceClient } from './appliance-client.js';
import { GLOBEX, START, statusHarness, type StatusHarness } from './status-harness.js';

const TIMEOUT_MS = 300_000;

describe.each(ENGINES)('heartbeats over HTTPS on %s', (engine) => {
  let harness: StatusHarness;
  let appliance: ApplianceClient;
  let sequence = 0;
  const newGuid = (): string =>
    `4EA27BEA-0000-4000-8000-${String((sequence += 1)).padStart(12, '0')}`;
  const now = (): string => harness.clock.now().toISOString();

  beforeAll(async () => {
    harness = await statusHarness(engine);
    appliance = harness.appliance();
    await appliance.signOn();
  });
  afterAll(async () => {
    await harness.close();
  });

  const productOf = (guid: string) =>
    harness.runtime.store.db
      .selectFrom('registeredProducts')
      .selectAll()
      .where('guid', '=', guid)
      .executeTakeFirstOrThrow();
  const detailsOf = (productId: number) =>
    harness.runtime.store.db
      .selectFrom('productHeartbeats')
      .selectAll()
      .where('productId', '=', productId)
      .executeTakeFirstOrThrow();
  const statsOf = async (guid: string) => {
    const stats = await customerStats(
      harness.runtime.store.db,
      'acme',
      harness.clock.now(),
      TIMEOUT_MS,
    );
    return stats.products.find((product) => product.guid === guid);
  };

  it('registers a new GUID at its first heartbeat and makes it online', async () => {
    const guid = newGuid();
    const answer = await appliance.heartbeat(tdaHeartbeat(guid.toLowerCase(), { sentAt: now() }));

    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      serverTime: now(),
      heartbeatIntervalSeconds: 100,
      clockSkewSeconds: 0,
      pendingTasks: [],
    });
    expect(await statsOf(guid)).toMatchObject({
      type: 'TDA',
      hostName: 'ddi01.acme.example',
      online: true,
      lastHeartbeat: now().replace('.000Z', 'Z'),
    });
    const product = await productOf(guid);
    expect(product).toMatchObject({ ipAddress: '10.1.0.2', version: '6.0.1234' });
    expect(await detailsOf(product.id)).toMatchObject({ securityCompliance: 1, state: 'online' });
    const audit = await listAuditEvents(harness.runtime.store.db, START);
    expect(audit).toContainEqual(
      expect.objectContaining({ action: 'appliance.register', target: guid, result: 'success' }),
    );
  });

  it('stores what a Threat Mitigator reports, with licence and pattern version', async () => {
    const guid = newGuid();
    const answer = await appliance.heartbeat({
      guid,
      type: 'tm',
      hostName: 'tm01',
      ipAddress: '2001:db8::7',
      version: '3.8',
      canRunMitigation: false,
      sentAt: now(),
      licenceExpiresAt: '2027-06-30T00:00:00+02:00',
      patternVersion: '17.101.00',
      state: 'online',
    });

    expect(answer.status).toBe(200);
    const product = await productOf(guid);
    expect(product).toMatchObject({ type: 'TM', ipAddress: '2001:db8::7' });
    expect(await detailsOf(product.id)).toMatchObject({
      canRunMitigation: 0,
      securityCompliance: null,
      licenceExpiresAt: Date.parse('2027-06-29T22:00:00Z'),
      patternVersion: '17.101.00',
    });
  });

  it('makes a going-offline product offline at once, and online at the next', async () => {
    const guid = newGuid();
    await appliance.heartbeat(tdaHeartbeat(guid, { sentAt: now() }));
    harness.clock.advance(1_000);
    await appliance.heartbeat(tdaHeartbeat(guid, { sentAt: now(), state: 'going-offline' }));

    expect(await statsOf(guid)).toMatchObject({ online: false });
    expect((await productOf(guid)).offlineAnnouncedAt).toBe(harness.clock.now().getTime());

    harness.clock.advance(60_000);
    await appliance.heartbeat(tdaHeartbeat(guid, { sentAt: now() }));
    expect(await statsOf(guid)).toMatchObject({ online: true });
    expect((await productOf(guid)).offlineAnnouncedAt).toBeNull();
    const events = await harness.runtime.store.db
      .selectFrom('applianceEvents')
      .select(['kind', 'at'])
      .where('productId', '=', (await productOf(guid)).id)
      .orderBy('id')
      .execute();
    expect(events.map((event) => event.kind)).toEqual(['heartbeat.lost', 'heartbeat.recovered']);
  });

  it('keeps an appliance whose clock was set back online, and records the skew (C35)', async () => {
    const guid = newGuid();
    for (let minute = 0; minute < 15; minute += 1) {
      // At minute 5 the appliance's clock jumps back 30 minutes; its heartbeats go on.
      const applianceClock = harness.clock.now().getTime() - (minute >= 5 ? 1_800_000 : 0);
      const answer = await appliance.heartbeat(
        tdaHeartbeat(guid, { sentAt: new Date(applianceClock).toISOString() }),
      );
      expect(answer.json.clockSkewSeconds).toBe(minute >= 5 ? -1800 : 0);
      expect(await statsOf(guid)).toMatchObject({
        online: true,
        lastHeartbeat: expect.any(String),
      });
      expect((await productOf(guid)).lastHeartbeatAt).toBe(harness.clock.now().getTime());
      harness.clock.advance(60_000);
    }
    const product = await productOf(guid);
    expect((await detailsOf(product.id)).clockSkewSeconds).toBe(-1800);
  });

  it("puts the heartbeat's time zone on the product, where ingestion reads it", async () => {
    const guid = newGuid();
    await appliance.heartbeat(tdaHeartbeat(guid, { timeZone: 'Europe/Berlin' }));
    expect((await productOf(guid)).timeZone).toBe('Europe/Berlin');
    expect(await statsOf(guid)).toMatchObject({ timeZone: 'Europe/Berlin' });

    await appliance.heartbeat(tdaHeartbeat(guid));
    expect((await productOf(guid)).timeZone).toBe('Europe/Berlin');

    const refused = await appliance.heartbeat(tdaHeartbeat(guid, { timeZone: 'Mars/Olympus' }));
    expect(refused.status).toBe(400);
    expect(refused.json.message).toContain('timeZone: unknown time zone');
    expect((await productOf(guid)).timeZone).toBe('Europe/Berlin');
  });

  it("refuses another customer account's GUID with 403, naming no account", async () => {
    const guid = newGuid();
    await appliance.heartbeat(tdaHeartbeat(guid, { hostName: 'acme-host' }));
    const globex = harness.appliance(GLOBEX);
    await globex.signOn();

    const refused = await globex.heartbeat(tdaHeartbeat(guid, { hostName: 'globex-host' }));
    expect(refused.status).toBe(403);
    expect(refused.text).not.toContain('acme');
    expect(await productOf(guid)).toMatchObject({
      hostName: 'acme-host',
      customerId: await harness.customerId(ACME),
    });
  });

  it('answers 400 naming every field at fault', async () => {
    const answer = await appliance.heartbeat({
      ...tdaHeartbeat('not-a-guid', { ipAddress: '10.1.0', sentAt: 'yesterday' }),
      canRunMitigation: true,
    });

    expect(answer.status).toBe(400);
    expect(answer.json.error).toBe('invalid_input');
    for (const part of [
      'guid: must be an appliance GUID',
      'ipAddress: must be an IPv4 or IPv6 address',
      'sentAt: must be an ISO 8601 time',
      'Unrecognized key: "canRunMitigation"',
    ]) {
      expect(answer.json.message).toContain(part);
    }
    expect((await appliance.heartbeat({ type: 'router' })).json.message).toContain('type:');
  });

  it('refuses a body over 16 KiB with 413, and one that is not JSON with 415', async () => {
    const huge = tdaHeartbeat(newGuid(), { version: 'x'.repeat(17 * 1024) });
    expect((await appliance.heartbeat(huge)).status).toBe(413);

    const text = await appliance.status('POST', '/v1/heartbeats', {
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(text.status).toBe(415);
    const broken = await appliance.status('POST', '/v1/heartbeats', {
      ...json({}),
      body: '{"guid":',
    });
    expect(broken.status).toBe(400);
  });
});
