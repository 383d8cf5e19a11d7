import { createHash } from 'node:crypto';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ACME } from '../support/cli.js';
import { ENGINES } from '../support/databases.js';
import { rsyncOverSsh } from '../support/rsync-client.js';
import type { ApplianceClient } from './appliance-client.js';
import { GLOBEX, statusHarness, type StatusHarness } from './status-harness.js';

const GUID = 'F11E5000-0000-4000-8000-000000000001';
const LOG = 'ddi-2026120410.log';
const CONTENT = 'CEF:0|Trend Micro|Deep Discovery Inspector|6.0|100|Probe|5|src=10.1.0.5\n';
const SHA256 = createHash('sha256').update(CONTENT).digest('hex');

/** C23: an appliance that lost our confirmation asks whether a file is held, not resends it. */
describe.each(ENGINES)('file acknowledgements on %s', (engine) => {
  let harness: StatusHarness;
  let appliance: ApplianceClient;
  let workDir: string;

  beforeAll(async () => {
    harness = await statusHarness(engine);
    appliance = harness.appliance();
    await appliance.signOn();
    workDir = await mkdtemp(path.join(tmpdir(), 'tmsp-c23-'));
    await writeFile(path.join(workDir, LOG), CONTENT);
    await push();
  });
  afterAll(async () => {
    await harness.close();
    await rm(workDir, { recursive: true, force: true });
  });

  /** The appliance's push over the status server's SSH door, with the stock rsync client. */
  async function push(): Promise<void> {
    const port = Number(harness.endpoints.status.ssh.split(':')[1]);
    const source = path.join(workDir, LOG);
    const args = ['-t', source, `127.0.0.1:${GUID}/`];
    const result = await rsyncOverSsh(
      workDir,
      port,
      ACME.registrationUser,
      ACME.registrationSecret,
      args,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  }

  it('answers stored for a file the server holds, by name and SHA-256', async () => {
    const answer = await appliance.file({ guid: GUID.toLowerCase(), name: LOG, sha256: SHA256 });

    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      state: 'stored',
      guid: GUID,
      name: LOG,
      sha256: SHA256,
      size: Buffer.byteLength(CONTENT),
      receivedAt: harness.clock.now().toISOString(),
    });
    const upper = await appliance.file({ guid: GUID, name: LOG, sha256: SHA256.toUpperCase() });
    expect(upper.json.state).toBe('stored');
  });

  it('answers unknown for other content, another name or an unknown appliance', async () => {
    const other = createHash('sha256').update('other').digest('hex');
    for (const query of [
      { guid: GUID, name: LOG, sha256: other },
      { guid: GUID, name: 'ddi-other.log', sha256: SHA256 },
      { guid: 'F11E5000-0000-4000-8000-0000000000FF', name: LOG, sha256: SHA256 },
    ]) {
      const answer = await appliance.file(query);
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ state: 'unknown', ...query });
    }
  });

  it("answers unknown to another customer account asking about this appliance's file", async () => {
    const globex = harness.appliance(GLOBEX);
    await globex.signOn();
    const answer = await globex.file({ guid: GUID, name: LOG, sha256: SHA256 });
    expect(answer.json).toEqual({ state: 'unknown', guid: GUID, name: LOG, sha256: SHA256 });
  });

  it('keeps one record when the appliance sends the same file again anyway', async () => {
    await utimes(path.join(workDir, LOG), new Date(), new Date());
    await push();
    const records = await harness.runtime.store.db
      .selectFrom('receivedFiles')
      .select('id')
      .where('name', '=', LOG)
      .execute();
    expect(records).toHaveLength(1);
    expect((await appliance.file({ guid: GUID, name: LOG, sha256: SHA256 })).json.state).toBe(
      'stored',
    );
  });

  it('answers 400 for a malformed question and 401 without a session', async () => {
    const bad = await appliance.file({ guid: GUID, name: LOG, sha256: 'abc' });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toContain('sha256: must be 64 hex digits');
    expect((await appliance.file({ guid: GUID, name: LOG })).status).toBe(400);

    const anonymous = await appliance.status(
      'GET',
      `/v1/files?guid=${GUID}&name=${LOG}&sha256=${SHA256}`,
      {},
      false,
    );
    expect(anonymous.status).toBe(401);
  });
});
