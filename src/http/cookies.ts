/** The value of one cookie in a Cookie header, or null (the first one wins when repeated). */
export function readCookie(header: string | undefined, name: string): string | null {
  if (header === undefined) return null;
  for (const pair of header.split(';')) {
    const separator = pair.indexOf('=');
    if (separator < 0) continue;
    if (pair.slice(0, separator).trim() === name) return pair.slice(separator + 1).trim();
  }
  return null;
}

export interface CookieScope {
  name: string;
  path: string;
}

/**
 * A Set-Cookie value: Secure, HttpOnly and SameSite=Lax always. Without maxAgeSeconds it
 * lives until the browser closes (the server enforces the session's lifetimes). A `__Host-`
 * name would forbid the Path that keeps the console's and portal's cookies apart.
 */
export function setCookie(scope: CookieScope, value: string, maxAgeSeconds?: number): string {
  const maxAge = maxAgeSeconds === undefined ? '' : `; Max-Age=${maxAgeSeconds}`;
  return `${scope.name}=${value}; Path=${scope.path}${maxAge}; Secure; HttpOnly; SameSite=Lax`;
}

export function clearCookie(scope: CookieScope): string {
  return setCookie(scope, '', 0);
}
