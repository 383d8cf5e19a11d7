import { execFileSync } from 'node:child_process';
import {
  chmod,
  link,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';

import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { ExitCode } from '../../src/rsync/errors.js';
import { DEFAULT_PUSH_LIMITS, type PushLimits } from '../../src/rsync/limits.js';
import { MessageCode, PeerOutput } from '../../src/rsync/multiplex.js';
import type { ReceiveSink } from '../../src/rsync/sink.js';
import { sumHeadFor } from '../../src/rsync/sum-head.js';
import { encodeInt32 } from '../../src/rsync/wire.js';
import { parallelHash } from '../../src/shared/parallel-hash.js';
import {
  type CraftedEntry,
  type CraftedPush,
  type SenderScript,
  filterList,
  pushCrafted,
  treeProblems,
} from '../support/rsync-sender.js';
import { push, startReceiveServer } from '../support/rsync-harness.js';

/**
 * A hostile rsync sender against the receive engine (handed cases C42, C44): crafted names,
 * file types, modes, links, counts and sizes in the list, and crafted answers to the
 * generator. Whatever it sends, the client hears a clear message, nothing is created outside
 * the area, only regular files and directories inside it, and no temporary file stays behind.
 */

let parent: string;
let work: string;

beforeEach(async () => {
  parent = await mkdtemp(path.join(tmpdir(), 'tmsp-hostile-'));
  work = path.join(parent, 'work');
  await mkdir(work);
});

afterEach(async () => {
  await rm(parent, { recursive: true, force: true });
});

const leaks: string[] = [];
const onWarning = (warning: Error): void => {
  if (/on garbage collection/.test(warning.message)) leaks.push(warning.message);
};
beforeAll(() => {
  process.on('warning', onWarning);
  // The hashing thread holds descriptors of its own for the life of the process: started
  // here, it is part of the baseline each test's descriptor count is compared with.
  parallelHash('md5').discard();
});
afterAll(() => {
  process.off('warning', onWarning);
  expect(leaks).toEqual([]);
});

const file = (name: string | Buffer, extra: Partial<CraftedEntry> = {}): CraftedEntry => ({
  name,
  data: Buffer.from('a line\n'),
  ...extra,
});
const OK = file('ok.log', { data: Buffer.from('fine\n') });
const DIRECTORY = 0o040755;

const openDescriptors = async (): Promise<number> => (await readdir('/proc/self/fd')).length;

/** Runs a crafted push and checks what must hold whatever the sender did. */
async function run(script: SenderScript, limits?: PushLimits): Promise<CraftedPush> {
  const descriptors = await openDescriptors();
  const result = await pushCrafted(work, script, limits);
  expect(result.server.crash).toBeNull();
  expect(result.problems).toEqual([]);
  // Held copies and new files are closed by the time the session ends, however it ended.
  expect(await openDescriptors()).toBeLessThanOrEqual(descriptors);
  for (const message of result.client.messages) {
    expect(message.text).not.toContain(parent);
    expect(hasControl(message.text), message.text).toBe(false);
  }
  return result;
}

/** C0 controls and DEL: what could move the cursor or forge a line in the client's output. */
function hasControl(text: string): boolean {
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

const warnings = (result: CraftedPush): string[] =>
  result.client.messages.filter((m) => m.code === MessageCode.warning).map((m) => m.text);

const errors = (result: CraftedPush): string[] =>
  result.client.messages.filter((m) => m.code === MessageCode.error).map((m) => m.text);

/**
 * Every error line says the log server said it; a pattern written without that prefix is
 * compared with the rest of the line.
 */
function errorsFor(result: CraftedPush, pattern: RegExp): string[] {
  const texts = errors(result);
  for (const text of texts) expect(text).toMatch(/^tmsp: /);
  return pattern.source.startsWith('^tmsp') ? texts : texts.map((text) => text.slice(6));
}

/** What the area's logs folder holds, as relative paths (directories end in `/`). */
async function stored(): Promise<string[]> {
  const found: string[] = [];
  const walk = async (directory: string, prefix: string): Promise<void> => {
    const names = await readdir(directory, { withFileTypes: true }).catch(() => []);
    for (const entry of names) {
      const shown = `${prefix}${entry.name}`;
      if (entry.isDirectory()) {
        found.push(`${shown}/`);
        await walk(path.join(directory, entry.name), `${shown}/`);
      } else found.push(shown);
    }
  };
  await walk(path.join(work, 'area/logs'), '');
  return found.sort();
}

/** A push the server refuses as a whole: the client hears why, with the exit code. */
async function expectRefused(
  script: SenderScript,
  message: RegExp,
  exitCode: number,
  limits?: PushLimits,
): Promise<CraftedPush> {
  const result = await run(script, limits);
  expect(result.server.summary).toBeNull();
  expect(errorsFor(result, message)).toEqual([expect.stringMatching(message)]);
  expect(result.server.error?.exitCode).toBe(exitCode);
  if ((script.protocol ?? 31) >= 31) expect(result.client.exitCode).toBe(exitCode);
  return result;
}

describe('hostile names', () => {
  it.each([
    ['../x', file('../x'), /^tmsp: skipping \.\.\/x \(a component is made of dots only\)$/],
    ['/etc/x', file('/etc/x'), /^tmsp: skipping \/etc\/x \(the name is absolute\)$/],
    ['a/../../x', file('a/../../x'), /dots only/],
    ['.. as a directory', file('..', { mode: DIRECTORY }), /dots only/],
    ['..\\..\\x', file('..\\..\\x'), /holds a backslash/],
    ['C:\\x.log', file('C:\\x.log'), /holds a backslash/],
    ['an empty name', file(''), /the name is empty/],
    ['a 300-byte component', file(`d/${'c'.repeat(300)}`), /longer than 255 bytes/],
    ['invalid UTF-8', file(Buffer.from([0x61, 0xff, 0xc0, 0x2e])), /not valid UTF-8/],
    ['terminal escapes', file('a\u001b[2J\nforged'), /a\\u\{1b\}\[2J\\u\{a\}forged/],
    ['a bidi override', file('log\u202egol.exe'), /log\\u\{202e\}gol/],
  ])('%s is left out with a warning', async (_label, entry, warning) => {
    const result = await run({ entries: [entry, OK] });
    expect(result.server.error).toBeNull();
    expect(warnings(result)).toEqual([expect.stringMatching(warning)]);
    expect(await stored()).toEqual(['ok.log']);
    expect(result.client.completed).toBe(true);
  });

  it('keeps one of two names that differ only in case', async () => {
    const result = await run({ entries: [file('A.log'), file('a.log')] });
    expect(warnings(result)).toEqual([
      'tmsp: skipping a.log (a.log differs only in case from A.log)',
    ]);
    expect(await stored()).toEqual(['A.log']);
  });

  it('makes x a directory when the list has x/ and a file x', async () => {
    const result = await run({
      entries: [file('x/', { mode: DIRECTORY }), file('x'), file('x/in.log')],
    });
    expect(result.server.error).toBeNull();
    expect(await stored()).toEqual(['x/', 'x/in.log']);
  });

  it('creates nothing inside a name that is a file', async () => {
    const result = await run({ entries: [file('x'), file('x/y')] });
    expect(warnings(result)).toEqual(['tmsp: skipping x/y (it lies inside x, which is a file)']);
    expect(await stored()).toEqual(['x']);
  });

  it.each([
    ['a NUL inside a name', file(Buffer.from('a\0b')), /^a file name holds a NUL byte$/, 2],
    ['a 5000-byte name', file('n'.repeat(5000)), /longer than 4095 bytes/, 4],
    ['a file named .', file('.'), /the transfer root "\." is not a directory/, 2],
  ])('refuses the push for %s', async (_label, entry, message, exitCode) => {
    await expectRefused({ entries: [entry, OK] }, message, exitCode);
    expect(await stored()).toEqual([]);
  });
});

describe('random lists of hostile names and types', () => {
  const component = fc.oneof(
    fc.constantFrom('..', '.', '', 'a', 'A', 'b.log', 'B.LOG', 'x', 'x\\y', 'C:', '...'),
    fc.constantFrom('\u00e9', 'e\u0301', 'log\u202egol', 'tab\there', 'c'.repeat(256)),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }),
  );
  const name = fc.tuple(fc.boolean(), fc.array(component, { minLength: 1, maxLength: 4 }));
  const mode = fc.constantFrom(0o100644, 0o100644, 0o040755, 0o120777, 0o010644, 0o104755);
  const entry = fc.record({ name, mode, data: fc.uint8Array({ maxLength: 64 }) });
  let runs = 0;

  it('never create anything but files and directories inside the logs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 12 }), async (drawn) => {
        const own = path.join(parent, `run-${runs++}`);
        const area = path.join(own, 'work');
        await mkdir(area, { recursive: true });
        const entries = drawn.map(({ name: [absolute, parts], mode: type, data }) => ({
          name: `${absolute ? '/' : ''}${parts.join('/')}`,
          mode: type,
          data: Buffer.from(data),
          target: '../../../etc',
        }));
        const result = await pushCrafted(area, { entries });
        expect(result.server.crash).toBeNull();
        expect(result.problems).toEqual([]);
        expect(await readdir(own)).toEqual(['work']);
        for (const message of result.client.messages) {
          expect(hasControl(message.text), message.text).toBe(false);
        }
        await rm(own, { recursive: true, force: true });
      }),
      { numRuns: 300 },
    );
  });
});

