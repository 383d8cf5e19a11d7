import { createHash, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ACME, addCustomer, type RunningTmsp, tmspUp } from '../support/cli.js';

const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
];
const NEW_ADMIN_PASSWORD = 'Correct-Horse-Battery-8';

// The test command installs Debian's chromium where it runs as root (scripts/test-packages.txt).
const chromiumMissing = !existsSync(CHROMIUM);
if (chromiumMissing) {
  console.warn(`Chromium test skipped: ${CHROMIUM} is absent (Debian package chromium)`);
}

/** One document the browser loaded (redirects included), and the policy it came with. */
interface Navigation {
  url: string;
  status: number;
  policy: string | undefined;
}

describe.skipIf(chromiumMissing)('the console and portal in Chromium', () => {
  let dataDir: string;
  let system: RunningTmsp;
  let browser: Browser | undefined;
  let portal: BrowserContext;
  const violations: string[] = [];
  const navigations: Navigation[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tmsp-chromium-'));
    system = await tmspUp(dataDir);
    await addCustomer(dataDir);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [...LAUNCH_ARGS, `--ignore-certificate-errors-spki-list=${await serverKeyPin()}`],
    });
  });
  afterAll(async () => {
    try {
      await browser?.close();
      await system.stop();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  /**
   * Chromium cannot be told to trust the generated CA without a policy or a certificate
   * database, so it accepts exactly the servers' key instead (no ignoreHTTPSErrors: any other
   * certificate still fails). The chain itself is checked against the CA in up.test.ts.
   */
  async function serverKeyPin(): Promise<string> {
    const keysDir = path.dirname(system.endpoints.caCertificate);
    const certificate = new X509Certificate(await readFile(path.join(keysDir, 'server.pem')));
    const spki = certificate.publicKey.export({ type: 'spki', format: 'der' });
    return createHash('sha256').update(spki).digest('base64');
  }

  /** A fresh browser profile whose policy violations and documents the test collects. */
  async function newContext(): Promise<BrowserContext> {
    if (browser === undefined) throw new Error('Chromium did not start');
    const context = await browser.newContext();
    context.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    context.on('response', (response) => {
      if (response.request().resourceType() !== 'document') return;
      navigations.push({
        url: response.url(),
        status: response.status(),
        policy: response.headers()['content-security-policy'],
      });
    });
    return context;
  }

  async function signIn(page: Page, userName: string, password: string): Promise<void> {
    await page.getByLabel('User name').fill(userName);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** What a person sees of the page, not its markup. */
  const textOf = (page: Page): Promise<string> => page.locator('body').innerText();

  it('changes the first-logon password, then shows the console', async () => {
    const { admin, cas } = system.endpoints;
    const printed = /First logon: (\S+) \/ (\S+)/.exec(system.stdout());
    expect(printed, system.stdout()).not.toBeNull();
    const [, userName = '', password = ''] = printed ?? [];

    const page = await (await newContext()).newPage();
    await page.goto(admin.url);
    expect(page.url()).toBe(`${cas.url}/login?service=${encodeURIComponent(admin.casService)}`);

    await signIn(page, userName, password);
    await page.waitForURL((url) => url.pathname === '/cas/password');
    await page.getByLabel('Current password').fill(password);
    await page.getByLabel('New password', { exact: true }).fill(NEW_ADMIN_PASSWORD);
    await page.getByLabel('New password again').fill(NEW_ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();

    await page.waitForURL(admin.url);
    expect(await textOf(page)).toContain(`Signed in as ${userName}`);
    expect(await textOf(page)).toContain('Customer accounts: all');
  });

  it('logs the administrator out through CAS, back to its sign-in form', async () => {
    const { admin, cas } = system.endpoints;
    const page = await (await newContext()).newPage();
    await page.goto(admin.url);
    await signIn(page, 'admin', NEW_ADMIN_PASSWORD);
    await page.waitForURL(admin.url);

    const before = navigations.length;
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${cas.url}/login`));
    expect(navigations.slice(before).map((hop) => hop.url)).toEqual([
      `${admin.url}/logout`,
      `${cas.url}/logout?service=${encodeURIComponent(admin.url)}`,
      admin.url,
      `${cas.url}/login?service=${encodeURIComponent(admin.casService)}`,
    ]);
    expect(await page.getByLabel('Password', { exact: true }).isVisible()).toBe(true);
  });

  it('signs a portal user in, with Secure, HttpOnly, SameSite cookies', async () => {
    portal = await newContext();
    const page = await portal.newPage();
    await page.goto(system.endpoints.portal.url);
    await signIn(page, ACME.portalUser, ACME.portalPassword);

    await page.waitForURL(system.endpoints.portal.url);
    expect(await textOf(page)).toContain(`Signed in as ${ACME.portalUser}`);
    expect(await textOf(page)).toContain(`Customer accounts: ${ACME.name}`);

    const cookies = await portal.cookies();
    const guarded = { secure: true, httpOnly: true, sameSite: 'Lax' };
    expect(cookies.find((cookie) => cookie.name === 'tmsp_portal_session')).toMatchObject({
      ...guarded,
      path: '/tms2',
    });
    expect(cookies.find((cookie) => cookie.name === 'TGC')).toMatchObject({
      ...guarded,
      path: '/cas',
    });
    expect(await page.evaluate('document.cookie')).toBe('');
  });

  it('gives a second page of the same browser single sign-on without a password', async () => {
    const { cas, portal: site } = system.endpoints;
    // Without the portal's own session the page must go through CAS, which has one.
    await portal.clearCookies({ name: 'tmsp_portal_session' });
    const before = navigations.length;
    const second = await portal.newPage();
    await second.goto(site.url);

    expect(second.url()).toBe(site.url);
    expect(await textOf(second)).toContain(`Signed in as ${ACME.portalUser}`);
    const atCas = navigations.slice(before).filter((hop) => hop.url.startsWith(cas.url));
    expect(atCas.map((hop) => hop.url)).toEqual([
      `${cas.url}/login?service=${encodeURIComponent(site.casService)}`,
    ]);
    // A redirect, never the form: no password was asked for.
    expect(atCas.map((hop) => hop.status)).toEqual([302]);
  });

  it('served every page under the Content-Security-Policy and it blocked nothing', () => {
    const pages = navigations.filter((hop) => hop.status === 200);
    expect(pages.length).toBeGreaterThanOrEqual(5);
    for (const hop of pages) expect(hop.policy, hop.url).toContain("default-src 'self'");
    expect(violations).toEqual([]);
  });

  it('would have seen a violation: an injected inline script is refused and reported', async () => {
    const page = await (await newContext()).newPage();
    await page.goto(`${system.endpoints.cas.url}/login`);
    const reported = page.waitForEvent('console', (message) =>
      /Content Security Policy/i.test(message.text()),
    );
    await page.evaluate(`{
      const script = document.createElement('script');
      script.textContent = 'document.title = "injected"';
      document.body.append(script);
    }`);
    await reported;
    expect(await page.title()).not.toBe('injected');
    expect(violations).toHaveLength(1);
    violations.length = 0;
  });
});
