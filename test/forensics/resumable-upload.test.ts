import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sha256Of } from '../../src/forensics/package-files.js';
import { uploadForensicPackage } from '../../src/simulator/forensics.js';
import { ENGINES } from '../support/databases.js';
import { json } from '../status/appliance-client.js';
import { GLOBEX, statusHarness, type StatusHarness } from '../status/status-harness.js';
import { announcement, filePackage, TM_GUID, uploadTarget } from './forensic-harness.js';

describe.each(ENGINES)('forensic uploads (%s)', (engine) => {
  let harness: StatusHarness;
  let work: string;
  beforeAll(async () => {
    harness = await statusHarness(engine);
    work = await mkdtemp(path.join(tmpdir(), 'tmsp-forensics-'));
  });
  afterAll(async () => {
    await harness.close();
    await rm(work, { recursive: true, force: true });
  });

  const cases = () => harness.runtime.store.db.selectFrom('forensicCases').selectAll().execute();

  it('P04: resumes at the offset the server reports after the line drops at 60 %', async () => {
    const target = await uploadTarget(harness);
    const pkg = await filePackage(work, 48 * 1024 * 1024);
    const memory = await sampledWhile(() =>
      uploadForensicPackage(target, pkg, { interruptAt: 0.6 }),
    );
    const outcome = memory.result;

    expect(outcome.sentFrom).toHaveLength(2);
    expect(outcome.sentFrom[1]).toBeGreaterThan(0);
    expect(outcome.sentFrom[1]).toBeLessThanOrEqual(pkg.size * 0.6);
    const [opened] = (await cases()).filter((row) => row.id === outcome.caseId);
    expect(opened).toMatchObject({
      size: pkg.size,
      sha256: pkg.sha256,
      status: 'new case received',
    });
    const stored = path.join(harness.runtime.paths.areasDir, opened!.filePath);
    expect(await sha256Of(stored)).toBe(pkg.sha256);
    console.info(
      `P04 ${engine}: resumed at ${outcome.sentFrom[1]} of ${pkg.size} bytes; ` +
        `${(pkg.size / 1024 ** 2 / memory.seconds).toFixed(1)} MiB/s; ` +
        `peak growth rss ${mib(memory.rssGrowth)} MiB, heap ${mib(memory.heapGrowth)} MiB`,
    );
    // Streamed, never buffered: the process grows by far less than the package's 48 MiB.
    expect(memory.rssGrowth).toBeLessThan(pkg.size / 2);
    expect(memory.heapGrowth).toBeLessThan(pkg.size / 4);

    const events = await harness.runtime.store.db
      .selectFrom('applianceEvents')
      .selectAll()
      .where('kind', '=', 'threat_sample.received')
      .execute();
    expect(events.map((event) => JSON.parse(event.detail).caseId)).toContain(outcome.caseId);
    const directory = path.dirname(stored);
    expect((await readdir(directory)).filter((name) => name.endsWith('.part'))).toEqual([]);
  });

  it('answers 409 with the offset to a range that does not start there', async () => {
    const target = await uploadTarget(harness);
    const pkg = await filePackage(work, 4096);
    const appliance = harness.appliance();
    appliance.token = target.token;
    const created = await appliance.status('POST', '/v1/forensic-uploads', json(announcement(pkg)));
    expect(created.status).toBe(201);
    const answer = await appliance.status('PUT', `/v1/forensic-uploads/${created.json.id}`, {
      headers: {
        'content-type': 'application/octet-stream',
        'content-range': 'bytes 100-199/4096',
      },
      body: 'x'.repeat(100),
    });
    expect(answer.status).toBe(409);
    expect(answer.headers['upload-offset']).toBe('0');
    const head = await appliance.status('HEAD', `/v1/forensic-uploads/${created.json.id}`, {});
    expect(head.status).toBe(200);
    expect(head.headers['upload-offset']).toBe('0');
    const outside = await appliance.status('PUT', `/v1/forensic-uploads/${created.json.id}`, {
      headers: { 'content-type': 'application/octet-stream', 'content-range': 'bytes 0-99/5000' },
      body: 'x'.repeat(100),
    });
    expect(outside.status).toBe(416);
  });

  it('refuses a package whose SHA-256 differs (422) and removes it', async () => {
    const target = await uploadTarget(harness);
    const appliance = harness.appliance();
    appliance.token = target.token;
    const wrong = { guid: TM_GUID, endpoint: 'wks-1', fileName: 'wks-1.zip', size: 8192 };
    const created = await appliance.status(
      'POST',
      '/v1/forensic-uploads',
      json({ ...wrong, sha256: 'ab'.repeat(32) }),
    );
    const id = created.json.id as string;
    const answer = await appliance.status('PUT', `/v1/forensic-uploads/${id}`, {
      headers: { 'content-type': 'application/octet-stream', 'content-range': 'bytes 0-8191/8192' },
      body: 'x'.repeat(8192),
    });
    expect(answer.status).toBe(422);
    expect(answer.json.message).toContain('not the announced');
    expect((await appliance.status('GET', `/v1/forensic-uploads/${id}`, {})).status).toBe(404);
    const customerId = await harness.customerId({ name: 'acme' } as never);
    const directory = path.join(harness.runtime.paths.areasDir, String(customerId), TM_GUID);
    expect(
      (await readdir(path.join(directory, 'forensics'))).filter((n) => n.includes(id)),
    ).toEqual([]);
  });

  it('keeps each account to its own uploads: another one hears 404', async () => {
    const target = await uploadTarget(harness);
    const pkg = await filePackage(work, 2048);
    const acme = harness.appliance();
    acme.token = target.token;
    const created = await acme.status('POST', '/v1/forensic-uploads', json(announcement(pkg)));
    const globex = harness.appliance(GLOBEX);
    await globex.signOn();
    const id = created.json.id as string;
    expect((await globex.status('GET', `/v1/forensic-uploads/${id}`, {})).status).toBe(404);
    const put = await globex.status('PUT', `/v1/forensic-uploads/${id}`, {
      headers: { 'content-type': 'application/octet-stream', 'content-range': 'bytes 0-2047/2048' },
      body: await readFile(__filename).then((text) => text.subarray(0, 2048).toString('latin1')),
    });
    expect(put.status).toBe(404);
    // Nor can it announce a package for acme's appliance.
    const foreign = await globex.status(
      'POST',
      '/v1/forensic-uploads',
      json({ ...announcement(pkg), guid: TM_GUID }),
    );
    expect(foreign.status).toBe(403);
  });
});

/** Runs fn while sampling this process's memory: the peak growth over the start. */
async function sampledWhile<T>(fn: () => Promise<T>) {
  const before = process.memoryUsage();
  let peak = { rss: before.rss, heapUsed: before.heapUsed };
  const sampler = setInterval(() => {
    const now = process.memoryUsage();
    peak = { rss: Math.max(peak.rss, now.rss), heapUsed: Math.max(peak.heapUsed, now.heapUsed) };
  }, 10);
  const started = performance.now();
  try {
    const result = await fn();
    const seconds = (performance.now() - started) / 1000;
    return {
      result,
      seconds,
      rssGrowth: peak.rss - before.rss,
      heapGrowth: peak.heapUsed - before.heapUsed,
    };
  } finally {
    clearInterval(sampler);
  }
}

function mib(bytes: number): string {
  return (bytes / 1024 ** 2).toFixed(0);
}
