import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RsyncError } from '../../src/rsync/errors.js';
import { type ServerOutcome, treeProblems } from '../support/rsync-sender.js';
import { type Recording, recordSessions, replay } from './session-recordings.js';

/**
 * The whole receive session under fuzzing: real client byte streams (every protocol, with and
 * without -z, a grown file), mutated at random and replayed into `receivePush` over an
 * in-memory stream with a real area. Whatever arrives, a run ends in time with a summary or an
 * RsyncError (never another exception or an unhandled rejection), memory and descriptors stay
 * bounded, and nothing but regular files and directories appears, only inside the area.
 */

/** `TMSP_FUZZ_RUNS=100000 npx vitest run test/rsync/session-fuzz.test.ts` fuzzes for longer. */
const LONG_RUNS = Number(process.env['TMSP_FUZZ_RUNS'] ?? 0);
const RUNS = LONG_RUNS || 3000;
const RUN_TIMEOUT_MS = 5000;
/** How long a mutated replay waits for the server before it sends the next piece anyway. */
const IDLE_MS = 2;
/** A safety net for slow machines: the property stops (passing) after this long. */
const FUZZ_TIME_LIMIT_MS = LONG_RUNS > 0 ? 24 * 3600_000 : 35_000;

let recordings: Recording[];
let scratch: string | undefined;
let runCount = 0;
const rejections: unknown[] = [];
const onRejection = (reason: unknown): void => void rejections.push(reason);
/** Node closes a forgotten FileHandle when it is collected, and warns: a leaked descriptor. */
const leaks: string[] = [];
const onWarning = (warning: Error): void => {
  if (/on garbage collection/.test(warning.message)) leaks.push(warning.message);
};

beforeAll(async () => {
  process.on('unhandledRejection', onRejection);
  process.on('warning', onWarning);
  recordings = await recordSessions();
  // tmpfs where there is one: the area syncs every file it stores, which disks make slow.
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  scratch = await mkdtemp(path.join(base, 'tmsp-fuzz-'));
}, 120_000);

