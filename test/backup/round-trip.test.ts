import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { addCustomer } from '../../src/accounts/customers.js';
import { recordAudit } from '../../src/audit/audit-log.js';
import { createBackup } from '../../src/backup/backup.js';
import { keyFiles } from '../../src/backup/manifest.js';
import { restoreBackup } from '../../src/backup/restore.js';
import { patternFile, patternsDir } from '../../src/patterns/pattern-files.js';
import { uploadPattern } from '../../src/patterns/patterns.js';
import { fixedClock } from '../../src/shared/clock.js';
import { customerStats } from '../../src/stats/customer-stats.js';
import type { Engine } from '../../src/storage/engine.js';
import { BACKUP_TABLES, DATA_TABLES } from '../../src/storage/tables.js';
import { ENGINES } from '../support/databases.js';
import {
  ACTOR,
  HEARTBEAT_TIMEOUT_MS,
  T0,
  allRows,
  keysOf,
  newSite,
  seed,
  type Site,
} from './backup-helpers.js';

const sites: Site[] = [];
afterEach(async () => {
  await Promise.all(sites.splice(0).map((site) => site.close()));
});

async function site(engine: Engine): Promise<Site> {
  const created = await newSite(engine);
  sites.push(created);
  return created;
}

async function readKeys(target: Site): Promise<Record<string, string>> {
  const contents: Record<string, string> = {};
  for (const [name, file] of Object.entries(keyFiles(target.paths))) {
    contents[name] = await readFile(file, 'utf8');
  }
  return contents;
}

const PAIRS: Array<[Engine, Engine]> = ENGINES.flatMap((from) =>
  ENGINES.map((to): [Engine, Engine] => [from, to]),
);

describe.each(PAIRS)('a backup from %s restored on %s', (fromEngine, toEngine) => {
  it('gives identical rows in every backed-up table and the same stats', async () => {
    const source = await site(fromEngine);
    const keys = await keysOf(source);
    const customers = await seed(source, keys);
    const archive = path.join(source.dataDir, 'backup.tar.gz');
    const written = await createBackup(source.store, source.paths, fixedClock(T0), archive);

    const target = await site(toEngine);
    const restored = await restoreBackup(target.store, target.paths, archive);
    expect(restored).toEqual(written);

    const before = await allRows(source.store);
    const after = await allRows(target.store);
    expect(before['sso_sessions']).toHaveLength(1);
    expect(before['cas_tickets']).toHaveLength(1);
    expect(before['received_files']).toHaveLength(1);
    for (const table of BACKUP_TABLES) {
      expect({ table: table.name, rows: after[table.name] }).toEqual({
        table: table.name,
        rows: before[table.name],
      });
      expect(written.tables[table.name]).toBe(before[table.name]?.length);
    }
    for (const table of DATA_TABLES.filter((t) => t.ephemeral === true)) {
      expect({ table: table.name, rows: after[table.name] }).toEqual({
        table: table.name,
        rows: [],
      });
    }

    const now = new Date(T0.getTime() + 120_000);
    for (const name of customers) {
      expect(await customerStats(target.store.db, name, now, HEARTBEAT_TIMEOUT_MS)).toEqual(
        await customerStats(source.store.db, name, now, HEARTBEAT_TIMEOUT_MS),
      );
    }
    expect(await readKeys(target)).toEqual(await readKeys(source));
  });

  it('lets the restored secrets key open the restored registration secrets', async () => {
    const source = await site(fromEngine);
    await seed(source, await keysOf(source));
    const archive = path.join(source.dataDir, 'backup.tar.gz');
    await createBackup(source.store, source.paths, fixedClock(T0), archive);

    const target = await site(toEngine);
    await restoreBackup(target.store, target.paths, archive);
    const keys = await keysOf(target);
    const sealed = await target.store.db
      .selectFrom('registrationCredentials')
      .select(['userName', 'secretCiphertext'])
      .orderBy('userName')
      .execute();
    expect(sealed.map((row) => keys.secrets.open(row.secretCiphertext))).toEqual([
      'Fleet-Secret-77',
      'Globex-Secret-1',
    ]);
  });

  it('lets new rows be added after the restore, with ids after the restored ones', async () => {
    const source = await site(fromEngine);
    const keys = await keysOf(source);
    await seed(source, keys);
    const archive = path.join(source.dataDir, 'backup.tar.gz');
    await createBackup(source.store, source.paths, fixedClock(T0), archive);

    const target = await site(toEngine);
    await restoreBackup(target.store, target.paths, archive);
    const context = { store: target.store, clock: fixedClock(T0), secrets: keys.secrets };
    const added = await addCustomer(
      context,
      { name: 'initech', registrationUser: 'initech-fleet', registrationSecret: 'Initech-9999' },
      ACTOR,
    );
    const maxBefore = Math.max(
      ...(await source.store.db.selectFrom('customerAccounts').select('id').execute()).map(
        (row) => row.id,
      ),
    );
    expect(added.id).toBeGreaterThan(maxBefore);
    await target.store.db.transaction().execute(async (db) => {
      await recordAudit(db, T0, { actor: 'a', source: 's', action: 'x', result: 'success' });
      await db
        .insertInto('casServices')
        .values({ url: 'https://127.0.0.1/y', kind: 'service', description: '', createdAt: 1 })
        .execute();
    });
  });
});

