import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { addCustomer } from '../../src/accounts/customers.js';
import { ensureBuiltInAdministrator } from '../../src/accounts/administrators.js';
import { createCasServer } from '../../src/cas/server.js';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { dataPaths } from '../../src/config/paths.js';
import type { HttpsApp } from '../../src/http/https-app.js';
import { ensureKeyMaterial, type KeyMaterial } from '../../src/keys/material.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { systemClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/log.js';
import { ENGINES, scratchStore } from '../support/databases.js';
import { hops, HttpsBrowser, type Page } from './https-browser.js';
import {
  freePort,
  phpMissing,
  startPhpServer,
  startTlsProxy,
  type PhpServer,
  type Running,
} from './php-app.js';

const FIXTURES = fileURLToPath(new URL('./phpcas', import.meta.url));
const USER = { name: 'acme-staff', password: 'Portal-Password-9' };

// The test command installs the Debian packages as root; only elsewhere is a skip honest.
const missing = phpMissing();
const skip = missing !== null && process.getuid?.() !== 0;
if (skip) console.warn(`phpCAS interop skipped: ${missing} and not root to install it`);

describe.skipIf(skip).each(ENGINES)('phpCAS (Debian php-cas) against our CAS on %s', (engine) => {
  let directory: string | undefined;
  let keys: KeyMaterial;
  let scratch: Awaited<ReturnType<typeof scratchStore>> | undefined;
  let cas: HttpsApp | undefined;
  let front: Running | undefined;
  let php: PhpServer | undefined;
  let casBase: string;
  let appBase: string;
  let sessions: string;

  beforeAll(async () => {
    if (missing !== null) throw new Error(`${missing}: install scripts/test-packages.txt`);
    const temp = await mkdtemp(path.join(tmpdir(), 'tmsp-phpcas-'));
    directory = temp;
    sessions = path.join(temp, 'sessions');
    const pgtDirectory = path.join(temp, 'pgt');
    await mkdir(sessions);
    await mkdir(pgtDirectory);
    // phpCAS checks the CAS certificate's name against 127.0.0.1, so the certificate names it.
    keys = await ensureKeyMaterial(
      dataPaths({ ...DEFAULT_CONFIG, dataDir: path.join(temp, 'keys') }),
      ['localhost', '127.0.0.1'],
      new Date(),
      silentLogger(),
    );
    const caFile = path.join(temp, 'ca.pem');
    await writeFile(caFile, keys.tls.ca);

    // The HTTPS front is started first: its port is part of the service URLs CAS registers.
    const phpPort = await freePort();
    front = await startTlsProxy(keys.tls, phpPort);
    appBase = `https://127.0.0.1:${front.port}`;

    scratch = await scratchStore(engine);
    await ensureBuiltInAdministrator(scratch.store, systemClock);
    await addCustomer(
      { store: scratch.store, clock: systemClock, secrets: keys.secrets },
      {
        name: 'acme',
        portalUser: USER.name,
        portalPassword: USER.password,
        registrationUser: 'acme-fleet',
        registrationSecret: 'Fleet-Secret-2026',
      },
      { name: 'test', source: 'test' },
    );
    // No outbound override: proxy callbacks and logout requests really go to the PHP app.
    cas = createCasServer({
      store: scratch.store,
      tls: keys.tls,
      metrics: createMetrics(),
      logger: silentLogger(),
      keys,
      clock: systemClock,
      settings: {
        ...DEFAULT_CONFIG.cas,
        services: ['proxy', 'backend', 'gateway', 'renew'].map((page) => `${appBase}/${page}.php`),
        proxyCallbacks: [`${appBase}/callback.php`],
      },
      casUrl: () => casBase,
      ownServices: () => [`${appBase}/client.php`],
      ownStartPages: () => [],
    });
    await cas.listen({ host: '127.0.0.1', port: 0 });
    const address = cas.server.address();
    if (address === null || typeof address === 'string') throw new Error('CAS has no port');
    casBase = `https://127.0.0.1:${address.port}/cas`;

    php = await startPhpServer({
      port: phpPort,
      documentRoot: FIXTURES,
      sessionDirectory: sessions,
      env: {
        TMSP_APP_BASE: appBase,
        TMSP_CAS_PORT: String(address.port),
        TMSP_CAS_CA_FILE: caFile,
        TMSP_PGT_DIR: pgtDirectory,
      },
    });
  });

  afterAll(async () => {
    await php?.close();
    await front?.close();
    await cas?.close();
    await scratch?.close();
    if (directory !== undefined) await rm(directory, { recursive: true, force: true });
  });

  /** Opens a phpCAS page, signs in at our CAS form and follows back to the page. */
  const signInThrough = async (browser: HttpsBrowser, page: string): Promise<Page[]> => {
    const toForm = await browser.browse(`${appBase}/${page}`);
    const form = toForm.at(-1)!;
    expect(toForm[0]!.location, hops(toForm)).toBe(
      `${casBase}/login?service=${encodeURIComponent(`${appBase}/${page}`)}`,
    );
    expect(form.body, php!.output()).toContain('name="password"');
    const back = await browser.submitLogin(form, USER.name, USER.password);
    expect(back.at(-1)!.status, `${hops(back)}\n${back.at(-1)!.body}\n${php!.output()}`).toBe(200);
    return back;
  };

  const ticketIn = (pages: Page[]): string => {
    for (const page of pages) {
      if (page.location === undefined) continue;
      const ticket = new URL(page.location, page.url).searchParams.get('ticket');
      if (ticket !== null) return ticket;
    }
    throw new Error(`no ticket in ${hops(pages)}`);
  };

  it('shows the user and released attributes after sign-in at the real form', async () => {
    const browser = new HttpsBrowser(keys.tls.ca);
    const pages = await signInThrough(browser, 'client.php');
    // CAS sent the browser back with a ticket; phpCAS validated it and dropped it from the URL.
    expect(ticketIn(pages)).toMatch(/^ST-[A-Za-z0-9-]+$/);
    expect(pages.at(-1)!.url).toBe(`${appBase}/client.php`);
    const shown = JSON.parse(pages.at(-1)!.body);
    expect(shown.user).toBe(USER.name);
    // phpCAS turns an attribute with one value into a string.
    expect(shown.attributes).toMatchObject({
      role: 'portal',
      customerAccounts: 'acme',
      customerScope: 'own',
      isFromNewLogin: 'true',
    });

    const again = await browser.get(`${appBase}/client.php`);
    expect(again.status).toBe(200);
    expect(JSON.parse(again.body).user).toBe(USER.name);
  });

  it('ends the phpCAS session when CAS sends single logout', async () => {
    const browser = new HttpsBrowser(keys.tls.ca);
    const pages = await signInThrough(browser, 'client.php');
    // phpCAS names its session after the service ticket, which is how a logout request finds it.
    const sessionId = createHash('sha256').update(ticketIn(pages)).digest('hex');
    expect(browser.cookie('PHPSESSID')).toBe(sessionId);
    const sessionFile = path.join(sessions, `sess_${sessionId}`);
    expect(existsSync(sessionFile)).toBe(true);

    const logout = await browser.get(`${casBase}/logout`);
    expect(logout.status).toBe(200);
    expect(browser.cookie('TGC')).toBeUndefined();

    // CAS delivers logout requests after answering the browser, so give it a moment.
    await until(() => !existsSync(sessionFile), `${sessionFile} still there\n${php!.output()}`);
    const after = await browser.get(`${appBase}/client.php`);
    expect(after.status).toBe(302);
    expect(after.location).toBe(
      `${casBase}/login?service=${encodeURIComponent(`${appBase}/client.php`)}`,
    );
  });

  it('signs out from the application through CAS logout back to a fresh login form', async () => {
    const browser = new HttpsBrowser(keys.tls.ca);
    await signInThrough(browser, 'client.php');
    const pages = await browser.browse(`${appBase}/logout.php`);
    expect(pages[0]!.location).toBe(
      `${casBase}/logout?service=${encodeURIComponent(`${appBase}/client.php`)}`,
    );
    // CAS follows the registered service back; the page then needs a login that SSO no longer
    // answers, so the form shows.
    expect(pages.map((page) => page.url)).toContain(`${appBase}/client.php`);
    expect(pages.at(-1)!.status, hops(pages)).toBe(200);
    expect(pages.at(-1)!.body).toContain('name="password"');
    expect(browser.cookie('TGC')).toBeUndefined();
  });

  it('answers a gateway check without a form, then with a ticket once signed in', async () => {
    const browser = new HttpsBrowser(keys.tls.ca);
    const anonymous = await browser.browse(`${appBase}/gateway.php`);
    expect(anonymous[0]!.location).toBe(
      `${casBase}/login?service=${encodeURIComponent(`${appBase}/gateway.php`)}&gateway=true`,
    );
    expect(anonymous.some((page) => page.body.includes('name="password"'))).toBe(false);
    expect(JSON.parse(anonymous.at(-1)!.body), hops(anonymous)).toMatchObject({
      signedIn: false,
    });

    await signInThrough(browser, 'client.php');
    // A new application session with the CAS session still alive: single sign-on answers.
    browser.forget('PHPSESSID');
    const known = await browser.browse(`${appBase}/gateway.php`);
    expect(ticketIn(known)).toMatch(/^ST-/);
    expect(JSON.parse(known.at(-1)!.body), hops(known)).toMatchObject({
      signedIn: true,
      user: USER.name,
      attributes: { role: 'portal', isFromNewLogin: 'false' },
    });
  });

  it('makes the user type the password again when phpCAS asks for renew', async () => {
    const browser = new HttpsBrowser(keys.tls.ca);
    await signInThrough(browser, 'client.php');
    browser.forget('PHPSESSID');
    const toForm = await browser.browse(`${appBase}/renew.php`);
    expect(toForm[0]!.location).toBe(
      `${casBase}/login?service=${encodeURIComponent(`${appBase}/renew.php`)}&renew=true`,
    );
    expect(toForm.at(-1)!.body, hops(toForm)).toContain('name="password"');
    // phpCAS validates with renew=true, which CAS grants only to a ticket from a fresh login.
    const back = await browser.submitLogin(toForm.at(-1)!, USER.name, USER.password);
    expect(back.at(-1)!.status, `${hops(back)}\n${back.at(-1)!.body}`).toBe(200);
    expect(JSON.parse(back.at(-1)!.body)).toMatchObject({
      user: USER.name,
      attributes: { isFromNewLogin: 'true' },
    });
  });

  it('gets a PGT through its HTTPS callback and a proxy ticket that names the proxy', async () => {
    const browser = new HttpsBrowser(keys.tls.ca);
    const pages = await signInThrough(browser, 'proxy.php');
    const shown = JSON.parse(pages.at(-1)!.body);
    expect(shown.user).toBe(USER.name);
    expect(shown.error, php!.output()).toBe('');
    expect(shown.proxyTicket).toMatch(/^PT-[A-Za-z0-9-]+$/);

    const query = new URLSearchParams({
      ticket: shown.proxyTicket,
      service: `${appBase}/backend.php`,
    });
    const validation = await browser.get(`${casBase}/p3/proxyValidate?${query.toString()}`);
    expect(validation.body).toContain(`<cas:user>${USER.name}</cas:user>`);
    expect(validation.body).toContain(
      `<cas:proxies><cas:proxy>${appBase}/callback.php</cas:proxy></cas:proxies>`,
    );
    expect(validation.body).toContain('<cas:role>portal</cas:role>');

    const reused = await browser.get(`${casBase}/p3/proxyValidate?${query.toString()}`);
    expect(reused.body).toContain('code="INVALID_TICKET"');
  });

  it('ends the proxy session too when CAS sends single logout', async () => {
    const browser = new HttpsBrowser(keys.tls.ca);
    await signInThrough(browser, 'proxy.php');
    expect((await browser.get(`${appBase}/proxy.php`)).status).toBe(200);
    await browser.get(`${casBase}/logout`);
    const deadline = Date.now() + 10_000;
    let after = await browser.get(`${appBase}/proxy.php`);
    while (after.status === 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await browser.get(`${appBase}/proxy.php`);
    }
    expect(after.status, after.body).toBe(302);
    expect(after.location).toContain(`${casBase}/login?service=`);
  });

  it('lets a phpCAS service accept a proxy ticket from that proxy', async () => {
    const browser = new HttpsBrowser(keys.tls.ca);
    const pages = await signInThrough(browser, 'proxy.php');
    // The proxy session holds the PGT: each visit asks CAS for a new proxy ticket.
    const ticket: string = JSON.parse((await browser.get(`${appBase}/proxy.php`)).body).proxyTicket;
    expect(ticket).not.toBe(JSON.parse(pages.at(-1)!.body).proxyTicket);

    const backend = await new HttpsBrowser(keys.tls.ca).get(
      `${appBase}/backend.php?ticket=${encodeURIComponent(ticket)}`,
    );
    expect(backend.status, `${backend.body}\n${php!.output()}`).toBe(200);
    expect(JSON.parse(backend.body)).toEqual({
      user: USER.name,
      proxies: [`${appBase}/callback.php`],
    });
  });
});

async function until(condition: () => boolean, message: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
