import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { CustomerStats } from '../../src/stats/customer-stats.js';
import { ACME, addCustomer, type RunningTmsp, tmsp, tmspUp } from '../support/cli.js';

const GUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;

/** The simulator drives the running system only through its public doors and real clients. */
describe('tmsp simulate', () => {
  let dataDir: string;
  let system: RunningTmsp;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tmsp-simulate-'));
    system = await tmspUp(dataDir, { TMSP_INGEST_POLL_MILLISECONDS: '100' });
    await addCustomer(dataDir);
  }, 40_000);
  afterAll(async () => {
    await system.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('registers a fleet whose pushed logs become detections, then takes it offline', async () => {
    const run = await tmsp([
      ...['simulate', '--data-dir', dataDir],
      ...['--registration-user', ACME.registrationUser],
      ...['--registration-secret', ACME.registrationSecret],
      ...['--tda', '2', '--tm', '1', '--protocol', 'both', '--duration', '20'],
    ]);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/online 3\/3/);
    expect(run.stdout).not.toMatch(/failed:/);

    // The last push may still be read in; what came before it was read long ago.
    const stats = await statsWhen((seen) => seen.counts.detections > 0);
    expect(stats.products).toHaveLength(3);
    expect(stats.products.map((product) => product.type).sort()).toEqual(['TDA', 'TDA', 'TM']);
    for (const product of stats.products) {
      expect(product.guid).toMatch(GUID);
      expect(product.online).toBe(false);
      expect(product.counts.linesReceived).toBeGreaterThan(0);
    }
    expect(stats.counts.detections).toBeGreaterThan(0);
    expect(stats.counts.otherEvents).toBeGreaterThan(0);
  }, 50_000);

  async function statsWhen(done: (stats: CustomerStats) => boolean): Promise<CustomerStats> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const result = await tmsp(['stats', '--data-dir', dataDir, '--customer', 'acme', '--json']);
      expect(result.code, result.stderr).toBe(0);
      const stats = JSON.parse(result.stdout) as CustomerStats;
      if (done(stats) || Date.now() > deadline) return stats;
      await sleep(200);
    }
  }
});
