import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

import * as tar from 'tar';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { ensureBuiltInAdministrator } from '../../src/accounts/administrators.js';
import { createBackup } from '../../src/backup/backup.js';
import { restoreBackup } from '../../src/backup/restore.js';
import { fixedClock } from '../../src/shared/clock.js';
import { AppError, type ErrorCode } from '../../src/shared/errors.js';
import { pathExists } from '../../src/shared/files.js';
import { ENGINES } from '../support/databases.js';
import { T0, allRows, keysOf, newSite, seed, type Site } from './backup-helpers.js';

const run = promisify(execFile);

describe.each(ENGINES)('restore refusals on %s', (engine) => {
  let source: Site;
  let target: Site;
  let archive: string;
  let scratch: string;

  beforeAll(async () => {
    source = await newSite(engine);
    await seed(source, await keysOf(source));
    archive = path.join(source.dataDir, 'backup.tar.gz');
    await createBackup(source.store, source.paths, fixedClock(T0), archive);
  });
  afterAll(async () => {
    await source.close();
  });
  beforeEach(async () => {
    target = await newSite(engine);
    scratch = await mkdtemp(path.join(tmpdir(), 'tmsp-archive-'));
  });
  afterEach(async () => {
    await target.close();
    await rm(scratch, { recursive: true, force: true });
  });

  /** What the target holds: every row and every file in its data directory. */
  async function targetState(): Promise<unknown> {
    const files = await readdir(target.dataDir, { recursive: true });
    const contents: Record<string, string> = {};
    for (const file of files.sort()) {
      const full = path.join(target.dataDir, file);
      if ((await stat(full)).isFile()) contents[file] = await readFile(full, 'utf8');
    }
    return { rows: await allRows(target.store), files: contents };
  }

  async function refused(from: string, code: ErrorCode, message?: RegExp): Promise<void> {
    const before = await targetState();
    let caught: unknown;
    await restoreBackup(target.store, target.paths, from).catch((error: unknown) => {
      caught = error;
    });
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe(code);
    expect((caught as AppError).message).not.toContain('\n');
    if (message) expect((caught as AppError).message).toMatch(message);
    expect(await targetState()).toEqual(before);
  }

  /** A .tar.gz of a staging folder holding these files. */
  async function archiveOf(files: Record<string, string>): Promise<string> {
    const staging = await mkdtemp(path.join(scratch, 'staging-'));
    for (const [name, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(staging, name)), { recursive: true });
      await writeFile(path.join(staging, name), content);
    }
    const file = path.join(scratch, `${path.basename(staging)}.tar.gz`);
    await tar.create({ gzip: true, file, cwd: staging }, await readdir(staging));
    return file;
  }

  const manifest = (change: Record<string, unknown>): string =>
    JSON.stringify({
      format: 'tmsp-backup',
      version: 1,
      createdAt: T0.toISOString(),
      engine,
      migrations: ['001-foundation'],
      tables: {},
      keys: [],
      files: 0,
      ...change,
    });

  it('refuses a database that already has rows, changing nothing', async () => {
    await ensureBuiltInAdministrator(target.store, fixedClock(T0));
    await target.store.db.updateTable('administrators').set({ mustChangePassword: 0 }).execute();
    await refused(archive, 'conflict', /^restore needs an empty database; \w+ has rows$/);
  });

  it('restores over the built-in administrator that tmsp migrate seeds', async () => {
    await ensureBuiltInAdministrator(target.store, fixedClock(T0));
    await restoreBackup(target.store, target.paths, archive);
    expect(await pathExists(target.paths.secretsKey)).toBe(true);
  });

  it('refuses a data directory that already holds a key file, changing nothing', async () => {
    await mkdir(target.paths.keysDir, { recursive: true });
    await writeFile(target.paths.secretsKey, 'existing key\n', { mode: 0o600 });
    await refused(archive, 'conflict', /restore needs an empty data directory; .*secrets\.key/);
  });

  it('refuses an areas directory that already holds files, changing nothing', async () => {
    await mkdir(target.paths.areasDir, { recursive: true });
    await writeFile(path.join(target.paths.areasDir, 'kept.log'), 'kept');
    await refused(archive, 'conflict', /has files$/);
  });

  it('restores into an empty areas directory that already exists', async () => {
    await mkdir(target.paths.areasDir, { recursive: true });
    await restoreBackup(target.store, target.paths, archive);
    expect(await pathExists(target.paths.secretsKey)).toBe(true);
  });

  it.each([
    ['random bytes', Buffer.from('not a tar archive at all, just text '.repeat(40))],
    ['an empty file', Buffer.alloc(0)],
  ])('refuses %s as invalid input, changing nothing', async (_label, content) => {
    const garbage = path.join(scratch, 'garbage.tar.gz');
    await writeFile(garbage, content);
    await refused(garbage, 'invalid_input');
  });

  // A truncated archive must fail before anything is written (no staged key copies left).
  it('refuses a truncated archive as invalid input, leaving nothing behind', async () => {
    const whole = await readFile(archive);
    try {
      for (const cut of [200, 400, 800, 1600, whole.length - 100, whole.length - 10]) {
        const truncated = path.join(scratch, `truncated-${cut}.tar.gz`);
        await writeFile(truncated, whole.subarray(0, cut));
        await refused(truncated, 'invalid_input');
      }
    } finally {
      // Let the writes the failed extraction left running finish before cleaning up.
      await sleep(500);
    }
  });

  it('refuses an archive that does not exist as invalid input', async () => {
    await refused(path.join(scratch, 'missing.tar.gz'), 'invalid_input');
  });

  it.each([
    ['no manifest', { 'database/x.jsonl': '' }],
    ['a manifest that is not JSON', { 'manifest.json': '{ format:' }],
    ['another format', { 'manifest.json': manifest({ format: 'other-backup' }) }],
    ['a newer version', { 'manifest.json': manifest({ version: 2 }) }],
    ['a negative table count', { 'manifest.json': manifest({ tables: { settings: -1 } }) }],
    ['a migration this version lacks', { 'manifest.json': manifest({ migrations: ['999-x'] }) }],
  ])('refuses an archive with %s as invalid input, changing nothing', async (_label, files) => {
    await refused(await archiveOf(files), 'invalid_input');
  });

  it('names the unknown migrations of a backup from a newer version', async () => {
    const newer = await archiveOf({
      'manifest.json': manifest({ migrations: ['001-foundation', '999-future'] }),
    });
    await refused(newer, 'invalid_input', /newer TMSP \(migrations 999-future\)$/);
  });

  it('writes nothing outside the data directory for an entry that climbs out', async () => {
    const outside = path.join(scratch, 'escaped.txt');
    const staging = path.join(scratch, 'inner');
    await mkdir(staging);
    await writeFile(outside, 'outside');
    await writeFile(path.join(staging, 'manifest.json'), manifest({}));
    const evil = path.join(scratch, 'evil.tar.gz');
    await run('tar', ['-czPf', evil, '-C', staging, 'manifest.json', '../escaped.txt']);
    await rm(outside);

    await restoreBackup(target.store, target.paths, evil).catch(() => undefined);
    expect(await pathExists(outside)).toBe(false);
    expect(await pathExists(path.join(target.dataDir, 'escaped.txt'))).toBe(false);
  });
});
