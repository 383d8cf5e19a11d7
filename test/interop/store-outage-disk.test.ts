import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { STORE_ALARM } from '../../src/logserver/store-alarms.js';
import { STORE_UNAVAILABLE } from '../../src/logserver/store-failures.js';
import { scratchDatabase, type ScratchDatabase } from '../support/databases.js';
import { rsyncOverSsh } from '../support/rsync-client.js';
import { waitFor } from '../logserver/store-outages.js';
import { FLEET_SECRET, FLEET_USER, type LogDoors, startLogDoors } from './log-doors.js';

const GUID = '6F9619FF-8B86-D011-B42D-00CF4FC964FF';

/** A small file system of its own makes a full disk real, not simulated. */
const canMount = (() => {
  if (process.getuid?.() !== 0) return false;
  const probe = path.join(tmpdir(), `tmsp-mount-probe-${process.pid}`);
  spawnSync('mkdir', ['-p', probe]);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]);
  spawnSync('umount', [probe]);
  spawnSync('rmdir', [probe]);
  return mounted.status === 0;
})();

/** Writes until the file system is full; what it wrote stays until the test removes it. */
async function fill(file: string): Promise<void> {
  try {
    await writeFile(file, Buffer.alloc(4 * 1024 * 1024));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    return;
  }
  throw new Error('the areas file system did not fill up');
}

describe.skipIf(!canMount)('pushes while the disk of the areas is full', () => {
  let database: ScratchDatabase;
  let areas: string;
  let doors: LogDoors;

  beforeAll(async () => {
    database = await scratchDatabase('sqlite');
    areas = path.join(database.directory, 'areas');
    await mkdir(areas);
    spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', areas]);
    doors = await startLogDoors(database, { probeIntervalMs: 100, areasDir: areas });
  });
  afterAll(async () => {
    await doors.close();
    spawnSync('umount', ['-l', areas]);
    await database.drop();
  });

  const alarms = () => doors.store.db.selectFrom('alarms').selectAll().execute();

  it('raises a stored alarm at once, refuses pushes, clears it when space is back', async () => {
    const outbox = path.join(database.directory, 'outbox');
    await mkdir(outbox);
    const push = () =>
      rsyncOverSsh(database.directory, doors.sshPort, FLEET_USER, FLEET_SECRET, [
        '-a',
        '--remove-source-files',
        `${outbox}/`,
        `127.0.0.1:${GUID}/`,
      ]);
    await writeFile(path.join(outbox, 'before.log'), 'before the disk filled\n');
    expect((await push()).code).toBe(0);

    const filler = path.join(areas, 'filler');
    await fill(filler);
    await writeFile(path.join(outbox, 'during.log'), randomBytes(64 * 1024));
    const inFlight = await push();
    expect(inFlight.code).not.toBe(0);
    expect(inFlight.stderr).toContain('tmsp: the log store is full; keep the files');
    expect(doors.health.writable).toBe(false);
    // The database still takes writes: the alarm row is there while the outage lasts.
    await waitFor('the alarm row', async () => (await alarms()).length === 1);
    const [raised] = await alarms();
    expect(raised).toMatchObject({ kind: STORE_ALARM, clearedAt: null, customerId: null });
    expect(JSON.parse(raised!.detail)).toMatchObject({ part: 'disk' });

    await writeFile(path.join(outbox, 'refused.log'), 'refused at the door\n');
    const refused = await push();
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(STORE_UNAVAILABLE);
    expect((await readdir(outbox)).sort()).toEqual(['during.log', 'refused.log']);
    const logs = path.join(areas, String(doors.customerId), GUID, 'logs');
    await expect(stat(path.join(logs, 'during.log'))).rejects.toThrow();
    expect(await readdir(path.join(areas, String(doors.customerId), GUID, 'incoming'))).toEqual([]);

    await rm(filler);
    await waitFor('the store to recover', () => doors.health.writable);
    const [cleared] = await alarms();
    expect(cleared).toMatchObject({ id: raised!.id, kind: STORE_ALARM });
    expect(cleared!.clearedAt).toBeGreaterThanOrEqual(raised!.raisedAt);
    expect(JSON.parse(cleared!.detail)).toMatchObject({ part: 'disk', refusedPushes: 1 });

    expect((await push()).code).toBe(0);
    expect(await readdir(outbox)).toEqual([]);
    const rows = await doors.store.db.selectFrom('receivedFiles').select('name').execute();
    expect(rows.map((row) => row.name).sort()).toEqual(['before.log', 'during.log', 'refused.log']);
    expect(await readdir(areas)).not.toContainEqual(expect.stringMatching(/^\.store-probe/));
  });
});
