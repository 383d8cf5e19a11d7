import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { type ReceiveServer, push, startReceiveServer } from '../support/rsync-harness.js';

/** A small file system of its own makes a full or read-only store real, not simulated. */
const canMount = (() => {
  if (process.getuid?.() !== 0) return false;
  const probe = path.join(tmpdir(), `tmsp-mount-probe-${process.pid}`);
  spawnSync('mkdir', ['-p', probe]);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]);
  spawnSync('umount', [probe]);
  spawnSync('rmdir', [probe]);
  return mounted.status === 0;
})();

describe.skipIf(!canMount)('a log store that cannot take a push (C45, C46)', () => {
  let store: string;
  let source: string;
  let server: ReceiveServer;

  beforeEach(async () => {
    store = await mkdtemp(path.join(tmpdir(), 'tmsp-store-'));
    spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', store]);
    source = await mkdtemp(path.join(tmpdir(), 'tmsp-appliance-'));
    server = await startReceiveServer(store);
  });

  afterEach(async () => {
    await server.close();
    spawnSync('umount', ['-l', store]);
    await rm(store, { recursive: true, force: true });
    await rm(source, { recursive: true, force: true });
  });

  const logs = (name: string) => path.join(store, 'area/logs', name);

  it('refuses a push the full disk cannot hold, keeping earlier files whole', async () => {
    await writeFile(path.join(source, 'small.log'), 'kept line\n');
    expect((await push(server, ['-a', `${source}/`, 'x:'])).code).toBe(0);
    await mkdir(path.join(source, 'later'));
    await writeFile(path.join(source, 'later/big.log'), randomBytes(3 * 1024 * 1024));

    const result = await push(server, ['-a', '--remove-source-files', `${source}/`, 'x:']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('tmsp: the log store is full; keep the files');
    expect(await readFile(path.join(source, 'later/big.log'))).toHaveLength(3 * 1024 * 1024);
    await expect(readFile(logs('later/big.log'))).rejects.toThrow();
    expect(await readFile(logs('small.log'), 'utf8')).toBe('kept line\n');
    expect(await readdir(path.join(store, 'area/incoming'))).toEqual([]);
  });

  it('refuses a push into a store that refuses writes', async () => {
    await writeFile(path.join(source, 'first.log'), 'first\n');
    expect((await push(server, ['-a', `${source}/`, 'x:'])).code).toBe(0);
    spawnSync('mount', ['-o', 'remount,ro', store]);
    await writeFile(path.join(source, 'second.log'), 'second\n');

    const result = await push(server, ['-a', '--remove-source-files', `${source}/`, 'x:']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/tmsp: the log store (refuses writes|failed)/);
    expect(await readFile(path.join(source, 'second.log'), 'utf8')).toBe('second\n');
  });
});
