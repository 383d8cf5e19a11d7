import { recordAudit } from '../audit/audit-log.js';
import type { CasContext } from './context.js';
import { endSession, type SsoSession } from './sso-sessions.js';
import { servicesOfSession } from './tickets.js';

/**
 * Ends an SSO session and sends a single-logout request to every service that was given a
 * ticket in it, so the console and portal end their own sessions too (handed case C31).
 */
export async function signOut(
  context: CasContext,
  session: SsoSession,
  source: string,
): Promise<void> {
  const now = context.clock.now();
  if (!(await endSession(context.store.db, session.id, now))) return;
  await recordAudit(context.store.db, now, {
    actor: session.userName,
    source,
    action: 'logout',
    customerId: session.customerId,
    result: 'success',
    detail: { door: 'cas' },
  });

  const services = await servicesOfSession(context.store.db, session.id);
  // Delivery must not hold the user's logout up: the requests go out after the answer.
  void Promise.all(
    services.map(({ service, ticket }) => context.sendLogoutRequest(service, ticket)),
  );
}
