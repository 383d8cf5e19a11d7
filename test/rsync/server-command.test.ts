import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { RsyncError } from '../../src/rsync/errors.js';
import {
  MAX_COMMAND_LENGTH,
  MAX_COMMAND_WORDS,
  rsyncServerArgs,
  splitServerCommand,
} from '../../src/rsync/server-command.js';

function refusal(command: string): string {
  try {
    splitServerCommand(command);
  } catch (error) {
    expect(error).toBeInstanceOf(RsyncError);
    return (error as RsyncError).message;
  }
  throw new Error(`expected ${JSON.stringify(command)} to be refused`);
}

/** Escapes like rsync's safe_arg and more: every character but letters and digits. */
const escape = (word: string): string => word.replace(/[^A-Za-z0-9]/gu, (char) => `\\${char}`);

describe('splitServerCommand', () => {
  it('splits the command an rsync push sends', () => {
    expect(
      splitServerCommand('rsync --server -vlogDtpre.iLsfxCIvu --partial . 0123-guid/logs/'),
    ).toEqual(['rsync', '--server', '-vlogDtpre.iLsfxCIvu', '--partial', '.', '0123-guid/logs/']);
  });

  it('splits on runs of spaces and tabs, ignoring them at both ends', () => {
    expect(splitServerCommand(' \trsync  --server\t\t.  a/ ')).toEqual([
      'rsync',
      '--server',
      '.',
      'a/',
    ]);
  });

  it('undoes the escaping rsync >= 3.2.4 applies', () => {
    const sent = `rsync --server . my\\ dir/it\\'s\\ \\"q\\"\\ \\$x\\;\\|\\&\\<\\>\\(\\)\\#\\!/`;
    expect(splitServerCommand(sent)).toEqual([
      'rsync',
      '--server',
      '.',
      `my dir/it's "q" $x;|&<>()#!/`,
    ]);
  });

  it('takes escaped wildcards, backslashes and tildes literally', () => {
    expect(splitServerCommand('rsync . a\\*\\?\\[1] \\\\x \\~/y a~b')).toEqual([
      'rsync',
      '.',
      'a*?[1]',
      '\\x',
      '~/y',
      'a~b',
    ]);
  });

  it.each(Array.from(';|&$`<>\'"(){}!#'))('refuses an unescaped %s', (char) => {
    expect(refusal(`rsync --server . a${char}b/`)).toBe(
      `tmsp: unescaped ${char} in the command; this server runs no shell`,
    );
  });

  it.each(['*', '?', '['])('refuses the wildcard %s a shell would expand', (char) => {
    expect(refusal(`rsync --server . logs/${char}`)).toMatch(/^tmsp: wildcards are not expanded/);
  });

  it('refuses a leading ~, which a shell would turn into a home directory', () => {
    expect(refusal('rsync --server . ~/logs/')).toMatch(/^tmsp: ~/);
    expect(refusal('rsync --server . ~appliance/logs/')).toMatch(/^tmsp: ~/);
  });

  it.each(['\0', '\n', '\r', '\x7f', '\\\n', '\\\t', '\x1b[31m'])(
    'refuses the control characters in %j',
    (text) => {
      expect(refusal(`rsync --server . a${text}b/`)).toBe(
        'tmsp: control characters are not allowed in the command',
      );
    },
  );

  it('refuses a command ending in a lone backslash', () => {
    expect(refusal('rsync --server . a\\')).toBe('tmsp: the command ends in a lone backslash');
  });

  it('refuses an empty command', () => {
    expect(refusal('')).toBe('tmsp: empty command');
    expect(refusal(' \t ')).toBe('tmsp: empty command');
  });

  it('bounds the length and the number of words', () => {
    const long = `rsync --server . ${'a'.repeat(MAX_COMMAND_LENGTH)}`;
    expect(refusal(long)).toBe('tmsp: the command is too long');
    const many = `rsync${' -v'.repeat(MAX_COMMAND_WORDS)}`;
    expect(refusal(many)).toBe('tmsp: too many arguments');
    expect(splitServerCommand(`rsync${' -v'.repeat(MAX_COMMAND_WORDS - 1)}`)).toHaveLength(
      MAX_COMMAND_WORDS,
    );
  });

  it('gives back any words it is given escaped', () => {
    const word = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 20 })
      .filter((text) => !/\p{Cc}/u.test(text));
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 30 }), (words) => {
        expect(splitServerCommand(words.map(escape).join(' '))).toEqual(words);
      }),
    );
  });

  it('returns words or throws RsyncError for any string', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc
        .array(fc.constantFrom('rsync', ' ', '\t', '\\', 'a', '-', '.', '~', '*', ';', '"'), {
          maxLength: 60,
        })
        .map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(text, (command) => {
        try {
          const words = splitServerCommand(command);
          expect(words.length).toBeGreaterThan(0);
          expect(words.every((word) => word.length > 0)).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(RsyncError);
          expect((error as Error).message).toMatch(/^tmsp: /);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('rsyncServerArgs', () => {
  it.each(['rsync', '/usr/bin/rsync', '/opt/rsync-3.4/bin/rsync'])(
    'takes the arguments after %s',
    (program) => {
      expect(rsyncServerArgs(`${program} --server . a/`)).toEqual(['--server', '.', 'a/']);
    },
  );

  it.each(['sh -c x', 'rsyncd --server', 'bin/rsync --server', 'scp -t .', '/usr/bin/rsync2 .'])(
    'refuses any other program: %s',
    (command) => {
      expect(() => rsyncServerArgs(command)).toThrow('tmsp: this server only runs rsync');
    },
  );
});
