import { z } from 'zod';

import { errorAnswer, type ApiAnswer, type ApiOperation } from './api-operations.js';

export const OPENAPI_PATH = '/v1/openapi.json';

type JsonObject = Record<string, unknown>;

export const OPENAPI_OPERATION: ApiOperation = {
  method: 'get',
  path: OPENAPI_PATH,
  summary: 'This document',
  bearer: false,
  answers: { 200: { description: 'OpenAPI 3.1' } },
};

/**
 * The OpenAPI 3.1 description of the appliance API, built from the same operations and zod
 * schemas the routes check, so that the document cannot drift from what is served.
 */
export function openApiDocument(operations: readonly ApiOperation[]): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const operation of operations) {
    // Routes are written the router's way (`:id`); OpenAPI templates them as `{id}`.
    const path = operation.path.replace(PATH_PARAMETER, '{$1}');
    paths[path] = { ...paths[path], [operation.method]: describe(operation) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'TMSP status server: appliance API',
      version: '1',
      description:
        'Appliances get a CAS service ticket for the status server (CAS REST, ' +
        '`POST /cas/v1/tickets` with the registration credentials), trade it for a session ' +
        'token at `POST /v1/sessions`, then heartbeat.',
    },
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: jsonSchema(errorAnswer, 'output') },
    },
  };
}

const PATH_PARAMETER = /:([A-Za-z]+)/g;

function describe(operation: ApiOperation): JsonObject {
  const responses: Record<string, JsonObject> = {};
  for (const [status, answer] of Object.entries(operation.answers)) {
    responses[status] = response(answer);
  }
  return {
    summary: operation.summary,
    security: operation.bearer ? [{ bearer: [] }] : [],
    ...parametersOf(operation),
    ...requestBodyOf(operation),
    responses,
  };
}

function requestBodyOf(operation: ApiOperation): JsonObject {
  if (operation.rawBody !== undefined) {
    const bytes = { type: 'string', format: 'binary' };
    return { requestBody: { required: true, content: { [operation.rawBody]: { schema: bytes } } } };
  }
  if (operation.body === undefined) return {};
  const schema = jsonSchema(operation.body, 'input');
  return { requestBody: { required: true, content: { 'application/json': { schema } } } };
}

function response(answer: ApiAnswer): JsonObject {
  if (answer.body === undefined) return { description: answer.description };
  const schema =
    answer.body === errorAnswer
      ? { $ref: '#/components/schemas/Error' }
      : jsonSchema(answer.body, 'output');
  return { description: answer.description, content: { 'application/json': { schema } } };
}

function parametersOf(operation: ApiOperation): JsonObject {
  const inPath = [...operation.path.matchAll(PATH_PARAMETER)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const inQuery = operation.query === undefined ? [] : parameters(operation.query);
  const all = [...inPath, ...inQuery];
  return all.length === 0 ? {} : { parameters: all };
}

function parameters(query: z.ZodObject): JsonObject[] {
  const schema = jsonSchema(query, 'input');
  const properties = (schema['properties'] ?? {}) as Record<string, JsonObject>;
  const required = new Set((schema['required'] ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: required.has(name),
    schema: property,
  }));
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const json: JsonObject = { ...z.toJSONSchema(schema, { io, unrepresentable: 'any' }) };
  // The document's dialect is OpenAPI 3.1's own: a $schema on every part would only repeat it.
  delete json['$schema'];
  return json;
}
