import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RsyncError } from '../../src/rsync/errors.js';
import { rsyncServerArgs } from '../../src/rsync/server-command.js';
import {
  parseServerArgs,
  receivesFilterList,
  type ReceiverOptions,
  type ServerRequest,
} from '../../src/rsync/server-options.js';
import { ArgsCapture } from './rsync-args-capture.js';

const PULL = 'tmsp: this log server only receives files';
const CAPABILITIES = ['i', 'L', 's', 'f', 'x', 'C', 'I', 'v', 'u'];
const ARCHIVE: Partial<ReceiverOptions> = {
  recursive: true,
  dirs: true,
  preserveLinks: true,
  preservePerms: true,
  preserveTimes: true,
  preserveUid: true,
  preserveGid: true,
  preserveDevices: true,
  preserveSpecials: true,
};

/** The message a refusal would show the client's user. */
function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(RsyncError);
    return (error as RsyncError).message;
  }
  throw new Error('expected a refusal');
}

const parse = (...args: string[]): ServerRequest => parseServerArgs(['--server', ...args]);
const parseOptions = (...options: string[]): ReceiverOptions =>
  parse(...options, '.', 'guid/').options;

/** Real clients: the installed rsync, and a 3.2.7 binary when TMSP_RSYNC_327 names one. */
const CLIENTS = [
  'rsync',
  ...(process.env['TMSP_RSYNC_327'] ? [process.env['TMSP_RSYNC_327']] : []),
];

