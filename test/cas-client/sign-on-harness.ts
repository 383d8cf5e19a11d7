import { createHmac, randomBytes } from 'node:crypto';

import type { LightMyRequestResponse } from 'fastify';

import { createAdminServer } from '../../src/admin/server.js';
import type { CasClientDeps } from '../../src/cas-client/sign-on.js';
import type { HttpsApp } from '../../src/http/https-app.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { createPortalServer } from '../../src/portal/server.js';
import { fixedClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/log.js';
import type { Store } from '../../src/storage/database.js';
import type { Engine } from '../../src/storage/engine.js';
import { scratchStore } from '../support/databases.js';
import { startStubCas, type StubCas, type StubPrincipal } from './stub-cas.js';

export const SITES = {
  admin: {
    base: '/admin',
    home: 'https://console.test/admin',
    service: 'https://console.test/admin/cas/callback',
    cookie: 'tmsp_admin_session',
  },
  portal: {
    base: '/tms2',
    home: 'https://portal.test/tms2',
    service: 'https://portal.test/tms2/cas/callback',
    cookie: 'tmsp_portal_session',
  },
} as const;

export const ALICE: StubPrincipal = {
  user: 'alice',
  role: 'administrator',
  customerScope: 'assigned',
  customerAccounts: ['acme', 'globex'],
};
export const ACME_STAFF: StubPrincipal = {
  user: 'acme-staff',
  role: 'portal',
  customerScope: 'own',
  customerAccounts: ['acme'],
};

export interface SignOnHarness {
  app: HttpsApp;
  store: Store;
  cas: StubCas;
  clock: ReturnType<typeof fixedClock>;
  serviceKey: Buffer;
  site: (typeof SITES)[keyof typeof SITES];
  /** Signs in through the stub CAS; returns the callback's answer and the session cookie. */
  logIn(principal: StubPrincipal, cookie?: string): Promise<{ answer: Answer; cookie: string }>;
  /** A GET as a browser holding the session cookie (if any) would send it. */
  get(path: string, session?: string, headers?: Record<string, string>): Promise<Answer>;
  /** A single-logout POST as CAS sends it, signed with the given key (null: unsigned). */
  singleLogout(ticket: string, key: Buffer | null): Promise<Answer>;
  close(): Promise<void>;
}

export type Answer = LightMyRequestResponse;

/** A console or portal in process, over a scratch database, signing on through a stub CAS. */
export async function signOnHarness(
  engine: Engine,
  server: 'admin' | 'portal',
): Promise<SignOnHarness> {
  const scratch = await scratchStore(engine);
  const cas = await startStubCas();
  const clock = fixedClock(new Date('2026-12-04T10:00:00Z'));
  const serviceKey = randomBytes(32);
  const site = SITES[server];
  const deps: CasClientDeps = {
    casUrl: () => cas.url,
    serviceUrl: () => site.service,
    homeUrl: () => site.home,
    ca: cas.ca,
    serviceKey,
    clock,
  };
  const web = {
    store: scratch.store,
    tls: cas.tls,
    metrics: createMetrics(),
    logger: silentLogger(),
  };
  const app = server === 'admin' ? createAdminServer(web, deps) : createPortalServer(web, deps);

  const get: SignOnHarness['get'] = (path, session, headers = {}) =>
    app.inject({
      method: 'GET',
      url: path,
      headers:
        session === undefined ? headers : { ...headers, cookie: `${site.cookie}=${session}` },
    });

  return {
    app,
    store: scratch.store,
    cas,
    clock,
    serviceKey,
    site,
    get,
    logIn: async (principal, cookie) => {
      const ticket = cas.issue(site.service, principal);
      const answer = await get(`${site.base}/cas/callback?ticket=${ticket}`, cookie);
      return { answer, cookie: cookieValue(answer, site.cookie) ?? '' };
    },
    singleLogout: (ticket, key) => {
      const body = `logoutRequest=${encodeURIComponent(logoutRequest(ticket))}`;
      const headers: Record<string, string> = {
        'content-type': 'application/x-www-form-urlencoded',
      };
      if (key !== null) headers['x-tmsp-signature'] = sign(body, key);
      return app.inject({ method: 'POST', url: `${site.base}/cas/callback`, headers, body });
    },
    close: async () => {
      await app.close();
      await cas.close();
      await scratch.close();
    },
  };
}

export function logoutRequest(ticket: string): string {
  return (
    '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="LR-1" ' +
    'Version="2.0" IssueInstant="2026-12-04T10:00:00Z">' +
    '<saml:NameID xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">@NOT_USED@</saml:NameID>' +
    `<samlp:SessionIndex>${ticket}</samlp:SessionIndex></samlp:LogoutRequest>`
  );
}

export function sign(body: string, key: Buffer): string {
  return createHmac('sha256', key).update(body).digest('hex');
}

/** The value a Set-Cookie header of the answer gives the cookie, or null when none does. */
export function cookieValue(answer: Answer, name: string): string | null {
  const header = answer.headers['set-cookie'];
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const line = lines.find((candidate) => candidate.startsWith(`${name}=`));
  return line === undefined ? null : (line.split(';')[0] ?? '').slice(name.length + 1);
}

/** The line of Set-Cookie that sets the named cookie (for checking its attributes). */
export function setCookieLine(answer: Answer, name: string): string | undefined {
  const header = answer.headers['set-cookie'];
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return lines.find((candidate) => candidate.startsWith(`${name}=`));
}

/** The hidden CSRF field of the signed-in page. */
export function csrfTokenOf(page: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(page);
  if (match?.[1] === undefined) throw new Error('the page has no logout form');
  return match[1];
}
