import { conflict } from '../shared/errors.js';
import type { Db } from '../storage/database.js';
import { isUniqueViolation } from '../storage/errors.js';

/**
 * The service registry. A service is allowed only when its URL equals a registered one exactly,
 * character for character: no prefix match, no pattern, so `https://console/admin@evil` or
 * `https://console/admin/../x` never pass (handed cases P10, C26).
 */
export interface ServiceRegistry {
  /** A service that may receive tickets (and redirects). */
  isService(url: string): Promise<boolean>;
  /** Where /logout may send the browser: any service, or a start page that gets no tickets. */
  isLogoutTarget(url: string): Promise<boolean>;
  isProxyCallback(url: string): Promise<boolean>;
}

export interface RegistrySources {
  db: Db;
  /** The console, portal and status server's own service URLs, from the configuration. */
  configuredServices: () => string[];
  /**
   * The console's and portal's start pages: a logout returns the browser there, but a ticket
   * sent to one would land in a page that does not validate it, and could leak through its
   * logs or a Referer, so they are never services.
   */
  logoutTargets: () => string[];
  configuredProxyCallbacks: string[];
}

export function serviceRegistry(sources: RegistrySources): ServiceRegistry {
  const stored = async (url: string, kind: 'service' | 'proxy_callback'): Promise<boolean> => {
    const row = await sources.db
      .selectFrom('casServices')
      .select('id')
      .where('url', '=', url)
      .where('kind', '=', kind)
      .executeTakeFirst();
    return row !== undefined;
  };

  const isService = async (url: string): Promise<boolean> =>
    wellFormed(url) &&
    (sources.configuredServices().includes(url) || (await stored(url, 'service')));

  return {
    isService,
    isLogoutTarget: async (url) =>
      (wellFormed(url) && sources.logoutTargets().includes(url)) || (await isService(url)),
    isProxyCallback: async (url) =>
      wellFormed(url) &&
      url.startsWith('https://') &&
      (sources.configuredProxyCallbacks.includes(url) || (await stored(url, 'proxy_callback'))),
  };
}

/** Rejects what an exact match alone could let through if a stored entry were ever careless. */
function wellFormed(url: string): boolean {
  if (url.length > 2048 || /[\s\\]/.test(url)) return false;
  try {
    const parsed = new URL(url);
    return (
      (parsed.protocol === 'https:' || parsed.protocol === 'http:') &&
      parsed.username === '' &&
      parsed.password === '' &&
      parsed.hash === ''
    );
  } catch {
    return false;
  }
}

/** Registers a service or proxy callback (operator action, audited by the caller). */
export async function addService(
  db: Db,
  url: string,
  kind: 'service' | 'proxy_callback',
  description: string,
  now: Date,
): Promise<void> {
  try {
    await db
      .insertInto('casServices')
      .values({ url, kind, description, createdAt: now.getTime() })
      .execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`${url} is already registered`);
    throw error;
  }
}
