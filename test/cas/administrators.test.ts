import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { addAdministrator } from '../../src/accounts/new-administrator.js';
import { ENGINES } from '../support/databases.js';
import { Browser, ticketOf } from './browser.js';
import { casHarness, CONSOLE, type CasHarness } from './harness.js';

const ACTOR = { name: 'test', source: 'test' };

describe.each(ENGINES)('administrators with assigned customer accounts on %s', (engine) => {
  let cas: CasHarness;
  beforeEach(async () => {
    cas = await casHarness(engine);
  });
  afterEach(async () => {
    await cas.close();
  });

  it('releases only the assigned accounts, after the first password change', async () => {
    await addAdministrator(
      cas.store,
      cas.clock,
      { userName: 'bob', password: 'First-Password-11', customers: ['acme'] },
      ACTOR,
    );
    const browser = new Browser(cas.app);
    const first = await browser.logIn('bob', 'First-Password-11', CONSOLE);
    expect(first.location).toMatch(/^password/);

    const form = await browser.get(`/cas/${first.location!}`);
    const hidden = Object.fromEntries(
      [...form.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
        m[1]!,
        m[2]!.replace(/&amp;/g, '&'),
      ]),
    );
    const changed = await browser.post('/cas/password', {
      ...hidden,
      current: 'First-Password-11',
      next: 'Second-Password-22',
      repeat: 'Second-Password-22',
    });
    const query = new URLSearchParams({ ticket: ticketOf(changed.location), service: CONSOLE });
    const answer = await cas.app.inject({
      url: `/cas/p3/serviceValidate?${query.toString()}&format=JSON`,
    });
    expect(JSON.parse(answer.body).serviceResponse.authenticationSuccess.attributes).toMatchObject({
      role: ['administrator'],
      customerScope: ['assigned'],
      customerAccounts: ['acme'],
    });
  });

  it('writes nothing when an assigned account does not exist', async () => {
    await expect(
      addAdministrator(
        cas.store,
        cas.clock,
        { userName: 'carol', password: 'First-Password-11', customers: ['nope'] },
        ACTOR,
      ),
    ).rejects.toMatchObject({ code: 'not_found' });
    const names = await cas.store.db
      .selectFrom('logonNames')
      .select('userName')
      .where('userName', '=', 'carol')
      .execute();
    expect(names).toEqual([]);
  });
});
