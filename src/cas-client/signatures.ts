import { createHmac, timingSafeEqual } from 'node:crypto';

/** The hex HMAC-SHA256 CAS puts in x-tmsp-signature over a single-logout request's body. */
export function isSignedByCas(body: Buffer, signature: unknown, serviceKey: Buffer): boolean {
  if (typeof signature !== 'string' || !/^[0-9a-f]{64}$/i.test(signature)) return false;
  const expected = createHmac('sha256', serviceKey).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}

// A label of its own keeps a CSRF token from ever equalling a signature CAS makes.
const CSRF_LABEL = 'tmsp web session csrf\n';

/** The token the logout form carries: tied to the session, unknowable without its cookie. */
export function csrfTokenFor(sessionIdHash: string, serviceKey: Buffer): string {
  return createHmac('sha256', serviceKey)
    .update(CSRF_LABEL)
    .update(sessionIdHash)
    .digest('base64url');
}

export function isCsrfTokenValid(
  token: unknown,
  sessionIdHash: string,
  serviceKey: Buffer,
): boolean {
  if (typeof token !== 'string') return false;
  const expected = Buffer.from(csrfTokenFor(sessionIdHash, serviceKey));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
