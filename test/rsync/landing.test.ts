import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { type ReceiveServer, push, startReceiveServer } from '../support/rsync-harness.js';

/**
 * How files land in an appliance area, against the handed cases about half-written files:
 * temporary copies never appear under a log's name, a file is recorded only once complete and
 * in place, and a failed replacement leaves the previous copy whole.
 */
describe('files landing in an appliance area', () => {
  let work: string;
  let source: string;
  let server: ReceiveServer;
  /** What the area held under the file's name when the file was recorded. */
  let seenAtRecord: { name: string; size: number; onDisk: number }[];

  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'tmsp-landing-'));
    source = path.join(work, 'appliance');
    await mkdir(source);
    seenAtRecord = [];
    server = await startReceiveServer(work, undefined, async (file) => {
      const onDisk = (await stat(logs(file.name))).size;
      seenAtRecord.push({ name: file.name, size: file.size, onDisk });
    });
  });

  afterEach(async () => {
    await server.close();
    await rm(work, { recursive: true, force: true });
  });

  const logs = (name = '') => path.join(work, 'area/logs', name);
  const slowPush = (args: string[], killAfterMs: number) =>
    push(server, ['-a', '--bwlimit=1000', ...args, `${source}/`, 'x:'], 'rsync', killAfterMs);

  it('never shows a temporary copy under the logs, even after a cut push (C16)', async () => {
    await writeFile(path.join(source, 'ddi-20250314-1200.log'), randomBytes(4_000_000));
    expect((await slowPush(['--partial'], 1200)).code).not.toBe(0);
    expect(await readdir(logs())).toEqual([]);
    expect(seenAtRecord).toEqual([]);

    expect((await push(server, ['-a', '--partial', `${source}/`, 'x:'])).code).toBe(0);
    expect(await readdir(logs())).toEqual(['ddi-20250314-1200.log']);
    expect(seenAtRecord).toEqual([
      { name: 'ddi-20250314-1200.log', size: 4_000_000, onDisk: 4_000_000 },
    ]);
  });

  it('records a new version once, after it is in place under its name (C17)', async () => {
    const log = path.join(source, 'ddi.log');
    await writeFile(log, 'first version\n');
    expect((await push(server, ['-a', `${source}/`, 'x:'])).code).toBe(0);
    await writeFile(log, 'second, longer version\n');

    expect((await push(server, ['-a', `${source}/`, 'x:'])).code).toBe(0);
    expect(seenAtRecord.map((seen) => seen.size === seen.onDisk)).toEqual([true, true]);
    expect(await readFile(logs('ddi.log'), 'utf8')).toBe('second, longer version\n');
  });

  it('never writes in place, even when asked to: nothing is seen half-written (C21)', async () => {
    await writeFile(path.join(source, 'growing.log'), randomBytes(3_000_000));
    const cut = await slowPush(['--inplace'], 1200);
    expect(cut.code).not.toBe(0);
    await expect(stat(logs('growing.log'))).rejects.toThrow();

    expect((await push(server, ['-a', '--inplace', `${source}/`, 'x:'])).code).toBe(0);
    expect(seenAtRecord).toEqual([{ name: 'growing.log', size: 3_000_000, onDisk: 3_000_000 }]);
  });

  it('keeps the previous copy whole when a replacement fails half-way (C46)', async () => {
    const log = path.join(source, 'logo.log');
    await writeFile(log, 'the good copy\n');
    expect((await push(server, ['-a', `${source}/`, 'x:'])).code).toBe(0);
    await writeFile(log, randomBytes(3_000_000));

    expect((await slowPush([], 1200)).code).not.toBe(0);
    expect(await readFile(logs('logo.log'), 'utf8')).toBe('the good copy\n');
    expect(await readdir(path.join(work, 'area/incoming'))).toEqual([]);
  });
});
