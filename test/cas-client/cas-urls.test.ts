import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  casLoginUrl,
  casLogoutUrl,
  isServiceTicket,
  serviceValidateUrl,
} from '../../src/cas-client/cas-urls.js';

const CAS = 'https://cas.example.com/cas';
const SERVICE = 'https://portal.example.com/tms2/cas/callback';

describe('CAS URLs', () => {
  it('puts any ticket into the validation URL as exactly one parameter (C24)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (ticket) => {
        const url = new URL(serviceValidateUrl(CAS, SERVICE, ticket));
        expect(`${url.origin}${url.pathname}`).toBe(`${CAS}/p3/serviceValidate`);
        expect(url.searchParams.getAll('ticket')).toEqual([ticket]);
        expect(url.searchParams.getAll('service')).toEqual([SERVICE]);
        expect(url.searchParams.getAll('renew')).toEqual([]);
      }),
    );
  });

  it('keeps a ticket carrying &service= inside the ticket parameter', () => {
    const ticket = 'ST-1-abc&service=https://evil.example/&renew=false';
    const url = new URL(serviceValidateUrl(CAS, SERVICE, ticket));
    expect([...url.searchParams.keys()].sort()).toEqual(['format', 'service', 'ticket']);
    expect(url.searchParams.get('ticket')).toBe(ticket);
  });

  it('encodes the service in the login and logout redirects', () => {
    expect(casLoginUrl(CAS, SERVICE)).toBe(
      `${CAS}/login?service=https%3A%2F%2Fportal.example.com%2Ftms2%2Fcas%2Fcallback`,
    );
    expect(casLogoutUrl(CAS, 'https://portal.example.com/tms2?a=1&b=2')).toBe(
      `${CAS}/logout?service=https%3A%2F%2Fportal.example.com%2Ftms2%3Fa%3D1%26b%3D2`,
    );
  });

  it('accepts only service tickets of the shape CAS issues', () => {
    expect(isServiceTicket(`ST-${'a1-B'.repeat(8)}`)).toBe(true);
    for (const bad of [
      'ST-1-abc&service=https://evil.example/',
      'ST-short',
      `PT-${'a'.repeat(30)}`,
      `ST-${'a'.repeat(30)}\n`,
      `ST-${'a'.repeat(257)}`,
      ['ST-aaaaaaaaaaaaaaaaaaaaaaaa'],
      undefined,
    ]) {
      expect(isServiceTicket(bad)).toBe(false);
    }
  });
});
