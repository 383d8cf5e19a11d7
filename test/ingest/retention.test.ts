import { writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import {
  purgeExpired,
  startPurgeSchedule,
  type PurgeDeps,
  type RetentionPolicy,
} from '../../src/ingest/retention.js';
import { pathExists } from '../../src/shared/files.js';
import { silentLogger } from '../../src/shared/log.js';
import { ENGINES } from '../support/databases.js';
import {
  benchAppliance,
  deliverTo,
  filePath,
  flowLine,
  garbageLine,
  ingestPending,
  otherCustomer,
  type Appliance,
} from './appliances.js';
import { detectionLine, ingestBench, lines, type IngestBench } from './ingest-helpers.js';

const DAY = 86_400_000;
const GLOBEX_GUID = '11111111-2222-3333-4444-555555555555';

function purgeDeps(bench: IngestBench, policy: Partial<RetentionPolicy> = {}): PurgeDeps {
  return {
    store: bench.store,
    areasDir: bench.areasDir,
    clock: bench.clock,
    logger: silentLogger(),
    policy: { ...DEFAULT_CONFIG.retention, ...policy },
  };
}

/** A CEF file of detections with some quarantined lines, and a Suricata file of flows. */
async function deliverBatch(bench: IngestBench, appliance: Appliance, tag: string, size: number) {
  const text = `${lines(size, detectionLine)}${lines(Math.ceil(size / 4), garbageLine)}`;
  await deliverTo(bench, appliance, `ddi-${tag}.log`, text);
  const at = bench.clock.now();
  await deliverTo(
    bench,
    appliance,
    `eve-${tag}.log`,
    lines(size, (i) => flowLine(i, at)),
  );
}

interface Tally {
  linesReceived: number;
  detections: number;
  otherEvents: number;
  quarantined: number;
  purged: number;
}

/** The counters of an appliance and its account, and what each really holds. */
async function ledger(bench: IngestBench, appliance: Appliance) {
  const db = bench.store.db;
  const stored = async (table: 'detections' | 'otherEvents' | 'quarantinedLines', by: string) => {
    const query = db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('customerId', '=', appliance.customerId);
    const scoped = by === 'product' ? query.where('productId', '=', appliance.productId) : query;
    return (await scoped.executeTakeFirstOrThrow()).n;
  };
  const customer: Tally = await db
    .selectFrom('customerCounters')
    .select(['linesReceived', 'detections', 'otherEvents', 'quarantined', 'purged'])
    .where('customerId', '=', appliance.customerId)
    .executeTakeFirstOrThrow();
  const product: Tally = await db
    .selectFrom('productCounters')
    .select(['linesReceived', 'detections', 'otherEvents', 'quarantined', 'purged'])
    .where('productId', '=', appliance.productId)
    .executeTakeFirstOrThrow();
  const holds = async (by: string) => ({
    detections: await stored('detections', by),
    otherEvents: await stored('otherEvents', by),
    quarantined: await stored('quarantinedLines', by),
  });
  return {
    customer,
    product,
    customerHolds: await holds('customer'),
    productHolds: await holds('product'),
  };
}

async function expectBalanced(bench: IngestBench, appliance: Appliance) {
  const books = await ledger(bench, appliance);
  for (const [counts, holds] of [
    [books.customer, books.customerHolds],
    [books.product, books.productHolds],
  ] as const) {
    expect(counts.linesReceived).toBe(
      counts.detections + counts.otherEvents + counts.quarantined + counts.purged,
    );
    expect(counts).toMatchObject(holds);
  }
  return books;
}

describe.each(ENGINES)('retention purge on %s', (engine) => {
  let bench: IngestBench;
  afterEach(async () => {
    await bench.close();
  });

  it('deletes only rows received before each cutoff, and received = stored + purged', async () => {
    bench = await ingestBench(engine);
    const acme = benchAppliance(bench);
    const globex = await otherCustomer(bench, 'globex', GLOBEX_GUID);
    await deliverBatch(bench, acme, 'old', 12);
    await deliverBatch(bench, globex, 'old', 8);
    await ingestPending(bench);
    bench.clock.advance(100 * DAY);
    await deliverBatch(bench, acme, 'new', 4);
    await ingestPending(bench);

    const first = await purgeExpired({ ...purgeDeps(bench), chunkRows: 5 });
    expect(first).toMatchObject({ detections: 0, otherEvents: 20, quarantined: 5 });
    const acmeBooks = await expectBalanced(bench, acme);
    expect(acmeBooks.customer).toMatchObject({ detections: 16, otherEvents: 4, quarantined: 1 });
    expect(acmeBooks.customer.purged).toBe(15);
    expect((await expectBalanced(bench, globex)).product).toMatchObject({
      detections: 8,
      otherEvents: 0,
      quarantined: 0,
      purged: 10,
    });

    bench.clock.advance(300 * DAY);
    const second = await purgeExpired({ ...purgeDeps(bench), chunkRows: 5 });
    expect(second).toMatchObject({ detections: 20, otherEvents: 4, quarantined: 1 });
    expect((await expectBalanced(bench, acme)).customer).toMatchObject({
      linesReceived: 36,
      detections: 4,
      otherEvents: 0,
      quarantined: 0,
      purged: 32,
    });
    expect((await expectBalanced(bench, globex)).customer.purged).toBe(18);
  });

  it('removes old summaries by their hour, old incidents by their last detection', async () => {
    bench = await ingestBench(engine);
    const acme = benchAppliance(bench);
    const at = (time: Date) => ({ rt: time.toISOString(), dst: '10.1.0.9', dhost: 'finance-7' });
    await deliverTo(bench, acme, 'a.log', `${detectionLine(1, at(bench.clock.now()))}\n`);
    bench.clock.advance(10 * DAY);
    await deliverTo(bench, acme, 'b.log', `${detectionLine(1, at(bench.clock.now()))}\n`);
    await ingestPending(bench);
    const hours = () =>
      bench.store.db
        .selectFrom('hourlySummaries')
        .select('hour')
        .distinct()
        .orderBy('hour')
        .execute();
    expect(await hours()).toHaveLength(2);
    expect((await bench.counts()).incidents).toBe(2);

    const report = await purgeExpired(purgeDeps(bench, { summariesDays: 5, incidentsDays: 5 }));
    expect(report.incidents).toBe(1);
    expect(report.summaries).toBeGreaterThan(0);
    const now = bench.clock.now().getTime();
    expect((await hours()).map((row) => row.hour)).toEqual([now - (now % 3_600_000)]);
    const left = await bench.store.db.selectFrom('incidents').select('lastSeen').execute();
    expect(left.map((row) => row.lastSeen)).toEqual([Math.floor(now / 1000) * 1000]);
    expect((await bench.counts()).incidents).toBe(1);
    expect(report.detections).toBe(0);
  });

  it('deletes a received file only when its latest version is old and ingested', async () => {
    bench = await ingestBench(engine);
    const acme = benchAppliance(bench);
    for (const name of ['done.log', 'grown.log', 'rewritten.log', 'waiting.log']) {
      await deliverTo(bench, acme, name, lines(3, detectionLine));
    }
    await ingestPending(bench, (name) => name !== 'waiting.log');
    // A newer version renamed into place but not recorded yet (its push still running).
    await writeFile(filePath(bench, acme, 'rewritten.log'), lines(5, detectionLine));
    bench.clock.advance(20 * DAY);
    await deliverTo(bench, acme, 'grown.log', lines(6, detectionLine));
    await ingestPending(bench, (name) => name !== 'waiting.log');
    bench.clock.advance(11 * DAY);

    const exists = (name: string) => pathExists(filePath(bench, acme, name));
    expect((await purgeExpired(purgeDeps(bench, { rawFilesDays: 30 }))).rawFiles).toBe(1);
    expect(await exists('done.log')).toBe(false);
    for (const kept of ['grown.log', 'rewritten.log', 'waiting.log']) {
      expect(await exists(kept), kept).toBe(true);
    }

    await ingestPending(bench);
    expect((await purgeExpired(purgeDeps(bench, { rawFilesDays: 30 }))).rawFiles).toBe(1);
    expect(await exists('waiting.log')).toBe(false);
    expect(await exists('rewritten.log')).toBe(true);
    bench.clock.advance(20 * DAY);
    expect((await purgeExpired(purgeDeps(bench, { rawFilesDays: 30 }))).rawFiles).toBe(1);
    expect(await exists('grown.log')).toBe(false);
  });

  it('lets ingestion go on reading a file whose earlier copy was deleted', async () => {
    bench = await ingestBench(engine);
    const acme = benchAppliance(bench);
    await deliverTo(bench, acme, 'current.log', lines(3, detectionLine));
    await ingestPending(bench);
    bench.clock.advance(31 * DAY);
    await purgeExpired(purgeDeps(bench, { rawFilesDays: 30 }));
    expect(await pathExists(filePath(bench, acme, 'current.log'))).toBe(false);

    await deliverTo(bench, acme, 'current.log', lines(5, detectionLine));
    await ingestPending(bench);
    expect((await expectBalanced(bench, acme)).customer).toMatchObject({ detections: 5 });
  });

  it('runs in the background and stops after the chunk in hand', async () => {
    bench = await ingestBench(engine);
    const acme = benchAppliance(bench);
    await deliverBatch(bench, acme, 'old', 40);
    await ingestPending(bench);
    bench.clock.advance(400 * DAY);

    const idle = startPurgeSchedule(purgeDeps(bench), { firstDelayMs: 50, intervalMs: 60_000 });
    await idle.stop();
    await sleep(100);
    expect((await expectBalanced(bench, acme)).customer.purged).toBe(0);

    const deps = { ...purgeDeps(bench), chunkRows: 1 };
    const schedule = startPurgeSchedule(deps, { firstDelayMs: 0, intervalMs: 60_000 });
    await vi.waitFor(
      async () => {
        expect((await expectBalanced(bench, acme)).customer.purged).toBeGreaterThan(0);
      },
      { timeout: 20_000, interval: 20 },
    );
    await schedule.stop();
    const stopped = await expectBalanced(bench, acme);
    await sleep(100);
    expect((await expectBalanced(bench, acme)).customer).toEqual(stopped.customer);
  });
});