describe.each(ENGINES)('backup and restore of stored files on %s', (engine) => {
  it('carries the files under the areas directory and leaves out dot files', async () => {
    const source = await site(engine);
    await keysOf(source);
    const areas = source.paths.areasDir;
    await mkdir(path.join(areas, 'acme', 'logs', '.hidden-dir'), { recursive: true });
    await writeFile(path.join(areas, 'acme', 'logs', 'a.log'), 'line 1\n');
    await writeFile(path.join(areas, 'acme', 'report.bin'), Buffer.from([0, 1, 2, 255]));
    await writeFile(path.join(areas, 'acme', 'logs', '.a.log.tmp123'), 'partial');
    await writeFile(path.join(areas, 'acme', 'logs', '.hidden-dir', 'x'), 'hidden');
    await writeFile(path.join(areas, '.lock'), '');

    const archive = path.join(source.dataDir, 'backup.tar.gz');
    const manifest = await createBackup(source.store, source.paths, fixedClock(T0), archive);
    expect(manifest.files).toBe(2);
    expect((await readdir(source.dataDir)).filter((name) => name.startsWith('.'))).toEqual([]);

    const target = await site(engine);
    await restoreBackup(target.store, target.paths, archive);
    const restored = target.paths.areasDir;
    expect(await readFile(path.join(restored, 'acme', 'logs', 'a.log'), 'utf8')).toBe('line 1\n');
    expect([...(await readFile(path.join(restored, 'acme', 'report.bin')))]).toEqual([
      0, 1, 2, 255,
    ]);
    expect(await readdir(path.join(restored, 'acme', 'logs'))).toEqual(['a.log']);
    expect(await readdir(restored)).toEqual(['acme']);
    expect((await readdir(target.dataDir)).filter((name) => name.startsWith('.'))).toEqual([]);
  });
  it('carries custom pattern contents with their rows', async () => {
    const source = await site(engine);
    await seed(source, await keysOf(source));
    const [acme] = await source.store.db.selectFrom('customerAccounts').select('id').execute();
    const catalogue = {
      store: source.store,
      clock: fixedClock(T0),
      dir: patternsDir(source.paths.areasDir),
    };
    const content = Buffer.from('bandage pattern content\n');
    const upload = { customerId: acme!.id, type: 'bandage', version: '17.1', description: '' };
    const pattern = await uploadPattern(catalogue, { ...upload, content }, ACTOR);

    const archive = path.join(source.dataDir, 'backup.tar.gz');
    await createBackup(source.store, source.paths, fixedClock(T0), archive);
    const target = await site(engine);
    await restoreBackup(target.store, target.paths, archive);

    const restored = patternFile(patternsDir(target.paths.areasDir), pattern.sha256);
    expect(await readFile(restored)).toEqual(content);
  });
});
