import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { listAuditEvents } from '../../src/audit/audit-log.js';
import { ENGINES } from '../support/databases.js';
import { inProcessStatus, ticketOf, type InProcessStatus } from './in-process.js';

const POLICY = { maxFailures: 3, windowSeconds: 60, lockSeconds: 120 };

describe.each(ENGINES)('the sign-on throttle of the status server on %s', (engine) => {
  let server: InProcessStatus;
  beforeEach(async () => {
    server = await inProcessStatus(engine, POLICY);
  });
  afterEach(async () => {
    await server.close();
  });

  const signOn = (ticket: 'ST-good' | 'ST-gone' | 'ST-wrong', remoteAddress = '198.51.100.7') =>
    server.app.inject({
      method: 'POST',
      url: '/v1/sessions',
      remoteAddress,
      payload: { ticket: ticketOf(ticket) },
    });

  it('refuses an address after repeated failures with 429 and Retry-After', async () => {
    for (let i = 0; i < 3; i += 1) expect((await signOn('ST-wrong')).statusCode).toBe(401);
    const refused = await signOn('ST-good');

    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('120');
    expect(refused.json()).toEqual({ error: 'throttled', message: expect.any(String) });
    server.clock.advance(30_000);
    expect((await signOn('ST-good')).headers['retry-after']).toBe('90');

    expect((await signOn('ST-good', '198.51.100.8')).statusCode).toBe(201);
    server.clock.advance(91_000);
    expect((await signOn('ST-good')).statusCode).toBe(201);
  });

  it('counts tickets of the wrong form, which never reach CAS', async () => {
    for (let i = 0; i < 3; i += 1) {
      const answer = await server.app.inject({
        method: 'POST',
        url: '/v1/sessions',
        remoteAddress: '198.51.100.9',
        payload: { ticket: 'TGT-not-a-service-ticket' },
      });
      expect(answer.statusCode).toBe(401);
    }
    expect((await signOn('ST-good', '198.51.100.9')).statusCode).toBe(429);
  });

  it('does not count successful sign-ons', async () => {
    for (let i = 0; i < 10; i += 1) expect((await signOn('ST-good')).statusCode).toBe(201);
    for (let i = 0; i < 2; i += 1) expect((await signOn('ST-wrong')).statusCode).toBe(401);
    expect((await signOn('ST-good')).statusCode).toBe(201);
  });

  it('refuses a registration user after repeated failures, from any address', async () => {
    for (let i = 0; i < 3; i += 1) {
      expect((await signOn('ST-gone', `203.0.113.${i + 1}`)).statusCode).toBe(401);
    }
    const refused = await signOn('ST-gone', '203.0.113.50');
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Nobody else is cut off by that user's failures.
    expect((await signOn('ST-good', '203.0.113.50')).statusCode).toBe(201);

    const audit = await listAuditEvents(server.store.db, new Date(0));
    expect(audit).toContainEqual(
      expect.objectContaining({
        action: 'status.logon',
        result: 'failure',
        source: '203.0.113.50',
        detail: { reason: 'throttled', key: 'appliance-user' },
      }),
    );
  });
});
