import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';

import { addCustomer } from '../../src/accounts/customers.js';
import { loadConfig } from '../../src/config/load.js';
import { fixedClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/log.js';
import type { Engine } from '../../src/storage/engine.js';
import type { Endpoints } from '../../src/system/endpoints.js';
import { loadSecretBox, openRuntime, type Runtime } from '../../src/system/runtime.js';
import { startSystem } from '../../src/system/start.js';
import { ACME, ANY_PORTS } from '../support/cli.js';
import { scratchDatabase } from '../support/databases.js';
import { ApplianceClient } from './appliance-client.js';

export const GLOBEX = {
  name: 'globex',
  registrationUser: 'globex-fleet',
  registrationSecret: 'Globex-Secret-2026',
  portalUser: 'globex-staff',
  portalPassword: 'Portal-Password-7',
};

type Customer = typeof ACME;

export interface StatusHarness {
  runtime: Runtime;
  clock: ReturnType<typeof fixedClock>;
  endpoints: Endpoints;
  ca: string;
  /** What the servers logged, one JSON object per line. */
  logLines(): string[];
  customerId(customer: Customer): Promise<number>;
  /** An appliance with the customer's registration credentials (acme by default). */
  appliance(customer?: Customer): ApplianceClient;
  close(): Promise<void>;
}

export const START = new Date('2026-12-04T10:00:00Z');

/**
 * CAS and the status server as `tmsp serve` assembles them (system/servers.ts), listening on
 * loopback over a scratch database, with a clock the test moves. acme and globex exist.
 */
export async function statusHarness(
  engine: Engine,
  settings: Record<string, string> = {},
): Promise<StatusHarness> {
  const database = await scratchDatabase(engine);
  const env = { ...ANY_PORTS, ...settings };
  if (database.url !== null) env['TMSP_DATABASE_URL'] = database.url;
  const config = loadConfig({ dataDir: database.directory, env });
  const clock = fixedClock(START);
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', format: 'json', destination: collect(lines) });
  const runtime = await openRuntime(config, logger, { clock });
  const system = await startSystem(runtime, ['cas', 'status']);
  const ca = await readFile(system.endpoints.caCertificate, 'utf8');

  const secrets = await loadSecretBox(runtime);
  for (const customer of [ACME, GLOBEX]) {
    await addCustomer({ store: runtime.store, clock, secrets }, customer, {
      name: 'test',
      source: 'test',
    });
  }

  return {
    runtime,
    clock,
    endpoints: system.endpoints,
    ca,
    logLines: () => lines,
    customerId: async (customer) =>
      (
        await runtime.store.db
          .selectFrom('customerAccounts')
          .select('id')
          .where('name', '=', customer.name)
          .executeTakeFirstOrThrow()
      ).id,
    appliance: (customer = ACME) =>
      new ApplianceClient(system.endpoints, ca, {
        user: customer.registrationUser,
        secret: customer.registrationSecret,
      }),
    close: async () => {
      await system.stop();
      await database.drop();
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
