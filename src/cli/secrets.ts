import { readFile } from 'node:fs/promises';

import { AppError, describeError, invalidInput } from '../shared/errors.js';

/** A secret given inline or, better, in a file (its one trailing newline dropped). */
export async function secretFrom(
  what: string,
  value: string | undefined,
  file: string | undefined,
): Promise<string> {
  if ((value === undefined) === (file === undefined)) {
    throw invalidInput(`give the ${what} either inline or as a file, exactly one of the two`);
  }
  if (value !== undefined) return value;
  try {
    return (await readFile(file as string, 'utf8')).replace(/\r?\n$/, '');
  } catch (error) {
    throw new AppError('invalid_input', `cannot read the ${what} file: ${describeError(error)}`);
  }
}
