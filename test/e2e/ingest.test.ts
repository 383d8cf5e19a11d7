import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { CustomerStats } from '../../src/stats/customer-stats.js';
import { ACME, addCustomer, type RunningTmsp, tmsp, tmspUp } from '../support/cli.js';
import { rsyncOverSsh } from '../support/rsync-client.js';
import { rsyncOverTls } from '../support/rsync-ssl-client.js';
import { detectionLine } from '../ingest/ingest-helpers.js';

const SSH_GUID = '0A1B2C3D-0000-4000-8000-00000000000A';
const TLS_GUID = '0A1B2C3D-0000-4000-8000-00000000000B';
const APP_FILTER =
  'CEF:0|Trend Micro|Deep Discovery Inspector|6.0|100120|Disruptive application|2|' +
  'src=10.1.0.5 dst=198.51.100.9 appName=BitTorrent';

/** From an appliance's rsync push to `tmsp stats`: the whole path, with the real clients. */
describe('pushed logs become detections in the running system', () => {
  let dataDir: string;
  let system: RunningTmsp;
  let source: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tmsp-ingest-e2e-'));
    system = await tmspUp(dataDir, { TMSP_INGEST_POLL_MILLISECONDS: '100' });
    await addCustomer(dataDir);
    source = path.join(dataDir, 'appliance');
    await mkdir(source);
  }, 60_000);
  afterAll(async () => {
    await system.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('counts lines pushed over SSH and TLS, and only the new lines of a grown file', async () => {
    const file = path.join(source, 'ddi-current.log');
    let text = '';
    for (let i = 0; i < 200; i += 1) text += `${detectionLine(i)}\n`;
    await writeFile(file, `${text}${APP_FILTER}\nnot a log line\n`);
    await pushOverSsh(['-a', `${source}/`, `127.0.0.1:${SSH_GUID}/`]);
    await pushOverTls(['-a', `${source}/`, `${tlsBase()}/${TLS_GUID}/`]);

    const first = await statsWhen((stats) => stats.counts.linesReceived === 404);
    expect(first.counts).toMatchObject({ detections: 400, otherEvents: 2, quarantined: 2 });
    expect(first.counts.incidents).toBeGreaterThan(0);
    expect(first.products.map((product) => [product.guid, product.counts.linesReceived])).toEqual([
      [SSH_GUID, 202],
      [TLS_GUID, 202],
    ]);

    await appendFile(file, `${detectionLine(500)}\n${detectionLine(501)}\n`);
    await pushOverSsh(['-a', `${source}/`, `127.0.0.1:${SSH_GUID}/`]);
    await pushOverSsh(['-a', `${source}/`, `127.0.0.1:${SSH_GUID}/`]);
    const grown = await statsWhen((stats) => stats.counts.linesReceived === 406);
    expect(grown.counts.detections).toBe(402);
    const { linesReceived, detections, otherEvents, quarantined, purged } = grown.counts;
    expect(linesReceived).toBe(detections + otherEvents + quarantined + purged);
  }, 90_000);

  function tlsBase(): string {
    // rsync-ssl checks the host name against the certificate, which names localhost.
    return `rsync://${ACME.registrationUser}@localhost:${system.endpoints.log.tls.split(':')[1]}/logs`;
  }

  async function pushOverSsh(args: string[]): Promise<void> {
    const port = Number(system.endpoints.log.ssh.split(':')[1]);
    const result = await rsyncOverSsh(
      dataDir,
      port,
      ACME.registrationUser,
      ACME.registrationSecret,
      args,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  }

  async function pushOverTls(args: string[]): Promise<void> {
    const result = await rsyncOverTls(
      system.endpoints.caCertificate,
      ACME.registrationSecret,
      args,
    );
    expect(result.code, result.stderr).toBe(0);
  }

  async function statsWhen(done: (stats: CustomerStats) => boolean): Promise<CustomerStats> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const result = await tmsp(['stats', '--data-dir', dataDir, '--customer', 'acme', '--json']);
      expect(result.code, result.stderr).toBe(0);
      const stats = JSON.parse(result.stdout) as CustomerStats;
      if (done(stats)) return stats;
      if (Date.now() > deadline) throw new Error(`stats never arrived: ${result.stdout}`);
      await sleep(200);
    }
  }
});
