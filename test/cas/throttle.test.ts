import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { listAuditEvents } from '../../src/audit/audit-log.js';
import { ENGINES } from '../support/databases.js';
import { Browser } from './browser.js';
import { casHarness, PEOPLE, PORTAL, type CasHarness } from './harness.js';

describe.each(ENGINES)('CAS logon throttling on %s', (engine) => {
  let cas: CasHarness;
  beforeEach(async () => {
    cas = await casHarness(engine, {
      people: { maxFailures: 3, windowSeconds: 900, lockSeconds: 900 },
      addresses: { maxFailures: 6, windowSeconds: 300, lockSeconds: 300 },
    });
  });
  afterEach(async () => {
    await cas.close();
  });

  it('locks the targeted person out after repeated failures, even with the right password', async () => {
    const attacker = new Browser(cas.app, '203.0.113.5');
    for (let i = 0; i < 3; i += 1) {
      expect((await attacker.logIn(PEOPLE.portalUser, 'wrong-password', PORTAL)).status).toBe(401);
    }
    const victim = await new Browser(cas.app, '198.51.100.20').logIn(
      PEOPLE.portalUser,
      PEOPLE.portalPassword,
      PORTAL,
    );
    expect(victim.status).toBe(429);

    cas.clock.advance(901_000);
    const later = await new Browser(cas.app, '198.51.100.20').logIn(
      PEOPLE.portalUser,
      PEOPLE.portalPassword,
      PORTAL,
    );
    expect(later.status).toBe(302);
  });

  it('refuses an address that tries many names, and serves everyone else', async () => {
    const sprayer = new Browser(cas.app, '203.0.113.9');
    for (let i = 0; i < 6; i += 1) await sprayer.logIn(`nobody-${i}`, 'guess', PORTAL);
    expect((await sprayer.logIn(PEOPLE.portalUser, PEOPLE.portalPassword, PORTAL)).status).toBe(
      429,
    );
    const other = await new Browser(cas.app, '198.51.100.30').logIn(
      PEOPLE.portalUser,
      PEOPLE.portalPassword,
      PORTAL,
    );
    expect(other.status).toBe(302);
  });

  it('writes every attempt with user, address, result and reason to the audit log', async () => {
    await new Browser(cas.app, '203.0.113.5').logIn(PEOPLE.portalUser, 'wrong-password', PORTAL);
    await new Browser(cas.app, '198.51.100.20').logIn(
      PEOPLE.portalUser,
      PEOPLE.portalPassword,
      PORTAL,
    );
    const events = (await listAuditEvents(cas.store.db, new Date(0))).filter(
      (event) => event.action === 'logon',
    );
    expect(events).toEqual([
      expect.objectContaining({
        actor: PEOPLE.portalUser,
        source: '203.0.113.5',
        result: 'failure',
        detail: expect.objectContaining({ reason: 'wrong password' }),
      }),
      expect.objectContaining({
        actor: PEOPLE.portalUser,
        source: '198.51.100.20',
        result: 'success',
      }),
    ]);
    expect(JSON.stringify(events)).not.toContain('wrong-password');
  });

  it('stays responsive for others while one address floods wrong passwords', async () => {
    const flood = Array.from({ length: 60 }, (_, i) =>
      new Browser(cas.app, '203.0.113.77').logIn(PEOPLE.portalUser, `wrong-${i}`, PORTAL),
    );
    const bystander = new Browser(cas.app, '198.51.100.40').logIn('admin', '123456', PORTAL);
    const appliance = cas.app.inject({
      method: 'POST',
      url: '/cas/v1/tickets',
      remoteAddress: '198.51.100.41',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        username: PEOPLE.registrationUser,
        password: PEOPLE.registrationSecret,
      }).toString(),
    });

    expect((await bystander).status).toBe(302);
    expect((await appliance).statusCode).toBe(201);
    const answers = await Promise.all(flood);
    expect(answers.every((answer) => answer.status === 401 || answer.status === 429)).toBe(true);
    expect(answers.some((answer) => answer.status === 429)).toBe(true);
  });
});