describe('hostile file types and modes', () => {
  const ALL_TYPES = '-lHDtpre.iLsfxCIvu';

  it.each([31, 29, 27])('stores no links, devices or special files (protocol %i)', async (p) => {
    const entries = [
      file('link-out', { mode: 0o120777, target: '/etc/passwd' }),
      file('link-up', { mode: 0o120777, target: '../../../../etc' }),
      file('block', { mode: 0o060600, rdev: { major: 8, minor: 0 } }),
      file('char', { mode: 0o020666, rdev: { major: 1, minor: 3 } }),
      file('fifo', { mode: 0o010644 }),
      file('socket', { mode: 0o140755 }),
      file('setuid', { mode: 0o104755 }),
      file('setgid', { mode: 0o102755 }),
      file('sticky', { mode: DIRECTORY | 0o1000 }),
      OK,
    ];
    const result = await run({ protocol: p, options: ALL_TYPES, entries });
    expect(result.server.error).toBeNull();
    expect(warnings(result).sort()).toEqual([
      'tmsp: skipping block (devices are not stored)',
      'tmsp: skipping char (devices are not stored)',
      'tmsp: skipping fifo (FIFOs and sockets are not stored)',
      'tmsp: skipping link-out (symbolic links are not stored)',
      'tmsp: skipping link-up (symbolic links are not stored)',
      'tmsp: skipping setgid (set-user-ID, set-group-ID and sticky entries are not stored)',
      'tmsp: skipping setuid (set-user-ID, set-group-ID and sticky entries are not stored)',
      'tmsp: skipping socket (FIFOs and sockets are not stored)',
      'tmsp: skipping sticky (set-user-ID, set-group-ID and sticky entries are not stored)',
    ]);
    expect(await stored()).toEqual(['ok.log']);
  });

  it('creates nothing through a symbolic link to a directory', async () => {
    const result = await run({
      options: ALL_TYPES,
      entries: [file('etc', { mode: 0o120777, target: '/etc' }), file('etc/cron.d/x')],
    });
    expect(warnings(result)).toEqual([
      'tmsp: skipping etc (symbolic links are not stored)',
      'tmsp: skipping etc/cron.d/x (it lies inside etc, which is not created)',
    ]);
    expect(await stored()).toEqual([]);
  });

  it('stores the files of a hard-link group once, as regular files', async () => {
    const result = await run({
      options: ALL_TYPES,
      entries: [file('h1', { hardLink: 'lead' }), file('h2', { hardLink: 0 }), OK],
    });
    expect(warnings(result)).toEqual([
      'tmsp: skipping h2 (it is a hard link to h1, which is stored instead)',
    ]);
    expect(await stored()).toEqual(['h1', 'ok.log']);
    expect((await stat(path.join(work, 'area/logs/h1'))).nlink).toBe(1);
  });

  it('refuses a hard link to an entry that leads none', async () => {
    const entries = [file('h1'), file('h2', { hardLink: 0 })];
    await expectRefused({ options: ALL_TYPES, entries }, /leads no hard links/, 2);
  });

  it('stores files without the execute and set-id bits the list asks for', async () => {
    await run({ entries: [file('run.sh', { mode: 0o100777 })] });
    expect((await stat(path.join(work, 'area/logs/run.sh'))).mode & 0o7777).toBe(0o640);
  });
});

