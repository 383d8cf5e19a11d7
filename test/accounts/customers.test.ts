import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  addCustomer,
  disableCustomer,
  findCustomer,
  listCustomers,
  type AccountsContext,
} from '../../src/accounts/customers.js';
import { verifyPassword } from '../../src/accounts/passwords.js';
import { listAuditEvents } from '../../src/audit/audit-log.js';
import { AppError } from '../../src/shared/errors.js';
import type { Store } from '../../src/storage/database.js';
import { ENGINES, scratchStore } from '../support/databases.js';
import {
  ACTOR,
  T0,
  accountsContext,
  everyRow,
  newCustomer,
  rowCounts,
} from './accounts-helpers.js';

const SECRET = 'Fleet-Secret-77';
const PORTAL_PASSWORD = 'Blue-Harbour-42';

describe.each(ENGINES)('customer accounts on %s', (engine) => {
  let store: Store;
  let scratch: Awaited<ReturnType<typeof scratchStore>>;
  let context: ReturnType<typeof accountsContext>;

  beforeEach(async () => {
    scratch = await scratchStore(engine);
    store = scratch.store;
    context = accountsContext(store);
  });
  afterEach(async () => {
    await scratch.close();
  });

  const addAcme = (ctx: AccountsContext = context) =>
    addCustomer(
      ctx,
      newCustomer('acme', {
        portalUser: 'acme-portal',
        portalPassword: PORTAL_PASSWORD,
        company: 'Acme Corp',
        timeZone: 'Europe/Berlin',
        language: 'de',
      }),
      ACTOR,
    );

  it('adds an active account with the clock time and finds it by name', async () => {
    const added = await addAcme();
    expect(added).toMatchObject({
      name: 'acme',
      company: 'Acme Corp',
      timeZone: 'Europe/Berlin',
      language: 'de',
      status: 'active',
      createdAt: T0.getTime(),
      disabledAt: null,
    });
    expect(await findCustomer(store.db, 'acme')).toEqual(added);
  });

  it('defaults the time zone to UTC and the language to en', async () => {
    const added = await addCustomer(context, newCustomer('globex'), ACTOR);
    expect(added).toMatchObject({ timeZone: 'UTC', language: 'en', company: null });
  });

  it('stores the registration secret encrypted, and it opens back', async () => {
    const added = await addAcme();
    expect(JSON.stringify(await everyRow(store))).not.toContain(SECRET);
    const credential = await store.db
      .selectFrom('registrationCredentials')
      .selectAll()
      .where('customerId', '=', added.id)
      .executeTakeFirstOrThrow();
    expect(credential).toMatchObject({
      userName: 'acme-fleet',
      previousSecretCiphertext: null,
      previousValidUntil: null,
      updatedAt: T0.getTime(),
    });
    expect(context.secrets.open(credential.secretCiphertext)).toBe(SECRET);
  });

  it('keeps the portal password only as an argon2id hash, ready to use', async () => {
    const added = await addAcme();
    const logon = await store.db.selectFrom('portalLogons').selectAll().executeTakeFirstOrThrow();
    expect(logon).toMatchObject({
      customerId: added.id,
      userName: 'acme-portal',
      mustChangePassword: 0,
      status: 'active',
      createdAt: T0.getTime(),
    });
    expect(logon.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(logon.passwordHash, PORTAL_PASSWORD)).toBe(true);
    expect(await verifyPassword(logon.passwordHash, 'Blue-Harbour-43')).toBe(false);
    expect(JSON.stringify(await everyRow(store))).not.toContain(PORTAL_PASSWORD);
  });

  it('adds no portal logon when none is asked for', async () => {
    await addCustomer(context, newCustomer('globex'), ACTOR);
    expect((await rowCounts(store))['portal_logons']).toBe(0);
  });

  it('claims the registration and portal user names and zeroes the counters', async () => {
    const added = await addAcme();
    const names = await store.db.selectFrom('logonNames').selectAll().orderBy('nameKey').execute();
    expect(names).toEqual([
      { nameKey: 'acme-fleet', userName: 'acme-fleet', kind: 'registration', customerId: added.id },
      { nameKey: 'acme-portal', userName: 'acme-portal', kind: 'portal', customerId: added.id },
    ]);
    const counters = await store.db.selectFrom('customerCounters').selectAll().execute();
    expect(counters).toEqual([
      {
        customerId: added.id,
        linesReceived: 0,
        detections: 0,
        otherEvents: 0,
        quarantined: 0,
        purged: 0,
        incidents: 0,
        cases: 0,
        parseWarnings: 0,
      },
    ]);
  });

  it('writes one audit event naming actor, action and customer, without secrets', async () => {
    const added = await addAcme();
    const events = await listAuditEvents(store.db, new Date(0));
    expect(events).toEqual([
      {
        at: T0,
        actor: 'cli:operator',
        source: 'cli',
        action: 'customer.add',
        target: 'acme',
        customerId: added.id,
        result: 'success',
        detail: { registrationUser: 'acme-fleet', portalUser: 'acme-portal' },
      },
    ]);
    const { rows } = await sql`select * from audit_events`.execute(store.raw);
    expect(JSON.stringify(rows)).not.toContain(SECRET);
    expect(JSON.stringify(rows)).not.toContain(PORTAL_PASSWORD);
  });

  it('writes the account and its audit event in one transaction', async () => {
    await sql`alter table audit_events rename to audit_events_away`.execute(store.raw);
    try {
      await expect(addAcme()).rejects.toThrow();
      await expect(disableCustomer(context, 'acme', ACTOR)).rejects.toThrow();
    } finally {
      await sql`alter table audit_events_away rename to audit_events`.execute(store.raw);
    }
    const counts = await rowCounts(store);
    expect(Object.values(counts).every((count) => count === 0)).toBe(true);
  });

  it('lists every account in name order with its registration user and product count', async () => {
    const acme = await addAcme();
    context.clock.advance(60_000);
    await addCustomer(context, newCustomer('beta-1'), ACTOR);
    await store.db
      .insertInto('registeredProducts')
      .values(['g-1', 'g-2'].map((guid) => ({ customerId: acme.id, guid, firstRegisteredAt: 1 })))
      .execute();
    const list = await listCustomers(store.db);
    expect(list.map((row) => row.name)).toEqual(['acme', 'beta-1']);
    expect(list[0]).toEqual({
      name: 'acme',
      company: 'Acme Corp',
      status: 'active',
      timeZone: 'Europe/Berlin',
      registrationUser: 'acme-fleet',
      registeredProducts: 2,
      createdAt: T0,
    });
    expect(list[1]).toMatchObject({
      registeredProducts: 0,
      createdAt: new Date(T0.getTime() + 60_000),
    });
  });

  it('disables an account once and audits every request', async () => {
    const added = await addAcme();
    context.clock.advance(5_000);
    await disableCustomer(context, 'acme', ACTOR);
    context.clock.advance(5_000);
    await disableCustomer(context, 'acme', { name: 'admin', source: '127.0.0.1' });

    const found = await findCustomer(store.db, 'acme');
    expect(found).toMatchObject({ status: 'disabled', disabledAt: T0.getTime() + 5_000 });
    const events = (await listAuditEvents(store.db, new Date(0))).slice(1);
    expect(events).toEqual([
      expect.objectContaining({
        actor: 'cli:operator',
        action: 'customer.disable',
        customerId: added.id,
        detail: { alreadyDisabled: false },
      }),
      expect.objectContaining({
        actor: 'admin',
        source: '127.0.0.1',
        action: 'customer.disable',
        detail: { alreadyDisabled: true },
      }),
    ]);
    expect((await listCustomers(store.db))[0]?.status).toBe('disabled');
  });

  it('answers not_found for an unknown account and writes nothing', async () => {
    await expect(findCustomer(store.db, 'nobody')).rejects.toMatchObject({ code: 'not_found' });
    const failure = disableCustomer(context, 'nobody', ACTOR);
    await expect(failure).rejects.toBeInstanceOf(AppError);
    await expect(failure).rejects.toMatchObject({
      code: 'not_found',
      message: 'customer account "nobody" not found',
    });
    expect((await rowCounts(store))['audit_events']).toBe(0);
  });

  it('finds names exactly, not by prefix or another case', async () => {
    await addAcme();
    await expect(findCustomer(store.db, 'ACME')).rejects.toMatchObject({ code: 'not_found' });
    await expect(findCustomer(store.db, 'acm')).rejects.toMatchObject({ code: 'not_found' });
  });
});
