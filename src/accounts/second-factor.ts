import { recordAudit } from '../audit/audit-log.js';
import { notFound } from '../shared/errors.js';
import type { Db } from '../storage/database.js';
import { inTransaction } from '../storage/transaction.js';
import type { AccountsContext, Actor } from './customers.js';
import { newTotpSecret } from './totp.js';

const REQUIRED_SETTING = 'totp_required';

/** Gives an administrator a new TOTP secret (replacing any old one) and returns it once. */
export async function enrollSecondFactor(
  context: AccountsContext,
  userName: string,
  actor: Actor,
): Promise<string> {
  const secret = newTotpSecret();
  await setSecret(
    context,
    userName,
    context.secrets.seal(secret),
    'administrator.totp.enroll',
    actor,
  );
  return secret;
}

export async function removeSecondFactor(
  context: AccountsContext,
  userName: string,
  actor: Actor,
): Promise<void> {
  await setSecret(context, userName, null, 'administrator.totp.remove', actor);
}

/** Whether every administrator must sign in with a second factor. */
export async function secondFactorRequired(db: Db): Promise<boolean> {
  const row = await db
    .selectFrom('settings')
    .select('value')
    .where('key', '=', REQUIRED_SETTING)
    .executeTakeFirst();
  return row?.value === 'true';
}

export async function requireSecondFactor(
  context: AccountsContext,
  required: boolean,
  actor: Actor,
): Promise<void> {
  const now = context.clock.now();
  await inTransaction(context.store, async (db) => {
    await db
      .insertInto('settings')
      .values({ key: REQUIRED_SETTING, value: String(required) })
      .onConflict((conflict) => conflict.column('key').doUpdateSet({ value: String(required) }))
      .execute();
    await recordAudit(db, now, {
      actor: actor.name,
      source: actor.source,
      action: 'administrator.totp.require',
      result: 'success',
      detail: { required },
    });
  });
}

async function setSecret(
  context: AccountsContext,
  userName: string,
  sealed: string | null,
  action: string,
  actor: Actor,
): Promise<void> {
  const now = context.clock.now();
  await inTransaction(context.store, async (db) => {
    const updated = await db
      .updateTable('administrators')
      .set({ totpSecretCiphertext: sealed, totpLastStep: null })
      .where('userName', '=', userName)
      .executeTakeFirst();
    if (updated.numUpdatedRows !== 1n) throw notFound(`administrator "${userName}"`);
    await recordAudit(db, now, {
      actor: actor.name,
      source: actor.source,
      action,
      target: userName,
      result: 'success',
    });
  });
}
