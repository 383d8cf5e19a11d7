import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

import {
  receiveRange,
  startUpload,
  uploadState,
  type ForensicDeps,
  type UploadState,
} from '../forensics/resumable.js';
import { OffsetMismatch, parseContentRange, tooLarge } from '../forensics/ranges.js';
import type { HttpsApp } from '../http/https-app.js';
import { invalidInput, notFound } from '../shared/errors.js';
import { API_BODY_LIMIT, type ApiContext } from './api-context.js';
import { parseInput } from './api-input.js';
import {
  BAD_REQUEST,
  TOO_LARGE,
  UNAUTHENTICATED,
  errorAnswer,
  type ApiOperation,
} from './api-operations.js';
import { sessionOf, type BearerGuard } from './bearer-guard.js';
import { applianceGuid } from './heartbeat-messages.js';
import { claimSessionProduct } from './product-claims.js';

export const UPLOADS_PATH = '/v1/forensic-uploads';
const UPLOAD_PATH = `${UPLOADS_PATH}/:id`;

/** Each answer carries it, so that a client resumes without parsing the body. */
const OFFSET_HEADER = 'upload-offset';
const UPLOAD_ID = /^[0-9a-f]{32}$/;
const PACKAGE = 'application/octet-stream';

const plainName = (what: string) =>
  z
    .string()
    .min(1)
    .max(255)
    // eslint-disable-next-line no-control-regex
    .refine((name) => !/[\u0000-\u001f/\\]/.test(name), `${what}: no slashes or control codes`);

const uploadBody = z.strictObject({
  guid: applianceGuid,
  endpoint: plainName('endpoint').meta({ description: 'The endpoint the package was taken from' }),
  fileName: plainName('fileName').meta({ description: 'The encrypted .zip’s name' }),
  size: z.int().positive().meta({ description: 'Bytes of the whole package' }),
  sha256: z
    .string()
    .regex(/^[0-9A-Fa-f]{64}$/, 'must be 64 hex digits')
    .meta({ description: 'SHA-256 of the whole package, checked when the last byte arrives' }),
});

const uploadAnswer = z.strictObject({
  id: z.string().meta({ description: 'Names the upload in the URLs below' }),
  guid: z.string(),
  endpoint: z.string(),
  fileName: z.string(),
  size: z.int().positive(),
  sha256: z.string(),
  offset: z.int().nonnegative().meta({ description: 'Bytes held: the next range starts here' }),
  state: z.enum(['receiving', 'complete']),
  caseId: z.int().positive().nullable().meta({ description: 'The case the package opened' }),
});

const ERROR = (description: string) => ({ description, body: errorAnswer });
const NOT_FOUND = ERROR('No such upload of this customer account (or it was ended)');

export const FORENSIC_OPERATIONS: ApiOperation[] = [
  {
    method: 'post',
    path: UPLOADS_PATH,
    summary: 'Announce a forensic data package (one file per upload); then PUT its bytes',
    bearer: true,
    body: uploadBody,
    answers: {
      201: { description: 'The upload, at offset 0', body: uploadAnswer },
      400: BAD_REQUEST,
      401: UNAUTHENTICATED,
      403: ERROR('The GUID belongs to another account, or to a TDA'),
      413: ERROR('The announced size is over forensics.maxBytes, or the body over 16 KiB'),
      429: ERROR('The appliance has 16 uploads in progress'),
    },
  },
  {
    method: 'get',
    path: UPLOAD_PATH,
    summary: 'Where an upload stands (also HEAD: the Upload-Offset header alone), to resume',
    bearer: true,
    answers: {
      200: { description: 'The upload', body: uploadAnswer },
      401: UNAUTHENTICATED,
      404: NOT_FOUND,
    },
  },
  {
    method: 'put',
    path: UPLOAD_PATH,
    summary:
      'Append `Content-Range: bytes <offset>-<last>/<size>` as application/octet-stream, ' +
      'starting at the acknowledged offset; the last byte checks the SHA-256 and opens a case',
    bearer: true,
    rawBody: 'application/octet-stream',
    answers: {
      200: { description: 'Range stored; more to come', body: uploadAnswer },
      201: { description: 'Package complete and verified: a case is open', body: uploadAnswer },
      400: BAD_REQUEST,
      401: UNAUTHENTICATED,
      404: NOT_FOUND,
      409: ERROR(
        'The range does not start at the offset Upload-Offset names, or another range of the ' +
          'upload is being written',
      ),
      413: { ...TOO_LARGE, description: 'Longer than announced or than forensics.maxBytes' },
      416: ERROR('The range lies outside the announced size'),
      422: ERROR('The SHA-256 differs from the announced one; the upload was removed'),
      507: ERROR('The store is full; the upload was removed: start again later'),
    },
  },
];

