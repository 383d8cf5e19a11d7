import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createAdminServer } from '../../src/admin/server.js';
import { listAuditEvents } from '../../src/audit/audit-log.js';
import type { HttpsApp } from '../../src/http/https-app.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { silentLogger } from '../../src/shared/log.js';
import { startStubCas, type StubCas, type StubPrincipal } from '../cas-client/stub-cas.js';
import { ALICE } from '../cas-client/sign-on-harness.js';
import { ENGINES } from '../support/databases.js';
import { httpsGet, type HttpsAnswer } from '../support/https.js';
import {
  benchAppliance,
  deliverTo,
  garbageLine,
  ingestPending,
  otherCustomer,
} from '../ingest/appliances.js';
import {
  detectionLine,
  GUID,
  ingestBench,
  lines,
  type IngestBench,
} from '../ingest/ingest-helpers.js';

const SERVICE = 'https://console.test/admin/cas/callback';
const GLOBEX_GUID = '11111111-2222-3333-4444-555555555555';
const INITECH_GUID = '99999999-8888-7777-6666-555555555555';
const ROOT: StubPrincipal = {
  user: 'root-admin',
  role: 'administrator',
  customerScope: 'all',
  customerAccounts: [],
};
/** More lines than one page of the export holds, so that the answer is streamed in pages. */
const ACME_LINES = 2_500;
const DAY = 'from=2025-03-01&to=2025-03-02';

describe.each(ENGINES)('raw log download from the console on %s', (engine) => {
  let bench: IngestBench;
  let cas: StubCas;
  let app: HttpsApp;
  let origin: string;

  const logIn = async (principal: StubPrincipal): Promise<string> => {
    const ticket = cas.issue(SERVICE, principal);
    const answer = await httpsGet(`${origin}/admin/cas/callback?ticket=${ticket}`, cas.ca);
    const header = answer.headers['set-cookie'];
    const line = (Array.isArray(header) ? header : [header ?? '']).find((value) =>
      value.startsWith('tmsp_admin_session='),
    );
    return (line ?? '').split(';')[0] ?? '';
  };
  const download = (cookie: string, customer: string, guid: string, query: string) =>
    httpsGet(
      `${origin}/admin/api/v1/customers/${customer}/products/${guid}/logs?${query}`,
      cas.ca,
      {
        cookie,
      },
    );

  beforeAll(async () => {
    bench = await ingestBench(engine);
    const globex = await otherCustomer(bench, 'globex', GLOBEX_GUID);
    const initech = await otherCustomer(bench, 'initech', INITECH_GUID);
    await deliverTo(bench, benchAppliance(bench), 'ddi.log', lines(ACME_LINES, detectionLine));
    await deliverTo(
      bench,
      globex,
      'ddi.log',
      lines(3, (i) => detectionLine(i, { msg: 'globex' })),
    );
    await deliverTo(bench, initech, 'ddi.log', `${garbageLine(1)}\n${detectionLine(1)}\n`);
    await ingestPending(bench);

    cas = await startStubCas();
    const web = {
      store: bench.store,
      tls: cas.tls,
      metrics: createMetrics(),
      logger: silentLogger(),
    };
    app = createAdminServer(web, {
      casUrl: () => cas.url,
      serviceUrl: () => SERVICE,
      homeUrl: () => 'https://console.test/admin',
      ca: cas.ca,
      serviceKey: randomBytes(32),
      clock: bench.clock,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    origin = `https://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app.close();
    await cas.close();
    await bench.close();
  });

  it('streams every detection of the range as text, in order, to an administrator', async () => {
    const cookie = await logIn(ALICE);
    const answer = await download(cookie, 'acme', GUID.toLowerCase(), `kind=detection&${DAY}`);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(answer.headers['content-disposition']).toBe(
      `attachment; filename="acme_${GUID}_detection_20250301T000000Z_20250302T000000Z.log"`,
    );
    expect(answer.body).toBe(lines(ACME_LINES, detectionLine));

    const audit = await listAuditEvents(bench.store.db, new Date(0));
    expect(audit.filter((event) => event.action === 'logs.export').at(-1)).toMatchObject({
      actor: 'alice',
      target: GUID,
      customerId: bench.customerId,
      detail: { kind: 'detection', from: '2025-03-01T00:00:00.000Z' },
    });
  });

  it('answers 404 alike for an account out of scope, an unknown one, a foreign GUID', async () => {
    const cookie = await logIn(ALICE);
    const query = `kind=detection&${DAY}`;
    const answers: HttpsAnswer[] = [
      await download(cookie, 'initech', INITECH_GUID, query),
      await download(cookie, 'nobody', GUID, query),
      await download(cookie, 'acme', GLOBEX_GUID, query),
      await download(cookie, 'acme', 'AAAAAAAA-0000-0000-0000-000000000001', query),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(404);
      expect(JSON.parse(answer.body)).toEqual({
        error: 'not_found',
        message: 'registered product not found',
      });
    }
    const root = await logIn(ROOT);
    const initech = await download(
      root,
      'initech',
      INITECH_GUID,
      `kind=quarantined&from=2025-03-01`,
    );
    expect(initech.status).toBe(400);
    const quarantine = await download(
      root,
      'initech',
      INITECH_GUID,
      'kind=quarantined&from=2025-03-01&to=2025-03-02',
    );
    expect(quarantine.body).toBe(`${garbageLine(1)}\n`);
  });

  it('refuses a bad kind or date with a message, and a request without a session', async () => {
    const cookie = await logIn(ALICE);
    const kind = await download(cookie, 'acme', GUID, `kind=alerts&${DAY}`);
    expect(kind.status).toBe(400);
    expect(JSON.parse(kind.body).message).toMatch(/^kind must be one of detection, /);
    const date = await download(cookie, 'acme', GUID, 'kind=detection&from=March&to=2025-03-02');
    expect(date.status).toBe(400);
    expect(JSON.parse(date.body).message).toMatch(/^from must be an ISO 8601 date/);

    const anonymous = await download('', 'acme', GUID, `kind=detection&${DAY}`);
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers['location']).toContain(`${cas.url}/login?service=`);
  });
});