afterAll(async () => {
  process.off('unhandledRejection', onRejection);
  process.off('warning', onWarning);
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

/** A fresh directory whose only child after a run may be `area`. */
async function runDirectory(): Promise<string> {
  const work = path.join(scratch as string, `run-${runCount++}`);
  await mkdir(work);
  return work;
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} hung`)), RUN_TIMEOUT_MS);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

const openDescriptors = async (): Promise<number> => (await readdir('/proc/self/fd')).length;

describe('recorded sessions', () => {
  it('were recorded for every protocol, with and without -z', () => {
    expect(recordings.length).toBe(15);
  });

  it('replay faithfully, whole and in small pieces', async () => {
    for (const recording of recordings) {
      for (const chunkSize of [64 * 1024, 7]) {
        const work = await runDirectory();
        const outcome = await withTimeout(
          replay(recording, recording.input, work, chunkSize),
          recording.label,
        );
        expect(outcome.error, recording.label).toBeNull();
        expect(outcome.crash, recording.label).toBeNull();
        for (const file of recording.files) {
          const stored = await readFile(path.join(work, 'area/logs', file.name));
          expect(stored.equals(file.data), `${recording.label}: ${file.name}`).toBe(true);
        }
        expect(await treeProblems(work)).toEqual([]);
        await rm(work, { recursive: true, force: true });
      }
    }
  });
});

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'duplicate'; at: number; length: number }
  | { kind: 'remove'; at: number; length: number }
  | { kind: 'huge'; at: number; value: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array };

/** Values that make length and count fields hostile, as int32 or as a frame header. */
const HUGE = [
  0x7fffffff, 0xffffffff, 0x80000000, 0xfffffffe, 0x3fffffff, 0x07ffffff, 0x0affffff, 0x4000,
];

/** Half the offsets fall in the first 512 bytes: handshake, filter rules and file list. */
const offset = fc.oneof(fc.nat({ max: 511 }), fc.nat());
const length = fc.integer({ min: 1, max: 2048 });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip'), at: offset, bit: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant('truncate'), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate'), at: offset, length }),
  fc.record({ kind: fc.constant('remove'), at: offset, length }),
  fc.record({ kind: fc.constant('huge'), at: offset, value: fc.constantFrom(...HUGE) }),
  fc.record({
    kind: fc.constant('insert'),
    at: offset,
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
);

function mutate(input: Buffer, mutations: readonly Mutation[]): Buffer {
  let bytes = Buffer.from(input);
  for (const change of mutations) {
    if (bytes.length === 0) break;
    const at = change.at % bytes.length;
    switch (change.kind) {
      case 'flip':
        bytes[at] = bytes.readUInt8(at) ^ (1 << change.bit);
        break;
      case 'truncate':
        bytes = bytes.subarray(0, at);
        break;
      case 'duplicate':
        bytes = Buffer.concat([bytes.subarray(0, at + change.length), bytes.subarray(at)]);
        break;
      case 'remove':
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + change.length)]);
        break;
      case 'huge':
        if (at + 4 <= bytes.length) bytes.writeUInt32LE(change.value, at);
        break;
      case 'insert':
        bytes = Buffer.concat([bytes.subarray(0, at), change.bytes, bytes.subarray(at)]);
        break;
    }
  }
  return bytes;
}

interface FuzzCase {
  recording: number;
  mutations: Mutation[];
  chunkSize: number;
}

const fuzzCase: fc.Arbitrary<FuzzCase> = fc.record({
  recording: fc.nat(),
  mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }),
  chunkSize: fc.constantFrom(1 << 16, 4096, 333, 17),
});

const described = (error: unknown): string =>
  error instanceof Error ? (error.stack ?? error.message) : JSON.stringify(error);

/** Keeps a failing input where it can be replayed by hand, and says what went wrong. */
async function failure(recording: Recording, input: Buffer, why: string): Promise<Error> {
  const file = path.join(tmpdir(), `tmsp-fuzz-failure-${Date.now()}.bin`);
  await writeFile(file, input);
  return new Error(`${recording.label}: ${why} (input kept in ${file})`);
}

async function checkRun(recording: Recording, input: Buffer, chunkSize: number): Promise<void> {
  const work = await runDirectory();
  let outcome: ServerOutcome;
  try {
    const replayed = replay(recording, input, work, chunkSize, IDLE_MS);
    outcome = await withTimeout(replayed, 'the session');
  } catch (error) {
    throw await failure(recording, input, String(error));
  }
  if (outcome.crash !== null) {
    throw await failure(recording, input, `not an RsyncError: ${described(outcome.crash)}`);
  }
  if (outcome.error !== null && !(outcome.error instanceof RsyncError)) {
    throw await failure(recording, input, 'an error that is not an RsyncError');
  }
  const problems = await treeProblems(work);
  if (problems.length > 0) throw await failure(recording, input, problems.join('; '));
  if (rejections.length > 0) {
    throw await failure(recording, input, `unhandled rejection: ${String(rejections[0])}`);
  }
  await rm(work, { recursive: true, force: true });
}

describe('mutated sessions', () => {
  it(
    'end in time with a summary or an RsyncError, bounded, and inside the area',
    async () => {
      const descriptorsBefore = await openDescriptors();
      const memoryBefore = process.memoryUsage();
      let peakRss = memoryBefore.rss;
      let runs = 0;
      const started = performance.now();
      await fc.assert(
        fc.asyncProperty(fuzzCase, async ({ recording, mutations, chunkSize }) => {
          const chosen = recordings[recording % recordings.length] as Recording;
          await checkRun(chosen, mutate(chosen.input, mutations), chunkSize);
          runs++;
          peakRss = Math.max(peakRss, process.memoryUsage().rss);
        }),
        { numRuns: RUNS, plugins: [fc.interruptAfterTimeLimit(FUZZ_TIME_LIMIT_MS)] },
      );
      const seconds = (performance.now() - started) / 1000;
      // Let late rejections and stream events surface before judging.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const memoryAfter = process.memoryUsage();
      const heapGrowth = (memoryAfter.heapUsed - memoryBefore.heapUsed) / 2 ** 20;
      console.log(
        `session fuzz: ${runs} runs in ${seconds.toFixed(1)} s ` +
          `(${(runs / seconds).toFixed(0)} runs/s), heap ${heapGrowth.toFixed(1)} MiB, ` +
          `peak rss +${((peakRss - memoryBefore.rss) / 2 ** 20).toFixed(0)} MiB`,
      );
      expect(rejections).toEqual([]);
      expect(leaks).toEqual([]);
      expect(heapGrowth).toBeLessThan(128);
      expect(peakRss - memoryBefore.rss).toBeLessThan(512 * 2 ** 20);
      expect(await openDescriptors()).toBeLessThanOrEqual(descriptorsBefore + 4);
      expect(await readdir(scratch as string)).toEqual([]);
    },
    FUZZ_TIME_LIMIT_MS + 20_000,
  );
});