describe('hostile counts and sizes', () => {
  it('refuses a file that claims 2^50 bytes before asking for anything', async () => {
    const result = await expectRefused(
      { entries: [file('huge.log', { size: 2 ** 50 }), OK] },
      /^tmsp: huge\.log is larger than the 8589934592 bytes a file may have$/,
      ExitCode.fileSelect,
    );
    expect(result.client.requests).toEqual([]);
  });

  it('refuses sizes past 2^53', async () => {
    await expectRefused({ entries: [file('x', { size: 2 ** 62 })] }, /out of range/, 2);
  });

  it('refuses a list of 10 million entries at its limit, without holding them', async () => {
    const before = process.memoryUsage().heapUsed;
    let sent = 0;
    await expectRefused(
      {
        writeList: async (list, stopped) => {
          for (; sent < 10_000_000 && !stopped(); sent++) {
            list.entry({ name: `f${sent}.log` });
            if (sent % 4096 === 0) await Promise.race([list.output.flush(), tick()]);
          }
        },
      },
      /^tmsp: the file list has more than 100000 entries$/,
      ExitCode.unsupported,
    );
    // The server hangs up at its limit: the sender never gets far past 100 000 entries.
    expect(sent).toBeLessThan(300_000);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(256 * 2 ** 20);
  });

  it('stops a file that grows past the per-file limit, whatever the list said', async () => {
    const limits = { ...DEFAULT_PUSH_LIMITS, maxFileBytes: 100_000 };
    const entries = [file('a.log', { size: 10, data: Buffer.alloc(300_000, 0x61) })];
    await expectRefused(
      { entries },
      /^tmsp: a\.log grows past the 100000 bytes a file may have$/,
      ExitCode.fileSelect,
      limits,
    );
    expect(await stored()).toEqual([]);
  });

  it('takes a log that grew since the list was made, within the limit', async () => {
    const data = Buffer.alloc(50_000, 0x62);
    const result = await run({ entries: [file('a.log', { size: 10, data })] });
    expect(result.server.error).toBeNull();
    expect(await readFile(path.join(work, 'area/logs/a.log'))).toEqual(data);
  });

  it('stops a push that brings more than a push may', async () => {
    const limits = { ...DEFAULT_PUSH_LIMITS, maxPushBytes: 100_000 };
    const entries = ['a', 'b', 'c'].map((name) =>
      file(`${name}.log`, { data: Buffer.alloc(40_000, 0x63) }),
    );
    await expectRefused({ entries }, /exceeds the 100000 bytes one push may bring/, 11, limits);
  });
});

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The area holds a 200 000-byte copy of grown.log: the server sends block sums for it. */
async function holdGrownLog(): Promise<Buffer> {
  const held = Buffer.alloc(200_000, 0x6c);
  const logs = path.join(work, 'area/logs');
  await mkdir(logs, { recursive: true });
  await writeFile(path.join(logs, 'grown.log'), held);
  await utimes(path.join(logs, 'grown.log'), 1_600_000_000, 1_600_000_000);
  return held;
}

