import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { addCustomer, disableCustomer } from '../../src/accounts/customers.js';
import { listAuditEvents } from '../../src/audit/audit-log.js';
import {
  APPLIANCE_GUID_PATTERN,
  claimProductForPush,
  parseApplianceGuid,
  recordReceivedFile,
  type NewReceivedFile,
  type PushClaim,
} from '../../src/logserver/received-files.js';
import { fixedClock } from '../../src/shared/clock.js';
import { AppError } from '../../src/shared/errors.js';
import { openStore, type Store } from '../../src/storage/database.js';
import { ENGINES, scratchStore } from '../support/databases.js';
import { ACTOR, T0, accountsContext, everyRow, newCustomer } from '../accounts/accounts-helpers.js';

const GUID = '6F9619FF-8B86-D011-B42D-00CF4FC964FF';
const OTHER_GUID = 'A3B1C2D4-0000-4E5F-8A9B-0123456789AB';
const SHA = 'ab'.repeat(32);

/** GUID with one piece swapped, failing loudly if the piece is not there to swap. */
function spoofed(piece: string, by: string): string {
  if (!GUID.includes(piece)) throw new Error(`${GUID} has no ${piece}`);
  return GUID.replace(piece, by);
}

describe('parseApplianceGuid', () => {
  it.each([
    [GUID, GUID],
    [GUID.toLowerCase(), GUID],
    ['6f9619Ff-8B86-d011-B42d-00cF4fC964fF', GUID],
    [`{${GUID}}`, GUID],
    [`{${GUID.toLowerCase()}}`, GUID],
  ])('reads %j as %s', (text, guid) => {
    expect(parseApplianceGuid(text)).toBe(guid);
  });

  const LOOK_ALIKES: Array<[string, string]> = [
    ['Cyrillic В for B', spoofed('B', '\u0412')],
    ['fullwidth digit', spoofed('6', '\uff16')],
    ['Arabic-Indic digit', spoofed('0', '\u0660')],
    ['Kelvin sign', spoofed('F', '\u212a')],
    ['ligature ﬀ (upper-cases to FF)', spoofed('FF', '\ufb00')],
    ['long s (upper-cases to S)', spoofed('F', '\u017f')],
    ['hyphen U+2010', spoofed('-', '\u2010')],
    ['minus sign U+2212', spoofed('-', '\u2212')],
    ['zero-width space', spoofed('-', '-\u200b')],
    ['fullwidth braces', `\uff5b${GUID}\uff5d`],
  ];

  it.each(LOOK_ALIKES)('refuses a GUID with a look-alike: %s', (_what, text) => {
    expect(parseApplianceGuid(text)).toBeNull();
  });

  it.each([
    '',
    '.',
    '..',
    '/',
    `${GUID}/..`,
    `../${GUID}`,
    `${GUID}/x`,
    `${GUID}\0`,
    `\0${GUID}`,
    `${GUID}\n`,
    ` ${GUID}`,
    `${GUID} `,
    `{${GUID}`,
    `${GUID}}`,
    `{{${GUID}}}`,
    `(${GUID})`,
    GUID.replaceAll('-', ''),
    GUID.slice(1),
    `${GUID}0`,
    spoofed('6', 'G'),
    '00000000-0000-0000-0000-000000000000',
    '{00000000-0000-0000-0000-000000000000}',
    'sensor-1',
    '%2e%2e',
    'x'.repeat(1000),
    `${GUID}${'0'.repeat(1000)}`,
  ])('refuses %j', (text) => {
    expect(parseApplianceGuid(text)).toBeNull();
  });

  const GUID_PIECES = ['0', '9', 'a', 'F', 'g', '-', '{', '}', '/', '.', '\0', '\u017f', '\u212a'];
  const hostile = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.string({ unit: fc.constantFrom(...GUID_PIECES), minLength: 30, maxLength: 40 }),
    fc.string({ unit: 'binary-ascii', minLength: 900, maxLength: 1100 }),
    fc
      .tuple(fc.uuid(), fc.nat(38), fc.string({ unit: 'binary', maxLength: 2 }))
      .map(([uuid, at, inserted]) => uuid.slice(0, at) + inserted + uuid.slice(at)),
  );

  it('never throws, and answers null or a GUID of the documented pattern', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const guid = parseApplianceGuid(text);
        expect(guid === null || APPLIANCE_GUID_PATTERN.test(guid)).toBe(true);
        if (guid !== null) expect(guid).toBe(text.replace(/^\{(.*)\}$/, '$1').toUpperCase());
      }),
      { numRuns: 2000 },
    );
  });

  it('reads every spelling of one GUID as the same appliance', () => {
    const spelling = fc
      .tuple(fc.mixedCase(fc.uuid()), fc.boolean())
      .map(([uuid, braced]) => ({ uuid, text: braced ? `{${uuid}}` : uuid }));
    fc.assert(
      fc.property(spelling, ({ uuid, text }) => {
        const guid = parseApplianceGuid(text);
        expect(guid).toBe(uuid.toUpperCase());
        expect(parseApplianceGuid(guid!)).toBe(guid);
      }),
    );
  });
});

