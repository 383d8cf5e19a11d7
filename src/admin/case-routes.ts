import type { SignOn, WebSession } from '../cas-client/sign-on.js';
import { openCaseDownload } from '../forensics/case-downloads.js';
import { listCases, type CaseSummary } from '../forensics/cases.js';
import type { HttpsApp } from '../http/https-app.js';
import type { Clock } from '../shared/clock.js';
import { notFound } from '../shared/errors.js';
import type { Store } from '../storage/database.js';
import { customerInScope } from './customer-scope.js';

export const CASES_PATH = '/admin/api/v1/customers/:customer/cases';
export const CASE_DATA_PATH = `${CASES_PATH}/:id/forensic-data`;

/** What the console's case routes need beyond its web server: where packages lie. */
export interface CaseAdminDeps {
  areasDir: string;
}

interface CaseParams {
  customer: string;
  id?: string;
}

/**
 * A customer account's cases and the download of each case's forensic data. Administrators
 * see only the accounts of their scope; one outside it answers exactly as an unknown one
 * (404), so that no account or case leaks.
 */
export function mountCaseRoutes(
  app: HttpsApp,
  signOn: SignOn,
  deps: CaseAdminDeps & { store: Store; clock: Clock },
): void {
  app.get(CASES_PATH, { preHandler: signOn.requireSession }, async (request) => {
    const params = request.params as CaseParams;
    const customerId = await scopedCustomer(deps.store, signOn.sessionOf(request), params);
    const cases = await listCases(deps.store.db, customerId);
    return { customer: params.customer, cases: cases.map(shown) };
  });

  // No HEAD twin: a HEAD would write a download to the audit trail for nothing.
  const options = { preHandler: signOn.requireSession, exposeHeadRoute: false };
  app.get(CASE_DATA_PATH, options, async (request, reply) => {
    const session = signOn.sessionOf(request);
    const params = request.params as CaseParams;
    const customerId = await scopedCustomer(deps.store, session, params);
    const caseId = Number(params.id);
    if (!Number.isSafeInteger(caseId) || caseId < 1) throw notFound('case');
    const actor = { name: session.userName, source: request.ip };
    const download = await openCaseDownload(deps, customerId, caseId, actor, deps.clock.now());
    return reply
      .type('application/zip')
      .header('content-length', String(download.case.size))
      .header('content-disposition', `attachment; filename="case-${caseId}.zip"`)
      .send(download.file.createReadStream());
  });
}

async function scopedCustomer(
  store: Store,
  session: WebSession,
  params: CaseParams,
): Promise<number> {
  return customerInScope(store.db, session, params.customer);
}

function shown(summary: CaseSummary): Record<string, unknown> {
  return {
    ...summary,
    receivedAt: new Date(summary.receivedAt).toISOString(),
    updatedAt: new Date(summary.updatedAt).toISOString(),
  };
}