describe.each(CLIENTS)('what the real client %s sends', (client) => {
  let capture: ArgsCapture;
  beforeAll(async () => {
    capture = await ArgsCapture.create();
  });
  afterAll(() => capture.dispose());

  /** A push of app.log over "ssh", read the way the SSH door reads it. */
  async function push(options: string[], destination = 'fakehost:0123-guid/logs/') {
    const { sshCommand } = await capture.run([...options, 'app.log', destination], client);
    return parseServerArgs(rsyncServerArgs(sshCommand ?? ''));
  }

  async function refusedPush(options: string[], destination?: string): Promise<string> {
    const request = push(options, destination);
    await expect(request).rejects.toBeInstanceOf(RsyncError);
    return request.then(
      () => '',
      (error: unknown) => (error as Error).message,
    );
  }

  it('-av: the archive bundle with verbosity and every capability', async () => {
    const request = await push(['-av']);
    expect(request.options).toMatchObject({ ...ARCHIVE, verbose: 1, compress: false });
    expect([...request.clientCapabilities].sort()).toEqual([...CAPABILITIES].sort());
    expect(request).toMatchObject({ destination: '0123-guid/logs/', clientPreRelease: null });
    expect(request.incRecursive).toBe(true);
    expect(request.ignoredOptions).toEqual([]);
  });

  it('no options at all: only the capability flags', async () => {
    const request = await push([]);
    expect(request.options).toMatchObject({ recursive: false, preserveTimes: false });
    expect(request.clientCapabilities.has('v')).toBe(true);
    expect(request.clientCapabilities.has('i')).toBe(false);
  });

  it('-avz: zlib-style compression, name left to negotiation', async () => {
    const { options } = await push(['-avz']);
    expect(options).toMatchObject({ compress: true, compressChoice: null });
  });

  it.each([
    [['--compress-choice=zlibx'], { compress: true, compressChoice: 'zlibx' }],
    [['-z', '--old-compress'], { compress: true, compressChoice: 'zlib' }],
    [['--zc=zstd', '--zl=3'], { compress: true, compressChoice: 'zstd', compressLevel: 3 }],
    [['-z', '--compress-level=9'], { compress: true, compressChoice: null, compressLevel: 9 }],
    [['--zc=none'], { compress: false, compressChoice: null }],
  ])('compression %j', async (options, expected) => {
    expect((await push(['-a', ...options])).options).toMatchObject(expected);
  });

  it('-a --partial keeps partial files', async () => {
    expect((await push(['-a', '--partial'])).options).toMatchObject({ partial: true });
  });

  it('-P is --partial; its progress stays with the client', async () => {
    const request = await push(['-P']);
    expect(request.options).toMatchObject({ partial: true, logFormat: 'X' });
  });

  it('--partial-dir arrives as two arguments and is kept relative', async () => {
    const request = await push(['-a', '--partial-dir=.rsync-partial']);
    expect(request.options).toMatchObject({ partial: true, partialDir: '.rsync-partial' });
  });

  it('--delay-updates means rsync default partial dir and no incremental recursion', async () => {
    const request = await push(['-a', '--delay-updates']);
    expect(request.options).toMatchObject({ delayUpdates: true, partialDir: '.~tmp~' });
    expect(request.incRecursive).toBe(false);
  });

  it('--append-verify arrives as --append twice: verified, in place, no partial file', async () => {
    const { options } = await push(['-a', '--partial', '--append-verify']);
    expect(options).toMatchObject({ append: 'verify', inplace: true, partial: false });
  });

  it('plain --append is refused with the way out', async () => {
    expect(await refusedPush(['-a', '--append'])).toBe(
      'tmsp: --append cannot detect a changed file here; use --append-verify',
    );
  });

  it('plain --append from a protocol 29 client is what rsync makes of it: verified', async () => {
    const request = await push(['-a', '--protocol=29', '--append']);
    expect(request.options.append).toBe('verify');
    expect(request.clientCapabilities.size).toBe(0);
  });

  it('--inplace', async () => {
    expect((await push(['-a', '--inplace'])).options).toMatchObject({ inplace: true });
  });

  it('--remove-source-files', async () => {
    const { options } = await push(['-a', '--remove-source-files']);
    expect(options.removeSourceFiles).toBe(true);
  });

  it.each([
    [['--delete'], { delete: true, deleteTiming: null }, true],
    [['--delete-after'], { delete: true, deleteTiming: 'after' }, false],
    [['--delete-before'], { delete: true, deleteTiming: 'before' }, false],
    [['--delete-delay'], { delete: true, deleteTiming: 'delay' }, true],
    [['--del'], { delete: true, deleteTiming: 'during' }, true],
    [['--delete-excluded'], { delete: true, deleteExcluded: true }, true],
    [['--delete', '--max-delete=0'], { delete: true, maxDelete: 0 }, true],
    [['--delete', '--max-delete=5'], { delete: true, maxDelete: 5 }, true],
  ])('deletion %j', async (options, expected, incRecursive) => {
    const request = await push(['-a', ...options]);
    expect(request.options).toMatchObject(expected);
    expect(request.incRecursive).toBe(incRecursive);
  });

  it.each([
    ['27', false],
    ['29', false],
    ['30', true],
    ['31', true],
  ])('--protocol=%s: capability flags only from protocol 30', async (protocol, flags) => {
    const request = await push(['-a', `--protocol=${protocol}`]);
    expect(request.options).toMatchObject(ARCHIVE);
    expect(request.clientCapabilities.size > 0).toBe(flags);
    expect(request.incRecursive).toBe(flags);
  });

  it.each([
    [['-c'], { alwaysChecksum: true }],
    [['-H'], { preserveHardLinks: true }],
    [['-U'], { preserveAtimes: true }],
    [['-E', '--no-p'], { preserveExecutability: true, preservePerms: false }],
    [['--timeout=30'], { timeout: 30 }],
    [['--checksum-choice=md5'], { checksumChoice: { transfer: 'md5', file: 'md5' } }],
    [['--cc=xxh128,md5'], { checksumChoice: { transfer: 'xxh128', file: 'md5' } }],
    [['--checksum-choice=auto'], { checksumChoice: null }],
    [['-W'], { wholeFile: true }],
    [['-n'], { dryRun: true }],
    [['-vvv'], { verbose: 3 }],
    [['-R', '--no-implied-dirs'], { relativePaths: true, impliedDirs: false }],
    [['-R'], { relativePaths: true, impliedDirs: true }],
    [['-C'], { cvsExclude: true }],
    [['-m'], { pruneEmptyDirs: true }],
    [['--mkpath'], { mkpath: true }],
    [['--ignore-errors'], { ignoreErrors: true }],
    [['--modify-window=-1'], { modifyWindow: -1 }],
    [['--devices'], { preserveDevices: true, preserveSpecials: false }],
    [['--specials'], { preserveDevices: false, preserveSpecials: true }],
    [['--remove-sent-files'], { removeSourceFiles: true }],
    [['-i'], { logFormat: '%i' }],
  ])('%j', async (options, expected) => {
    expect((await push(options)).options).toMatchObject(expected);
  });

  it('a long combination of comparison options', async () => {
    const request = await push([
      '-a',
      '--max-size=10M',
      '--min-size=1k',
      '--modify-window=2',
      '--partial-dir=.part',
      '--delete-after',
      '--max-delete=0',
      '--ignore-existing',
      '--existing',
      '-u',
      '--size-only',
      '-I',
      '--safe-links',
      '--numeric-ids',
      '--checksum-seed=7',
      '-B',
      '2048',
    ]);
    expect(request.options).toMatchObject({
      ...ARCHIVE,
      maxSize: 10 * 1024 * 1024,
      minSize: 1024,
      modifyWindow: 2,
      partial: true,
      partialDir: '.part',
      delete: true,
      deleteTiming: 'after',
      maxDelete: 0,
      ignoreExisting: true,
      ignoreNonExisting: true,
      update: true,
      sizeOnly: true,
      ignoreTimes: true,
      safeLinks: true,
      numericIds: true,
      checksumSeed: 7,
      blockSize: 2048,
    });
  });

  it('ignores what concerns only the client or the sender, and says so', async () => {
    const request = await push([
      '-axSKmOJy',
      '--stats',
      '--super',
      '--fsync',
      '--preallocate',
      '--bwlimit=100',
      '--max-alloc=100M',
      '--copy-unsafe-links',
      '--force',
      '--suffix=.bak',
      '--open-noatime',
      '-M--fake-super',
    ]);
    expect(request.options).toMatchObject(ARCHIVE);
    expect(request.ignoredOptions).toEqual(
      expect.arrayContaining(['-x', '-S', '--stats', '--fake-super', '--suffix']),
    );
    expect(request.incRecursive).toBe(false);
  });

  it('--chown arrives as escaped id maps, which imply -o and -g', async () => {
    const request = await push(['--chown=app:adm']);
    expect(request.options).toMatchObject({ preserveUid: true, preserveGid: true });
    expect(request.ignoredOptions).toEqual(['--usermap', '--groupmap']);
  });

  it('a destination with spaces, quotes and shell specials arrives intact', async () => {
    const name = `0123-guid/my logs/it's "q" $x;|&<>(){}#!=%^,@:/`;
    expect((await push(['-a'], `fakehost:${name}`)).destination).toBe(name);
  });

  it('a --partial-dir with shell specials arrives intact', async () => {
    const { options } = await push(['-a', `--partial-dir=part dir;'x'`]);
    expect(options.partialDir).toBe(`part dir;'x'`);
  });

  it('wildcards in the destination are refused, not expanded', async () => {
    expect(await refusedPush(['-a'], 'fakehost:0123-guid/*.log')).toMatch(/^tmsp: wildcards/);
  });

  it('a ~ destination is refused: there is no home directory', async () => {
    expect(await refusedPush(['-a'], 'fakehost:~/logs/')).toMatch(/^tmsp: ~/);
  });

  it('an empty remote path arrives as "."', async () => {
    expect((await push(['-a'], 'fakehost:')).destination).toBe('.');
  });

  it('a destination starting with a dash arrives as ./-…', async () => {
    expect((await push(['-a'], 'fakehost:-x/')).destination).toBe('./-x/');
  });

  it('-s is refused: the arguments would follow inside the protocol', async () => {
    expect(await refusedPush(['-as'])).toMatch(/^tmsp: secluded arguments \(-s\)/);
  });

  it('a pull is refused', async () => {
    const { sshCommand } = await capture.run(['-a', 'fakehost:0123-guid/', 'here/'], client);
    expect(refusal(() => parseServerArgs(rsyncServerArgs(sshCommand ?? '')))).toBe(PULL);
  });

  it('--old-args splits a destination with a space into two, which is refused', async () => {
    const message = await refusedPush(['--old-args'], 'fakehost:my logs/');
    expect(message).toBe('tmsp: only one destination is accepted');
  });

  it.each([
    [['-A'], 'tmsp: option -A is not supported here'],
    [['-X'], 'tmsp: option -X is not supported here'],
    [['-b'], 'tmsp: option -b is not supported here'],
    [['--backup-dir=old'], 'tmsp: option -b is not supported here'],
    [['-T', 'tmp'], 'tmsp: option --temp-dir is not supported here'],
    [['--link-dest=../prev'], 'tmsp: option --link-dest is not supported here'],
    [['--copy-dest=../prev'], 'tmsp: option --copy-dest is not supported here'],
    [['--iconv=utf8,latin1'], 'tmsp: option --iconv is not supported here'],
    [['--write-devices'], 'tmsp: option --write-devices is not supported here'],
    [['--delete-missing-args'], 'tmsp: option --delete-missing-args is not supported here'],
    [['-M--foo'], 'tmsp: unknown option --foo'],
    [['-M--log-file=/etc/x'], 'tmsp: option --log-file is not supported here'],
    [['-M--sender'], PULL],
  ])('refuses %j', async (options, message) => {
    expect(await refusedPush(['-a', ...options])).toBe(message);
  });

  describe('over the daemon protocol', () => {
    async function daemonPush(options: string[], destination = 'fakehost::logs/0123-guid/') {
      const { daemonArgs } = await capture.run([...options, 'app.log', destination], client);
      return parseServerArgs(daemonArgs ?? [], 'daemon');
    }

    it('-av: the same bundle, the module first in the destination', async () => {
      const request = await daemonPush(['-av']);
      expect(request.options).toMatchObject({ ...ARCHIVE, verbose: 1 });
      expect(request.destination).toBe('logs/0123-guid/');
      expect(request.clientCapabilities.has('v')).toBe(true);
    });

    it('option values lose the escaping the client gave them; paths never had any', async () => {
      const request = await daemonPush(
        ['-a', '--chown=app:adm', '--partial-dir=part dir'],
        'fakehost::logs/0123-guid/my files/',
      );
      expect(request.options).toMatchObject({ preserveUid: true, partialDir: 'part dir' });
      expect(request.destination).toBe('logs/0123-guid/my files/');
    });

    it('protocol 29: lines instead of NULs, the same arguments', async () => {
      const request = await daemonPush(['-a', '--protocol=29', '--append']);
      expect(request.options).toMatchObject({ ...ARCHIVE, append: 'verify' });
    });

    it('a destination naming the module twice arrives bracketed, and is refused', async () => {
      const message = await daemonPush(['-a'], 'fakehost::logs/0123-guid/a logs/b').catch(
        (error: unknown) => (error as Error).message,
      );
      expect(message).toBe('tmsp: wildcards are not expanded here');
    });

    it('-s is refused before the hidden arguments arrive', async () => {
      const message = await daemonPush(['-as']).catch((error: unknown) => (error as Error).message);
      expect(message).toMatch(/^tmsp: secluded arguments/);
    });
  });
});

