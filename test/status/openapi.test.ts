import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { dataPaths } from '../../src/config/paths.js';
import { ensureKeyMaterial } from '../../src/keys/material.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { fixedClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/log.js';
import { createStatusServer } from '../../src/status/server.js';
import { patternApiDeps } from '../patterns/pattern-harness.js';
import { scratchStore } from '../support/databases.js';
import { call } from './appliance-client.js';
import { statusHarness, type StatusHarness } from './status-harness.js';

const API = {
  '/v1/sessions': ['post'],
  '/v1/sessions/current': ['delete'],
  '/v1/heartbeats': ['post'],
  '/v1/files': ['get'],
  '/v1/forensic-uploads': ['post'],
  '/v1/forensic-uploads/{id}': ['get', 'put'],
  '/v1/ocs-logs': ['post'],
  '/v1/network-configuration': ['put'],
  '/v1/events': ['get'],
  '/v1/patterns/{id}/content': ['get'],
  '/v1/patterns/{id}/reports': ['post'],
  '/v1/openapi.json': ['get'],
};

/** The parts of the document the tests look at. */
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { securitySchemes: Record<string, unknown> };
}

interface OpenApiOperation {
  security: unknown[];
  parameters?: Array<{ name: string; in?: string; required: boolean }>;
  requestBody?: {
    content: Record<
      string,
      { schema: { oneOf: Array<{ properties: { type: { const: string } }; required: string[] }> } }
    >;
  };
  responses: Record<string, unknown>;
}

describe('the OpenAPI document of the appliance API', () => {
  let harness: StatusHarness;
  let document: OpenApiDocument;
  beforeAll(async () => {
    harness = await statusHarness('sqlite');
    const answer = await call(harness.ca, {
      method: 'GET',
      url: `${harness.endpoints.status.url}/v1/openapi.json`,
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    document = answer.json;
  });
  afterAll(async () => {
    await harness.close();
  });

  it('is served without a session, as OpenAPI 3.1, listing every route of the API', () => {
    expect(document.openapi).toBe('3.1.0');
    const listed = Object.fromEntries(
      Object.entries(document.paths).map(([route, item]) => [route, Object.keys(item)]),
    );
    expect(listed).toEqual(API);
  });

  it('describes what each route takes and answers', () => {
    const heartbeat = document.paths['/v1/heartbeats']!['post']!;
    expect(heartbeat.security).toEqual([{ bearer: [] }]);
    const variants = heartbeat.requestBody!.content['application/json']!.schema.oneOf;
    expect(variants.map((variant) => variant.properties.type.const)).toEqual(['tda', 'tm']);
    expect(variants[0]!.required).toEqual(
      expect.arrayContaining(['guid', 'hostName', 'ipAddress', 'sentAt', 'securityCompliance']),
    );
    expect(Object.keys(heartbeat.responses)).toEqual(['200', '400', '401', '403', '413']);

    const files = document.paths['/v1/files']!['get']!;
    expect(files.parameters!.map((parameter) => [parameter.name, parameter.required])).toEqual([
      ['guid', true],
      ['name', true],
      ['sha256', true],
    ]);
    expect(document.paths['/v1/sessions']!['post']!.security).toEqual([]);
    const range = document.paths['/v1/forensic-uploads/{id}']!['put']!;
    expect(Object.keys(range.requestBody!.content)).toEqual(['application/octet-stream']);
    expect(range.parameters).toEqual([
      { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
    ]);
    expect(document.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
  });

  it('lists only routes that exist: none of them answers "not found"', async () => {
    for (const [route, methods] of Object.entries(API)) {
      for (const method of methods) {
        const answer = await call(harness.ca, {
          method: method.toUpperCase() as 'GET' | 'POST' | 'PUT' | 'DELETE',
          url: `${harness.endpoints.status.url}${route}`,
        });
        expect({ route, method, status: answer.status }).not.toMatchObject({ status: 404 });
      }
    }
  });
});

describe('the routes the status server serves', () => {
  let close: () => Promise<void>;
  let routes: string[];
  beforeAll(async () => {
    const scratch = await scratchStore('sqlite');
    const keysDir = await mkdtemp(path.join(tmpdir(), 'tmsp-status-keys-'));
    const keys = await ensureKeyMaterial(
      dataPaths({ ...DEFAULT_CONFIG, dataDir: keysDir }),
      ['localhost'],
      new Date(),
      silentLogger(),
    );
    const app = createStatusServer(
      { store: scratch.store, tls: keys.tls, metrics: createMetrics(), logger: silentLogger() },
      {
        clock: fixedClock(new Date()),
        heartbeatTimeoutSeconds: 300,
        forensics: { areasDir: keysDir, maxBytes: 1024 },
        patterns: patternApiDeps(keysDir),
        validateTicket: () => Promise.resolve({ ok: false, code: 'INVALID_TICKET' }),
      },
    );
    await app.ready();
    routes = routesOf(app.printRoutes({ commonPrefix: false }));
    close = async () => {
      await app.close();
      await scratch.close();
      await rm(keysDir, { recursive: true, force: true });
    };
  });
  afterAll(async () => {
    await close();
  });

  it('are the documented ones and the health route, nothing else', () => {
    // The router writes path parameters as `:id`, OpenAPI as `{id}`.
    const documented = Object.entries(API).flatMap(([route, methods]) =>
      methods.map((method) => `${method.toUpperCase()} ${route.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect(routes.filter((route) => !route.startsWith('HEAD ')).sort()).toEqual(
      [...documented, 'GET /healthz'].sort(),
    );
  });
});

/** Fastify's printed route tree ("├── /v1/sessions (POST)", nested four columns a level). */
function routesOf(tree: string): string[] {
  const stack: string[] = [];
  const routes: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│├└─ ]*)(\S+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (match === null) continue;
    const depth = match[1]!.length / 4;
    stack[depth] = `${stack[depth - 1] ?? ''}${match[2]!}`;
    for (const method of match[3]?.split(', ') ?? []) routes.push(`${method} ${stack[depth]}`);
  }
  return routes;
}
