import { createHmac, timingSafeEqual } from 'node:crypto';

import { secondFactorRequired } from '../accounts/second-factor.js';
import { matchTotp } from '../accounts/totp.js';
import type { CasContext } from './context.js';
import type { Person } from './principals.js';

const PENDING_MS = 5 * 60_000;

export type SecondFactorNeed = 'none' | 'code' | 'not-enrolled';

/** Whether this person must still show a TOTP code before a session starts. */
export async function secondFactorNeed(
  context: CasContext,
  person: Person,
): Promise<SecondFactorNeed> {
  if (person.kind !== 'administrator') return 'none';
  const admin = await context.store.db
    .selectFrom('administrators')
    .select('totpSecretCiphertext')
    .where('id', '=', person.id)
    .executeTakeFirstOrThrow();
  if (admin.totpSecretCiphertext !== null) return 'code';
  return (await secondFactorRequired(context.store.db)) ? 'not-enrolled' : 'none';
}

/**
 * A short-lived proof that the password step passed, carried in the second-factor form: it names
 * the user and its expiry and is signed with the service key, so it cannot be forged or reused
 * for anybody else.
 */
export function pendingToken(context: CasContext, userName: string): string {
  const expiresAt = context.clock.now().getTime() + PENDING_MS;
  const payload = `${userName}|${expiresAt}`;
  return Buffer.from(`${payload}|${sign(context, payload)}`).toString('base64url');
}

/** The user name a pending token vouches for, or null when it is forged or expired. */
export function pendingUser(context: CasContext, token: string): string | null {
  const parts = Buffer.from(token, 'base64url').toString('utf8').split('|');
  if (parts.length !== 3) return null;
  const [userName, expiresAt, signature] = parts as [string, string, string];
  const expected = Buffer.from(sign(context, `${userName}|${expiresAt}`));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  return Number(expiresAt) > context.clock.now().getTime() ? userName : null;
}

/** Checks a code and records its step, so the same code never works twice. */
export async function acceptCode(
  context: CasContext,
  administratorId: number,
  code: string,
): Promise<boolean> {
  const admin = await context.store.db
    .selectFrom('administrators')
    .select(['totpSecretCiphertext', 'totpLastStep'])
    .where('id', '=', administratorId)
    .executeTakeFirstOrThrow();
  if (admin.totpSecretCiphertext === null) return false;
  const secret = context.secrets.open(admin.totpSecretCiphertext);
  const step = matchTotp(secret, code.trim(), context.clock.now(), admin.totpLastStep);
  if (step === null) return false;

  const claimed = await context.store.db
    .updateTable('administrators')
    .set({ totpLastStep: step })
    .where('id', '=', administratorId)
    .where((eb) => eb.or([eb('totpLastStep', 'is', null), eb('totpLastStep', '<', step)]))
    .executeTakeFirst();
  return claimed.numUpdatedRows === 1n;
}

function sign(context: CasContext, payload: string): string {
  return createHmac('sha256', context.serviceKey)
    .update(`totp-pending|${payload}`)
    .digest('base64url');
}
