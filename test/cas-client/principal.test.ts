import { describe, expect, it } from 'vitest';

import { parseServiceResponse } from '../../src/cas-client/principal.js';

function success(user: string, attributes: Record<string, unknown>): unknown {
  return { serviceResponse: { authenticationSuccess: { user, attributes } } };
}

const ADMIN_ATTRIBUTES = {
  role: ['administrator'],
  customerAccounts: ['acme', 'globex'],
  customerScope: ['assigned'],
  mustChangePassword: ['false'],
  authenticationDate: ['2026-12-04T10:00:00Z'],
  isFromNewLogin: ['true'],
};

describe('the validation answer', () => {
  it('gives an administrator with assigned accounts', () => {
    expect(parseServiceResponse(success('alice', ADMIN_ATTRIBUTES))).toEqual({
      ok: true,
      principal: {
        user: 'alice',
        role: 'administrator',
        customerScope: 'assigned',
        customerAccounts: ['acme', 'globex'],
        mustChangePassword: false,
      },
    });
  });

  it('gives a portal logon with its one account', () => {
    const answer = success('acme-staff', {
      role: ['portal'],
      customerAccounts: ['acme'],
      customerScope: ['own'],
      mustChangePassword: ['true'],
    });
    const result = parseServiceResponse(answer);
    expect(result.ok && result.principal).toMatchObject({
      role: 'portal',
      customerAccounts: ['acme'],
      mustChangePassword: true,
    });
  });

  it('passes on the failure code of CAS', () => {
    const answer = {
      serviceResponse: { authenticationFailure: { code: 'INVALID_TICKET', description: 'x' } },
    };
    expect(parseServiceResponse(answer)).toEqual({ ok: false, code: 'INVALID_TICKET' });
  });

  it.each([
    ['not an object', 'hello'],
    ['null (not JSON)', null],
    ['a value not in an array', success('alice', { ...ADMIN_ATTRIBUTES, role: 'administrator' })],
    ['two roles', success('alice', { ...ADMIN_ATTRIBUTES, role: ['administrator', 'portal'] })],
    ['an unknown role', success('alice', { ...ADMIN_ATTRIBUTES, role: ['root'] })],
    [
      'an administrator of scope own',
      success('alice', { ...ADMIN_ATTRIBUTES, customerScope: ['own'] }),
    ],
    [
      'a portal logon with two accounts',
      success('bob', { ...ADMIN_ATTRIBUTES, role: ['portal'], customerScope: ['own'] }),
    ],
    [
      'the every-account mark as a name',
      success('alice', { ...ADMIN_ATTRIBUTES, customerAccounts: ['*'] }),
    ],
    ['a user name with markup', success('<b>x</b>', ADMIN_ATTRIBUTES)],
  ])('is a failed logon for %s', (_what, answer) => {
    expect(parseServiceResponse(answer).ok).toBe(false);
  });
});
