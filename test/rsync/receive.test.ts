import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { type ReceiveServer, push, startReceiveServer } from '../support/rsync-harness.js';

let work: string;
let server: ReceiveServer;

beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'tmsp-receive-'));
  server = await startReceiveServer(work);
});

afterEach(async () => {
  await server.close();
  await rm(work, { recursive: true, force: true });
});

const stored = (name: string): Promise<Buffer> => readFile(path.join(work, 'area/logs', name));

async function sourceTree(): Promise<string> {
  const source = path.join(work, 'source');
  await mkdir(path.join(source, 'nested/deeper'), { recursive: true });
  await writeFile(path.join(source, 'one.log'), 'first line\nsecond line\n');
  await writeFile(path.join(source, 'nested/big.log'), randomBytes(300_000));
  for (let index = 0; index < 20; index++) {
    await writeFile(path.join(source, `nested/deeper/small-${index}.log`), `line ${index}\n`);
  }
  return source;
}

async function expectSameTree(source: string): Promise<void> {
  expect((await stored('one.log')).equals(await readFile(path.join(source, 'one.log')))).toBe(true);
  const big = await readFile(path.join(source, 'nested/big.log'));
  expect((await stored('nested/big.log')).equals(big)).toBe(true);
  expect((await readdir(path.join(work, 'area/logs/nested/deeper'))).length).toBe(20);
}

/** Debian's rsync, and the 3.2.7 of appliances in the field when `npm test` fetched it. */
const CLIENTS: [string, string][] = [
  ['3.5', 'rsync'],
  ...(process.env['TMSP_RSYNC_327']
    ? [['3.2.7', process.env['TMSP_RSYNC_327']] as [string, string]]
    : []),
];
const PROTOCOLS: [string, string[]][] = [
  ['default', []],
  ['27', ['--protocol=27']],
  ['29', ['--protocol=29']],
  ['30', ['--protocol=30']],
  ['31', ['--protocol=31']],
];
const MATRIX = CLIENTS.flatMap(([client, binary]) =>
  PROTOCOLS.map(([protocol, args]) => [client, protocol, binary, args] as const),
);

describe.each(MATRIX)('rsync %s, protocol %s', (_client, _protocol, rsync, protocolArgs) => {
  it.each([
    ['plain', []],
    ['compressed', ['-z']],
  ])('receives a tree of files, %s', async (_how, compressArgs) => {
    const source = await sourceTree();
    const args = ['-a', ...protocolArgs, ...compressArgs, `${source}/`, 'x:'];
    const result = await push(server, args, rsync);
    expect(server.errors).toEqual([]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    await expectSameTree(source);
  });

  it('moves only the new part of a grown file', async () => {
    const source = path.join(work, 'grow');
    await mkdir(source);
    const log = path.join(source, 'grown.log');
    await writeFile(log, randomBytes(1_000_000));
    expect((await push(server, ['-a', ...protocolArgs, `${source}/`, 'x:'], rsync)).code).toBe(0);
    await appendFile(log, randomBytes(10_000));

    const again = await push(server, ['-a', ...protocolArgs, `${source}/`, 'x:'], rsync);
    expect(again.code).toBe(0);
    expect((await stored('grown.log')).equals(await readFile(log))).toBe(true);
    const summary = server.summaries.at(-1);
    expect(summary?.literalBytes).toBeLessThan(30_000);
    expect(summary?.matchedBytes).toBeGreaterThan(900_000);
  });
});

describe('options', () => {
  it('lets the client delete its copies only after they are stored', async () => {
    const source = await sourceTree();
    const result = await push(server, ['-a', '--remove-source-files', `${source}/`, 'x:']);
    expect(result.code).toBe(0);
    expect(server.stored.map((file) => file.name)).toContain('one.log');
    await expect(readFile(path.join(source, 'one.log'))).rejects.toThrow();
    expect((await stored('one.log')).toString()).toBe('first line\nsecond line\n');
  });

  it.each([['--delete'], ['--delete-after'], ['--delete-delay'], ['-m']])(
    'takes %s but deletes nothing it received',
    async (option) => {
      const source = await sourceTree();
      expect((await push(server, ['-a', `${source}/`, 'x:'])).code).toBe(0);
      await rm(path.join(source, 'one.log'));
      const result = await push(server, ['-a', option, `${source}/`, 'x:']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect((await stored('one.log')).toString()).toBe('first line\nsecond line\n');
    },
  );

  it('appends with verification and catches a file that changed in the middle', async () => {
    const source = path.join(work, 'append');
    await mkdir(source);
    const log = path.join(source, 'app.log');
    await writeFile(log, 'a'.repeat(5000));
    expect((await push(server, ['-a', '--append-verify', `${source}/`, 'x:'])).code).toBe(0);
    await writeFile(log, `${'b'.repeat(5000)}tail`);

    const result = await push(server, ['-a', '--append-verify', `${source}/`, 'x:']);
    expect(result.code).toBe(0);
    expect((await stored('app.log')).toString()).toBe(`${'b'.repeat(5000)}tail`);
  });

  it('resumes an interrupted push from what it kept with --partial', async () => {
    const source = path.join(work, 'resume');
    await mkdir(source);
    const log = path.join(source, 'long.log');
    await writeFile(log, randomBytes(8_000_000));
    const cut = await push(
      server,
      ['-a', '--partial', '--bwlimit=2000', `${source}/`, 'x:'],
      'rsync',
      1500,
    );
    expect(cut.code).not.toBe(0);
    await expect(stored('long.log')).rejects.toThrow();
    await waitFor(async () => (await readdir(path.join(work, 'area/partial'))).length === 1);

    const resumed = await push(server, ['-a', '--partial', `${source}/`, 'x:']);
    expect(resumed.code).toBe(0);
    expect((await stored('long.log')).equals(await readFile(log))).toBe(true);
    const summary = server.summaries.at(-1);
    expect(summary?.matchedBytes).toBeGreaterThan(1_000_000);
    expect(await readdir(path.join(work, 'area/partial'))).toEqual([]);
  });
});

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition not reached');
}
