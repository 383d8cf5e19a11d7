import { createHash } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { listAuditEvents } from '../../src/audit/audit-log.js';
import { APPLIANCE_SESSION_MS } from '../../src/status/appliance-sessions.js';
import { ACME } from '../support/cli.js';
import { ENGINES } from '../support/databases.js';
import { json, personTicket, tdaHeartbeat } from './appliance-client.js';
import { START, statusHarness, type StatusHarness } from './status-harness.js';

const GUID = '5E55104E-0000-4000-8000-000000000001';

describe.each(ENGINES)('appliance sessions on %s', (engine) => {
  let harness: StatusHarness;
  beforeAll(async () => {
    harness = await statusHarness(engine);
  });
  afterAll(async () => {
    await harness.close();
  });

  it('trades a CAS REST service ticket for a bearer token that heartbeats', async () => {
    const appliance = harness.appliance();
    const ticket = await appliance.serviceTicket();
    const opened = await appliance.openSession(ticket);

    expect(opened.status).toBe(201);
    expect(opened.json).toEqual({
      token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      tokenType: 'Bearer',
      expiresAt: new Date(START.getTime() + APPLIANCE_SESSION_MS).toISOString(),
    });
    expect((await appliance.heartbeat(tdaHeartbeat(GUID))).status).toBe(200);
  });

  it('stores only the SHA-256 of the token, with the customer account', async () => {
    const appliance = harness.appliance();
    const token = await appliance.signOn();
    const rows = await harness.runtime.store.db
      .selectFrom('applianceSessions')
      .selectAll()
      .execute();

    const hash = createHash('sha256').update(token).digest('hex');
    expect(rows.map((row) => row.tokenHash)).toContain(hash);
    expect(JSON.stringify(rows)).not.toContain(token);
    const row = rows.find((candidate) => candidate.tokenHash === hash);
    expect(row?.customerId).toBe(await harness.customerId(ACME));
  });

  it('refuses a ticket used twice, a made-up one and a malformed one with 401', async () => {
    const appliance = harness.appliance();
    const ticket = await appliance.serviceTicket();
    expect((await appliance.openSession(ticket)).status).toBe(201);

    for (const refused of [ticket, 'ST-0000000000000000000000000', 'ST-1&service=x', '']) {
      const answer = await appliance.openSession(refused);
      expect(answer.status, refused).toBe(401);
      expect(answer.json.error).toBe('unauthenticated');
    }
  });

  it('validates for its configured service URL whatever Host the request names (C26)', async () => {
    const appliance = harness.appliance();
    const ticket = await appliance.serviceTicket();
    const answer = await appliance.status(
      'POST',
      '/v1/sessions',
      {
        headers: { ...json({ ticket }).headers, host: 'evil.example' },
        body: json({ ticket }).body,
      },
      false,
    );
    expect(answer.status).toBe(201);
  });

  it("refuses a ticket issued for another service, even one of TMSP's own", async () => {
    const appliance = harness.appliance();
    const ticket = await appliance.serviceTicket(harness.endpoints.portal.casService);
    expect((await appliance.openSession(ticket)).status).toBe(401);
  });

  it('refuses a person: a portal logon with a ticket for the status server gets 401', async () => {
    const ticket = await personTicket(
      harness.endpoints,
      harness.ca,
      { user: ACME.portalUser, password: ACME.portalPassword },
      harness.endpoints.status.casService,
    );
    const answer = await harness.appliance().openSession(ticket);
    expect(answer.status).toBe(401);

    const audit = await listAuditEvents(harness.runtime.store.db, START);
    expect(audit).toContainEqual(
      expect.objectContaining({
        action: 'status.logon',
        result: 'failure',
        detail: { code: 'NOT_AN_APPLIANCE' },
      }),
    );
  });

  it('answers 401 with a Bearer challenge: no token, a wrong one, one after logout', async () => {
    const appliance = harness.appliance();
    const body = json(tdaHeartbeat(GUID));
    const withoutToken = await appliance.status('POST', '/v1/heartbeats', body, false);
    expect(withoutToken.status).toBe(401);
    expect(withoutToken.headers['www-authenticate']).toBe('Bearer realm="tmsp-status"');

    const wrong = await appliance.status('POST', '/v1/heartbeats', {
      ...body,
      headers: { ...body.headers, authorization: `Bearer ${'A'.repeat(43)}` },
    });
    expect(wrong.status).toBe(401);

    await appliance.signOn();
    const ended = await appliance.status('DELETE', '/v1/sessions/current', {});
    expect(ended.status).toBe(204);
    expect((await appliance.heartbeat(tdaHeartbeat(GUID))).status).toBe(401);
    expect((await appliance.status('DELETE', '/v1/sessions/current', {})).status).toBe(401);
  });

  it('ends a session when it expires', async () => {
    const appliance = harness.appliance();
    await appliance.signOn();
    harness.clock.advance(APPLIANCE_SESSION_MS - 1);
    expect((await appliance.heartbeat(tdaHeartbeat(GUID))).status).toBe(200);
    harness.clock.advance(1);
    expect((await appliance.heartbeat(tdaHeartbeat(GUID))).status).toBe(401);
  });

  it('never logs a token or a ticket', async () => {
    const appliance = harness.appliance();
    const ticket = await appliance.serviceTicket();
    await appliance.openSession(ticket);
    const logged = harness.logLines().join('\n');
    expect(logged).toContain('appliance signed on');
    expect(logged).not.toContain(ticket);
    expect(logged).not.toContain(appliance.token);
  });
});
