import type { FastifyRequest } from 'fastify';
import { z } from 'zod';

import type { Actor } from '../accounts/customers.js';
import { isCsrfTokenValid } from '../cas-client/signatures.js';
import type { SignOn, WebSession } from '../cas-client/sign-on.js';
import type { HttpsApp } from '../http/https-app.js';
import { deployPattern, reissueDeployment } from '../patterns/deployments.js';
import { listDeployments } from '../patterns/deployment-status.js';
import type { PatternBus } from '../patterns/pattern-bus.js';
import { listPatterns, retirePattern, uploadPattern, type Pattern } from '../patterns/patterns.js';
import type { Clock } from '../shared/clock.js';
import { AppError, invalidInput } from '../shared/errors.js';
import type { Store } from '../storage/database.js';
import { customerInScope } from './customer-scope.js';

/** What the console's pattern routes use beyond the sign-on. */
export interface PatternAdminDeps {
  dir: string;
  maxBytes: number;
  bus: PatternBus;
}

interface RouteDeps extends PatternAdminDeps {
  store: Store;
  clock: Clock;
  serviceKey: Buffer;
}

const BASE = '/admin/api/v1/customers/:customer/patterns';
const ONE = `${BASE}/:id`;

/** The header a console page sends its session's CSRF token in (the logout form's token). */
export const CSRF_HEADER = 'x-tmsp-csrf';

const customerParams = z.object({ customer: z.string().min(1).max(64) });
const patternParams = customerParams.extend({
  id: z
    .string()
    .regex(/^[1-9][0-9]{0,9}$/)
    .transform(Number),
});
const reissueParams = patternParams.extend({ guid: z.string().max(38) });
const uploadQuery = z.strictObject({
  type: z.string(),
  version: z.string(),
  description: z.string().default(''),
});
const deployBody = z.strictObject({ guid: z.string().max(38).optional() }).default({});

/**
 * Custom patterns in the console: upload (the raw file as the body, its fields in the query),
 * list, deploy, re-issue, status per appliance, retire. Only accounts of the administrator's
 * scope: another answers 404 like an unknown one. Every POST must carry the session's CSRF
 * token in a header, which no other site's form or script can send.
 */
export function mountPatternRoutes(app: HttpsApp, signOn: SignOn, deps: RouteDeps): void {
  void app.register((scope, _options, done) => {
    scope.addContentTypeParser(
      'application/octet-stream',
      { parseAs: 'buffer', bodyLimit: deps.maxBytes },
      (_request, body, done) => done(null, body),
    );
    const guarded = { preHandler: signOn.requireSession };
    scope.get(BASE, guarded, async (request) => {
      const { customerId } = await scoped(deps, signOn, request, customerParams);
      return { patterns: (await listPatterns(deps.store.db, customerId)).map(shown) };
    });
    scope.post(BASE, { ...guarded, bodyLimit: deps.maxBytes }, async (request, reply) => {
      const { customerId, actor } = await changing(deps, signOn, request, customerParams);
      const fields = parse(uploadQuery, request.query);
      if (!Buffer.isBuffer(request.body)) {
        throw invalidInput('send the pattern file as application/octet-stream');
      }
      const upload = { customerId, ...fields, content: request.body };
      const pattern = await uploadPattern({ ...deps }, upload, actor);
      return reply.status(201).send(shown(pattern));
    });
    mountDeploymentRoutes(scope as unknown as HttpsApp, signOn, deps);
    done();
  });
}

function mountDeploymentRoutes(app: HttpsApp, signOn: SignOn, deps: RouteDeps): void {
  const guarded = { preHandler: signOn.requireSession };
  app.get(`${ONE}/deployments`, guarded, async (request) => {
    const { customerId, params } = await scoped(deps, signOn, request, patternParams);
    return { deployments: await listDeployments(deps.store.db, customerId, params.id) };
  });
  app.post(`${ONE}/deployments`, guarded, async (request) => {
    const { customerId, actor, params } = await changing(deps, signOn, request, patternParams);
    const { guid } = parse(deployBody, request.body ?? undefined);
    return deployPattern(deps, { customerId, patternId: params.id, guid }, actor);
  });
  app.post(`${ONE}/deployments/:guid/reissue`, guarded, async (request) => {
    const { customerId, actor, params } = await changing(deps, signOn, request, reissueParams);
    await reissueDeployment(deps, { customerId, patternId: params.id, guid: params.guid }, actor);
    return { reissued: true };
  });
  app.post(`${ONE}/retire`, guarded, async (request) => {
    const { customerId, actor, params } = await changing(deps, signOn, request, patternParams);
    return shown(await retirePattern(deps, customerId, params.id, actor));
  });
}

interface Scoped<P> {
  customerId: number;
  session: WebSession;
  actor: Actor;
  params: P;
}

async function scoped<P extends { customer: string }>(
  deps: RouteDeps,
  signOn: SignOn,
  request: FastifyRequest,
  schema: z.ZodType<P>,
): Promise<Scoped<P>> {
  const session = signOn.sessionOf(request);
  const params = parse(schema, request.params);
  const customerId = await customerInScope(deps.store.db, session, params.customer);
  const actor = { name: session.userName, source: request.ip };
  return { customerId, session, actor, params };
}

/** Like scoped, for a request that changes something: the CSRF token must come with it. */
async function changing<P extends { customer: string }>(
  deps: RouteDeps,
  signOn: SignOn,
  request: FastifyRequest,
  schema: z.ZodType<P>,
): Promise<Scoped<P>> {
  const session = signOn.sessionOf(request);
  if (!isCsrfTokenValid(request.headers[CSRF_HEADER], session.idHash, deps.serviceKey)) {
    throw new AppError('forbidden', `the ${CSRF_HEADER} header must carry the page's token`);
  }
  return scoped(deps, signOn, request, schema);
}

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw invalidInput(`${issue?.path.join('.') || 'request'}: ${issue?.message ?? 'invalid'}`);
}

function shown(pattern: Pattern) {
  return {
    id: pattern.id,
    type: pattern.type,
    version: pattern.version,
    description: pattern.description,
    size: pattern.size,
    sha256: pattern.sha256,
    uploadedAt: new Date(pattern.uploadedAt).toISOString(),
    uploadedBy: pattern.uploadedBy,
    retiredAt: pattern.retiredAt === null ? null : new Date(pattern.retiredAt).toISOString(),
  };
}
