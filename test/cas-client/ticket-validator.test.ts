import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTicketValidator } from '../../src/cas-client/ticket-validator.js';
import { isAppError } from '../../src/shared/errors.js';
import { ALICE, SITES } from './sign-on-harness.js';
import { startStubCas, type StubCas } from './stub-cas.js';

const SERVICE = SITES.admin.service;

describe('validating service tickets with CAS over HTTPS', () => {
  let cas: StubCas;
  let otherCas: StubCas;

  beforeAll(async () => {
    [cas, otherCas] = await Promise.all([startStubCas(), startStubCas()]);
  });
  afterAll(async () => {
    await Promise.all([cas.close(), otherCas.close()]);
  });

  const validator = (ca = cas.ca, timeoutMs?: number) =>
    createTicketValidator({ casUrl: () => cas.url, serviceUrl: () => SERVICE, ca, timeoutMs });

  it('gives the principal for a ticket issued for this service', async () => {
    cas.answerWith(null);
    const ticket = cas.issue(SERVICE, ALICE);
    const result = await validator()(ticket);
    expect(result).toEqual({
      ok: true,
      principal: { ...ALICE, customerScope: 'assigned', mustChangePassword: false },
    });
    expect(cas.received.at(-1)).toEqual({
      path: '/cas/p3/serviceValidate',
      parameters: [
        ['service', SERVICE],
        ['ticket', ticket],
        ['format', 'JSON'],
      ],
    });
  });

  it('sends a ticket carrying &service= as one encoded parameter (C24)', async () => {
    cas.answerWith(null);
    const ticket = `ST-1-abc&service=https://evil.example/&renew=false`;
    const result = await validator()(ticket);
    expect(result).toEqual({ ok: false, code: 'INVALID_TICKET' });
    const { parameters } = cas.received.at(-1)!;
    expect(parameters.filter(([name]) => name === 'service')).toEqual([['service', SERVICE]]);
    expect(parameters.filter(([name]) => name === 'ticket')).toEqual([['ticket', ticket]]);
    expect(parameters.map(([name]) => name)).not.toContain('renew');
  });

  it('fails a ticket issued for another service (C27) and a ticket used twice (C28)', async () => {
    cas.answerWith(null);
    const foreign = cas.issue('https://other-app.example.com/', ALICE);
    expect(await validator()(foreign)).toEqual({ ok: false, code: 'INVALID_SERVICE' });
    const once = cas.issue(SERVICE, ALICE);
    expect((await validator()(once)).ok).toBe(true);
    expect(await validator()(once)).toEqual({ ok: false, code: 'INVALID_TICKET' });
  });

  it('reads an answer that is not JSON as a failed logon', async () => {
    cas.answerWith('<cas:serviceResponse/>');
    expect(await validator()(cas.issue(SERVICE, ALICE))).toEqual({
      ok: false,
      code: 'MALFORMED_ANSWER',
    });
  });

  it('refuses an answer larger than the cap', async () => {
    cas.answerWith(`"${'x'.repeat(2 * 1024 * 1024)}"`);
    await expectUnavailable(validator()(cas.issue(SERVICE, ALICE)));
  });

  it('trusts only the configured CA', async () => {
    cas.answerWith(null);
    await expectUnavailable(validator(otherCas.ca)(cas.issue(SERVICE, ALICE)));
  });

  it('gives up on a CAS that does not answer in time', async () => {
    cas.answerWith(null);
    cas.stall(true);
    try {
      await expectUnavailable(validator(cas.ca, 200)(cas.issue(SERVICE, ALICE)));
    } finally {
      cas.stall(false);
    }
  });
});

async function expectUnavailable(pending: Promise<unknown>): Promise<void> {
  const error = await pending.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(isAppError(error) && error.code).toBe('unavailable');
}
