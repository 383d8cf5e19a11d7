import { describe, expect, it } from 'vitest';

import { parseApplianceAnswer } from '../../src/status/appliance-tickets.js';

const success = (attributes: Record<string, string[]>, user = 'acme-fleet') => ({
  serviceResponse: { authenticationSuccess: { user, attributes } },
});
const APPLIANCE = { role: ['appliance'], customerScope: ['own'], customerAccounts: ['acme'] };

describe("reading CAS's answer for the status server", () => {
  it('accepts an appliance of one customer account', () => {
    expect(parseApplianceAnswer(success(APPLIANCE))).toEqual({
      ok: true,
      principal: { user: 'acme-fleet', customerName: 'acme' },
    });
  });

  it('refuses people, whatever their scope', () => {
    for (const role of ['portal', 'administrator']) {
      expect(parseApplianceAnswer(success({ ...APPLIANCE, role: [role] }))).toEqual({
        ok: false,
        code: 'NOT_AN_APPLIANCE',
      });
    }
  });

  it('refuses an appliance answer naming no, several or every customer account', () => {
    for (const attributes of [
      { ...APPLIANCE, customerAccounts: [] },
      { ...APPLIANCE, customerAccounts: ['acme', 'globex'] },
      { ...APPLIANCE, customerScope: ['all'] },
    ]) {
      expect(parseApplianceAnswer(success(attributes))).toEqual({
        ok: false,
        code: 'INCONSISTENT',
      });
    }
  });

  it("passes CAS's failure code on, and calls anything else malformed", () => {
    const failure = { serviceResponse: { authenticationFailure: { code: 'INVALID_TICKET' } } };
    expect(parseApplianceAnswer(failure)).toEqual({ ok: false, code: 'INVALID_TICKET' });
    for (const answer of [
      null,
      'yes',
      {},
      success(APPLIANCE, '*'),
      success({ role: ['appliance'] }),
    ]) {
      expect(parseApplianceAnswer(answer)).toEqual({ ok: false, code: 'MALFORMED_ANSWER' });
    }
  });
});
