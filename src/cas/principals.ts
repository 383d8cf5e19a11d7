import { randomBytes } from 'node:crypto';

import { hashPassword, verifyPassword } from '../accounts/passwords.js';
import type { SecretBox } from '../keys/secret-box.js';
import type { Db } from '../storage/database.js';
import type { LogonKind } from '../storage/schema.js';

/** A person who may sign in at /login: an administrator or a portal logon. */
export interface Person {
  kind: 'administrator' | 'portal';
  id: number;
  userName: string;
  passwordHash: string;
  mustChangePassword: boolean;
  customerId: number | null;
  /** Why this person may not sign in now (disabled account or customer), if so. */
  refusal: string | null;
}

// Verifying against this when a name is unknown keeps the answer time the same (no user oracle).
let dummyHash: Promise<string> | undefined;
const unknownUserHash = (): Promise<string> =>
  (dummyHash ??= hashPassword(randomBytes(16).toString('hex')));

export async function findLogonKind(
  db: Db,
  userName: string,
): Promise<{ kind: LogonKind; userName: string } | null> {
  const row = await db
    .selectFrom('logonNames')
    .select(['kind', 'userName'])
    .where('nameKey', '=', userName.toLowerCase())
    .executeTakeFirst();
  return row ?? null;
}

export async function findPerson(db: Db, userName: string): Promise<Person | null> {
  const name = await findLogonKind(db, userName);
  if (name === null || name.kind === 'registration') return null;

  if (name.kind === 'administrator') {
    const admin = await db
      .selectFrom('administrators')
      .selectAll()
      .where('userName', '=', name.userName)
      .executeTakeFirst();
    if (admin === undefined) return null;
    return {
      kind: 'administrator',
      id: admin.id,
      userName: admin.userName,
      passwordHash: admin.passwordHash,
      mustChangePassword: admin.mustChangePassword === 1,
      customerId: null,
      refusal: admin.status === 'active' ? null : 'administrator disabled',
    };
  }

  const logon = await db
    .selectFrom('portalLogons as p')
    .innerJoin('customerAccounts as c', 'c.id', 'p.customerId')
    .select([
      'p.id',
      'p.userName',
      'p.passwordHash',
      'p.mustChangePassword',
      'p.status',
      'p.customerId',
      'c.status as customerStatus',
    ])
    .where('p.userName', '=', name.userName)
    .executeTakeFirst();
  if (logon === undefined) return null;
  return {
    kind: 'portal',
    id: logon.id,
    userName: logon.userName,
    passwordHash: logon.passwordHash,
    mustChangePassword: logon.mustChangePassword === 1,
    customerId: logon.customerId,
    refusal:
      logon.status !== 'active'
        ? 'portal logon disabled'
        : logon.customerStatus !== 'active'
          ? 'customer account disabled'
          : null,
  };
}

export type PersonCheck = { ok: true; person: Person } | { ok: false; reason: string };

/** Checks a person's password; registration credentials never sign in here. */
export async function checkPerson(
  db: Db,
  userName: string,
  password: string,
): Promise<PersonCheck> {
  const person = await findPerson(db, userName);
  const valid = await verifyPassword(person?.passwordHash ?? (await unknownUserHash()), password);
  if (person === null) return { ok: false, reason: 'unknown user' };
  if (!valid) return { ok: false, reason: 'wrong password' };
  if (person.refusal !== null) return { ok: false, reason: person.refusal };
  return { ok: true, person };
}

/** The customer account a pair of registration credentials belongs to. */
export interface ApplianceAccount {
  customerId: number;
  customerName: string;
  userName: string;
  /** The current secret and, during a rotation's grace period, the previous one. */
  secrets: string[];
}

export async function findApplianceAccount(
  db: Db,
  secrets: SecretBox,
  userName: string,
  now: Date,
): Promise<ApplianceAccount | null> {
  const row = await db
    .selectFrom('registrationCredentials as r')
    .innerJoin('customerAccounts as c', 'c.id', 'r.customerId')
    .select([
      'r.customerId',
      'r.userName',
      'r.secretCiphertext',
      'r.previousSecretCiphertext',
      'r.previousValidUntil',
      'c.name',
      'c.status',
    ])
    .where('r.userName', '=', userName)
    .executeTakeFirst();
  if (row === undefined || row.status !== 'active') return null;

  const candidates = [secrets.open(row.secretCiphertext)];
  if (row.previousSecretCiphertext !== null && (row.previousValidUntil ?? 0) > now.getTime()) {
    candidates.push(secrets.open(row.previousSecretCiphertext));
  }
  return {
    customerId: row.customerId,
    customerName: row.name,
    userName: row.userName,
    secrets: candidates,
  };
}