const grown = file('grown.log', { data: Buffer.alloc(210_000, 0x6c) });

describe('hostile filter rules', () => {
  it('applies none: --delete with rules removes nothing from the area', async () => {
    const logs = path.join(work, 'area/logs');
    await mkdir(logs, { recursive: true });
    await writeFile(path.join(logs, 'older.log'), 'kept\n');
    const result = await run({
      longOptions: ['--delete'],
      filterRules: filterList(['- *.log', 'P /**', '. /etc/passwd']),
      entries: [OK],
    });
    expect(result.server.error).toBeNull();
    expect(await stored()).toEqual(['ok.log', 'older.log']);
  });

  it.each([
    ['a negative length', encodeInt32(-1)],
    ['a 5000-byte rule', Buffer.concat([encodeInt32(5000), Buffer.alloc(5000, 0x61)])],
    ['more than 1 MiB of rules', Buffer.concat(Array.from({ length: 300 }, () => rule4000))],
  ])('refuses %s', async (_label, filterRules) => {
    const script = { longOptions: ['--delete'], filterRules, entries: [OK] };
    await expectRefused(script, /^the client sent an invalid filter rule$/, 2);
  });
});

const rule4000 = Buffer.concat([encodeInt32(4000), Buffer.alloc(4000, 0x2b)]);

