import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { rotateRegistrationSecret } from '../../src/accounts/registration-secrets.js';
import { rsyncResponse } from '../../src/cas/appliances.js';
import { SERVICE_KEY_HEADER } from '../../src/cas/internal-routes.js';
import { ENGINES } from '../support/databases.js';
import { CAS_URL, casHarness, PEOPLE, STATUS, type CasHarness } from './harness.js';

describe.each(ENGINES)('CAS for appliances on %s', (engine) => {
  let cas: CasHarness;
  beforeEach(async () => {
    cas = await casHarness(engine, {
      appliances: { maxFailures: 3, windowSeconds: 60, lockSeconds: 60 },
    });
  });
  afterEach(async () => {
    await cas.close();
  });

  const form = (payload: Record<string, string>) => ({
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(payload).toString(),
  });
  const grantingTicket = (secret = PEOPLE.registrationSecret, remoteAddress = '198.51.100.7') =>
    cas.app.inject({
      method: 'POST',
      url: '/cas/v1/tickets',
      remoteAddress,
      ...form({ username: PEOPLE.registrationUser, password: secret }),
    });
  const internal = (path: string, body: unknown, key = cas.keys.serviceKey.toString('base64')) =>
    cas.app.inject({
      method: 'POST',
      url: `/cas/internal/v1/${path}`,
      headers: { [SERVICE_KEY_HEADER]: key },
      payload: body as object,
    });

  it('issues a TGT with an absolute Location, then a plain-text ST for the status server', async () => {
    const created = await grantingTicket();
    expect(created.statusCode).toBe(201);
    const location = created.headers.location as string;
    expect(location).toMatch(new RegExp(`^${CAS_URL}/v1/tickets/TGT-[A-Za-z0-9-]+$`));

    const path = new URL(location).pathname;
    const ticket = await cas.app.inject({
      method: 'POST',
      url: path,
      ...form({ service: STATUS }),
    });
    expect(ticket.statusCode).toBe(200);
    expect(ticket.body).toMatch(/^ST-[A-Za-z0-9-]+$/);

    const query = new URLSearchParams({ ticket: ticket.body, service: STATUS, format: 'JSON' });
    const validated = JSON.parse(
      (await cas.app.inject({ url: `/cas/p3/serviceValidate?${query.toString()}` })).body,
    );
    expect(validated.serviceResponse.authenticationSuccess).toMatchObject({
      user: PEOPLE.registrationUser,
      attributes: { role: ['appliance'], customerAccounts: ['acme'] },
    });

    expect((await cas.app.inject({ method: 'DELETE', url: path })).statusCode).toBe(200);
    const afterDelete = await cas.app.inject({
      method: 'POST',
      url: path,
      ...form({ service: STATUS }),
    });
    expect(afterDelete.statusCode).toBe(404);
  });

  it('answers 401 for wrong credentials and 400 for missing ones', async () => {
    expect((await grantingTicket('wrong-secret')).statusCode).toBe(401);
    const missing = await cas.app.inject({
      method: 'POST',
      url: '/cas/v1/tickets',
      ...form({ username: 'x' }),
    });
    expect(missing.statusCode).toBe(400);
  });

  it('refuses a service ticket for an unregistered service', async () => {
    const path = new URL((await grantingTicket()).headers.location as string).pathname;
    const refused = await cas.app.inject({
      method: 'POST',
      url: path,
      ...form({ service: 'https://evil.test/' }),
    });
    expect(refused.statusCode).toBe(400);
  });

  it('slows a failing address without locking the fleet out elsewhere', async () => {
    for (let i = 0; i < 3; i += 1) await grantingTicket('wrong-secret', '203.0.113.66');
    expect((await grantingTicket(PEOPLE.registrationSecret, '203.0.113.66')).statusCode).toBe(429);
    expect((await grantingTicket(PEOPLE.registrationSecret, '198.51.100.8')).statusCode).toBe(201);
  });

  it('keeps the old secret working through a rotation grace period', async () => {
    await rotateRegistrationSecret(
      { store: cas.store, clock: cas.clock, secrets: cas.keys.secrets },
      'acme',
      'Rotated-Secret-2027',
      24,
      { name: 'test', source: 'test' },
    );
    expect((await grantingTicket('Rotated-Secret-2027')).statusCode).toBe(201);
    expect((await grantingTicket(PEOPLE.registrationSecret)).statusCode).toBe(201);
    cas.clock.advance(25 * 3_600_000);
    expect((await grantingTicket(PEOPLE.registrationSecret, '198.51.100.9')).statusCode).toBe(401);
  });

  it('checks SSH credentials for TMSP servers holding the service key only', async () => {
    const body = {
      userName: PEOPLE.registrationUser,
      secret: PEOPLE.registrationSecret,
      source: '198.51.100.7',
    };
    expect((await internal('appliance-logons', body, 'not-the-key')).statusCode).toBe(403);
    const accepted = await internal('appliance-logons', body);
    expect(accepted.statusCode).toBe(200);
    expect(JSON.parse(accepted.body)).toMatchObject({ customer: 'acme' });
    expect((await internal('appliance-logons', { ...body, secret: 'wrong' })).statusCode).toBe(401);
  });

  it.each(['sha512', 'md5'] as const)(
    'verifies an rsync daemon %s challenge response',
    async (digest) => {
      const challenge = 'c2VlZC1jaGFsbGVuZ2U';
      const body = {
        userName: PEOPLE.registrationUser,
        challenge,
        response: rsyncResponse(PEOPLE.registrationSecret, challenge, digest),
        digest,
        source: '198.51.100.7',
      };
      expect((await internal('rsync-challenges', body)).statusCode).toBe(200);
      expect((await internal('rsync-challenges', { ...body, response: 'AAAA' })).statusCode).toBe(
        401,
      );
    },
  );

  it('refuses malformed internal requests with 400', async () => {
    expect((await internal('appliance-logons', { userName: 'x' })).statusCode).toBe(400);
  });
});
