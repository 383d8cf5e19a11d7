import { refused } from './errors.js';

/**
 * The command an rsync client asks SSH to run (`rsync --server -vlogDtpre.iLsfxCIvu . dest/`),
 * read the way a POSIX shell would read it, but without ever running a shell: words split on
 * unquoted blanks, a backslash makes the next character literal. rsync ≥ 3.2.4 escapes every
 * shell special in the arguments it sends (safe_arg); older clients send plain words. Anything a
 * shell would treat as syntax (pipes, substitutions, redirections, quotes, globs, `~`) is
 * refused, since no shell is here to give it the meaning the client expected.
 */

/** Longest command accepted; real ones stay under 1 KiB even with a long destination. */
export const MAX_COMMAND_LENGTH = 16 * 1024;
/** Most words accepted; rsync sends fewer than 40 even with every option set. */
export const MAX_COMMAND_WORDS = 256;

/** Shell syntax that rsync always escapes when it means the character itself. */
const SHELL_SYNTAX = /[;|&$`<>'"(){}!#]/;
/** Glob characters: a shell would expand them against the server's files. */
const WILDCARDS = /[*?[]/;

const CONTROL_REFUSAL = 'tmsp: control characters are not allowed in the command';

const isBlank = (char: string): boolean => char === ' ' || char === '\t';

/** C0 controls and DEL: no log file name needs them, and `\` + newline means nothing here. */
const isControl = (char: string): boolean => {
  const code = char.charCodeAt(0);
  return code < 0x20 || code === 0x7f;
};

function checkUnescaped(char: string, atWordStart: boolean): void {
  if (SHELL_SYNTAX.test(char)) {
    throw refused(`tmsp: unescaped ${char} in the command; this server runs no shell`);
  }
  if (WILDCARDS.test(char)) {
    throw refused(`tmsp: wildcards are not expanded here; escape the ${char} or rename the file`);
  }
  if (char === '~' && atWordStart) {
    throw refused('tmsp: ~ (a home directory) means nothing here; give the destination path');
  }
}

function checkCommand(command: string): void {
  if (command.length > MAX_COMMAND_LENGTH) throw refused('tmsp: the command is too long');
  for (const char of command) {
    if (isControl(char) && !isBlank(char)) {
      throw refused(CONTROL_REFUSAL);
    }
  }
}

/** Splits an SSH exec command into its words; throws `RsyncError` for anything it refuses. */
export function splitServerCommand(command: string): string[] {
  checkCommand(command);
  const words: string[] = [];
  let word: string | null = null;

  for (let index = 0; index < command.length; index++) {
    const char = command.charAt(index);
    if (isBlank(char)) {
      if (word !== null) words.push(word);
      word = null;
      if (words.length > MAX_COMMAND_WORDS) throw refused('tmsp: too many arguments');
      continue;
    }
    if (char === '\\') {
      index++;
      const escaped = command.charAt(index);
      if (escaped === '') throw refused('tmsp: the command ends in a lone backslash');
      if (isControl(escaped)) throw refused(CONTROL_REFUSAL);
      word = (word ?? '') + escaped;
      continue;
    }
    checkUnescaped(char, word === null);
    word = (word ?? '') + char;
  }

  if (word !== null) words.push(word);
  if (words.length > MAX_COMMAND_WORDS) throw refused('tmsp: too many arguments');
  if (words.length === 0) throw refused('tmsp: empty command');
  return words;
}

/**
 * The arguments after the program name, for `parseServerArgs`. The program must be rsync (as
 * `rsync` or an absolute path such as `/usr/bin/rsync`, which `--rsync-path` may give): a
 * client that asks for any other program gets a clear refusal instead of a silent rsync.
 */
export function rsyncServerArgs(command: string): string[] {
  const [program, ...args] = splitServerCommand(command);
  const isRsync =
    program === 'rsync' || (program?.startsWith('/') === true && program.endsWith('/rsync'));
  if (!isRsync) {
    throw refused('tmsp: this server only runs rsync');
  }
  return args;
}
