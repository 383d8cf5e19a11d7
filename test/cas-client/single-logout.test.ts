import { randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { csrfTokenFor, isCsrfTokenValid, isSignedByCas } from '../../src/cas-client/signatures.js';
import { sessionIndexOf } from '../../src/cas-client/single-logout.js';
import { logoutRequest, sign } from './sign-on-harness.js';

const TICKET = `ST-${'a1b2'.repeat(8)}`;

describe('single-logout requests', () => {
  it('name the service ticket in their SessionIndex', () => {
    expect(sessionIndexOf(logoutRequest(TICKET))).toBe(TICKET);
  });

  it.each([
    ['a document type', `<!DOCTYPE x [<!ENTITY e "ST-x">]>${logoutRequest(TICKET)}`],
    ['an entity inside', logoutRequest(TICKET).replace('@NOT_USED@', '<!ENTITY e "x">')],
    [
      'two session indexes',
      logoutRequest(TICKET).replace(
        '</samlp:LogoutRequest>',
        `<samlp:SessionIndex>${TICKET}</samlp:SessionIndex></samlp:LogoutRequest>`,
      ),
    ],
    [
      'another element',
      `<samlp:AuthnRequest x="1"><samlp:SessionIndex>${TICKET}</samlp:SessionIndex></samlp:AuthnRequest>`,
    ],
    ['a malformed ticket', logoutRequest('ST-1&x')],
    ['nothing', ''],
  ])('are ignored when they carry %s', (_what, text) => {
    expect(sessionIndexOf(text)).toBeNull();
  });

  it('are believed only with the HMAC of the exact body under the service key', () => {
    const key = randomBytes(32);
    const body = Buffer.from(`logoutRequest=${encodeURIComponent(logoutRequest(TICKET))}`);
    expect(isSignedByCas(body, sign(body.toString(), key), key)).toBe(true);
    expect(isSignedByCas(body, sign(body.toString(), randomBytes(32)), key)).toBe(false);
    expect(
      isSignedByCas(Buffer.concat([body, Buffer.from('&x=1')]), sign(body.toString(), key), key),
    ).toBe(false);
    expect(isSignedByCas(body, undefined, key)).toBe(false);
    expect(isSignedByCas(body, 'zz', key)).toBe(false);
  });
});

describe('the logout form token', () => {
  it('belongs to one session', () => {
    const key = randomBytes(32);
    const token = csrfTokenFor('hash-of-session-1', key);
    expect(isCsrfTokenValid(token, 'hash-of-session-1', key)).toBe(true);
    expect(isCsrfTokenValid(token, 'hash-of-session-2', key)).toBe(false);
    expect(isCsrfTokenValid(`${token}x`, 'hash-of-session-1', key)).toBe(false);
    expect(isCsrfTokenValid(null, 'hash-of-session-1', key)).toBe(false);
  });
});
