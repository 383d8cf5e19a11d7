import type { HttpsApp } from '../http/https-app.js';

// A logout form or a CAS logout request is a few hundred bytes.
const FORM_BODY_LIMIT = 32 * 1024;

/**
 * Accepts URL-encoded forms and keeps them as raw bytes: a single-logout request's signature
 * covers exactly the bytes sent, so they are read as fields only after it is checked.
 */
export function acceptFormBodies(app: HttpsApp): void {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'buffer', bodyLimit: FORM_BODY_LIMIT },
    (_request, body, done) => done(null, body),
  );
}

/** The fields of a form body read by acceptFormBodies (none for any other body). */
export function formFields(body: unknown): URLSearchParams {
  return Buffer.isBuffer(body) ? new URLSearchParams(body.toString('utf8')) : new URLSearchParams();
}
