import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ENGINES } from '../support/databases.js';
import {
  ACME_STAFF,
  ALICE,
  cookieValue,
  csrfTokenOf,
  signOnHarness,
  type SignOnHarness,
} from '../cas-client/sign-on-harness.js';

const PORTAL_SERVICE = 'https://portal.test/tms2/cas/callback';

describe.each(ENGINES)('signing on to the portal on %s', (engine) => {
  let h: SignOnHarness;

  beforeEach(async () => {
    h = await signOnHarness(engine, 'portal');
  });
  afterEach(async () => {
    await h.close();
  });

  it("sends a browser to CAS with the portal's configured service (C26)", async () => {
    const answer = await h.get('/tms2', undefined, { host: 'evil.example' });
    expect(answer.statusCode).toBe(302);
    expect(answer.headers.location).toBe(
      `${h.cas.url}/login?service=${encodeURIComponent(PORTAL_SERVICE)}`,
    );
  });

  it('shows a portal logon its own customer only', async () => {
    const { cookie } = await h.logIn(ACME_STAFF);
    const page = await h.get('/tms2', cookie);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Signed in as <strong>acme-staff</strong>');
    expect(page.body).toContain('Role: portal');
    expect(page.body).toContain('Customer accounts: acme</p>');
    expect(page.body).not.toContain('globex');
  });

  it('does not let an administrator into the portal', async () => {
    const { answer } = await h.logIn(ALICE);
    expect(answer.statusCode).toBe(403);
    expect(cookieValue(answer, 'tmsp_portal_session')).toBeNull();
  });

  it('does not take a console session for a portal one', async () => {
    const { cookie } = await h.logIn(ACME_STAFF);
    await h.store.db.updateTable('webSessions').set({ server: 'admin' }).execute();
    expect((await h.get('/tms2', cookie)).statusCode).toBe(302);
  });

  it('logs out here and at CAS, back to the portal (C31)', async () => {
    const { cookie } = await h.logIn(ACME_STAFF);
    const page = await h.get('/tms2', cookie);
    const answer = await h.app.inject({
      method: 'POST',
      url: '/tms2/logout',
      headers: {
        cookie: `tmsp_portal_session=${cookie}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `csrf=${encodeURIComponent(csrfTokenOf(page.body))}`,
    });
    expect(answer.statusCode).toBe(303);
    expect(answer.headers.location).toBe(
      `${h.cas.url}/logout?service=${encodeURIComponent('https://portal.test/tms2')}`,
    );
    expect((await h.get('/tms2', cookie)).statusCode).toBe(302);
  });

  it('ends the portal session on a signed single logout (C30)', async () => {
    const ticket = h.cas.issue(PORTAL_SERVICE, ACME_STAFF);
    const cookie = cookieValue(
      await h.get(`/tms2/cas/callback?ticket=${ticket}`),
      'tmsp_portal_session',
    )!;
    expect((await h.singleLogout(ticket, null)).statusCode).toBe(403);
    expect((await h.get('/tms2', cookie)).statusCode).toBe(200);
    expect((await h.singleLogout(ticket, h.serviceKey)).statusCode).toBe(200);
    expect((await h.get('/tms2', cookie)).statusCode).toBe(302);
  });
});
