import { z } from 'zod';

/**
 * One route of the appliance API as the OpenAPI document describes it. Each routes module
 * declares its operations next to its handlers, with the same schemas the handlers check.
 */
export interface ApiOperation {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  summary: string;
  /** Whether the route needs `Authorization: Bearer <token>`. */
  bearer: boolean;
  body?: z.ZodType;
  /** A body of raw bytes instead of JSON, of this media type (forensic packages). */
  rawBody?: string;
  query?: z.ZodObject;
  answers: Record<number, ApiAnswer>;
}

export interface ApiAnswer {
  description: string;
  body?: z.ZodType;
}

/** Every error answer of TMSP's HTTPS servers (see http/https-app.ts). */
export const errorAnswer = z.strictObject({
  error: z.string().meta({ description: 'A stable code, e.g. invalid_input, unauthenticated' }),
  message: z.string().meta({ description: 'What went wrong, for people' }),
});

export const BAD_REQUEST: ApiAnswer = {
  description: 'The body or query is malformed; the message names each field at fault',
  body: errorAnswer,
};
export const UNAUTHENTICATED: ApiAnswer = {
  description: 'No live session token (missing, unknown or expired): sign on again',
  body: errorAnswer,
};
export const TOO_LARGE: ApiAnswer = {
  description: 'The body is larger than 16 KiB',
  body: errorAnswer,
};
