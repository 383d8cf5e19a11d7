import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { createBackup } from '../../src/backup/backup.js';
import { restoreBackup } from '../../src/backup/restore.js';
import { fixedClock } from '../../src/shared/clock.js';
import type { Engine } from '../../src/storage/engine.js';
import { ENGINES } from '../support/databases.js';
import { T0, allRows, keysOf, newSite, type Site } from './backup-helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function site(engine: Engine, env: Record<string, string> = {}): Promise<Site> {
  const created = await newSite(engine, env);
  cleanups.push(() => created.close());
  return created;
}

/** A directory on another file system than the temporary directory, if this machine has one. */
const OTHER_DEVICE =
  existsSync('/dev/shm') && statSync('/dev/shm').dev !== statSync(tmpdir()).dev ? '/dev/shm' : null;

async function otherDeviceDirectory(): Promise<string> {
  const directory = await mkdtemp(path.join(OTHER_DEVICE as string, 'tmsp-areas-'));
  cleanups.push(() => rm(directory, { recursive: true, force: true }));
  return directory;
}

describe.each(ENGINES)('backups larger than one page on %s', (engine) => {
  it('carries every row of tables with more rows than one read', async () => {
    const source = await site(engine);
    await keysOf(source);
    const at = T0.getTime();
    for (let start = 0; start < 4_500; start += 500) {
      const events = Array.from({ length: 500 }, (_, i) => ({
        at: at + start + i,
        actor: `actor-${start + i}`,
        source: 'cli',
        action: 'test.fill',
        result: 'success' as const,
      }));
      await source.store.db.insertInto('auditEvents').values(events).execute();
      const names = Array.from({ length: 500 }, (_, i) => ({
        nameKey: `user-${String(start + i).padStart(5, '0')}`,
        userName: `User-${start + i}`,
        kind: 'administrator' as const,
        customerId: null,
      }));
      await source.store.db.insertInto('logonNames').values(names).execute();
    }
    const archive = path.join(source.dataDir, 'backup.tar.gz');
    const manifest = await createBackup(source.store, source.paths, fixedClock(T0), archive);
    expect(manifest.tables['audit_events']).toBe(4_500);
    expect(manifest.tables['logon_names']).toBe(4_500);

    const target = await site(engine);
    await restoreBackup(target.store, target.paths, archive);
    const [before, after] = [await allRows(source.store), await allRows(target.store)];
    expect(after['audit_events']).toEqual(before['audit_events']);
    expect(after['logon_names']).toEqual(before['logon_names']);
  });
});

describe.runIf(OTHER_DEVICE !== null)('stored files on another file system', () => {
  it('are backed up from an areas directory on another file system', async () => {
    const areas = path.join(await otherDeviceDirectory(), 'areas');
    const source = await site('sqlite', { TMSP_STORAGE_AREAS_DIR: areas });
    await keysOf(source);
    await mkdir(path.join(areas, 'acme'), { recursive: true });
    await writeFile(path.join(areas, 'acme', 'a.log'), 'line\n');
    const archive = path.join(source.dataDir, 'backup.tar.gz');
    const manifest = await createBackup(source.store, source.paths, fixedClock(T0), archive);
    expect(manifest.files).toBe(1);

    const target = await site('sqlite');
    await restoreBackup(target.store, target.paths, archive);
    expect(await readFile(path.join(target.paths.areasDir, 'acme', 'a.log'), 'utf8')).toBe(
      'line\n',
    );
  });

  // The areas directory may live on another file system than the data directory.
  it('are restored into an areas directory on another file system', async () => {
    const source = await site('sqlite');
    await keysOf(source);
    await mkdir(path.join(source.paths.areasDir, 'acme'), { recursive: true });
    await writeFile(path.join(source.paths.areasDir, 'acme', 'a.log'), 'line\n');
    const archive = path.join(source.dataDir, 'backup.tar.gz');
    await createBackup(source.store, source.paths, fixedClock(T0), archive);

    const areas = path.join(await otherDeviceDirectory(), 'areas');
    const target = await site('sqlite', { TMSP_STORAGE_AREAS_DIR: areas });
    await restoreBackup(target.store, target.paths, archive);
    expect(await readdir(path.join(areas, 'acme'))).toEqual(['a.log']);
  });
});
