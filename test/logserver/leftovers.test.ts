import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { sweepLeftovers } from '../../src/logserver/leftovers.js';
import { createLogger } from '../../src/shared/log.js';

const NOW = Date.parse('2026-12-04T12:00:00Z');
const HOUR = 3_600_000;
const POLICY = { now: NOW, stuckAfterMs: 6 * HOUR, deleteAfterMs: 7 * 24 * HOUR };
const GUID = '4EA27BEA-0000-4000-8000-000000000001';
let areasDir: string;

beforeEach(async () => {
  areasDir = await mkdtemp(path.join(tmpdir(), 'tmsp-leftovers-'));
});
afterEach(async () => {
  await rm(areasDir, { recursive: true, force: true });
});

/** A file in an appliance area of customer 7, last written ageMs before NOW. */
async function place(relative: string, ageMs: number, guid = GUID): Promise<string> {
  const file = path.join(areasDir, '7', guid, relative);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, 'half of a log\n');
  const at = new Date(NOW - ageMs);
  await utimes(file, at, at);
  return file;
}

function collectingLogger(lines: string[]) {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return createLogger({ level: 'info', format: 'json', destination });
}

const left = async (dir: string): Promise<string[]> =>
  (await readdir(path.join(areasDir, '7', GUID, dir), { recursive: true })).sort();

describe('the sweep of interrupted pushes (C16)', () => {
  it('reports stuck transfers per appliance and deletes only stale unfinished files', async () => {
    await place('incoming/fresh.part', HOUR);
    await place('incoming/stuck.part', 10 * HOUR);
    await place('partial/sub/ddi-20261201.log', 30 * HOUR);
    await place('partial/ddi-20261120.log', 8 * 24 * HOUR);
    await place('incoming/gone.expired', 0);
    await place('logs/ddi-20261101.log', 40 * 24 * HOUR);
    const lines: string[] = [];

    const report = await sweepLeftovers(areasDir, POLICY, collectingLogger(lines));

    expect(report.deleted).toBe(2);
    expect(report.stuck).toEqual([{ customerId: 7, guid: GUID, files: 2, oldestAgeMs: 30 * HOUR }]);
    expect(await left('incoming')).toEqual(['fresh.part', 'stuck.part']);
    expect(await left('partial')).toEqual(['sub', 'sub/ddi-20261201.log']);
    expect(await left('logs')).toEqual(['ddi-20261101.log']);
    const warning = lines.map((line) => JSON.parse(line)).find((entry) => entry.guid === GUID);
    expect(warning).toMatchObject({ customerId: 7, guid: GUID, files: 2, oldestHours: 30 });
  });

  it('has nothing to say about areas without unfinished files, or no areas at all', async () => {
    const lines: string[] = [];
    expect(await sweepLeftovers(areasDir, POLICY, collectingLogger(lines))).toEqual({
      stuck: [],
      deleted: 0,
    });
    await place('logs/ddi.log', 10 * HOUR);
    await sweepLeftovers(path.join(areasDir, 'missing'), POLICY, collectingLogger(lines));
    expect(await sweepLeftovers(areasDir, POLICY, collectingLogger(lines))).toEqual({
      stuck: [],
      deleted: 0,
    });
    expect(lines).toEqual([]);
  });
});
