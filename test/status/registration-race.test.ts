import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { listAuditEvents } from '../../src/audit/audit-log.js';
import { customerStats } from '../../src/stats/customer-stats.js';
import { ACME } from '../support/cli.js';
import { ENGINES } from '../support/databases.js';
import { rsyncOverSsh } from '../support/rsync-client.js';
import { tdaHeartbeat, type ApplianceClient } from './appliance-client.js';
import { START, statusHarness, type StatusHarness } from './status-harness.js';

const FLEET = 50;
const guidOf = (index: number): string =>
  `9A7A11E1-0000-4000-8000-${String(index).padStart(12, '0')}`;

/** P01: appliances of one customer registering at the same moment get one identity each. */
describe.each(ENGINES)('parallel registration over the appliance API on %s', (engine) => {
  let harness: StatusHarness;
  let workDir: string;
  beforeAll(async () => {
    harness = await statusHarness(engine);
    workDir = await mkdtemp(path.join(tmpdir(), 'tmsp-p01-'));
  });
  afterAll(async () => {
    await harness.close();
    await rm(workDir, { recursive: true, force: true });
  });

  /** Each appliance signs on (CAS REST, then a session) and heartbeats, all at once. */
  async function fleetHeartbeats(guids: string[]): Promise<ApplianceClient[]> {
    const fleet = guids.map(() => harness.appliance());
    await Promise.all(fleet.map((appliance) => appliance.signOn()));
    const answers = await Promise.all(
      fleet.map((appliance, index) => appliance.heartbeat(tdaHeartbeat(guids[index]!))),
    );
    expect(answers.map((answer) => answer.status)).toEqual(guids.map(() => 200));
    return fleet;
  }

  it('registers 50 appliances with distinct GUIDs as 50 products with 50 ids', async () => {
    const guids = Array.from({ length: FLEET }, (_, index) => guidOf(index + 1));
    const fleet = await fleetHeartbeats(guids);

    const products = await harness.runtime.store.db
      .selectFrom('registeredProducts')
      .select(['id', 'guid', 'customerId'])
      .where('guid', 'in', guids)
      .execute();
    expect(products).toHaveLength(FLEET);
    expect(new Set(products.map((product) => product.id)).size).toBe(FLEET);
    expect(new Set(products.map((product) => product.guid))).toEqual(new Set(guids));
    const acme = await harness.customerId(ACME);
    expect(products.every((product) => product.customerId === acme)).toBe(true);

    const again = await Promise.all(
      fleet.map((appliance, index) => appliance.heartbeat(tdaHeartbeat(guids[index]!))),
    );
    expect(again.every((answer) => answer.status === 200)).toBe(true);
    const stats = await customerStats(
      harness.runtime.store.db,
      'acme',
      harness.clock.now(),
      300_000,
    );
    expect(
      stats.products.filter((product) => guids.includes(product.guid) && product.online),
    ).toHaveLength(FLEET);
  });

  it('lets every one of them push logs right after', async () => {
    const port = Number(harness.endpoints.status.ssh.split(':')[1]);
    const log = path.join(workDir, 'ddi-current.log');
    await writeFile(
      log,
      'CEF:0|Trend Micro|Deep Discovery Inspector|6.0|100|Probe|5|src=10.1.0.5\n',
    );
    for (let first = 1; first <= FLEET; first += 10) {
      const batch = Array.from({ length: 10 }, (_, offset) => guidOf(first + offset));
      const results = await Promise.all(
        batch.map((guid) =>
          rsyncOverSsh(workDir, port, ACME.registrationUser, ACME.registrationSecret, [
            log,
            `127.0.0.1:${guid}/`,
          ]),
        ),
      );
      expect(results.map((result) => [result.code, result.stderr])).toEqual(
        batch.map(() => [0, '']),
      );
    }
    const received = await harness.runtime.store.db
      .selectFrom('receivedFiles')
      .select('productId')
      .distinct()
      .execute();
    expect(received).toHaveLength(FLEET);
  });

  it('registers one GUID heartbeating from ten sessions at once as one product', async () => {
    const guid = guidOf(999);
    await fleetHeartbeats(Array.from({ length: 10 }, () => guid));

    const products = await harness.runtime.store.db
      .selectFrom('registeredProducts')
      .select('id')
      .where('guid', '=', guid)
      .execute();
    expect(products).toHaveLength(1);
    const registrations = (await listAuditEvents(harness.runtime.store.db, START)).filter(
      (event) => event.action === 'appliance.register' && event.target === guid,
    );
    expect(registrations).toHaveLength(1);
  });
});
