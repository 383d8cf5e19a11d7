import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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

  it('takes in the logs, outbreaks and packages of a fleet, then sees it go offline', async () => {
    const running = tmsp([
      ...['simulate', '--data-dir', dataDir],
      ...['--registration-user', ACME.registrationUser],
      ...['--registration-secret', ACME.registrationSecret],
      ...['--tda', '2', '--tm', '1', '--protocol', 'both', '--duration', '20'],
    ]);
    // While the fleet runs: a pattern for the account reaches its Threat Mitigator.
    await sleep(8_000);
    const pattern = await deployPattern();

    const run = await running;
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/online 3\/3/);
    expect(run.stdout).not.toMatch(/failed:/);
    expect(run.stdout).toMatch(/TM-1 deployed pattern 17\.1/);

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
    expect(stats.counts.cases).toBeGreaterThan(0);
    expect(stats.counts.ocsEvents).toBeGreaterThan(0);

    const status = await tmsp(['pattern', 'status', '--pattern', pattern, '--json', ...at()]);
    expect(JSON.parse(status.stdout)).toMatchObject([{ status: 'deployed' }]);
  }, 60_000);

  const at = () => ['--data-dir', dataDir];

  async function deployPattern(): Promise<string> {
    const file = path.join(dataDir, 'bandage.ptn');
    await writeFile(file, randomBytes(4096));
    const upload = await tmsp([
      ...['pattern', 'upload', '--customer', ACME.name, '--type', 'bandage'],
      ...['--version', '17.1', '--file', file, ...at()],
    ]);
    expect(upload.code, upload.stderr).toBe(0);
    const id = upload.stdout.trim();
    expect((await tmsp(['pattern', 'deploy', '--pattern', id, ...at()])).code).toBe(0);
    return id;
  }

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
