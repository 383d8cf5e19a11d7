// Long enough for any console page with its query; a longer one falls back to the base path.
const MAX_LENGTH = 2048;

/**
 * The local page to come back to after logon, or null. Only a path under this server's base
 * path qualifies: no scheme, no `//` or backslash that a browser reads as another host, no
 * control characters (an open redirect through the callback is the risk).
 */
export function safeReturnPath(basePath: string, candidate: string | null): string | null {
  if (candidate === null || candidate.length > MAX_LENGTH) return null;
  if (!/^[\x21-\x7e]+$/.test(candidate) || /[\\]|\/\//.test(candidate)) return null;
  const rest = candidate.slice(basePath.length);
  const under = candidate.startsWith(basePath) && (rest === '' || /^[/?]/.test(rest));
  return under ? candidate : null;
}