describe('hostile answers to the generator', () => {
  it.each([
    ['a negative block count', { count: -5, blockLength: 700, strongLength: 2, remainder: 0 }],
    ['a huge block count', { count: 0x7fffffff, blockLength: 700, strongLength: 2, remainder: 0 }],
    ['a huge block length', { count: 1, blockLength: 0x7fffffff, strongLength: 2, remainder: 0 }],
    ['a long strong sum', { count: 0, blockLength: 0, strongLength: 0x7fffffff, remainder: 0 }],
  ])('refuses %s in the echoed sum header', async (_label, head) => {
    await holdGrownLog();
    await expectRefused(
      {
        entries: [grown],
        answer: async (_request, tools) => {
          tools.header(head);
          await tools.flush();
          return true;
        },
      },
      /^the client (sent an invalid|changed the) checksum header/,
      2,
    );
    expect(await readFile(path.join(work, 'area/logs/grown.log'))).toHaveLength(200_000);
  });

  it.each([
    ['no held copy', false, -1],
    ['past the last block', true, -1000],
    ['the largest index', true, -0x7fffffff],
  ])('refuses a block reference with %s', async (_label, held, token) => {
    if (held) await holdGrownLog();
    await expectRefused(
      {
        entries: [grown],
        answer: async (_request, tools) => {
          tools.header();
          tools.output.write(encodeInt32(token));
          await tools.flush();
          return true;
        },
      },
      /^invalid block index \d+ \(\d+ blocks\)$/,
      2,
    );
  });

  it('refuses an answer sent before the server asked for the file', async () => {
    await holdGrownLog();
    const head = sumHeadFor(200_000, 31, 2, 16);
    await expectRefused(
      { entries: [grown], earlyAnswer: { ndx: 0, head, data: grown.data as Buffer } },
      /^the client sent file 0 unasked$/,
      2,
    );
    expect(await readFile(path.join(work, 'area/logs/grown.log'))).toHaveLength(200_000);
  });

  it('refuses a file index outside the list', async () => {
    await expectRefused(
      {
        entries: [OK],
        answer: async (_request, tools) => {
          // Index 0x7fffff in the long form, then item flags asking for a transfer.
          tools.output.write(Buffer.from([0xfe, 0x80, 0xff, 0xff, 0x7f, 0x00, 0x80]));
          await tools.flush();
          return true;
        },
      },
      /^the client sent file \d+ unasked$/,
      2,
    );
  });

  it('drops a file whose digest does not match, after one retry', async () => {
    const result = await run({
      entries: [file('bad.log'), OK],
      answer: async (request, tools) => {
        const data = request.entry?.data ?? Buffer.alloc(0);
        tools.header();
        tools.literal(data);
        tools.digest(request.entry?.name === 'bad.log' ? Buffer.from('other') : data);
        await tools.flush();
        return true;
      },
    });
    expect(result.client.completed).toBe(true);
    expect(result.client.messages).toEqual([
      { code: MessageCode.warning, text: 'tmsp: bad.log failed verification; retrying' },
      { code: MessageCode.errorXfer, text: 'tmsp: bad.log failed verification' },
    ]);
    expect(await stored()).toEqual(['ok.log']);
  });
});

