import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { listAuditEvents } from '../../src/audit/audit-log.js';
import { claimProductForPush } from '../../src/logserver/received-files.js';
import { fixedClock } from '../../src/shared/clock.js';
import { openStore, type Store } from '../../src/storage/database.js';
import { addCustomer, tmsp } from '../support/cli.js';
import { ENGINES, scratchDatabase, type ScratchDatabase } from '../support/databases.js';
import { deliverTo, garbageLine, ingestPending, type Appliance } from '../ingest/appliances.js';
import { detectionLine, lines } from '../ingest/ingest-helpers.js';

const GUID = '6F9619FF-8B86-D011-B42D-00CF4FC964FF';
const DAY = 86_400_000;
const OLD_DETECTIONS = 6;
const NEW_DETECTIONS = 3;

describe.each(ENGINES)('tmsp product, logs export and purge on %s', (engine) => {
  let dataDir: string;
  let database: ScratchDatabase;
  let env: Record<string, string>;
  let store: Store;
  let newReceipt: Date;
  const run = (args: string[], extra: Record<string, string> = {}) =>
    tmsp([...args, '--data-dir', dataDir], { ...env, ...extra });

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tmsp-cli-'));
    database = await scratchDatabase(engine);
    env = database.url === null ? {} : { TMSP_DATABASE_URL: database.url };
    expect((await run(['migrate'])).code).toBe(0);
    await addCustomer(dataDir, env);
    store = await openStore({ url: database.url, sqliteFile: path.join(dataDir, 'tmsp.sqlite') });

    // Lines received 400 days ago and yesterday, as the log server would have stored them.
    const clock = fixedClock(new Date(Date.now() - 400 * DAY));
    const landing = { store, areasDir: path.join(dataDir, 'areas'), clock };
    const customer = await store.db
      .selectFrom('customerAccounts')
      .select('id')
      .where('name', '=', 'acme')
      .executeTakeFirstOrThrow();
    const claim = { customerId: customer.id, guid: GUID, actor: 'acme-fleet', source: '::1' };
    const product = await claimProductForPush(store, claim, clock);
    const acme: Appliance = { customerId: customer.id, productId: product.productId, guid: GUID };
    await deliverTo(landing, acme, 'old.log', lines(OLD_DETECTIONS, detectionLine));
    await ingestPending(landing);
    clock.advance(399 * DAY);
    newReceipt = clock.now();
    const fresh = `${lines(NEW_DETECTIONS, detectionLine, 100)}${garbageLine(1)}\n`;
    await deliverTo(landing, acme, 'new.log', fresh);
    await ingestPending(landing);
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('sets an appliance time zone by GUID in any case, and audits it', async () => {
    const set = await run([
      'product',
      'set',
      '--guid',
      GUID.toLowerCase(),
      '--time-zone',
      'Asia/Tokyo',
    ]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toBe(`time zone of ${GUID} set to Asia/Tokyo\n`);

    const listed = await run(['product', 'list', '--customer', 'acme', '--json']);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ guid: GUID, timeZone: 'Asia/Tokyo' }),
    ]);
    const table = await run(['product', 'list', '--customer', 'acme']);
    expect(table.stdout).toMatch(new RegExp(`^GUID .*\\n${GUID} .*Asia/Tokyo`));

    const audit = await listAuditEvents(store.db, new Date(0));
    expect(audit.find((event) => event.action === 'product.time_zone')).toMatchObject({
      target: GUID,
      source: 'cli',
      result: 'success',
      detail: { timeZone: 'Asia/Tokyo', previous: null },
    });
    expect(audit.find((event) => event.action === 'product.time_zone')?.actor).toMatch(/^cli:/);
  });

  it('refuses an unknown GUID, a malformed one and an unknown zone', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['AAAAAAAA-0000-0000-0000-000000000001', 'UTC', /registered product .* not found/],
      ['acme-1', 'UTC', /is not an appliance GUID/],
      [GUID, 'Mars/Olympus_Mons', /unknown time zone "Mars\/Olympus_Mons"/],
    ];
    for (const [guid, zone, message] of cases) {
      const answer = await run(['product', 'set', '--guid', guid, '--time-zone', zone]);
      expect(answer.code).toBe(1);
      expect(answer.stderr).toMatch(message);
    }
  });

  it('exports raw lines to standard output or, whole, to a file', async () => {
    const args = ['logs', 'export', '--customer', 'acme', '--guid', GUID, '--kind', 'detection'];
    const range = ['--from', '2000-01-01', '--to', '2100-01-01'];
    const printed = await run([...args, ...range]);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toBe(
      `${lines(OLD_DETECTIONS, detectionLine)}${lines(NEW_DETECTIONS, detectionLine, 100)}`,
    );

    const outDir = await mkdtemp(path.join(tmpdir(), 'tmsp-export-'));
    const output = path.join(outDir, 'quarantine.log');
    const quarantine = [
      ...['logs', 'export', '--customer', 'acme', '--guid', GUID, '--kind', 'quarantined'],
      ...['--from', newReceipt.toISOString(), '--to', '2100-01-01', '--output', output],
    ];
    const written = await run(quarantine);
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout).toBe(`1 lines written to ${output}\n`);
    expect(await readFile(output, 'utf8')).toBe(`${garbageLine(1)}\n`);
    expect(await readdir(outDir)).toEqual(['quarantine.log']);
    await rm(outDir, { recursive: true, force: true });

    const wrong = await run([...args.slice(0, -1), 'alerts', ...range]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^tmsp: kind must be one of detection, /);
    const foreign = await run([
      'logs',
      'export',
      '--customer',
      'globex',
      ...args.slice(4),
      ...range,
    ]);
    expect(foreign.stderr).toBe('tmsp: registered product not found\n');
  });

  it('purges on demand what is older than the configured periods', async () => {
    const before = JSON.parse((await run(['stats', '--customer', 'acme', '--json'])).stdout);
    expect(before.counts).toMatchObject({ detections: OLD_DETECTIONS + NEW_DETECTIONS, purged: 0 });

    const purged = await run(['purge', '--json'], { TMSP_RETENTION_DETECTIONS_DAYS: '300' });
    expect(purged.code, purged.stderr).toBe(0);
    expect(JSON.parse(purged.stdout)).toEqual({
      detections: OLD_DETECTIONS,
      otherEvents: 0,
      quarantined: 0,
      summaries: expect.any(Number),
      incidents: expect.any(Number),
      rawFiles: 1,
    });
    const after = JSON.parse((await run(['stats', '--customer', 'acme', '--json'])).stdout);
    const counts = after.counts as Record<string, number>;
    expect(counts['purged']).toBe(OLD_DETECTIONS);
    expect(counts['linesReceived']).toBe(
      (counts['detections'] ?? 0) +
        (counts['otherEvents'] ?? 0) +
        (counts['quarantined'] ?? 0) +
        (counts['purged'] ?? 0),
    );

    const again = await run(['purge']);
    expect(again.stdout).toBe(
      'purged 0 detections, 0 other events, 0 quarantined lines, 0 hourly summaries, ' +
        '0 incidents and 0 received files\n',
    );
  });
});
