import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { listAuditEvents } from '../../src/audit/audit-log.js';
import { deployPattern } from '../../src/patterns/deployments.js';
import { confirmDeployments, reportDeployment } from '../../src/patterns/deployment-reports.js';
import { listDeployments } from '../../src/patterns/deployment-status.js';
import { PatternBus } from '../../src/patterns/pattern-bus.js';
import { retirePattern, uploadPattern } from '../../src/patterns/patterns.js';
import { fixedClock } from '../../src/shared/clock.js';
import type { Store } from '../../src/storage/database.js';
import { ENGINES, scratchStore } from '../support/databases.js';
import { insertCustomerAccount, insertRegisteredProduct } from '../support/rows.js';
import { ADMIN } from './pattern-harness.js';

const TM = ['5E000000-0000-4000-8000-000000000001', '5E000000-0000-4000-8000-000000000002'];
const TDA = '5E000000-0000-4000-8000-0000000000DA';

const BYTES = Buffer.from('pattern for a disabled account');

describe.each(ENGINES)('pattern deployments on %s', (engine) => {
  let scratch: Awaited<ReturnType<typeof scratchStore>>;
  let store: Store;
  let customerId: number;
  const clock = fixedClock(new Date('2026-12-04T10:00:00Z'));
  const deps = () => ({ store, clock });
  const upload = (version: string, type = 'bandage') =>
    uploadPattern(
      { store, clock, dir: scratch.database.directory },
      { customerId, type, version, description: '', content: Buffer.from(`pattern ${version}`) },
      ADMIN,
    );
  const rows = (patternId: number) =>
    store.db
      .selectFrom('patternDeployments')
      .selectAll()
      .where('patternId', '=', patternId)
      .execute();

  beforeAll(async () => {
    scratch = await scratchStore(engine);
    store = scratch.store;
    customerId = await insertCustomerAccount(store.db, 'acme');
    for (const [guid, type] of [...TM.map((guid) => [guid, 'TM']), [TDA, 'TDA']]) {
      await insertRegisteredProduct(store.db, { customerId, guid: guid!, type: type! });
    }
  });
  afterAll(async () => {
    await scratch.close();
  });

  it('numbers patterns from 1 up and refuses a version twice, or a bad type', async () => {
    const first = await upload('1.0');
    const second = await upload('1.1', 'controlled');
    expect([first.id, second.id]).toEqual([1, 2]);
    expect(first.sha256).toMatch(/^[0-9a-f]{64}$/);
    await expect(upload('1.0')).rejects.toMatchObject({ code: 'conflict' });
    await expect(upload('1.2', 'hotfix')).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('P13: two deploy requests at once make one deployment per appliance', async () => {
    const pattern = await upload('2.0');
    const request = { customerId, patternId: pattern.id, guid: TM[0] };
    const results = await Promise.all([
      deployPattern(deps(), request, ADMIN),
      deployPattern(deps(), request, ADMIN),
    ]);

    expect(results.map((result) => result.created).sort()).toEqual([0, 1]);
    expect(await rows(pattern.id)).toHaveLength(1);
    const audit = await listAuditEvents(store.db, new Date(0));
    expect(audit.filter((event) => event.action === 'pattern.deploy')).toHaveLength(2);
  });

  it('deploys to every Threat Mitigator of the account, once, telling the bus', async () => {
    const pattern = await upload('3.0');
    const bus = new PatternBus();
    const told: number[][] = [];
    bus.subscribe((ids) => told.push([...ids]));
    const request = { customerId, patternId: pattern.id };
    await deployPattern({ ...deps(), bus }, { ...request, guid: TM[1] }, ADMIN);
    const all = await deployPattern({ ...deps(), bus }, request, ADMIN);

    expect(all).toEqual({ patternId: pattern.id, targets: 2, created: 1 });
    expect((await listDeployments(store.db, customerId, pattern.id)).map((d) => d.guid)).toEqual(
      TM,
    );
    expect(told).toHaveLength(2);
    await expect(deployPattern(deps(), { ...request, guid: TDA }, ADMIN)).rejects.toMatchObject({
      code: 'invalid_input',
    });
  });

  it('confirms only what a heartbeat reports, never a "deployed" report alone', async () => {
    const pattern = await upload('4.0');
    await deployPattern(deps(), { customerId, patternId: pattern.id, guid: TM[0] }, ADMIN);
    const report = { customerId, patternId: pattern.id, guid: TM[0]!, endpoint: null };
    const said = await reportDeployment(deps(), { ...report, state: 'deployed', message: null });
    expect(said).toMatchObject({ state: 'downloaded', confirmed: false });

    const [product] = await store.db.selectFrom('registeredProducts').select('id').execute();
    const running = { customerId, productId: product!.id, at: clock.now().getTime() };
    expect(await confirmDeployments(store.db, { ...running, patternVersion: '3.9' })).toBe(0);
    expect(await confirmDeployments(store.db, { ...running, patternVersion: '4.0' })).toBe(1);
    const [view] = await listDeployments(store.db, customerId, pattern.id);
    expect(view).toMatchObject({ status: 'deployed', reportedAt: clock.now().toISOString() });
  });

  it('does not deploy a retired pattern', async () => {
    const pattern = await upload('5.0');
    await retirePattern(deps(), customerId, pattern.id, ADMIN);
    await expect(
      deployPattern(deps(), { customerId, patternId: pattern.id }, ADMIN),
    ).rejects.toMatchObject({ code: 'conflict' });
  });

  it("issues nothing for a disabled account's appliances", async () => {
    const disabled = await insertCustomerAccount(store.db, 'initech', 'disabled');
    const guid = 'C1100000-0000-4000-8000-0000000000D1';
    await insertRegisteredProduct(store.db, { customerId: disabled, guid, type: 'TM' });
    const pattern = await uploadPattern(
      { store, clock, dir: scratch.database.directory },
      { customerId: disabled, type: 'bandage', version: '6.0', description: '', content: BYTES },
      ADMIN,
    );

    await expect(
      deployPattern(deps(), { customerId: disabled, patternId: pattern.id }, ADMIN),
    ).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('disabled') });
    expect(await rows(pattern.id)).toEqual([]);
  });
});
