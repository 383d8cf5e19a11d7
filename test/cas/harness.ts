import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { addCustomer } from '../../src/accounts/customers.js';
import { ensureBuiltInAdministrator } from '../../src/accounts/administrators.js';
import { createCasServer } from '../../src/cas/server.js';
import type { Outbound } from '../../src/cas/outbound.js';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { dataPaths } from '../../src/config/paths.js';
import type { Config } from '../../src/config/schema.js';
import type { HttpsApp } from '../../src/http/https-app.js';
import { ensureKeyMaterial, type KeyMaterial } from '../../src/keys/material.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { fixedClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/log.js';
import type { Store } from '../../src/storage/database.js';
import type { Engine } from '../../src/storage/engine.js';
import { scratchStore } from '../support/databases.js';

export const CAS_URL = 'https://cas.test/cas';
export const CONSOLE = 'https://console.test/admin/cas/callback';
export const PORTAL = 'https://portal.test/tms2/cas/callback';
export const STATUS = 'https://status.test/v1/cas';
/** The start pages: where a logout may send the browser, never a ticket. */
export const CONSOLE_HOME = 'https://console.test/admin';
export const PORTAL_HOME = 'https://portal.test/tms2';
export const PROXY_CALLBACK = 'https://proxy.test/pgt-callback';

export interface CasHarness {
  store: Store;
  keys: KeyMaterial;
  clock: ReturnType<typeof fixedClock>;
  /** A CAS server over the same database: several can serve together. */
  newApp(): HttpsApp;
  app: HttpsApp;
  logoutRequests: Array<{ service: string; ticket: string }>;
  proxyCallbacks: string[];
  close(): Promise<void>;
}

export const PEOPLE = {
  portalUser: 'acme-staff',
  portalPassword: 'Portal-Password-9',
  registrationUser: 'acme-fleet',
  registrationSecret: 'Fleet-Secret-2026',
};

export async function casHarness(
  engine: Engine,
  settings: Partial<Config['cas']> = {},
): Promise<CasHarness> {
  const scratch = await scratchStore(engine);
  const keysDir = await mkdtemp(path.join(tmpdir(), 'tmsp-cas-keys-'));
  const keys = await ensureKeyMaterial(
    dataPaths({ ...DEFAULT_CONFIG, dataDir: keysDir }),
    ['localhost'],
    new Date(),
    silentLogger(),
  );
  const clock = fixedClock(new Date('2026-12-04T10:00:00Z'));
  const logoutRequests: CasHarness['logoutRequests'] = [];
  const proxyCallbacks: string[] = [];
  const recorder: Outbound = {
    callProxyCallback: (url) => {
      proxyCallbacks.push(url);
      return Promise.resolve(true);
    },
    sendLogoutRequest: (service, ticket) => {
      logoutRequests.push({ service, ticket });
      return Promise.resolve();
    },
  };

  await ensureBuiltInAdministrator(scratch.store, clock);
  await addCustomer(
    { store: scratch.store, clock, secrets: keys.secrets },
    { name: 'acme', ...PEOPLE },
    { name: 'test', source: 'test' },
  );

  const newApp = (): HttpsApp =>
    createCasServer({
      store: scratch.store,
      tls: keys.tls,
      metrics: createMetrics(),
      logger: silentLogger(),
      keys,
      clock,
      settings: { ...DEFAULT_CONFIG.cas, proxyCallbacks: [PROXY_CALLBACK], ...settings },
      casUrl: () => CAS_URL,
      ownServices: () => [CONSOLE, PORTAL, STATUS],
      ownStartPages: () => [CONSOLE_HOME, PORTAL_HOME],
      outbound: recorder,
    });
  const app = newApp();

  return {
    store: scratch.store,
    keys,
    clock,
    newApp,
    app,
    logoutRequests,
    proxyCallbacks,
    close: async () => {
      await app.close();
      await scratch.close();
      await rm(keysDir, { recursive: true, force: true });
    },
  };
}
