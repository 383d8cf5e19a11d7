import { readdir } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { endAbandonedUploads } from '../../src/forensics/abandoned-uploads.js';
import { silentLogger } from '../../src/shared/log.js';
import { ACME } from '../support/cli.js';
import { ENGINES } from '../support/databases.js';
import { json, tdaHeartbeat, type ApplianceClient } from '../status/appliance-client.js';
import { statusHarness, type StatusHarness } from '../status/status-harness.js';
import { TM_GUID } from './forensic-harness.js';

const SIZE = 1000;
const SHA256 = 'a'.repeat(64);

describe.each(ENGINES)('abandoned forensic uploads on %s', (engine) => {
  let harness: StatusHarness;
  let appliance: ApplianceClient;

  beforeAll(async () => {
    harness = await statusHarness(engine);
    appliance = harness.appliance();
    await appliance.signOn();
  });
  afterAll(async () => {
    await harness.close();
  });

  /** An upload that took its first 100 bytes and was never finished. */
  async function halfUpload(endpoint: string): Promise<string> {
    const announced = await appliance.status(
      'POST',
      '/v1/forensic-uploads',
      json({ guid: TM_GUID, endpoint, fileName: `${endpoint}.zip`, size: SIZE, sha256: SHA256 }),
    );
    expect(announced.status, announced.text).toBe(201);
    const id: string = announced.json.id;
    const put = await appliance.status('PUT', `/v1/forensic-uploads/${id}`, {
      headers: {
        'content-type': 'application/octet-stream',
        'content-range': `bytes 0-99/${SIZE}`,
      },
      body: 'x'.repeat(100),
    });
    expect(put.status, put.text).toBe(200);
    return id;
  }

  it('ends uploads idle since the cutoff, with their partial file, keeping others', async () => {
    const idle = await halfUpload('wks-1');
    const cutoff = harness.clock.now().getTime() + 1;
    harness.clock.advance(60_000);
    const recent = await halfUpload('wks-2');
    const directory = path.join(
      harness.runtime.paths.areasDir,
      String(await harness.customerId(ACME)),
      TM_GUID,
      'forensics',
    );
    expect((await readdir(directory)).sort()).toEqual([`.${idle}.part`, `.${recent}.part`].sort());

    const deps = {
      db: harness.runtime.store.db,
      areasDir: harness.runtime.paths.areasDir,
      logger: silentLogger(),
    };
    expect(await endAbandonedUploads(deps, cutoff)).toBe(1);

    expect(await readdir(directory)).toEqual([`.${recent}.part`]);
    expect((await appliance.status('GET', `/v1/forensic-uploads/${idle}`, {})).status).toBe(404);
    const kept = await appliance.status('GET', `/v1/forensic-uploads/${recent}`, {});
    expect(kept.json).toMatchObject({ offset: 100 });
    expect(await endAbandonedUploads(deps, cutoff)).toBe(0);
  });
  it('lets an appliance hold at most 16 uploads open', async () => {
    const guid = '3F2504E0-4F89-11D3-9A0C-0305E82C33AA';
    const announce = (index: number) =>
      appliance.status(
        'POST',
        '/v1/forensic-uploads',
        json({ guid, endpoint: `wks-${index}`, fileName: 'p.zip', size: SIZE, sha256: SHA256 }),
      );
    for (let index = 0; index < 16; index += 1) expect((await announce(index)).status).toBe(201);

    const refused = await announce(16);
    expect(refused.status).toBe(429);
    expect(refused.json.message).toContain('16 uploads in progress');
  });
  it('takes forensic data from Threat Mitigators only', async () => {
    const tda = '3F2504E0-4F89-11D3-9A0C-0305E82C33DA';
    expect((await appliance.heartbeat(tdaHeartbeat(tda))).status).toBe(200);
    const refused = await appliance.status(
      'POST',
      '/v1/forensic-uploads',
      json({ guid: tda, endpoint: 'wks-1', fileName: 'p.zip', size: SIZE, sha256: SHA256 }),
    );
    expect(refused.status).toBe(403);
  });
});
