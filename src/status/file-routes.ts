import { z } from 'zod';

import type { HttpsApp } from '../http/https-app.js';
import { parseApplianceGuid } from '../logserver/received-files.js';
import type { ApiContext } from './api-context.js';
import { parseInput } from './api-input.js';
import { BAD_REQUEST, UNAUTHENTICATED, type ApiOperation } from './api-operations.js';
import { sessionOf, type BearerGuard } from './bearer-guard.js';
import { acknowledgeFile } from './file-acknowledgements.js';
import { applianceGuid } from './heartbeat-messages.js';

export const FILES_PATH = '/v1/files';

const fileQuery = z.strictObject({
  guid: applianceGuid,
  name: z
    .string()
    .min(1)
    .max(4096)
    .refine((name) => !name.includes('\0'), 'must not contain NUL')
    .meta({ description: 'The file’s path below the GUID, as the push named it' }),
  sha256: z
    .string()
    .regex(/^[0-9A-Fa-f]{64}$/, 'must be 64 hex digits')
    .meta({ description: 'SHA-256 of the whole file' }),
});

const asked = {
  guid: z.string().meta({ description: 'Upper-case, without braces' }),
  name: z.string(),
  sha256: z.string().meta({ description: 'Lower-case hex' }),
};

const fileAnswer = z.discriminatedUnion('state', [
  z.strictObject({
    state: z.literal('stored').meta({ description: 'Held and counted: do not send it again' }),
    ...asked,
    size: z.int().nonnegative(),
    receivedAt: z.iso.datetime(),
  }),
  z.strictObject({
    state: z.literal('unknown').meta({ description: 'Not held (or not this appliance’s): send' }),
    ...asked,
  }),
]);

export const FILE_OPERATIONS: ApiOperation[] = [
  {
    method: 'get',
    path: FILES_PATH,
    summary: 'Ask whether the server already holds a file with this name and content (C23)',
    bearer: true,
    query: fileQuery,
    answers: {
      200: { description: 'stored or unknown', body: fileAnswer },
      400: BAD_REQUEST,
      401: UNAUTHENTICATED,
    },
  },
];

/** The per-file acknowledgement an appliance asks for before sending a file again. */
export function registerFileRoutes(app: HttpsApp, context: ApiContext, guard: BearerGuard): void {
  app.get(FILES_PATH, { preHandler: guard }, async (request) => {
    const session = sessionOf(request);
    const query = parseInput(fileQuery, request.query, 'query');
    const question = {
      customerId: session.customerId,
      guid: parseApplianceGuid(query.guid) ?? query.guid,
      name: query.name,
      sha256: query.sha256.toLowerCase(),
    };
    const known = await acknowledgeFile(context.store.db, question);
    const { guid, name, sha256 } = question;
    return fileAnswer.parse(
      known.state === 'stored'
        ? { state: 'stored', guid, name, sha256, size: known.size, receivedAt: iso(known) }
        : { state: 'unknown', guid, name, sha256 },
    );
  });
}

function iso(known: { receivedAt: number }): string {
  return new Date(known.receivedAt).toISOString();
}
