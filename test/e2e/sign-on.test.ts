import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { addCustomer, type RunningTmsp, tmspUp } from '../support/cli.js';
import { httpsGet } from '../support/https.js';
import { WebBrowser } from '../support/web-browser.js';

const NEW_ADMIN_PASSWORD = 'Correct-Horse-Battery-7';

describe('single sign-on through a running tmsp up', () => {
  let dataDir: string;
  let system: RunningTmsp;
  let ca: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tmsp-sso-'));
    system = await tmspUp(dataDir);
    ca = await readFile(system.endpoints.caCertificate, 'utf8');
    await addCustomer(dataDir);
  });
  afterAll(async () => {
    await system.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('makes the first logon as admin / 123456 change the password, then opens the console', async () => {
    const browser = new WebBrowser(ca);
    const login = await browser.open(system.endpoints.admin.url);
    expect(login.url.startsWith(`${system.endpoints.cas.url}/login?service=`)).toBe(true);

    const change = await browser.submit(login, { username: 'admin', password: '123456' });
    expect(change.url).toContain('/cas/password');
    const weak = await browser.submit(change, {
      current: '123456',
      next: 'admin12345',
      repeat: 'admin12345',
    });
    expect(weak.status).toBe(400);

    const console = await browser.submit(weak, {
      current: '123456',
      next: NEW_ADMIN_PASSWORD,
      repeat: NEW_ADMIN_PASSWORD,
    });
    expect(console.url).toBe(system.endpoints.admin.url);
    expect(console.body).toContain('Signed in as <strong>admin</strong>');

    const again = new WebBrowser(ca);
    const refused = await again.submit(await again.open(system.endpoints.admin.url), {
      username: 'admin',
      password: '123456',
    });
    expect(refused.status).toBe(401);
  });

  it('no longer prints the factory credentials once they are changed', async () => {
    await system.stop();
    system = await tmspUp(dataDir);
    expect(system.stdout()).not.toContain('123456');
  });

  it('signs a customer into the portal and ends CAS and portal sessions at logout (C31)', async () => {
    const browser = new WebBrowser(ca);
    const login = await browser.open(system.endpoints.portal.url);
    const portal = await browser.submit(login, {
      username: 'acme-staff',
      password: 'Portal-Password-9',
    });
    expect(portal.url).toBe(system.endpoints.portal.url);
    expect(portal.body).toContain('acme');

    const signedOut = await browser.submit(portal, {});
    expect(signedOut.url.startsWith(system.endpoints.cas.url)).toBe(true);

    const afterwards = await browser.open(system.endpoints.portal.url);
    expect(afterwards.url).toContain('/cas/login');
    expect(afterwards.body).toContain('name="password"');
  });

  it('sends a logout back to the start pages but never gives them a ticket', async () => {
    const { admin, portal, cas } = system.endpoints;
    for (const home of [admin.url, portal.url]) {
      const login = await httpsGet(`${cas.url}/login?service=${encodeURIComponent(home)}`, ca);
      expect(login.status, home).toBe(403);
      const logout = await httpsGet(`${cas.url}/logout?service=${encodeURIComponent(home)}`, ca);
      expect(logout.status, home).toBe(302);
      expect(logout.headers['location']).toBe(home);
    }
  });

  it('keeps a portal logon out of the console', async () => {
    const browser = new WebBrowser(ca);
    const login = await browser.open(system.endpoints.admin.url);
    const refused = await browser.submit(login, {
      username: 'acme-staff',
      password: 'Portal-Password-9',
    });
    expect(refused.status).toBe(403);
  });
});