describe('a failure while the generator still reads held copies', () => {
  it('stops the generator and leaves no descriptor open', async () => {
    const logs = path.join(work, 'area/logs');
    await mkdir(logs, { recursive: true });
    const entries: CraftedEntry[] = [];
    for (let index = 0; index < 60; index++) {
      const name = `f${String(index).padStart(2, '0')}.log`;
      await writeFile(path.join(logs, name), Buffer.alloc(100_000, index));
      entries.push(file(name, { data: Buffer.alloc(100_001, index) }));
    }
    const descriptors = await openDescriptors();
    await expectRefused(
      {
        entries,
        answer: async (_request, tools) => {
          tools.output.write(Buffer.of(0xff, 0x10));
          await tools.flush();
          return true;
        },
      },
      /^invalid file index -17$/,
      2,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await openDescriptors()).toBeLessThanOrEqual(descriptors);
  });
});

describe('a held copy that cannot be read', () => {
  it('ends the push instead of leaving both sides waiting', async () => {
    await holdGrownLog();
    const unreadable = (area: ReceiveSink): ReceiveSink => ({
      ...area,
      prepareDirectory: (name) => area.prepareDirectory(name),
      begin: (name) => area.begin(name),
      held: async (name) => {
        const held = await area.held(name);
        if (held === null) return null;
        const failing = (): Promise<Buffer> => Promise.reject(new Error('EIO: i/o error, read'));
        return { size: held.size, mtime: held.mtime, read: failing, close: () => held.close() };
      },
    });
    const result = await pushCrafted(work, { entries: [grown] }, undefined, 30_000, unreadable);
    expect(String(result.server.crash)).toMatch(/EIO/);
    expect(result.client.completed).toBe(false);
    expect(result.problems).toEqual([]);
  });
});

describe('a client that stops reading', () => {
  it('cannot hold the server in a flush once the connection is destroyed', async () => {
    const stuck = new Writable({ highWaterMark: 1, write: () => undefined });
    const output = new PeerOutput(stuck);
    output.write(Buffer.alloc(10));
    const flushed = output.flush();
    stuck.destroy();
    await expect(flushed).rejects.toThrow(/closed/);
    await expect(output.flush()).resolves.toBeUndefined();
  });
});

describe('a stream that stops', () => {
  /** Answers with the first half of the file's data announced as one literal, then hangs up. */
  const half = async (
    request: { entry?: CraftedEntry },
    tools: { header(): void; output: { write(b: Buffer): void }; flush(): Promise<void> },
  ): Promise<boolean> => {
    const data = request.entry?.data ?? Buffer.alloc(0);
    tools.header();
    tools.output.write(encodeInt32(data.length));
    tools.output.write(data.subarray(0, data.length >> 1));
    await tools.flush();
    return false;
  };

  it('in the middle of a file leaves nothing behind', async () => {
    const entries = [file('cut.log', { data: Buffer.alloc(100_000, 0x64) })];
    await expectRefused(
      { entries, answer: half },
      /^the client closed the connection in mid-transfer$/,
      12,
    );
    expect(await stored()).toEqual([]);
    expect(await readdir(path.join(work, 'area/incoming'))).toEqual([]);
  });

  it('in the middle of a file keeps the part with --partial, outside the logs', async () => {
    const entries = [file('cut.log', { data: Buffer.alloc(100_000, 0x64) })];
    await expectRefused({ entries, longOptions: ['--partial'], answer: half }, /mid-transfer/, 12);
    expect(await stored()).toEqual([]);
    expect(await readdir(path.join(work, 'area/partial'))).toEqual(['cut.log']);
  });

  it('with a literal token longer than what follows leaves nothing behind', async () => {
    await expectRefused(
      {
        entries: [file('long.log')],
        answer: async (_request, tools) => {
          tools.header();
          tools.output.write(encodeInt32(0x7fffffff));
          tools.output.write(Buffer.alloc(70_000, 0x65));
          await tools.flush();
          return false;
        },
      },
      /mid-transfer/,
      12,
    );
    expect(await readdir(path.join(work, 'area/incoming'))).toEqual([]);
  });

  it('in the middle of the file list', async () => {
    const entries = Array.from({ length: 50 }, (_, index) => file(`f${index}.log`));
    await expectRefused(
      {
        writeList: async (list) => {
          for (const entry of entries) list.entry(entry);
          await list.output.flush();
          throw new Error('hang up');
        },
      },
      /mid-transfer/,
      12,
    );
    expect(await stored()).toEqual([]);
  });
});

