import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { CasPrincipal } from '../../src/cas-client/principal.js';
import {
  createWebSession,
  deleteExpiredWebSessions,
  endWebSessionsOfTicket,
  findWebSession,
  hashSessionSecret,
} from '../../src/cas-client/web-sessions.js';
import type { Store } from '../../src/storage/database.js';
import { ENGINES, scratchStore } from '../support/databases.js';

const LIFETIMES = { idleMs: 30 * 60_000, hardMs: 12 * 3_600_000 };
const START = new Date('2026-12-04T10:00:00Z');
const later = (ms: number): Date => new Date(START.getTime() + ms);

const ALICE: CasPrincipal = {
  user: 'alice',
  role: 'administrator',
  customerScope: 'assigned',
  customerAccounts: ['acme'],
  mustChangePassword: false,
};
const ROOT: CasPrincipal = { ...ALICE, user: 'root', customerScope: 'all', customerAccounts: [] };

describe.each(ENGINES)('web sessions on %s', (engine) => {
  let store: Store;
  let scratch: Awaited<ReturnType<typeof scratchStore>>;

  beforeEach(async () => {
    scratch = await scratchStore(engine);
    store = scratch.store;
  });
  afterEach(async () => {
    await scratch.close();
  });

  const create = (principal: CasPrincipal, ticket = 'ST-1') =>
    createWebSession(store.db, {
      server: 'admin',
      ticket,
      principal,
      now: START,
      lifetimes: LIFETIMES,
    });
  const find = (secret: string, at: Date, server: 'admin' | 'portal' = 'admin') =>
    findWebSession(store.db, server, secret, at, LIFETIMES);

  it('stores only the hash of a fresh 32-byte cookie value', async () => {
    const secret = await create(ALICE);
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    const rows = await store.db.selectFrom('webSessions').select('idHash').execute();
    expect(rows).toEqual([{ idHash: hashSessionSecret(secret) }]);
    expect(await create(ALICE)).not.toBe(secret);
  });

  it('finds a session on its own server only', async () => {
    const secret = await create(ALICE);
    expect(await find(secret, START)).toMatchObject({
      userName: 'alice',
      role: 'administrator',
      customerScope: 'assigned',
      customerAccounts: ['acme'],
    });
    expect(await find(secret, START, 'portal')).toBeNull();
    expect(await find('not-a-session', START)).toBeNull();
  });

  it('keeps "every account" apart from "no account assigned"', async () => {
    const all = await find(await create(ROOT), START);
    const none = await find(await create({ ...ALICE, customerAccounts: [] }), START);
    expect(all).toMatchObject({ customerScope: 'all', customerAccounts: [] });
    expect(none).toMatchObject({ customerScope: 'assigned', customerAccounts: [] });
  });

  it('ends a session left idle for 30 minutes', async () => {
    const secret = await create(ALICE);
    expect(await find(secret, later(29 * 60_000))).not.toBeNull();
    expect(await find(secret, later(58 * 60_000))).not.toBeNull();
    expect(await find(secret, later(89 * 60_000))).toBeNull();
  });

  it('ends a session after 12 hours however busy', async () => {
    const secret = await create(ALICE);
    for (let minutes = 20; minutes < 12 * 60; minutes += 20) {
      expect(await find(secret, later(minutes * 60_000))).not.toBeNull();
    }
    expect(await find(secret, later(12 * 3_600_000))).toBeNull();
  });

  it('ends every session made from one ticket', async () => {
    const first = await create(ALICE, 'ST-7');
    const second = await create(ALICE, 'ST-7');
    const other = await create(ALICE, 'ST-8');
    expect(await endWebSessionsOfTicket(store.db, 'portal', 'ST-7')).toBe(0);
    expect(await endWebSessionsOfTicket(store.db, 'admin', 'ST-7')).toBe(2);
    expect(await find(first, START)).toBeNull();
    expect(await find(second, START)).toBeNull();
    expect(await find(other, START)).not.toBeNull();
  });

  it('sweeps expired sessions', async () => {
    await create(ALICE);
    await deleteExpiredWebSessions(store.db, 'admin', later(31 * 60_000), LIFETIMES);
    expect(await store.db.selectFrom('webSessions').selectAll().execute()).toEqual([]);
  });
});
