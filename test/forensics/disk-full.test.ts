import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sha256Of } from '../../src/forensics/package-files.js';
import { uploadForensicPackage } from '../../src/simulator/forensics.js';
import { ENGINES } from '../support/databases.js';
import { json } from '../status/appliance-client.js';
import { statusHarness, type StatusHarness } from '../status/status-harness.js';
import { announcement, filePackage, rawRequest, uploadTarget } from './forensic-harness.js';

/** A small file system of its own makes a full disk real, not simulated. */
const canMount = (() => {
  if (process.getuid?.() !== 0) return false;
  const probe = path.join(tmpdir(), `tmsp-forensic-mount-probe-${process.pid}`);
  spawnSync('mkdir', ['-p', probe]);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]);
  spawnSync('umount', [probe]);
  spawnSync('rmdir', [probe]);
  return mounted.status === 0;
})();

const MIB = 1024 * 1024;

describe.skipIf(!canMount).each(ENGINES)('C45, C46: forensic store full (%s)', (engine) => {
  let harness: StatusHarness;
  let work: string;
  let areas: string;
  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'tmsp-forensic-full-'));
    areas = path.join(work, 'areas');
    await mkdir(areas);
    spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', areas]);
    harness = await statusHarness(engine, { TMSP_STORAGE_AREAS_DIR: areas });
  });
  afterAll(async () => {
    await harness.close();
    spawnSync('umount', ['-l', areas]);
    await rm(work, { recursive: true, force: true });
  });

  it('answers 507, keeps no partial file, no row, and the earlier package intact', async () => {
    const target = await uploadTarget(harness);
    const first = await filePackage(work, 1.5 * MIB);
    const kept = await uploadForensicPackage(target, first);
    const [earlier] = await harness.runtime.store.db
      .selectFrom('forensicCases')
      .selectAll()
      .where('id', '=', kept.caseId)
      .execute();

    // Half of this fits: the disk fills in the middle of the write.
    const second = await filePackage(work, 1 * MIB);
    const appliance = harness.appliance();
    appliance.token = target.token;
    const created = await appliance.status(
      'POST',
      '/v1/forensic-uploads',
      json(announcement(second)),
    );
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    const headers = {
      'content-type': 'application/octet-stream',
      'content-length': String(second.size),
      'content-range': `bytes 0-${second.size - 1}/${second.size}`,
    };
    const answer = await rawRequest(
      target,
      'PUT',
      `/v1/forensic-uploads/${id}`,
      headers,
      async (write) => {
        for await (const piece of second.read(0)) if (!(await write(piece as Buffer))) return;
      },
    );
    expect(answer.status).toBe(507);
    expect(answer.json.message).toContain('the forensic store is full');

    const db = harness.runtime.store.db;
    expect(
      await db.selectFrom('forensicUploads').selectAll().where('id', '=', id).execute(),
    ).toEqual([]);
    const cases = await db.selectFrom('forensicCases').selectAll().execute();
    expect(cases.map((row) => row.id)).toEqual([kept.caseId]);
    const directory = path.dirname(path.join(areas, earlier!.filePath));
    expect(await readdir(directory)).toEqual([path.basename(earlier!.filePath)]);
    expect(await sha256Of(path.join(areas, earlier!.filePath))).toBe(first.sha256);
  });
});