/**
 * Resumable uploads of forensic data packages (PROTOCOLS.md §3, P04). Registered in a scope
 * of their own: only here does a body arrive as a raw stream, written to disk as it comes;
 * every other route of the status server stays JSON only.
 */
export function registerForensicRoutes(
  app: HttpsApp,
  context: ApiContext,
  guard: BearerGuard,
): void {
  void app.register((scope, _options, done) => {
    scope.addContentTypeParser(PACKAGE, (_request, payload, done) => done(null, payload));
    // A form is how browsers send several files at once: an upload takes exactly one (C48).
    scope.addContentTypeParser('multipart/form-data', (_request, _payload, done) =>
      done(invalidInput(`one file per upload: PUT its bytes as ${PACKAGE}`)),
    );
    routes(scope, context, guard);
    done();
  });
}

function routes(scope: FastifyInstance, context: ApiContext, guard: BearerGuard): void {
  const deps: ForensicDeps = { ...context.forensics, ...context };
  scope.post(
    UPLOADS_PATH,
    { bodyLimit: API_BODY_LIMIT, preHandler: guard },
    async (request, reply) => {
      const session = sessionOf(request);
      const body = parseInput(uploadBody, request.body, 'body');
      const product = await claimSessionProduct(context, session, body.guid, request.ip);
      const uploader = { customerId: session.customerId, ...product };
      const state = await startUpload(deps, uploader, body);
      void reply.status(201).header('location', `${UPLOADS_PATH}/${state.upload.id}`);
      return answer(reply, state);
    },
  );

  scope.get(UPLOAD_PATH, { preHandler: guard }, async (request, reply) => {
    const state = await uploadState(deps, sessionOf(request).customerId, uploadId(request));
    return answer(reply, state);
  });

  scope.put(
    UPLOAD_PATH,
    { bodyLimit: API_BODY_LIMIT, preHandler: guard },
    async (request, reply) => {
      try {
        const customerId = sessionOf(request).customerId;
        const range = checkedRange(request, deps.maxBytes);
        const state = await receiveRange(deps, customerId, uploadId(request), range, request.raw);
        if (state.caseId !== null) void reply.status(201);
        return answer(reply, state);
      } catch (error) {
        // The body may be unread (a refusal before it) or cut off: this connection is done.
        void reply.header('connection', 'close');
        if (error instanceof OffsetMismatch) void reply.header(OFFSET_HEADER, String(error.offset));
        throw error;
      }
    },
  );
}

/** Everything checked from the headers alone, before a byte of the body is read (C48). */
function checkedRange(request: FastifyRequest, maxBytes: number) {
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  const range = parseContentRange(request.headers['content-range']);
  if (range.total > maxBytes) throw tooLarge(maxBytes);
  if (!(request.headers['content-type'] ?? '').startsWith(PACKAGE)) {
    throw invalidInput(`send the package's bytes as ${PACKAGE}`);
  }
  if (declared !== undefined && Number(declared) !== range.end - range.start + 1) {
    throw invalidInput('Content-Length must equal the length of the Content-Range');
  }
  return range;
}

function uploadId(request: FastifyRequest): string {
  const { id } = request.params as { id: string };
  // Anything but an id this server hands out cannot name an upload: no database look-up.
  if (!UPLOAD_ID.test(id)) throw notFound('forensic upload');
  return id;
}

function answer(reply: FastifyReply, state: UploadState) {
  const { upload } = state;
  void reply.header(OFFSET_HEADER, String(upload.receivedBytes));
  return uploadAnswer.parse({
    id: upload.id,
    guid: state.guid,
    endpoint: upload.endpoint,
    fileName: upload.fileName,
    size: upload.declaredSize,
    sha256: upload.declaredSha256,
    offset: upload.receivedBytes,
    state: state.caseId === null ? 'receiving' : 'complete',
    caseId: state.caseId,
  });
}
