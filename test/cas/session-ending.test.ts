import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { resetAdministratorPassword } from '../../src/accounts/administrators.js';
import { disableCustomer } from '../../src/accounts/customers.js';
import { rotateRegistrationSecret } from '../../src/accounts/registration-secrets.js';
import { ENGINES } from '../support/databases.js';
import { Browser } from './browser.js';
import { casHarness, CONSOLE, PEOPLE, PORTAL, STATUS, type CasHarness } from './harness.js';

const ACTOR = { name: 'test', source: 'test' };

describe.each(ENGINES)('account changes end live sessions at once on %s', (engine) => {
  let cas: CasHarness;
  beforeEach(async () => {
    cas = await casHarness(engine);
  });
  afterEach(async () => {
    await cas.close();
  });

  const accounts = () => ({ store: cas.store, clock: cas.clock, secrets: cas.keys.secrets });
  const grantingTicketPath = async (): Promise<string> => {
    const created = await cas.app.inject({
      method: 'POST',
      url: '/cas/v1/tickets',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        username: PEOPLE.registrationUser,
        password: PEOPLE.registrationSecret,
      }).toString(),
    });
    return new URL(created.headers.location as string).pathname;
  };
  const serviceTicketStatus = async (path: string): Promise<number> => {
    const answer = await cas.app.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `service=${encodeURIComponent(STATUS)}`,
    });
    return answer.statusCode;
  };
  const webSession = (userName: string) =>
    cas.store.db
      .insertInto('webSessions')
      .values({
        idHash: `hash-${userName}`,
        server: 'portal',
        ticket: 'ST-1',
        userName,
        role: 'portal',
        customerNames: '["acme"]',
        mustChangePassword: 0,
        createdAt: 0,
        lastSeenAt: 0,
        expiresAt: Number.MAX_SAFE_INTEGER,
      })
      .execute();
  const webSessionsOf = async (userName: string) =>
    (
      await cas.store.db
        .selectFrom('webSessions')
        .selectAll()
        .where('userName', '=', userName)
        .execute()
    ).length;

  it('disabling a customer ends its portal SSO, portal sessions and appliance TGTs', async () => {
    const browser = new Browser(cas.app);
    await browser.logIn(PEOPLE.portalUser, PEOPLE.portalPassword, PORTAL);
    await webSession(PEOPLE.portalUser);
    const tgt = await grantingTicketPath();
    expect(await serviceTicketStatus(tgt)).toBe(200);

    await disableCustomer(accounts(), 'acme', ACTOR);

    const again = await browser.get(`/cas/login?service=${encodeURIComponent(PORTAL)}`);
    expect(again.status).toBe(200);
    expect(again.body).toContain('name="password"');
    expect(await webSessionsOf(PEOPLE.portalUser)).toBe(0);
    expect(await serviceTicketStatus(tgt)).toBe(404);
  });

  it('a password reset ends the administrator SSO and console sessions', async () => {
    const browser = new Browser(cas.app);
    await browser.logIn('admin', '123456', CONSOLE);
    await webSession('admin');
    await resetAdministratorPassword(cas.store, cas.clock, 'admin', 'Reset-Password-77', ACTOR);
    expect(await webSessionsOf('admin')).toBe(0);
    const again = await browser.get(`/cas/login?service=${encodeURIComponent(CONSOLE)}`);
    expect(again.status).toBe(200);
  });

  it('a rotation without grace period voids the TGTs the old secret opened', async () => {
    const tgt = await grantingTicketPath();
    await rotateRegistrationSecret(accounts(), 'acme', 'Rotated-Secret-2027', 0, ACTOR);
    expect(await serviceTicketStatus(tgt)).toBe(404);
  });

  it('a rotation with a grace period keeps the fleet working meanwhile', async () => {
    const tgt = await grantingTicketPath();
    await rotateRegistrationSecret(accounts(), 'acme', 'Rotated-Secret-2027', 24, ACTOR);
    expect(await serviceTicketStatus(tgt)).toBe(200);
  });

  it('answers repeated parameters without an internal error', async () => {
    const service = encodeURIComponent(PORTAL);
    const login = await cas.app.inject({
      url: `/cas/login?service=${service}&service=x&locale=de&locale=en`,
    });
    expect(login.statusCode).toBe(200);
    const validation = await cas.app.inject({
      url: `/cas/p3/serviceValidate?ticket=ST-1&ticket=ST-2&service=${service}&format=JSON&format=XML`,
    });
    expect(validation.statusCode).toBe(200);
    const rest = await cas.app.inject({
      method: 'POST',
      url: '/cas/v1/tickets',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'username=x&username=y&password=z',
    });
    expect(rest.statusCode).toBe(401);
  });
});