describe('names that clash with what the area already holds', () => {
  it.each([
    [
      'a file where a directory is',
      'x',
      (logs: string) => mkdir(`${logs}/x/y`, { recursive: true }),
    ],
    ['a directory where a file is', 'x/', async (logs: string) => writeFile(`${logs}/x`, '')],
    ['a file below a file', 'x/y', async (logs: string) => writeFile(`${logs}/x`, '')],
  ])('refuses %s with a message naming it', async (_label, name, prepare) => {
    const logs = path.join(work, 'area/logs');
    await mkdir(logs, { recursive: true });
    await prepare(logs);
    const entry = name.endsWith('/') ? file(name, { mode: DIRECTORY }) : file(name);
    const clashing = name.replace(/\/$/, '');
    const message = `tmsp: "${clashing}" clashes with a file or directory already stored`;
    await expectRefused({ entries: [entry] }, new RegExp(`^${message}`), ExitCode.fileSelect);
  });
});

describe('the real rsync client with a hostile tree', () => {
  /** Links out of the area, a FIFO, a device (as root), set-uid, a hard link, case twins. */
  async function hostileTree(): Promise<string> {
    const source = path.join(parent, 'source');
    await mkdir(source);
    await writeFile(path.join(source, 'ok.log'), 'ok\n');
    await symlink('/etc/passwd', path.join(source, 'out'));
    await symlink('../../../../../tmp', path.join(source, 'up'));
    execFileSync('mkfifo', [path.join(source, 'fifo')]);
    if (process.getuid?.() === 0) execFileSync('mknod', [path.join(source, 'null'), 'c', '1', '3']);
    await writeFile(path.join(source, 'suid'), '#!/bin/sh\n');
    await chmod(path.join(source, 'suid'), 0o4755);
    await link(path.join(source, 'ok.log'), path.join(source, 'ok2.log'));
    await writeFile(path.join(source, 'A.log'), 'upper\n');
    await writeFile(path.join(source, 'a.log'), 'lower\n');
    return source;
  }

  it.each([[[]], [['--protocol=29']], [['--protocol=27']]])(
    'stores only the regular files and says why for the rest (%j)',
    async (protocolArgs) => {
      const server = await startReceiveServer(work);
      try {
        const source = await hostileTree();
        const result = await push(server, ['-aH', ...protocolArgs, `${source}/`, 'x:']);
        expect(result.code).toBe(0);
        const lines = result.stderr.split('\n').filter((line) => line.startsWith('tmsp: '));
        expect(lines).toEqual([
          'tmsp: skipping a.log (a.log differs only in case from A.log)',
          'tmsp: skipping fifo (FIFOs and sockets are not stored)',
          ...(process.getuid?.() === 0 ? ['tmsp: skipping null (devices are not stored)'] : []),
          'tmsp: skipping ok2.log (it is a hard link to ok.log, which is stored instead)',
          'tmsp: skipping out (symbolic links are not stored)',
          'tmsp: skipping suid (set-user-ID, set-group-ID and sticky entries are not stored)',
          'tmsp: skipping up (symbolic links are not stored)',
        ]);
        expect(await stored()).toEqual(['A.log', 'ok.log']);
        expect(await treeProblems(work, ['receive.sock'])).toEqual([]);
      } finally {
        await server.close();
      }
    },
  );

  it('hears why a name that clashes with the area ends the push, with exit code 3', async () => {
    const server = await startReceiveServer(work);
    try {
      await mkdir(path.join(work, 'area/logs/x/y'), { recursive: true });
      const source = path.join(parent, 'source');
      await mkdir(source);
      await writeFile(path.join(source, 'x'), 'a file\n');
      const result = await push(server, ['-a', `${source}/`, 'x:']);
      expect(result.code).toBe(ExitCode.fileSelect);
      expect(result.stderr).toContain(
        'tmsp: "x" clashes with a file or directory already stored; rename it on the appliance',
      );
      expect(await treeProblems(work, ['receive.sock'])).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
