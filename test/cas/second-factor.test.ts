import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { changePassword } from '../../src/accounts/password-change.js';
import { enrollSecondFactor, requireSecondFactor } from '../../src/accounts/second-factor.js';
import { totpCode, totpStep } from '../../src/accounts/totp.js';
import { findPerson } from '../../src/cas/principals.js';
import { ENGINES } from '../support/databases.js';
import { Browser, ticketOf } from './browser.js';
import { casHarness, CONSOLE, PEOPLE, PORTAL, type CasHarness } from './harness.js';

const ADMIN_PASSWORD = 'Correct-Horse-Battery-3';
const ACTOR = { name: 'test', source: 'test' };

describe.each(ENGINES)('CAS second factor for administrators on %s', (engine) => {
  let cas: CasHarness;
  beforeEach(async () => {
    cas = await casHarness(engine);
    const admin = await findPerson(cas.store.db, 'admin');
    await changePassword(cas.store, cas.clock, admin!, ADMIN_PASSWORD, 'test');
  });
  afterEach(async () => {
    await cas.close();
  });

  const accounts = () => ({ store: cas.store, clock: cas.clock, secrets: cas.keys.secrets });

  it('asks an enrolled administrator for a code and accepts it once', async () => {
    const secret = await enrollSecondFactor(accounts(), 'admin', ACTOR);
    const browser = new Browser(cas.app);
    const step = await browser.logIn('admin', ADMIN_PASSWORD, CONSOLE);
    expect(step.status).toBe(200);
    expect(step.body).toContain('name="code"');
    expect(browser.cookie('TGC')).toBeUndefined();

    const fields = hiddenFields(step.body);
    const wrong = await browser.post('/cas/second-factor', { ...fields, code: '000000' });
    expect(wrong.status).toBe(401);

    const code = totpCode(secret, totpStep(cas.clock.now()));
    const accepted = await browser.post('/cas/second-factor', { ...fields, code });
    expect(ticketOf(accepted.location)).toMatch(/^ST-/);

    const replay = await new Browser(cas.app).post('/cas/second-factor', { ...fields, code });
    expect(replay.status).not.toBe(302);
  });

  it('refuses a forged pending token', async () => {
    await enrollSecondFactor(accounts(), 'admin', ACTOR);
    const browser = new Browser(cas.app);
    const step = await browser.logIn('admin', ADMIN_PASSWORD, CONSOLE);
    const forged = Buffer.from(`admin|${Date.now() + 60_000}|AAAA`).toString('base64url');
    const answer = await browser.post('/cas/second-factor', {
      ...hiddenFields(step.body),
      pending: forged,
      code: '123456',
    });
    expect(answer.status).toBe(401);
  });

  it('when a second factor is mandatory, refuses administrators without one but not customers', async () => {
    await requireSecondFactor(accounts(), true, ACTOR);
    const admin = await new Browser(cas.app).logIn('admin', ADMIN_PASSWORD, CONSOLE);
    expect(admin.status).toBe(403);
    expect(admin.body).toContain('second factor is required');
    const portal = await new Browser(cas.app).logIn(
      PEOPLE.portalUser,
      PEOPLE.portalPassword,
      PORTAL,
    );
    expect(portal.status).toBe(302);
  });
});

function hiddenFields(body: string): Record<string, string> {
  return Object.fromEntries(
    [...body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
      m[1]!,
      m[2]!.replace(/&amp;/g, '&'),
    ]),
  );
}
