import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { reissueDeployment } from '../../src/patterns/deployments.js';
import { sweepDeployments } from '../../src/patterns/deployment-sweeper.js';
import { silentLogger } from '../../src/shared/log.js';
import { PATTERN_POLL_MS } from '../../src/status/pattern-context.js';
import { ENGINES } from '../support/databases.js';
import { json, type ApplianceClient } from '../status/appliance-client.js';
import { GLOBEX } from '../status/status-harness.js';
import {
  ADMIN,
  openEventStream,
  patternHarness,
  sha256,
  tmHeartbeat,
  type PatternHarness,
} from './pattern-harness.js';

const CONFIRM_SECONDS = 3_600;

describe.each(ENGINES)('custom patterns at the appliance API on %s', (engine) => {
  let harness: PatternHarness;
  let sequence = 0;
  const newGuid = (): string =>
    `7A7E0000-0000-4000-8000-${String((sequence += 1)).padStart(12, '0')}`;
  const now = (): string => harness.clock.now().toISOString();
  const report = (client: ApplianceClient, id: number, body: Record<string, unknown>) =>
    client.status('POST', `/v1/patterns/${id}/reports`, json(body));
  const failureEvents = async (guid: string) => {
    const rows = await harness.runtime.store.db
      .selectFrom('applianceEvents')
      .selectAll()
      .where('kind', '=', 'pattern.deployment_failed')
      .execute();
    return rows
      .map((row) => JSON.parse(row.detail) as Record<string, unknown>)
      .filter((detail) => detail['guid'] === guid);
  };
  const sweep = () =>
    sweepDeployments({
      store: harness.runtime.store,
      clock: harness.clock,
      logger: silentLogger(),
      confirmSeconds: CONFIRM_SECONDS,
    });

  beforeAll(async () => {
    harness = await patternHarness(engine, {
      TMSP_PATTERNS_CONFIRM_SECONDS: String(CONFIRM_SECONDS),
    });
  });
  afterAll(async () => {
    await harness.close();
  });

  it('announces a deployment made elsewhere on the open stream within seconds', async () => {
    const guid = newGuid();
    const tm = await harness.threatMitigator(guid);
    const stream = await openEventStream(harness, tm, guid);
    expect(stream.status).toBe(200);
    const { id, content } = await harness.upload('1.0.1');

    const started = Date.now();
    await harness.deployElsewhere(id, guid);
    await stream.waitFor(1, PATTERN_POLL_MS + 3_000);
    expect(Date.now() - started).toBeLessThan(PATTERN_POLL_MS + 3_000);
    expect(stream.events[0]).toEqual({
      kind: 'pattern',
      id,
      version: '1.0.1',
      size: content.length,
      sha256: sha256(content),
      url: `${harness.endpoints.status.url}/v1/patterns/${id}/content`,
    });
    stream.close();
  });

  it('announces at once what this process deploys, and what is pending on connect', async () => {
    const guid = newGuid();
    const tm = await harness.threatMitigator(guid);
    const first = await harness.upload('1.0.2');
    await harness.deployElsewhere(first.id, guid);
    const stream = await openEventStream(harness, tm, guid);
    await stream.waitFor(1, 1_000);

    const second = await harness.upload('1.0.3');
    await harness.deployHere(second.id, guid);
    await stream.waitFor(2, 1_000);
    expect(stream.events.map((event) => event['id'])).toEqual([first.id, second.id]);
    stream.close();
  });

  it('resumes a download with Range; the parts make the whole, SHA-256 and all', async () => {
    const guid = newGuid();
    const tm = await harness.threatMitigator(guid);
    const { id, content } = await harness.upload('1.1.0');
    await harness.deployElsewhere(id, guid);

    const head = await harness.download(tm, id, 'bytes=0-99999');
    expect(head.status).toBe(206);
    expect(head.headers['content-range']).toBe(`bytes 0-99999/${content.length}`);
    const rest = await harness.download(tm, id, 'bytes=100000-');
    expect(rest.status).toBe(206);
    expect(sha256(Buffer.concat([head.body, rest.body]))).toBe(sha256(content));

    const whole = await harness.download(tm, id);
    expect(whole.status).toBe(200);
    expect(whole.headers['etag']).toBe(`"${sha256(content)}"`);
    expect(whole.body.equals(content)).toBe(true);
    const beyond = await harness.download(tm, id, `bytes=${content.length}-`);
    expect(beyond.status).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${content.length}`);
  });

  it('lists the pending pattern in the heartbeat answer as a fallback', async () => {
    const guid = newGuid();
    const tm = await harness.threatMitigator(guid);
    const { id, content } = await harness.upload('1.2.0');
    await harness.deployElsewhere(id, guid);

    const answer = await tm.heartbeat(tmHeartbeat(guid, now()));
    expect(answer.status).toBe(200);
    expect(answer.json.pendingTasks).toEqual([
      {
        kind: 'pattern',
        id,
        version: '1.2.0',
        size: content.length,
        sha256: sha256(content),
        url: `${harness.endpoints.status.url}/v1/patterns/${id}/content`,
      },
    ]);
  });

  it('P05: "deployed" stays unconfirmed while heartbeats report the old version', async () => {
    const guid = newGuid();
    const tm = await harness.threatMitigator(guid);
    const { id } = await harness.upload('5');
    await harness.deployElsewhere(id, guid);
    const stream = await openEventStream(harness, tm, guid);
    await stream.waitFor(1, 1_000);

    expect((await report(tm, id, { guid, state: 'downloaded' })).status).toBe(200);
    const said = await report(tm, id, { guid, state: 'deployed' });
    expect(said.json).toEqual({ patternId: id, guid, state: 'downloaded', confirmed: false });
    await tm.heartbeat(tmHeartbeat(guid, now(), '4'));
    expect(await harness.deployments(id)).toMatchObject([
      { guid, status: 'unconfirmed', runningVersion: '4', attempts: 1 },
    ]);

    harness.clock.advance(CONFIRM_SECONDS * 1000 + 1);
    const retried = await sweep();
    expect(retried.filter((one) => one.guid === guid)).toEqual([
      expect.objectContaining({ guid, patternId: id, attempts: 2 }),
    ]);
    expect(await sweep()).toEqual([]);
    expect(await harness.deployments(id)).toMatchObject([
      { guid, status: 'failed-retrying', attempts: 2 },
    ]);
    expect(await failureEvents(guid)).toMatchObject([{ patternId: id, reason: 'timeout' }]);
    await stream.waitFor(2, PATTERN_POLL_MS + 3_000);
    expect(stream.events[1]).toMatchObject({ id, version: '5' });

    await tm.heartbeat(tmHeartbeat(guid, now(), '5'));
    expect(await harness.deployments(id)).toMatchObject([{ status: 'deployed' }]);
    expect((await tm.heartbeat(tmHeartbeat(guid, now(), '5'))).json.pendingTasks).toEqual([]);
    stream.close();
  });

  it('records pattern.deployment_failed when the appliance reports a failure', async () => {
    const guid = newGuid();
    const tm = await harness.threatMitigator(guid);
    const { id } = await harness.upload('1.3.0');
    await harness.deployElsewhere(id, guid);

    const failed = { guid, state: 'failed', endpoint: 'pc-17', message: 'engine refused it' };
    expect((await report(tm, id, failed)).json).toMatchObject({ state: 'failed' });
    // Control codes would forge lines in logs and mails: refused, naming the field.
    const forged = await report(tm, id, { ...failed, message: 'ok\r\nBcc: x' });
    expect(forged.status).toBe(400);
    expect(forged.json.message).toContain('message');

    // The same failure again, for another endpoint: still one event for notifications.
    await report(tm, id, { ...failed, endpoint: 'pc-18' });
    expect(await failureEvents(guid)).toMatchObject([
      { patternId: id, reason: 'reported', message: 'engine refused it', version: '1.3.0' },
    ]);
    expect(await harness.deployments(id)).toMatchObject([
      { status: 'failed', endpoint: 'pc-18', failure: 'engine refused it' },
    ]);
    expect((await tm.heartbeat(tmHeartbeat(guid, now()))).json.pendingTasks).toEqual([]);
  });

  it('re-issue sends a new notification for the same deployment', async () => {
    const guid = newGuid();
    const tm = await harness.threatMitigator(guid);
    const { id } = await harness.upload('1.4.0');
    await harness.deployElsewhere(id, guid);
    await report(tm, id, { guid, state: 'failed' });
    const stream = await openEventStream(harness, tm, guid);

    const customerId = await harness.customerId({ name: 'acme' } as never);
    const deps = { store: harness.runtime.store, clock: harness.clock };
    await reissueDeployment(deps, { customerId, patternId: id, guid }, ADMIN);
    await stream.waitFor(1, PATTERN_POLL_MS + 3_000);
    expect(await harness.deployments(id)).toMatchObject([{ status: 'notified', attempts: 2 }]);
    stream.close();
  });

  it('ends the event stream soon after its session ends', async () => {
    const guid = newGuid();
    const tm = await harness.threatMitigator(guid);
    const stream = await openEventStream(harness, tm, guid);
    expect((await tm.status('DELETE', '/v1/sessions/current', {})).status).toBe(204);

    const started = Date.now();
    await stream.ended;
    expect(Date.now() - started).toBeLessThan(PATTERN_POLL_MS + 2_000);
  });

  it('keeps at most four streams per appliance, ending the oldest', async () => {
    const guid = newGuid();
    const tm = await harness.threatMitigator(guid);
    const streams = [];
    for (let count = 0; count < 5; count += 1) {
      streams.push(await openEventStream(harness, tm, guid));
    }

    await streams[0]!.ended;
    const open = streams.slice(1);
    const closedSoon = await Promise.race([
      Promise.any(open.map((stream) => stream.ended)).then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 300)),
    ]);
    expect(closedSoon).toBe(false);
    for (const stream of open) stream.close();
  });

  it("refuses another account's appliance: no stream, no download, no report", async () => {
    const guid = newGuid();
    await harness.threatMitigator(guid);
    const { id } = await harness.upload('1.5.0');
    await harness.deployElsewhere(id, guid);
    const foreignGuid = newGuid();
    const foreign = await harness.threatMitigator(foreignGuid, GLOBEX);

    expect((await harness.download(foreign, id)).status).toBe(404);
    expect((await report(foreign, id, { guid, state: 'deployed' })).status).toBe(404);
    expect((await report(foreign, id, { guid: foreignGuid, state: 'deployed' })).status).toBe(404);
    expect((await openEventStream(harness, foreign, guid)).status).toBe(404);
    expect(await harness.deployments(id)).toMatchObject([{ status: 'notified' }]);

    const undeployed = await harness.upload('1.5.1');
    const own = await harness.threatMitigator(newGuid());
    expect((await harness.download(own, undeployed.id)).status).toBe(404);
  });
});

describe('the status server with an event stream open', () => {
  it('stops at once, ending the stream', async () => {
    const harness = await patternHarness('sqlite');
    const guid = '7A7E0000-0000-4000-8000-FFFFFFFFFFFF';
    const tm = await harness.threatMitigator(guid);
    const stream = await openEventStream(harness, tm, guid);
    expect(stream.status).toBe(200);

    const started = Date.now();
    await harness.close();
    await stream.ended;
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
