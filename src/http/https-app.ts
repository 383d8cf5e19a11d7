import Fastify, { LogController, type FastifyError } from 'fastify';
import { sql } from 'kysely';

import { isAppError } from '../shared/errors.js';
import { isDatabaseFailure } from '../storage/errors.js';
import type { WebServerDeps } from './web-server.js';

export interface HttpsAppOptions extends WebServerDeps {
  server: string;
}

/**
 * A connection silent this long is closed, and a request must have arrived whole within the
 * other: a client that trickles its request (one byte now and then) cannot hold a socket and
 * whatever its request waits for. Long uploads are resumable, so a cut one loses nothing; event
 * streams send a comment every 20 s and never fall silent.
 */
export const IDLE_CONNECTION_MS = 60_000;
export const WHOLE_REQUEST_MS = 600_000;

/** How long a client told the store is unavailable waits before it tries again. */
const STORE_RETRY_SECONDS = 30;

const SECURITY_HEADERS: Record<string, string> = {
  'strict-transport-security': 'max-age=31536000',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  // No form-action: browsers apply it to the redirects that follow a form, and single sign-on
  // sends a logon form on to another server (CAS → console, console logout → CAS).
  'content-security-policy': "default-src 'self'; frame-ancestors 'none'; base-uri 'none'",
  'cache-control': 'no-store',
};

/**
 * The HTTPS application every web server starts from: TLS with the generated (or operator's)
 * certificate, security headers, a health route, request metrics, and the one place where
 * errors become HTTP answers.
 */
export function createHttpsApp(options: HttpsAppOptions) {
  const app = Fastify({
    https: { key: options.tls.privateKey, cert: options.tls.certificate },
    // The framework's own info lines ("listening at") repeat what `tmsp up` prints.
    loggerInstance: options.logger.child({ server: options.server }, { level: 'warn' }),
    // One line per heartbeat would drown the log: failures are logged where they are handled.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    connectionTimeout: IDLE_CONNECTION_MS,
    requestTimeout: WHOLE_REQUEST_MS,
    bodyLimit: 1024 * 1024,
    trustProxy: false,
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    options.metrics.httpRequests.inc({
      server: options.server,
      route,
      status: String(reply.statusCode),
    });
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isAppError(error)) {
      const message = error.expose ? error.message : 'the request could not be completed';
      return reply.status(error.httpStatus).send({ error: error.code, message });
    }
    if (typeof error.statusCode === 'number' && error.statusCode < 500) {
      // A body the framework cannot read (bad JSON, a __proto__ key) is bad input like any other.
      const code = error.statusCode === 400 ? 'invalid_input' : 'invalid_request';
      return reply.status(error.statusCode).send({ error: code, message: error.message });
    }
    if (isDatabaseFailure(error)) {
      if (options.onStoreFailure === undefined)
        request.log.error({ err: error, url: request.url }, 'the store refused a request');
      else options.onStoreFailure(error);
      return reply.status(503).header('retry-after', String(STORE_RETRY_SECONDS)).send({
        error: 'unavailable',
        message: 'the store cannot take this now; try again later',
      });
    }
    request.log.error({ err: error, url: request.url }, 'request failed');
    return reply.status(500).send({ error: 'internal_error', message: 'internal error' });
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.status(404).send({ error: 'not_found', message: 'not found' }),
  );

  app.get('/healthz', async (_request, reply) => {
    try {
      await sql`select 1`.execute(options.store.raw);
      return { status: 'ok', server: options.server };
    } catch {
      return reply
        .status(503)
        .send({ status: 'unavailable', server: options.server, database: 'unreachable' });
    }
  });
  return app;
}

export type HttpsApp = ReturnType<typeof createHttpsApp>;
