import { Readable } from 'node:stream';

import type { SignOn } from '../cas-client/sign-on.js';
import type { HttpsApp } from '../http/https-app.js';
import {
  auditExport,
  exportFileName,
  exportPages,
  exportText,
  findExportTarget,
  parseExportRange,
} from '../ingest/raw-export.js';
import type { Clock } from '../shared/clock.js';
import { notFound } from '../shared/errors.js';
import type { Store } from '../storage/database.js';
import { coversCustomer } from './customer-scope.js';

export const LOG_EXPORT_PATH = '/admin/api/v1/customers/:customer/products/:guid/logs';

interface LogExportParams {
  customer: string;
  guid: string;
}

/**
 * GET a registered product's raw lines of one kind and time range as a text download,
 * streamed page by page. Administrators see only the customer accounts of their scope; one
 * outside it answers exactly as an unknown one does (404), so that no account or GUID leaks.
 */
export function mountLogExport(
  app: HttpsApp,
  signOn: SignOn,
  deps: { store: Store; clock: Clock },
): void {
  // No HEAD twin: a HEAD would run the export and write it to the audit trail for nothing.
  const options = { preHandler: signOn.requireSession, exposeHeadRoute: false };
  app.get(LOG_EXPORT_PATH, options, async (request, reply) => {
    const session = signOn.sessionOf(request);
    const params = request.params as LogExportParams;
    const range = parseExportRange(request.query as Record<string, unknown>);
    if (!coversCustomer(session, params.customer)) throw notFound('registered product');
    const target = await findExportTarget(deps.store.db, params.customer, params.guid);
    const actor = { name: session.userName, source: request.ip };
    await auditExport(deps.store.db, deps.clock.now(), actor, target, range);
    const text = exportText(exportPages(deps.store.db, target, range));
    return reply
      .type('text/plain; charset=utf-8')
      .header('content-disposition', `attachment; filename="${exportFileName(target, range)}"`)
      .send(Readable.from(text));
  });
}