describe.each(ENGINES)('pushes recorded on %s', (engine) => {
  let scratch: Awaited<ReturnType<typeof scratchStore>>;
  let store: Store;
  let context: ReturnType<typeof accountsContext>;
  let acme: number;
  let globex: number;

  beforeEach(async () => {
    scratch = await scratchStore(engine);
    store = scratch.store;
    context = accountsContext(store);
    acme = (await addCustomer(context, newCustomer('acme'), ACTOR)).id;
    globex = (await addCustomer(context, newCustomer('globex'), ACTOR)).id;
    context.clock.advance(60_000);
  });
  afterEach(async () => {
    await scratch.close();
  });

  const claimOf = (customerId: number, guid = GUID): PushClaim => ({
    customerId,
    guid,
    actor: customerId === acme ? 'acme-fleet' : 'globex-fleet',
    source: '192.0.2.7',
  });
  const claim = (customerId: number, guid = GUID, on: Store = store) =>
    claimProductForPush(on, claimOf(customerId, guid), context.clock);

  const products = () =>
    store.db.selectFrom('registeredProducts').selectAll().orderBy('id').execute();
  const registrations = async () =>
    (await listAuditEvents(store.db, new Date(0))).filter(
      (event) => event.action === 'appliance.register',
    );

  async function refusal(promise: Promise<unknown>): Promise<AppError> {
    const error: unknown = await promise.then(
      () => null,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }

  describe('claimProductForPush', () => {
    it('registers an unknown GUID with an unknown type, and audits it', async () => {
      const claimed = await claim(acme);

      expect(claimed).toEqual({ productId: expect.any(Number), guid: GUID, registered: true });
      expect(await products()).toEqual([
        expect.objectContaining({
          id: claimed.productId,
          customerId: acme,
          guid: GUID,
          type: null,
          firstRegisteredAt: T0.getTime() + 60_000,
          lastLogReceivedAt: null,
        }),
      ]);
      expect(await registrations()).toEqual([
        expect.objectContaining({
          at: new Date(T0.getTime() + 60_000),
          actor: 'acme-fleet',
          source: '192.0.2.7',
          target: GUID,
          customerId: acme,
          result: 'success',
          detail: { productId: claimed.productId },
        }),
      ]);
    });

    it('finds a known GUID again without registering or auditing it', async () => {
      const first = await claim(acme);
      context.clock.advance(1_000);
      const again = await claim(acme);

      expect(again).toEqual({ ...first, registered: false });
      expect(await products()).toHaveLength(1);
      expect(await registrations()).toHaveLength(1);
    });

    it('registers a new GUID once under 10 concurrent first pushes', async () => {
      const claims = await Promise.all(Array.from({ length: 10 }, () => claim(acme)));

      expect(claims.filter((claimed) => claimed.registered)).toHaveLength(1);
      expect(new Set(claims.map((claimed) => claimed.productId)).size).toBe(1);
      expect(await products()).toHaveLength(1);
      expect(await registrations()).toHaveLength(1);
    });

    it.runIf(engine === 'postgres')(
      'registers a new GUID once when two servers claim it at once',
      async () => {
        const location = { url: scratch.database.url, sqliteFile: scratch.database.sqliteFile };
        const servers = [await openStore(location), await openStore(location)];
        try {
          const claims = await Promise.all(
            Array.from({ length: 20 }, (_, i) => claim(acme, GUID, servers[i % 2])),
          );
          expect(claims.filter((claimed) => claimed.registered)).toHaveLength(1);
          expect(new Set(claims.map((claimed) => claimed.productId)).size).toBe(1);
          expect(await products()).toHaveLength(1);
        } finally {
          await Promise.all(servers.map((server) => server.close()));
        }
      },
    );

    it("refuses another account's GUID, changing nothing but the audit trail", async () => {
      await claim(acme);
      const before = await everyRow(store);

      const error = await refusal(claim(globex, GUID.toLowerCase()));

      expect(error.code).toBe('forbidden');
      expect(error.message).toBe(`appliance ${GUID} is registered to another customer account`);
      const after = await everyRow(store);
      expect({ ...after, audit_events: [] }).toEqual({ ...before, audit_events: [] });
      expect(after['audit_events']).toHaveLength(before['audit_events']!.length + 1);
      expect((await registrations()).at(-1)).toMatchObject({
        actor: 'globex-fleet',
        target: GUID,
        customerId: globex,
        result: 'failure',
      });
    });

    it('gives a new GUID to exactly one of two accounts claiming it at once', async () => {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => claim(i % 2 === 0 ? acme : globex)),
      );

      const [product] = await products();
      const owner = product!.customerId;
      outcomes.forEach((outcome, i) => {
        const claimant = i % 2 === 0 ? acme : globex;
        expect(outcome.status).toBe(claimant === owner ? 'fulfilled' : 'rejected');
        if (outcome.status === 'rejected') {
          expect((outcome.reason as AppError).code).toBe('forbidden');
        }
      });
      expect(await products()).toHaveLength(1);
    });

    it('treats every spelling of a GUID as one appliance', async () => {
      const spellings = [
        GUID.toLowerCase(),
        `{${GUID}}`,
        GUID,
        '6f9619ff-8B86-D011-b42d-00CF4FC964FF',
      ];
      const claims = [];
      for (const spelling of spellings) claims.push(await claim(acme, spelling));

      expect(claims.map((claimed) => claimed.registered)).toEqual([true, false, false, false]);
      expect(new Set(claims.map((claimed) => claimed.productId)).size).toBe(1);
      expect((await products()).map((product) => product.guid)).toEqual([GUID]);
    });

    it('refuses a destination that is not a GUID, writing nothing', async () => {
      const before = await everyRow(store);
      for (const text of ['..', `${GUID}/..`, 'x'.repeat(1000), spoofed('B', '\u0412')]) {
        expect((await refusal(claim(acme, text))).code).toBe('invalid_input');
      }
      expect(await everyRow(store)).toEqual(before);
    });

    it('refuses a disabled or unknown account, writing nothing', async () => {
      await disableCustomer(context, 'globex', ACTOR);
      const before = await everyRow(store);

      expect((await refusal(claim(globex))).code).toBe('forbidden');
      expect((await refusal(claim(globex + acme + 100))).code).toBe('not_found');
      expect(await everyRow(store)).toEqual(before);
    });
  });

  describe('recordReceivedFile', () => {
    let product: number;
    beforeEach(async () => {
      product = (await claim(acme)).productId;
    });

    const fileOf = (overrides: Partial<NewReceivedFile> = {}): NewReceivedFile => ({
      customerId: acme,
      productId: product,
      name: 'logs/detections-2025-03-01.log',
      size: 2 ** 40 + 3,
      sha256: SHA,
      mtime: 1_740_821_400,
      ...overrides,
    });
    const receivedFiles = () =>
      store.db.selectFrom('receivedFiles').selectAll().orderBy('id').execute();
    const lastLogReceivedAt = async () =>
      (
        await store.db
          .selectFrom('registeredProducts')
          .select('lastLogReceivedAt')
          .where('id', '=', product)
          .executeTakeFirstOrThrow()
      ).lastLogReceivedAt;

    it('records the file and when the product last sent a log', async () => {
      context.clock.advance(5_000);
      const id = await recordReceivedFile(store, fileOf(), context.clock);

      const at = T0.getTime() + 65_000;
      expect(await receivedFiles()).toEqual([
        {
          id,
          customerId: acme,
          productId: product,
          name: 'logs/detections-2025-03-01.log',
          size: 2 ** 40 + 3,
          sha256: SHA,
          mtime: 1_740_821_400,
          receivedAt: at,
          ingestedLength: 0,
          ingestedSha256: null,
          ingestedAt: null,
          ingestOutcome: null,
        },
      ]);
      expect(await lastLogReceivedAt()).toBe(at);
    });

    it('keeps one row per receipt and moves the last receipt forward only', async () => {
      await recordReceivedFile(store, fileOf(), context.clock);
      context.clock.advance(10_000);
      await recordReceivedFile(store, fileOf({ size: 10 }), context.clock);
      const latest = T0.getTime() + 70_000;
      expect(await lastLogReceivedAt()).toBe(latest);

      await recordReceivedFile(store, fileOf({ name: 'late.log' }), fixedClock(T0));

      expect(await lastLogReceivedAt()).toBe(latest);
      expect((await receivedFiles()).map((file) => [file.name, file.size])).toEqual([
        ['logs/detections-2025-03-01.log', 2 ** 40 + 3],
        ['logs/detections-2025-03-01.log', 10],
        ['late.log', 2 ** 40 + 3],
      ]);
    });

    it('refuses a product of another account, writing nothing', async () => {
      const foreign = (await claim(globex, OTHER_GUID)).productId;
      const before = await everyRow(store);

      const error = await refusal(
        recordReceivedFile(store, fileOf({ productId: foreign }), context.clock),
      );

      expect(error.code).toBe('not_found');
      expect(await everyRow(store)).toEqual(before);
    });

    it.each<[string, Partial<NewReceivedFile>]>([
      ['an empty name', { name: '' }],
      ['an absolute name', { name: '/etc/passwd' }],
      ['a name leading out', { name: 'logs/../../x' }],
      ['a name with an empty part', { name: 'logs//x' }],
      ['a name with NUL', { name: 'a\0b' }],
      ['a negative size', { size: -1 }],
      ['a fractional size', { size: 1.5 }],
      ['an upper-case hash', { sha256: SHA.toUpperCase() }],
      ['a short hash', { sha256: 'ab' }],
      ['a fractional mtime', { mtime: 1.5 }],
    ])('refuses %s, writing nothing', async (_what, overrides) => {
      const before = await everyRow(store);
      const error = await refusal(recordReceivedFile(store, fileOf(overrides), context.clock));
      expect(error.code).toBe('invalid_input');
      expect(await everyRow(store)).toEqual(before);
    });
  });
});
