import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ENGINES } from '../support/databases.js';
import { Browser, ticketOf } from './browser.js';
import {
  casHarness,
  CONSOLE,
  CONSOLE_HOME,
  PEOPLE,
  PORTAL,
  PORTAL_HOME,
  type CasHarness,
} from './harness.js';

describe.each(ENGINES)('CAS login and single sign-on on %s', (engine) => {
  let cas: CasHarness;
  beforeEach(async () => {
    cas = await casHarness(engine);
  });
  afterEach(async () => {
    await cas.close();
  });

  const validate = async (ticket: string, service: string, extra = ''): Promise<any> => {
    const query = new URLSearchParams({ ticket, service, format: 'JSON' });
    const response = await cas.app.inject({
      method: 'GET',
      url: `/cas/p3/serviceValidate?${query.toString()}${extra}`,
    });
    return JSON.parse(response.body).serviceResponse;
  };

  it('shows a login form that works without JavaScript, in the browser language', async () => {
    const browser = new Browser(cas.app);
    const english = await browser.get(`/cas/login?service=${encodeURIComponent(CONSOLE)}`);
    expect(english.status).toBe(200);
    expect(english.body).toContain('<form method="post" action="login"');
    expect(english.body).not.toContain('<script');
    const german = await cas.app.inject({
      url: '/cas/login',
      headers: { 'accept-language': 'de-DE,de;q=0.9' },
    });
    expect(german.body).toContain('Anmelden');
  });

  it('signs a portal user in and releases role and customer accounts', async () => {
    const browser = new Browser(cas.app);
    const answer = await browser.logIn(PEOPLE.portalUser, PEOPLE.portalPassword, PORTAL);
    expect(answer.status).toBe(302);
    expect(answer.location).toMatch(
      new RegExp(`^${PORTAL.replace(/[.?]/g, '\\$&')}\\?ticket=ST-[A-Za-z0-9-]+$`),
    );
    const ticket = ticketOf(answer.location);
    expect(ticket.length).toBeGreaterThanOrEqual(3 + 32);

    const response = await validate(ticket, PORTAL);
    expect(response.authenticationSuccess.user).toBe(PEOPLE.portalUser);
    expect(response.authenticationSuccess.attributes).toMatchObject({
      role: ['portal'],
      customerScope: ['own'],
      customerAccounts: ['acme'],
      isFromNewLogin: ['true'],
    });
  });

  it('keeps the ticket-granting cookie to /cas, Secure and HttpOnly', async () => {
    const response = await new Browser(cas.app).logIn(
      PEOPLE.portalUser,
      PEOPLE.portalPassword,
      PORTAL,
    );
    expect(response.status).toBe(302);
    const login = await cas.app.inject({
      method: 'GET',
      url: '/cas/login',
    });
    expect(login.statusCode).toBe(200);
  });

  it('gives a second service a ticket from the SSO session without the form', async () => {
    const browser = new Browser(cas.app);
    await browser.logIn(PEOPLE.portalUser, PEOPLE.portalPassword, PORTAL);
    const again = await browser.get(`/cas/login?service=${encodeURIComponent(CONSOLE)}`);
    expect(again.status).toBe(302);
    const response = await validate(ticketOf(again.location), CONSOLE);
    expect(response.authenticationSuccess.attributes.isFromNewLogin).toEqual(['false']);
  });

  it('refuses a ticket from SSO when the service asks for renew (C32)', async () => {
    const browser = new Browser(cas.app);
    await browser.logIn(PEOPLE.portalUser, PEOPLE.portalPassword, PORTAL);
    const sso = await browser.get(`/cas/login?service=${encodeURIComponent(PORTAL)}`);
    const failure = await validate(ticketOf(sso.location), PORTAL, '&renew=true');
    expect(failure.authenticationFailure.code).toBe('INVALID_TICKET');

    const renewed = await browser.logIn(
      PEOPLE.portalUser,
      PEOPLE.portalPassword,
      PORTAL,
      '&renew=true',
    );
    const success = await validate(ticketOf(renewed.location), PORTAL, '&renew=true');
    expect(success.authenticationSuccess.user).toBe(PEOPLE.portalUser);
  });

  it('shows the form again on renew even with a live session', async () => {
    const browser = new Browser(cas.app);
    await browser.logIn(PEOPLE.portalUser, PEOPLE.portalPassword, PORTAL);
    const renew = await browser.get(`/cas/login?service=${encodeURIComponent(PORTAL)}&renew=true`);
    expect(renew.status).toBe(200);
    expect(renew.body).toContain('name="password"');
  });

  it('never shows the form with gateway, and sends the browser back without a ticket', async () => {
    const browser = new Browser(cas.app);
    const answer = await browser.get(
      `/cas/login?service=${encodeURIComponent(PORTAL)}&gateway=true`,
    );
    expect(answer.status).toBe(302);
    expect(answer.location).toBe(PORTAL);
  });

  it('sends a browser whose password must change back without a ticket on gateway', async () => {
    const browser = new Browser(cas.app);
    const first = await browser.logIn('admin', '123456', CONSOLE);
    expect(first.location).toMatch(/^password\?service=/);

    const gateway = await browser.get(
      `/cas/login?service=${encodeURIComponent(CONSOLE)}&gateway=true`,
    );
    expect(gateway.status).toBe(302);
    expect(gateway.location).toBe(CONSOLE);
    const withoutGateway = await browser.get(`/cas/login?service=${encodeURIComponent(CONSOLE)}`);
    expect(withoutGateway.location).toMatch(/^password\?service=/);
  });

  it.each([
    ['the console', CONSOLE_HOME],
    ['the portal', PORTAL_HOME],
  ])('gives %s start page no ticket, as an unknown service', async (_site, home) => {
    const browser = new Browser(cas.app);
    const page = await browser.get(`/cas/login?service=${encodeURIComponent(home)}`);
    expect(page.status).toBe(403);
    expect(page.body).toContain('not registered');

    const posted = await browser.logIn(PEOPLE.portalUser, PEOPLE.portalPassword, PORTAL);
    expect(posted.location).toMatch(/ticket=ST-/);
    const form = await browser.post('/cas/login', {
      form: browser.cookie('tmsp_cas_form') ?? '',
      service: home,
      username: PEOPLE.portalUser,
      password: PEOPLE.portalPassword,
    });
    expect(form.status).toBe(403);
    expect(form.body).toContain('not registered');
    const sso = await browser.get(`/cas/login?service=${encodeURIComponent(home)}`);
    expect(sso.status).toBe(403);
    expect(sso.location).toBeUndefined();
  });

  it.each([
    ['the console', CONSOLE_HOME],
    ['the portal', PORTAL_HOME],
  ])('still returns the browser to %s start page at logout', async (_site, home) => {
    const browser = new Browser(cas.app);
    await browser.logIn(PEOPLE.portalUser, PEOPLE.portalPassword, PORTAL);
    const logout = await browser.get(`/cas/logout?service=${encodeURIComponent(home)}`);
    expect(logout.status).toBe(302);
    expect(logout.location).toBe(home);
    const afterwards = await browser.get(`/cas/login?service=${encodeURIComponent(PORTAL)}`);
    expect(afterwards.status).toBe(200);
  });

  it('refuses registration credentials at the login form', async () => {
    const answer = await new Browser(cas.app).logIn(
      PEOPLE.registrationUser,
      PEOPLE.registrationSecret,
      PORTAL,
    );
    expect(answer.status).toBe(401);
    expect(answer.location).toBeUndefined();
  });

  it('refuses a login form posted without its form token', async () => {
    const browser = new Browser(cas.app);
    const answer = await browser.post('/cas/login', {
      username: PEOPLE.portalUser,
      password: PEOPLE.portalPassword,
      service: PORTAL,
    });
    expect(answer.status).toBe(400);
    expect(answer.location).toBeUndefined();
  });

  it.each([
    ['a prefix of a registered URL', 'https://portal.test/tms2/cas/callback/../../evil'],
    ['a longer path', `${PORTAL}/more`],
    ['user info before the host', 'https://portal.test@evil.test/tms2/cas/callback'],
    ['another host', 'https://evil.test/tms2/cas/callback'],
    ['a trailing slash', `${PORTAL}/`],
    ['another scheme', PORTAL.replace('https', 'http')],
  ])('gives no ticket and no redirect to %s (P10)', async (_what, service) => {
    const browser = new Browser(cas.app);
    const page = await browser.get(`/cas/login?service=${encodeURIComponent(service)}`);
    expect(page.status).toBe(403);
    expect(page.location).toBeUndefined();
    await browser.logIn(PEOPLE.portalUser, PEOPLE.portalPassword, PORTAL);
    const sso = await browser.get(`/cas/login?service=${encodeURIComponent(service)}`);
    expect(sso.status).toBe(403);
    expect(sso.location).toBeUndefined();
  });

  it('makes the built-in administrator change the factory password first', async () => {
    const browser = new Browser(cas.app);
    const first = await browser.logIn('admin', '123456', CONSOLE);
    expect(first.status).toBe(302);
    expect(first.location).toMatch(/^password\?service=/);
    const stillNoTicket = await browser.get(`/cas/login?service=${encodeURIComponent(CONSOLE)}`);
    expect(stillNoTicket.location).toMatch(/^password/);

    const form = await browser.get(`/cas/${first.location!}`);
    const hidden = Object.fromEntries(
      [...form.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
        m[1]!,
        m[2]!.replace(/&amp;/g, '&'),
      ]),
    );
    const weak = await browser.post('/cas/password', {
      ...hidden,
      current: '123456',
      next: 'short',
      repeat: 'short',
    });
    expect(weak.status).toBe(400);

    const changed = await browser.post('/cas/password', {
      ...hidden,
      current: '123456',
      next: 'Correct-Horse-Battery-1',
      repeat: 'Correct-Horse-Battery-1',
    });
    expect(changed.status).toBe(302);
    const success = await validate(ticketOf(changed.location), CONSOLE);
    expect(success.authenticationSuccess.attributes).toMatchObject({
      role: ['administrator'],
      customerScope: ['all'],
    });

    const oldDefault = await new Browser(cas.app).logIn('admin', '123456', CONSOLE);
    expect(oldDefault.status).toBe(401);
    const newPassword = await new Browser(cas.app).logIn(
      'admin',
      'Correct-Horse-Battery-1',
      CONSOLE,
    );
    expect(newPassword.location).toMatch(/ticket=ST-/);
  });

  it('ends the SSO session at logout and sends single logout to every service used (C31)', async () => {
    const browser = new Browser(cas.app);
    const first = await browser.logIn(PEOPLE.portalUser, PEOPLE.portalPassword, PORTAL);
    await validate(ticketOf(first.location), PORTAL);
    const second = await browser.get(`/cas/login?service=${encodeURIComponent(CONSOLE)}`);
    await validate(ticketOf(second.location), CONSOLE);

    const logout = await browser.get(`/cas/logout?service=${encodeURIComponent(PORTAL)}`);
    expect(logout.status).toBe(302);
    expect(logout.location).toBe(PORTAL);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(cas.logoutRequests).toEqual(
      expect.arrayContaining([
        { service: PORTAL, ticket: ticketOf(first.location) },
        { service: CONSOLE, ticket: ticketOf(second.location) },
      ]),
    );

    const afterwards = await browser.get(`/cas/login?service=${encodeURIComponent(PORTAL)}`);
    expect(afterwards.status).toBe(200);
    expect(afterwards.body).toContain('name="password"');
  });

  it('does not follow an unregistered service at logout', async () => {
    const logout = await new Browser(cas.app).get('/cas/logout?service=https%3A%2F%2Fevil.test%2F');
    expect(logout.status).toBe(200);
    expect(logout.location).toBeUndefined();
  });

  it('ends an idle SSO session', async () => {
    const browser = new Browser(cas.app);
    await browser.logIn(PEOPLE.portalUser, PEOPLE.portalPassword, PORTAL);
    cas.clock.advance(121 * 60_000);
    const later = await browser.get(`/cas/login?service=${encodeURIComponent(PORTAL)}`);
    expect(later.status).toBe(200);
  });
});
