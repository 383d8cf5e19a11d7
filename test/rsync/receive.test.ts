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
  expect(await stored('one.log')).toEqual(await readFile(path.join(source, 'one.log')));
  expect(await stored('nested/big.log')).toEqual(
    await readFile(path.join(source, 'nested/big.log')),
  );
  expect((await readdir(path.join(work, 'area/logs/nested/deeper'))).length).toBe(20);
}

describe.each([
  ['default', []],
  ['27', ['--protocol=27']],
  ['29', ['--protocol=29']],
  ['30', ['--protocol=30']],
  ['31', ['--protocol=31']],
])('a push with protocol %s', (_name, protocolArgs) => {
  it.each([
    ['plain', []],
    ['compressed', ['-z']],
  ])('receives a tree of files, %s', async (_how, compressArgs) => {
    const source = await sourceTree();
    const result = await push(server, ['-a', ...protocolArgs, ...compressArgs, `${source}/`, 'x:']);
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
    expect((await push(server, ['-a', ...protocolArgs, `${source}/`, 'x:'])).code).toBe(0);
    await appendFile(log, randomBytes(10_000));

    const again = await push(server, ['-a', ...protocolArgs, `${source}/`, 'x:']);
    expect(again.code).toBe(0);
    expect(await stored('grown.log')).toEqual(await readFile(log));
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
});
