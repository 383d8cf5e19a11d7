import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { listAuditEvents } from '../../src/audit/audit-log.js';
import { ENGINES } from '../support/databases.js';
import {
  ACME_STAFF,
  ALICE,
  cookieValue,
  csrfTokenOf,
  setCookieLine,
  signOnHarness,
  type SignOnHarness,
} from '../cas-client/sign-on-harness.js';

const LOGIN_REDIRECT = (casUrl: string) =>
  `${casUrl}/login?service=${encodeURIComponent('https://console.test/admin/cas/callback')}`;

describe.each(ENGINES)('signing on to the console on %s', (engine) => {
  let h: SignOnHarness;

  beforeEach(async () => {
    h = await signOnHarness(engine, 'admin');
  });
  afterEach(async () => {
    await h.close();
  });

  it('sends a browser without a session to CAS with the configured service (C26)', async () => {
    const answer = await h.get('/admin', undefined, {
      host: 'evil.example',
      'x-forwarded-host': 'evil.example',
    });
    expect(answer.statusCode).toBe(302);
    expect(answer.headers.location).toBe(LOGIN_REDIRECT(h.cas.url));
    expect(setCookieLine(answer, 'tmsp_admin_return')).toBe(
      'tmsp_admin_return=%2Fadmin; Path=/admin/cas/callback; Max-Age=600; Secure; HttpOnly; SameSite=Lax',
    );
  });

  it('opens a session from a valid ticket and shows who is signed in', async () => {
    const { answer, cookie } = await h.logIn(ALICE);
    expect(answer.statusCode).toBe(302);
    expect(answer.headers.location).toBe('/admin');
    expect(setCookieLine(answer, 'tmsp_admin_session')).toMatch(
      /^tmsp_admin_session=[A-Za-z0-9_-]{43}; Path=\/admin; Secure; HttpOnly; SameSite=Lax$/,
    );
    expect(h.cas.received.at(-1)?.parameters.filter(([name]) => name === 'service')).toEqual([
      ['service', 'https://console.test/admin/cas/callback'],
    ]);

    const page = await h.get('/admin', cookie);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Signed in as <strong>alice</strong>');
    expect(page.body).toContain('Role: administrator');
    expect(page.body).toContain('Customer accounts: acme, globex');
    expect(page.body).toContain('action="/admin/logout"');
  });

  it('comes back to the page first asked for', async () => {
    const first = await h.get('/admin?tab=customers');
    const remembered = cookieValue(first, 'tmsp_admin_return')!;
    const ticket = h.cas.issue('https://console.test/admin/cas/callback', ALICE);
    const answer = await h.app.inject({
      url: `/admin/cas/callback?ticket=${ticket}`,
      headers: { cookie: `tmsp_admin_return=${remembered}` },
    });
    expect(answer.headers.location).toBe('/admin?tab=customers');
    expect(setCookieLine(answer, 'tmsp_admin_return')).toContain('Max-Age=0');
  });

  it('never returns to another site through the remembered page', async () => {
    const ticket = h.cas.issue('https://console.test/admin/cas/callback', ALICE);
    const answer = await h.app.inject({
      url: `/admin/cas/callback?ticket=${ticket}`,
      headers: { cookie: `tmsp_admin_return=${encodeURIComponent('//evil.example/admin')}` },
    });
    expect(answer.headers.location).toBe('/admin');
  });

  it('rejects a malformed ticket without asking CAS (C24)', async () => {
    const crafted = encodeURIComponent('ST-1-abc&service=https://evil.example/&renew=false');
    const answer = await h.get(`/admin/cas/callback?ticket=${crafted}`);
    expect(answer.statusCode).toBe(401);
    expect(answer.body).toContain('Log in again');
    expect(cookieValue(answer, 'tmsp_admin_session')).toBeNull();
    expect(h.cas.received).toEqual([]);
  });

  it('opens no session when validation fails, and does not loop (C27, C28)', async () => {
    const foreign = h.cas.issue('https://other-app.example.com/', ALICE);
    const other = await h.get(`/admin/cas/callback?ticket=${foreign}`);
    expect(other.statusCode).toBe(401);
    expect(cookieValue(other, 'tmsp_admin_session')).toBeNull();

    const ticket = h.cas.issue('https://console.test/admin/cas/callback', ALICE);
    expect((await h.get(`/admin/cas/callback?ticket=${ticket}`)).statusCode).toBe(302);
    const again = await h.get(`/admin/cas/callback?ticket=${ticket}`);
    expect(again.statusCode).toBe(401);
    expect(again.headers.location).toBeUndefined();
    expect(cookieValue(again, 'tmsp_admin_session')).toBeNull();

    const failures = (await listAuditEvents(h.store.db, new Date(0))).filter(
      (event) => event.action === 'admin.logon' && event.result === 'failure',
    );
    expect(failures.map((event) => event.detail)).toEqual([
      { code: 'INVALID_SERVICE' },
      { code: 'INVALID_TICKET' },
    ]);
  });

  it('gives a new session id at logon and drops the old one (P11)', async () => {
    const { cookie: old } = await h.logIn(ALICE);
    const { cookie: fresh } = await h.logIn(ALICE, old);
    expect(fresh).not.toBe(old);
    expect((await h.get('/admin', fresh)).statusCode).toBe(200);
    expect((await h.get('/admin', old)).statusCode).toBe(302);

    const planted = 'A'.repeat(43);
    const { cookie: chosen } = await h.logIn(ALICE, planted);
    expect(chosen).not.toBe(planted);
    expect((await h.get('/admin', planted)).statusCode).toBe(302);
  });

  it('ends the session on a signed single-logout request from CAS', async () => {
    const ticket = h.cas.issue('https://console.test/admin/cas/callback', ALICE);
    const login = await h.get(`/admin/cas/callback?ticket=${ticket}`);
    const cookie = cookieValue(login, 'tmsp_admin_session')!;

    const answer = await h.singleLogout(ticket, h.serviceKey);
    expect(answer.statusCode).toBe(200);
    const next = await h.get('/admin', cookie);
    expect(next.statusCode).toBe(302);
    expect(next.headers.location).toBe(LOGIN_REDIRECT(h.cas.url));
  });

  it('ignores forged or unsigned single-logout requests (C30)', async () => {
    const ticket = h.cas.issue('https://console.test/admin/cas/callback', ALICE);
    const login = await h.get(`/admin/cas/callback?ticket=${ticket}`);
    const cookie = cookieValue(login, 'tmsp_admin_session')!;

    const forged = await h.singleLogout(ticket, Buffer.alloc(32, 7));
    const unsigned = await h.singleLogout(ticket, null);
    expect([forged.statusCode, unsigned.statusCode]).toEqual([403, 403]);
    expect((await h.get('/admin', cookie)).statusCode).toBe(200);

    const audit = await listAuditEvents(h.store.db, new Date(0));
    const ignored = audit.filter((event) => event.action === 'admin.single_logout');
    expect(ignored.map((event) => event.result)).toEqual(['failure', 'failure']);
  });

  it('logs out here and at CAS, with the console URL to come back to (C31)', async () => {
    const { cookie } = await h.logIn(ALICE);
    const page = await h.get('/admin', cookie);
    const answer = await h.app.inject({
      method: 'POST',
      url: '/admin/logout',
      headers: {
        cookie: `tmsp_admin_session=${cookie}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `csrf=${encodeURIComponent(csrfTokenOf(page.body))}`,
    });
    expect(answer.statusCode).toBe(303);
    expect(answer.headers.location).toBe(
      `${h.cas.url}/logout?service=${encodeURIComponent('https://console.test/admin')}`,
    );
    expect(setCookieLine(answer, 'tmsp_admin_session')).toMatch(
      /^tmsp_admin_session=; Path=\/admin; Max-Age=0;/,
    );
    expect((await h.get('/admin', cookie)).statusCode).toBe(302);
  });

  it('keeps the session when the logout form lacks its token', async () => {
    const { cookie } = await h.logIn(ALICE);
    for (const body of ['', 'csrf=guessed']) {
      const answer = await h.app.inject({
        method: 'POST',
        url: '/admin/logout',
        headers: {
          cookie: `tmsp_admin_session=${cookie}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body,
      });
      expect(answer.statusCode).toBe(403);
    }
    expect((await h.get('/admin', cookie)).statusCode).toBe(200);
  });

  it('does not let a portal logon into the console', async () => {
    const { answer } = await h.logIn(ACME_STAFF);
    expect(answer.statusCode).toBe(403);
    expect(cookieValue(answer, 'tmsp_admin_session')).toBeNull();
    expect(await h.store.db.selectFrom('webSessions').selectAll().execute()).toEqual([]);
  });

  it('refuses sessions past their idle or hard lifetime', async () => {
    const { cookie: idle } = await h.logIn(ALICE);
    h.clock.advance(31 * 60_000);
    expect((await h.get('/admin', idle)).statusCode).toBe(302);

    const { cookie: busy } = await h.logIn(ALICE);
    for (let minutes = 0; minutes < 12 * 60; minutes += 25) {
      expect((await h.get('/admin', busy)).statusCode).toBe(200);
      h.clock.advance(25 * 60_000);
    }
    expect((await h.get('/admin', busy)).statusCode).toBe(302);
  });
});
