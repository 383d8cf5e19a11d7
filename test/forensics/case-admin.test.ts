import { createHash, randomBytes } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createAdminServer } from '../../src/admin/server.js';
import { listAuditEvents } from '../../src/audit/audit-log.js';
import type { HttpsApp } from '../../src/http/https-app.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { silentLogger } from '../../src/shared/log.js';
import { fakePackage, uploadForensicPackage } from '../../src/simulator/forensics.js';
import { customerStats } from '../../src/stats/customer-stats.js';
import { startStubCas, type StubCas, type StubPrincipal } from '../cas-client/stub-cas.js';
import { ENGINES } from '../support/databases.js';
import { statusHarness, type StatusHarness } from '../status/status-harness.js';
import { TM_GUID, uploadTarget } from './forensic-harness.js';

const SERVICE = 'https://console.test/admin/cas/callback';
const ACME_ADMIN: StubPrincipal = {
  user: 'acme-analyst',
  role: 'administrator',
  customerScope: 'assigned',
  customerAccounts: ['acme'],
};
const GLOBEX_ADMIN: StubPrincipal = {
  ...ACME_ADMIN,
  user: 'globex-analyst',
  customerAccounts: ['globex'],
};

interface Fetched {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

describe.each(ENGINES)('cases in the console (%s)', (engine) => {
  let harness: StatusHarness;
  let cas: StubCas;
  let app: HttpsApp;
  let origin: string;

  const fetch = (path: string, cookie = ''): Promise<Fetched> =>
    new Promise((resolve, reject) => {
      https
        .get(`${origin}${path}`, { ca: cas.ca, headers: { cookie } }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: Buffer.concat(chunks),
            }),
          );
        })
        .on('error', reject);
    });
  const logIn = async (principal: StubPrincipal): Promise<string> => {
    const answer = await fetch(`/admin/cas/callback?ticket=${cas.issue(SERVICE, principal)}`);
    const header = [answer.headers['set-cookie'] ?? []].flat();
    const line = header.find((value) => value.startsWith('tmsp_admin_session='));
    return (line ?? '').split(';')[0] ?? '';
  };

  beforeAll(async () => {
    harness = await statusHarness(engine);
    cas = await startStubCas();
    const web = {
      store: harness.runtime.store,
      tls: cas.tls,
      metrics: createMetrics(),
      logger: silentLogger(),
    };
    const casClient = {
      casUrl: () => cas.url,
      serviceUrl: () => SERVICE,
      homeUrl: () => 'https://console.test/admin',
      ca: cas.ca,
      serviceKey: randomBytes(32),
      clock: harness.clock,
    };
    app = createAdminServer(web, casClient, undefined, {
      areasDir: harness.runtime.paths.areasDir,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    origin = `https://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app.close();
    await cas.close();
    await harness.close();
  });

  it('lists, downloads (audited) and counts a case; other scopes hear 404', async () => {
    const pkg = fakePackage(TM_GUID, 'wks-100', 200_000);
    const { caseId } = await uploadForensicPackage(await uploadTarget(harness), pkg, {
      interruptAt: 0.5,
    });

    const acme = await logIn(ACME_ADMIN);
    const listed = await fetch('/admin/api/v1/customers/acme/cases', acme);
    expect(listed.status).toBe(200);
    const { cases } = JSON.parse(listed.body.toString('utf8'));
    expect(cases).toEqual([
      expect.objectContaining({
        id: caseId,
        guid: TM_GUID,
        endpoint: 'wks-100',
        status: 'new case received',
      }),
    ]);
    expect(JSON.stringify(cases)).not.toContain('filePath');

    const data = await fetch(`/admin/api/v1/customers/acme/cases/${caseId}/forensic-data`, acme);
    expect(data.status).toBe(200);
    expect(data.headers['content-type']).toBe('application/zip');
    expect(createHash('sha256').update(data.body).digest('hex')).toBe(pkg.sha256);
    const audit = await listAuditEvents(harness.runtime.store.db, new Date(0));
    expect(audit.filter((entry) => entry.action === 'case.download')).toEqual([
      expect.objectContaining({ actor: 'acme-analyst', target: String(caseId), result: 'success' }),
    ]);
    const again = JSON.parse(
      (await fetch('/admin/api/v1/customers/acme/cases', acme)).body.toString(),
    );
    expect(again.cases[0].status).toBe('threat sample downloaded');

    const globex = await logIn(GLOBEX_ADMIN);
    expect((await fetch('/admin/api/v1/customers/acme/cases', globex)).status).toBe(404);
    const foreign = await fetch(
      `/admin/api/v1/customers/acme/cases/${caseId}/forensic-data`,
      globex,
    );
    expect(foreign.status).toBe(404);
    const mine = await fetch(
      `/admin/api/v1/customers/globex/cases/${caseId}/forensic-data`,
      globex,
    );
    expect(mine.status).toBe(404);
    expect((await fetch('/admin/api/v1/customers/acme/cases')).status).not.toBe(200);

    const stats = await customerStats(harness.runtime.store.db, 'acme', new Date(), 300_000);
    expect(stats.counts.cases).toBe(1);
  });
});
