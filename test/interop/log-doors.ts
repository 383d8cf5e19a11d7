import { mkdir } from 'node:fs/promises';
import { Writable } from 'node:stream';

import { addCustomer } from '../../src/accounts/customers.js';
import { rsyncResponse } from '../../src/cas/appliances.js';
import { loadConfig } from '../../src/config/load.js';
import { dataPaths } from '../../src/config/paths.js';
import { ensureKeyMaterial } from '../../src/keys/material.js';
import type { ApplianceAccount, ApplianceChecks } from '../../src/logserver/appliance-checks.js';
import type { PushDeps } from '../../src/logserver/pushes.js';
import { createSshDoor } from '../../src/logserver/ssh-door.js';
import { sshPushHandler } from '../../src/logserver/ssh-push.js';
import { StoreHealth } from '../../src/logserver/store-health.js';
import { createTlsDoor } from '../../src/logserver/tls-door.js';
import { createMetrics, type Metrics } from '../../src/metrics/registry.js';
import { DEFAULT_PUSH_LIMITS } from '../../src/rsync/limits.js';
import { systemClock } from '../../src/shared/clock.js';
import { createLogger, silentLogger } from '../../src/shared/log.js';
import { openStore, type Store } from '../../src/storage/database.js';
import { migrateToLatest } from '../../src/storage/migrate.js';
import { certificateNames } from '../../src/system/endpoints.js';
import type { Listener } from '../../src/system/listener.js';
import { accountsContext, ACTOR, newCustomer } from '../accounts/accounts-helpers.js';
import type { ScratchDatabase } from '../support/databases.js';

export const FLEET_USER = 'acme-fleet';
export const FLEET_SECRET = 'Fleet-Secret-77';

/** The log server's two doors in this process, on a scratch database, with what they logged. */
export interface LogDoors {
  store: Store;
  health: StoreHealth;
  metrics: Metrics;
  areasDir: string;
  customerId: number;
  sshPort: number;
  tlsPort: number;
  caFile: string;
  /** Every line logged so far, parsed. */
  logLines(): Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export interface LogDoorOptions {
  probeIntervalMs: number;
  /** Where the areas live, when not under the data directory (a small file system, say). */
  areasDir?: string;
  /** Runs on the opened store before the doors listen. */
  prepare?: (store: Store) => Promise<void>;
}

/**
 * Starts the SSH and TLS doors as the log server wires them, but in this process, so that a
 * test can reach the store and set the probe interval. Credentials are checked here against
 * one customer's registration secret, the way CAS would, without a CAS server.
 */
export async function startLogDoors(
  database: ScratchDatabase,
  options: LogDoorOptions,
): Promise<LogDoors> {
  const dataDir = database.directory;
  const config = loadConfig({ dataDir, env: {}, cwd: dataDir });
  const paths = dataPaths(config);
  const areasDir = options.areasDir ?? paths.areasDir;
  await mkdir(areasDir, { recursive: true });
  const keys = await ensureKeyMaterial(paths, certificateNames(config), new Date(), silentLogger());
  const store = await openStore({ url: database.url, sqliteFile: database.sqliteFile });
  await migrateToLatest(store);
  await options.prepare?.(store);
  const customer = await addCustomer(
    accountsContext(store),
    newCustomer('acme', { registrationSecret: FLEET_SECRET }),
    ACTOR,
  );
  const account = { customer: 'acme', customerId: customer.id };

  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', format: 'json', destination: collect(lines) });
  const metrics = createMetrics();
  const health = new StoreHealth({
    store,
    areasDir,
    clock: systemClock,
    logger,
    gauge: metrics.storeWritable,
    probeIntervalMs: options.probeIntervalMs,
  });
  const pushes: PushDeps = {
    store,
    areasDir,
    clock: systemClock,
    limits: DEFAULT_PUSH_LIMITS,
    health,
  };
  const common = {
    host: '127.0.0.1',
    port: 0,
    logger,
    metrics,
    checks: fleetChecks(account),
    authenticationTimeoutMs: 30_000,
    connectionsPerSource: 64,
  };
  const doors: Listener[] = [
    createSshDoor({
      ...common,
      door: 'log',
      key: 'ssh',
      hostKey: keys.sshHostKey,
      onExec: sshPushHandler(pushes),
    }),
    createTlsDoor({ ...common, key: 'tls', tls: keys.tls, pushes }),
  ];
  const [sshPort = 0, tlsPort = 0] = await Promise.all(doors.map((door) => door.start()));

  return {
    store,
    health,
    metrics,
    areasDir,
    customerId: customer.id,
    sshPort,
    tlsPort,
    caFile: paths.caCertificate,
    logLines: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    close: async () => {
      await Promise.all(doors.map((door) => door.stop(100)));
      await health.stop();
      await store.close();
    },
  };
}

function fleetChecks(account: ApplianceAccount): ApplianceChecks {
  return {
    checkPassword: (userName, secret) =>
      Promise.resolve(userName === FLEET_USER && secret === FLEET_SECRET ? account : null),
    checkChallenge: (challenge) => {
      const digest = challenge.digest as Parameters<typeof rsyncResponse>[2];
      const expected = rsyncResponse(FLEET_SECRET, challenge.challenge, digest);
      const valid = challenge.userName === FLEET_USER && challenge.response === expected;
      return Promise.resolve(valid ? account : null);
    },
  };
}

function collect(lines: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
}
