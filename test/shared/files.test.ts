import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createFileExclusive, pathExists, writeFileAtomic } from '../../src/shared/files.js';

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'tmsp-files-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

const modeOf = async (file: string): Promise<number> => (await stat(file)).mode & 0o777;

describe('writeFileAtomic', () => {
  it('creates the file and its missing parent directories, mode 0600 by default', async () => {
    const target = path.join(directory, 'a', 'b', 'file.txt');
    await writeFileAtomic(target, 'hello');
    expect(await readFile(target, 'utf8')).toBe('hello');
    expect(await modeOf(target)).toBe(0o600);
  });

  it('replaces existing content whole and takes the requested mode', async () => {
    const target = path.join(directory, 'file.json');
    await writeFile(target, 'old content that is longer than the new one');
    await writeFileAtomic(target, '{}', 0o644);
    expect(await readFile(target, 'utf8')).toBe('{}');
    expect(await modeOf(target)).toBe(0o644);
  });

  it('writes bytes as they are', async () => {
    const target = path.join(directory, 'bytes.bin');
    const bytes = Uint8Array.from([0, 255, 10, 13, 0]);
    await writeFileAtomic(target, bytes);
    expect(new Uint8Array(await readFile(target))).toEqual(bytes);
  });

  it('leaves no temporary file behind, also after many concurrent writes', async () => {
    const target = path.join(directory, 'file.txt');
    const contents = Array.from({ length: 20 }, (_, i) => `version ${i} `.repeat(200));
    await Promise.all(contents.map((content) => writeFileAtomic(target, content)));
    expect(contents).toContain(await readFile(target, 'utf8'));
    expect(await readdir(directory)).toEqual(['file.txt']);
  });

  it('fails without leaving a temporary file when the target is a directory', async () => {
    const target = path.join(directory, 'taken');
    await writeFileAtomic(path.join(target, 'inner'), 'x');
    await expect(writeFileAtomic(target, 'y')).rejects.toThrow();
    expect((await readdir(directory)).sort()).toEqual(['taken']);
  });
});

describe('createFileExclusive', () => {
  it('creates a missing file with its content and mode and returns true', async () => {
    const target = path.join(directory, 'keys', 'secret.key');
    expect(await createFileExclusive(target, 'new', 0o600)).toBe(true);
    expect(await readFile(target, 'utf8')).toBe('new');
    expect(await modeOf(target)).toBe(0o600);
    expect(await modeOf(path.dirname(target))).toBe(0o700);
  });

  it('returns false and leaves an existing file untouched', async () => {
    const target = path.join(directory, 'existing.key');
    await writeFile(target, 'original', { mode: 0o640 });
    const before = await stat(target);
    expect(await createFileExclusive(target, 'replacement', 0o600)).toBe(false);
    expect(await readFile(target, 'utf8')).toBe('original');
    const after = await stat(target);
    expect(after.mode).toBe(before.mode);
    expect(after.ino).toBe(before.ino);
    expect(await readdir(directory)).toEqual(['existing.key']);
  });

  it('lets exactly one of many concurrent creators win, with its whole content', async () => {
    const target = path.join(directory, 'race.key');
    const contents = Array.from({ length: 16 }, (_, i) => `creator-${i}-`.repeat(500));
    const results = await Promise.all(
      contents.map((content) => createFileExclusive(target, content, 0o600)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = contents[results.indexOf(true)];
    expect(await readFile(target, 'utf8')).toBe(winner);
    expect(await readdir(directory)).toEqual(['race.key']);
  });
});

describe('pathExists', () => {
  it('tells files and directories that exist from those that do not', async () => {
    const file = path.join(directory, 'here');
    await writeFile(file, '');
    expect(await pathExists(file)).toBe(true);
    expect(await pathExists(directory)).toBe(true);
    expect(await pathExists(path.join(directory, 'missing'))).toBe(false);
  });
});
