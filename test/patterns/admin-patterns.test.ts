import { randomBytes } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { listAuditEvents } from '../../src/audit/audit-log.js';
import { CSRF_HEADER } from '../../src/admin/pattern-routes.js';
import { createAdminServer } from '../../src/admin/server.js';
import { csrfTokenFor } from '../../src/cas-client/signatures.js';
import { hashSessionSecret } from '../../src/cas-client/web-sessions.js';
import type { HttpsApp } from '../../src/http/https-app.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { PatternBus } from '../../src/patterns/pattern-bus.js';
import { fixedClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/log.js';
import type { Store } from '../../src/storage/database.js';
import { ALICE } from '../cas-client/sign-on-harness.js';
import { startStubCas, type StubCas } from '../cas-client/stub-cas.js';
import { ENGINES, scratchStore } from '../support/databases.js';
import { insertCustomerAccount, insertRegisteredProduct } from '../support/rows.js';
import { sha256 } from './pattern-harness.js';

const SERVICE = 'https://console.test/admin/cas/callback';
const TM_GUID = '6A000000-0000-4000-8000-000000000001';
const INITECH_GUID = '6A000000-0000-4000-8000-000000000002';

interface Answer {
  status: number;
  json: any;
}

interface Browser {
  cookie: string;
  csrf: string;
}

describe.each(ENGINES)('custom patterns in the console on %s', (engine) => {
  let scratch: Awaited<ReturnType<typeof scratchStore>>;
  let store: Store;
  let cas: StubCas;
  let app: HttpsApp;
  let origin: string;
  let alice: Browser;
  const serviceKey = randomBytes(32);
  const clock = fixedClock(new Date('2026-12-04T10:00:00Z'));

  const send = (
    method: 'GET' | 'POST',
    path: string,
    browser: Browser,
    options: { body?: Buffer | string; type?: string; csrf?: string | null } = {},
  ): Promise<Answer> => {
    const headers: Record<string, string> = { cookie: browser.cookie };
    if (options.type !== undefined) headers['content-type'] = options.type;
    const csrf = options.csrf === undefined ? browser.csrf : options.csrf;
    if (method === 'POST' && csrf !== null) headers[CSRF_HEADER] = csrf;
    return new Promise((resolve, reject) => {
      const outgoing = https.request(
        `${origin}/admin/api/v1/customers/${path}`,
        { method, ca: cas.ca, headers, agent: false },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, json: text ? JSON.parse(text) : null }),
          );
        },
      );
      outgoing.on('error', reject);
      outgoing.end(options.body);
    });
  };
  const upload = (browser: Browser, customer: string, version: string, content: Buffer) =>
    send('POST', `${customer}/patterns?type=bandage&version=${version}&description=d`, browser, {
      body: content,
      type: 'application/octet-stream',
    });
  const deploy = (browser: Browser, customer: string, id: number, body: object = {}) =>
    send('POST', `${customer}/patterns/${id}/deployments`, browser, {
      body: JSON.stringify(body),
      type: 'application/json',
    });

  const signIn = async (): Promise<Browser> => {
    const ticket = cas.issue(SERVICE, ALICE);
    const answer = await new Promise<string[]>((resolve, reject) => {
      https
        .get(`${origin}/admin/cas/callback?ticket=${ticket}`, { ca: cas.ca }, (response) => {
          response.resume();
          resolve(response.headers['set-cookie'] ?? []);
        })
        .on('error', reject);
    });
    const cookie = (answer.find((line) => line.startsWith('tmsp_admin_session=')) ?? '').split(
      ';',
    )[0]!;
    const idHash = hashSessionSecret(cookie.split('=')[1]!);
    return { cookie, csrf: csrfTokenFor(idHash, serviceKey) };
  };

  beforeAll(async () => {
    scratch = await scratchStore(engine);
    store = scratch.store;
    for (const [name, guid] of [
      ['acme', TM_GUID],
      ['initech', INITECH_GUID],
    ] as const) {
      const customerId = await insertCustomerAccount(store.db, name);
      await insertRegisteredProduct(store.db, { customerId, guid, type: 'TM', hostName: 'tm01' });
    }

    cas = await startStubCas();
    const web = { store, tls: cas.tls, metrics: createMetrics(), logger: silentLogger() };
    const casDeps = {
      casUrl: () => cas.url,
      serviceUrl: () => SERVICE,
      homeUrl: () => 'https://console.test/admin',
      ca: cas.ca,
      serviceKey,
      clock,
    };
    const patterns = { dir: scratch.database.directory, maxBytes: 1024, bus: new PatternBus() };
    app = createAdminServer(web, casDeps, patterns);
    await app.listen({ host: '127.0.0.1', port: 0 });
    origin = `https://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    alice = await signIn();
  });
  afterAll(async () => {
    await app.close();
    await cas.close();
    await scratch.close();
  });

  it('uploads, lists, deploys once on a double click, shows status, retires', async () => {
    const content = randomBytes(600);
    const uploaded = await upload(alice, 'acme', '7.1', content);
    expect(uploaded.status).toBe(201);
    expect(uploaded.json).toMatchObject({ version: '7.1', size: 600, sha256: sha256(content) });
    const id = uploaded.json.id as number;

    const listed = await send('GET', 'acme/patterns', alice);
    const patterns = listed.json.patterns as Array<{ id: number }>;
    expect(patterns.map((pattern) => pattern.id)).toContain(id);

    const twice = await Promise.all([
      deploy(alice, 'acme', id, { guid: TM_GUID }),
      deploy(alice, 'acme', id, { guid: TM_GUID }),
    ]);
    expect(twice.map((answer) => answer.status)).toEqual([200, 200]);
    expect(twice.map((answer) => answer.json.created).sort()).toEqual([0, 1]);
    const status = await send('GET', `acme/patterns/${id}/deployments`, alice);
    expect(status.json.deployments).toMatchObject([
      { guid: TM_GUID, status: 'notified', attempts: 1 },
    ]);

    const reissued = await send(
      'POST',
      `acme/patterns/${id}/deployments/${TM_GUID}/reissue`,
      alice,
    );
    expect(reissued.status).toBe(200);
    const retired = await send('POST', `acme/patterns/${id}/retire`, alice);
    expect(retired.json.retiredAt).not.toBeNull();
    expect((await deploy(alice, 'acme', id)).status).toBe(409);

    const actions = (await listAuditEvents(store.db, new Date(0))).map((event) => event.action);
    expect(actions).toEqual(
      expect.arrayContaining(['pattern.upload', 'pattern.deploy', 'pattern.reissue']),
    );
  });

  it('refuses a POST without the session’s CSRF token', async () => {
    const content = randomBytes(10);
    const path = 'acme/patterns?type=bandage&version=8.0';
    const options = { body: content, type: 'application/octet-stream' };
    expect((await send('POST', path, alice, { ...options, csrf: null })).status).toBe(403);
    expect((await send('POST', path, alice, { ...options, csrf: 'forged' })).status).toBe(403);
  });

  it('answers 404 for an account out of scope, and 413 for a file too large', async () => {
    expect((await upload(alice, 'initech', '9.0', randomBytes(10))).status).toBe(404);
    expect((await send('GET', 'initech/patterns', alice)).status).toBe(404);
    expect((await upload(alice, 'acme', '9.1', randomBytes(2_000))).status).toBe(413);
  });
});
