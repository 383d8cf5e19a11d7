import argon2 from 'argon2';

import { invalidInput } from '../shared/errors.js';

/** Console and portal passwords are kept only as argon2id hashes (QUALITY.md, Security). */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** The factory default of the built-in administrator: it never works after the first change. */
export const FACTORY_ADMIN_PASSWORD = '123456';

const MIN_LENGTH = 10;
const MAX_LENGTH = 256;
const TOO_COMMON = new Set([
  FACTORY_ADMIN_PASSWORD,
  '1234567890',
  'password12',
  'qwertyuiop',
  'administrator',
]);

/** The password policy for people (administrators and portal logons). */
export function checkPasswordPolicy(userName: string, password: string): void {
  if (password.length < MIN_LENGTH)
    throw invalidInput(`a password needs at least ${MIN_LENGTH} characters`);
  if (password.length > MAX_LENGTH)
    throw invalidInput(`a password has at most ${MAX_LENGTH} characters`);
  if (TOO_COMMON.has(password.toLowerCase())) throw invalidInput('that password is too common');
  if (password.toLowerCase().includes(userName.toLowerCase())) {
    throw invalidInput('a password must not contain the user name');
  }
  if (new Set(password).size < 4)
    throw invalidInput('a password needs at least 4 different characters');
}

/** Registration secrets are typed into appliances and sent in rsync's daemon challenge. */
export function checkRegistrationSecret(secret: string): void {
  if (secret.length < 8) throw invalidInput('a registration secret needs at least 8 characters');
  if (secret.length > 128) throw invalidInput('a registration secret has at most 128 characters');
  if (!/^[\x21-\x7e]+$/.test(secret)) {
    throw invalidInput('a registration secret uses printable ASCII without spaces');
  }
}