describe('parseServerArgs', () => {
  it('needs --server first', () => {
    expect(refusal(() => parseServerArgs(['-a', '.', 'x/']))).toBe('tmsp: expected --server first');
    expect(refusal(() => parseServerArgs([]))).toBe('tmsp: expected --server first');
  });

  it.each([
    [['--foo'], 'tmsp: unknown option --foo'],
    [['-Z'], 'tmsp: unknown option -Z'],
    [['--constructor'], 'tmsp: unknown option --constructor'],
    [['--__proto__'], 'tmsp: unknown option --__proto__'],
    [['--'], 'tmsp: unknown option --'],
    [
      ['-s'],
      'tmsp: secluded arguments (-s) are not supported here; drop -s and unset RSYNC_PROTECT_ARGS',
    ],
    [['--secluded-args'], expect.stringMatching(/^tmsp: secluded/) as string],
    [['--protect-args'], expect.stringMatching(/^tmsp: secluded/) as string],
    [['--sender'], PULL],
    [['--list-only'], PULL],
    [['--daemon'], 'tmsp: option --daemon is not supported here'],
    [['-N'], 'tmsp: option -N is not supported here'],
    [['-F'], 'tmsp: option -F is not supported here'],
    [['--files-from=-'], 'tmsp: option --files-from is not supported here'],
    [['--exclude=*.tmp'], 'tmsp: option --exclude is not supported here'],
    [['--partial=yes'], 'tmsp: option --partial takes no value'],
    [['--timeout=soon'], 'tmsp: --timeout needs a whole number'],
    [['--timeout=-5'], 'tmsp: --timeout is out of range'],
    [['--checksum-seed=99999999999'], 'tmsp: --checksum-seed is out of range'],
    [['--max-size=lots'], 'tmsp: --max-size needs a size such as 10M'],
    [['--max-size=99999999P'], 'tmsp: --max-size is too large'],
    [['-B1M'], 'tmsp: -B is at most 131072'],
    [
      ['--checksum-choice=crc32'],
      'tmsp: --checksum-choice names a checksum this server does not know',
    ],
    [['--cc=constructor'], 'tmsp: --cc names a checksum this server does not know'],
    [['--cc=md5,md5,md5'], 'tmsp: --cc names a checksum this server does not know'],
    [['--zc=brotli'], 'tmsp: --zc names a compression this server does not know'],
    [['-e;rm'], 'tmsp: malformed capability flags after -e'],
    [['-e'], 'tmsp: expected . before the destination'],
  ])('refuses %j', (options, message) => {
    expect(refusal(() => parse(...options, '.', 'guid/'))).toEqual(message);
  });

  it.each([
    [['--append', '--append', '--append', '-e.iv'], 'tmsp: --append may be given at most twice'],
    [['--append-verify', '-W'], 'tmsp: --append cannot be used with --whole-file'],
    [['--inplace', '--partial-dir=p'], 'tmsp: --inplace cannot be used with --partial-dir'],
    [['--append-verify', '--delay-updates'], 'tmsp: --append cannot be used with --delay-updates'],
    [['--partial-dir=/tmp/p'], 'tmsp: --partial-dir must be a relative path'],
    [['--partial-dir=a/../../p'], 'tmsp: --partial-dir must not contain ..'],
    [['--delete'], 'tmsp: --delete needs --recursive (-r) or --dirs (-d)'],
    [['-r', '--delete-before', '--delete-after'], 'tmsp: give only one --delete-WHEN option'],
  ])('refuses the combination %j as rsync does', (options, message) => {
    expect(refusal(() => parse(...options, '.', 'guid/'))).toBe(message);
  });

  it.each([
    [[], 'tmsp: expected . before the destination'],
    [['guid/'], 'tmsp: expected . before the destination'],
    [['.'], 'tmsp: no destination given'],
    [['.', ''], 'tmsp: no destination given'],
    [['.', 'a/', 'b/'], 'tmsp: only one destination is accepted'],
    [['.', '--sender'], 'tmsp: the destination must not start with -'],
    [['.', 'guid/\nx'], 'tmsp: control characters are not allowed in arguments'],
  ])('refuses the plain arguments %j', (plain, message) => {
    expect(refusal(() => parse('-a', ...plain))).toBe(message);
  });

  it('refuses an option whose value is missing at the end', () => {
    expect(refusal(() => parseServerArgs(['--server', '--timeout']))).toBe(
      'tmsp: option --timeout needs a value',
    );
    expect(refusal(() => parseServerArgs(['--server', '-vB']))).toBe(
      'tmsp: option -B needs a value',
    );
  });

  it('bounds the number and the length of arguments', () => {
    const many = Array.from({ length: 300 }, () => '-v');
    expect(refusal(() => parse(...many, '.', 'guid/'))).toBe('tmsp: too many arguments');
    expect(refusal(() => parse('.', 'g'.repeat(5000)))).toBe('tmsp: an argument is too long');
  });

  it('keeps an unknown option name short in the message', () => {
    const message = refusal(() => parse(`--${'x'.repeat(200)}`, '.', 'guid/'));
    expect(message.length).toBeLessThan(80);
  });

  it.each([
    ['10', 10],
    ['10M', 10 * 1024 ** 2],
    ['1.5K', 1536],
    ['100KB', 100_000],
    ['2MiB', 2 * 1024 ** 2],
    ['1k-1', 1023],
    ['1g+1', 1024 ** 3 + 1],
    ['.5k', 512],
  ])('reads the size %s as rsync does', (value, bytes) => {
    expect(parseOptions(`--max-size=${value}`).maxSize).toBe(bytes);
  });

  it('accepts values after = or as the next argument, in long and short form', () => {
    expect(parseOptions('--timeout', '5').timeout).toBe(5);
    expect(parseOptions('-B', '1k').blockSize).toBe(1024);
    expect(parseOptions('-vB512').blockSize).toBe(512);
    expect(parseOptions('-@-1').modifyWindow).toBe(-1);
    expect(parseOptions('--partial-dir=').partialDir).toBeNull();
  });

  it('later options override earlier ones, as in rsync', () => {
    expect(parseOptions('-vv', '--no-v').verbose).toBe(0);
    expect(parseOptions('-a', '--no-D')).toMatchObject({ preserveDevices: false });
    expect(parseOptions('-z', '--no-z').compress).toBe(false);
    expect(parseOptions('--append', '--no-append', '-e.v').append).toBe('none');
  });

  it('cleans the partial dir and keeps partial files with it', () => {
    expect(parseOptions('--partial-dir=./a//b/.')).toMatchObject({
      partial: true,
      partialDir: 'a/b',
    });
    expect(parseOptions('--partial-dir=.').partialDir).toBeNull();
  });

  it('rsync negative --max-delete means delete nothing', () => {
    expect(parseOptions('-r', '--delete', '--max-delete=-1').maxDelete).toBe(0);
  });

  it('reads a pre-release protocol from the capability flags', () => {
    const request = parse('-e32.1iLsfxCIvu', '.', 'guid/');
    expect(request.clientPreRelease).toEqual({ protocol: 32, subprotocol: 1 });
    expect(request.clientCapabilities.has('i')).toBe(true);
    expect(parse('-e31.0iv', '.', 'guid/').clientPreRelease).toBeNull();
  });

  it('keeps capability letters it does not know, as rsync does', () => {
    expect([...parse('-e.iVZ', '.', 'guid/').clientCapabilities]).toEqual(['i', 'V', 'Z']);
  });

  it('offers incremental recursion only where rsync would', () => {
    const inc = (...options: string[]) => parse(...options, '.', 'guid/').incRecursive;
    expect(inc('-re.i')).toBe(true);
    expect(inc('-re.L')).toBe(false);
    expect(inc('-de.i')).toBe(false);
    expect(inc('-re.i', '--no-i-r')).toBe(false);
    expect(inc('-re.i', '--use-qsort')).toBe(false);
    expect(inc('-rme.i')).toBe(false);
  });

  it('says when the client sends its filter list, as rsync decides it', () => {
    const sends = (protocol: number, ...options: string[]) =>
      receivesFilterList(parseOptions(...options), protocol);
    expect(sends(32, '-r')).toBe(false);
    expect(sends(32, '-rm')).toBe(true);
    expect(sends(32, '-r', '--delete')).toBe(true);
    expect(sends(32, '-r', '--delete-excluded')).toBe(true);
    expect(sends(28, '-r', '--delete-excluded')).toBe(false);
    expect(sends(28, '-r', '--delete')).toBe(true);
  });

  it('over the daemon protocol, unescapes options up to the dot only', () => {
    const request = parseServerArgs(
      ['--server', '-re.iv', '--partial-dir=a\\ b', '\\.', "logs/g/it's"],
      'daemon',
    );
    expect(request.options.partialDir).toBe('a b');
    expect(request.destination).toBe("logs/g/it's");
  });

  it('the daemon destination needs no wildcard characters, no " module/"', () => {
    const daemon = (destination: string) =>
      refusal(() => parseServerArgs(['--server', '.', destination], 'daemon'));
    expect(daemon('logs/g/*')).toBe('tmsp: wildcards are not expanded here');
    expect(daemon('logs/g/a\\b')).toBe('tmsp: wildcards are not expanded here');
    expect(daemon('logs/g/a logs/b')).toBe('tmsp: only one destination is accepted');
    expect(parseServerArgs(['--server', '.', 'logs/g/a logs'], 'daemon').destination).toBe(
      'logs/g/a logs',
    );
  });

  it('returns or throws RsyncError for any argument list, both transports', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 20 }), fc.boolean(), (args, daemon) => {
        expectParseOrRefusal(args, daemon);
      }),
      { numRuns: 2000 },
    );
  });

  it('returns or throws RsyncError for lists made of real option words', () => {
    const word = fc.oneof(
      fc.constantFrom(
        '--server',
        '.',
        'guid/',
        '-vlogDtpre.iLsfxCIvu',
        '--append',
        '--partial-dir',
        '-B',
        '--delete',
        '--inplace',
        '--timeout=',
        '--cc=md5',
        '-e',
        '--zc',
        '-@',
        '--max-size',
        '--sender',
        '-s',
        '--no-r',
        '-r',
        '--delay-updates',
        '--partial',
        '-W',
        'x',
      ),
      fc.string({ maxLength: 6 }),
    );
    const words = fc.array(word, { maxLength: 12 }).map((rest) => ['--server', ...rest]);
    fc.assert(
      fc.property(words, fc.boolean(), (args, daemon) => expectParseOrRefusal(args, daemon)),
      { numRuns: 3000 },
    );
  });
});

function expectParseOrRefusal(args: string[], daemon: boolean): void {
  try {
    const request = parseServerArgs(args, daemon ? 'daemon' : 'ssh');
    expect(typeof request.destination).toBe('string');
  } catch (error) {
    expect(error).toBeInstanceOf(RsyncError);
    expect((error as Error).message).toMatch(/^tmsp: /);
  }
}
