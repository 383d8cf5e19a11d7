import { recordAudit } from '../audit/audit-log.js';
import type { SecretBox } from '../keys/secret-box.js';
import type { Clock } from '../shared/clock.js';
import { conflict, invalidInput, notFound } from '../shared/errors.js';
import type { Db, Store } from '../storage/database.js';
import { isUniqueViolation } from '../storage/errors.js';
import type { CustomerAccount } from '../storage/schema.js';
import { inTransaction } from '../storage/transaction.js';
import { checkCustomerName, claimLogonName } from './names.js';
import { endSessionsOfUsers, userNamesOfCustomer } from './session-ending.js';
import { checkPasswordPolicy, checkRegistrationSecret, hashPassword } from './passwords.js';

export interface AccountsContext {
  store: Store;
  clock: Clock;
  secrets: SecretBox;
}

/** Who asked for a change, for the audit trail. */
export interface Actor {
  name: string;
  source: string;
}

export interface NewCustomer {
  name: string;
  registrationUser: string;
  registrationSecret: string;
  portalUser?: string | undefined;
  portalPassword?: string | undefined;
  timeZone?: string | undefined;
  language?: string | undefined;
  company?: string | undefined;
}

/**
 * Creates a customer account with its registration credentials and, optionally, a portal logon
 * that is ready to use (no forced change: the provider chose the password for the customer).
 */
export async function addCustomer(
  context: AccountsContext,
  input: NewCustomer,
  actor: Actor,
): Promise<CustomerAccount> {
  checkNewCustomer(input);
  const portalPasswordHash =
    input.portalPassword === undefined ? null : await hashPassword(input.portalPassword);
  const now = context.clock.now();

  return inTransaction(context.store, async (db) => {
    const customer = await insertCustomer(db, input, now);
    await claimLogonName(db, input.registrationUser, 'registration', customer.id);
    await db
      .insertInto('registrationCredentials')
      .values({
        customerId: customer.id,
        userName: input.registrationUser,
        secretCiphertext: context.secrets.seal(input.registrationSecret),
        previousSecretCiphertext: null,
        previousValidUntil: null,
        updatedAt: now.getTime(),
      })
      .execute();
    if (input.portalUser !== undefined && portalPasswordHash !== null) {
      await claimLogonName(db, input.portalUser, 'portal', customer.id);
      await db
        .insertInto('portalLogons')
        .values({
          customerId: customer.id,
          userName: input.portalUser,
          passwordHash: portalPasswordHash,
          mustChangePassword: 0,
          status: 'active',
          createdAt: now.getTime(),
        })
        .execute();
    }
    await db
      .insertInto('customerCounters')
      .values({ customerId: customer.id, ...ZERO_COUNTS })
      .execute();

    await recordAudit(db, now, {
      actor: actor.name,
      source: actor.source,
      action: 'customer.add',
      target: customer.name,
      customerId: customer.id,
      result: 'success',
      detail: { registrationUser: input.registrationUser, portalUser: input.portalUser ?? null },
    });
    return customer;
  });
}

const ZERO_COUNTS = {
  linesReceived: 0,
  detections: 0,
  otherEvents: 0,
  quarantined: 0,
  purged: 0,
  incidents: 0,
  cases: 0,
  parseWarnings: 0,
};

function checkNewCustomer(input: NewCustomer): void {
  checkCustomerName(input.name);
  checkRegistrationSecret(input.registrationSecret);
  if (input.timeZone !== undefined) checkTimeZone(input.timeZone);
  if ((input.portalUser === undefined) !== (input.portalPassword === undefined)) {
    throw invalidInput('a portal logon needs both a user name and a password');
  }
  if (input.portalUser !== undefined && input.portalPassword !== undefined) {
    checkPasswordPolicy(input.portalUser, input.portalPassword);
  }
}

export function checkTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw invalidInput(`unknown time zone "${timeZone}" (use an IANA name such as Europe/Berlin)`);
  }
}

async function insertCustomer(db: Db, input: NewCustomer, now: Date): Promise<CustomerAccount> {
  try {
    return await db
      .insertInto('customerAccounts')
      .values({
        name: input.name,
        company: input.company ?? null,
        timeZone: input.timeZone ?? 'UTC',
        language: input.language ?? 'en',
        status: 'active',
        createdAt: now.getTime(),
        disabledAt: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`customer account "${input.name}" already exists`);
    throw error;
  }
}

export async function findCustomer(db: Db, name: string): Promise<CustomerAccount> {
  const customer = await db
    .selectFrom('customerAccounts')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst();
  if (customer === undefined) throw notFound(`customer account "${name}"`);
  return customer;
}

export interface CustomerSummary {
  name: string;
  company: string | null;
  status: string;
  timeZone: string;
  registrationUser: string | null;
  registeredProducts: number;
  createdAt: Date;
}

/** Every customer account, for the provider's own administrators and tools. */
export async function listCustomers(db: Db): Promise<CustomerSummary[]> {
  const rows = await db
    .selectFrom('customerAccounts as c')
    .leftJoin('registrationCredentials as r', 'r.customerId', 'c.id')
    .select((eb) => [
      'c.name',
      'c.company',
      'c.status',
      'c.timeZone',
      'c.createdAt',
      'r.userName as registrationUser',
      eb
        .selectFrom('registeredProducts as p')
        .whereRef('p.customerId', '=', 'c.id')
        .select((inner) => inner.fn.countAll<number>().as('n'))
        .as('registeredProducts'),
    ])
    .orderBy('c.name')
    .execute();
  return rows.map((row) => ({
    name: row.name,
    company: row.company,
    status: row.status,
    timeZone: row.timeZone,
    registrationUser: row.registrationUser,
    registeredProducts: row.registeredProducts ?? 0,
    createdAt: new Date(row.createdAt),
  }));
}

/** Disables an account: its appliances and portal logons are refused; its history stays. */
export async function disableCustomer(
  context: AccountsContext,
  name: string,
  actor: Actor,
): Promise<void> {
  const now = context.clock.now();
  await inTransaction(context.store, async (db) => {
    const customer = await findCustomer(db, name);
    if (customer.status !== 'disabled') {
      await db
        .updateTable('customerAccounts')
        .set({ status: 'disabled', disabledAt: now.getTime() })
        .where('id', '=', customer.id)
        .execute();
    }
    await endSessionsOfUsers(db, await userNamesOfCustomer(db, customer.id), now);
    await recordAudit(db, now, {
      actor: actor.name,
      source: actor.source,
      action: 'customer.disable',
      target: customer.name,
      customerId: customer.id,
      result: 'success',
      detail: { alreadyDisabled: customer.status === 'disabled' },
    });
  });
}
