import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openStore, type Store } from '../../src/storage/database.js';
import { ACME, addCustomer, tmsp, tmspUp, type RunningTmsp } from '../support/cli.js';
import { ENGINES, scratchDatabase, type ScratchDatabase } from '../support/databases.js';
import { ApplianceClient, tdaHeartbeat } from './appliance-client.js';

const GUID = '0E2E0000-0000-4000-8000-000000000001';
// The shortest timeout there is: the sweeper then runs every two seconds.
const TIMEOUT_S = 10;

/** The appliance API of a whole `tmsp up`, driven as an appliance drives it. */
describe.each(ENGINES)('the appliance API in a running tmsp up on %s', (engine) => {
  let database: ScratchDatabase;
  let dataDir: string;
  let system: RunningTmsp;
  let appliance: ApplianceClient;
  let store: Store;
  const ENV: Record<string, string> = {
    TMSP_SERVERS_STATUS_HEARTBEAT_TIMEOUT_SECONDS: String(TIMEOUT_S),
  };

  beforeAll(async () => {
    database = await scratchDatabase(engine);
    if (database.url !== null) ENV['TMSP_DATABASE_URL'] = database.url;
    dataDir = path.join(database.directory, 'data');
    system = await tmspUp(dataDir, ENV);
    await addCustomer(dataDir, ENV);
    const ca = await readFile(system.endpoints.caCertificate, 'utf8');
    appliance = new ApplianceClient(system.endpoints, ca, {
      user: ACME.registrationUser,
      secret: ACME.registrationSecret,
    });
    store = await openStore({ url: database.url, sqliteFile: path.join(dataDir, 'tmsp.sqlite') });
  });
  afterAll(async () => {
    await store.close();
    await system.stop();
    await database.drop();
  });

  async function product(): Promise<unknown> {
    const result = await tmsp(
      ['stats', '--data-dir', dataDir, '--customer', 'acme', '--json'],
      ENV,
    );
    expect(result.code, result.stderr).toBe(0);
    return (JSON.parse(result.stdout) as { products: unknown[] }).products[0];
  }

  it('signs an appliance on through CAS and registers it at its first heartbeat', async () => {
    await appliance.signOn();
    const answer = await appliance.heartbeat(tdaHeartbeat(GUID, { sentAt: new Date() }));

    expect(answer.status).toBe(200);
    expect(answer.json.heartbeatIntervalSeconds).toBe(3);
    expect(await product()).toMatchObject({ guid: GUID, type: 'TDA', online: true });
  });

  it('records heartbeat.lost within the timeout and a fifth once heartbeats stop', async () => {
    const last = Date.now();
    await appliance.heartbeat(tdaHeartbeat(GUID, { sentAt: new Date() }));
    let lost: { at: number } | undefined;
    while (lost === undefined && Date.now() - last < 30_000) {
      await sleep(250);
      lost = await store.db
        .selectFrom('applianceEvents')
        .select('at')
        .where('kind', '=', 'heartbeat.lost')
        .executeTakeFirst();
    }
    const noticed = Date.now() - last;

    expect(lost).toBeDefined();
    expect(noticed).toBeGreaterThanOrEqual(TIMEOUT_S * 1000);
    expect(noticed).toBeLessThan(TIMEOUT_S * 1200 + 2_000);
    expect(await product()).toMatchObject({ online: false });
  });

  it('serves its OpenAPI document', async () => {
    const answer = await appliance.status('GET', '/v1/openapi.json', {}, false);
    expect(answer.status).toBe(200);
    expect(answer.json.openapi).toBe('3.1.0');
  });
});
