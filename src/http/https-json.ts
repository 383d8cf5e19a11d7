import https from 'node:https';
import type { Readable } from 'node:stream';

import { AppError } from '../shared/errors.js';

export interface HttpsJsonOptions {
  /** The only certificate authority trusted for this call (PEM). */
  ca: string;
  timeoutMs: number;
  maxBytes: number;
}

/**
 * One HTTPS GET whose 200 answer is read as JSON. Trusts only the given CA, gives up after
 * timeoutMs and refuses answers over maxBytes, so a slow or hostile peer cannot hold a request
 * or memory. Every failure is an `unavailable` AppError whose detail is kept from the browser.
 */
export function getJson(url: string, options: HttpsJsonOptions): Promise<unknown> {
  if (!url.startsWith('https://')) return Promise.reject(unavailable('is not an HTTPS URL'));

  return new Promise((resolve, reject) => {
    const request = https.get(
      url,
      { ca: options.ca, signal: AbortSignal.timeout(options.timeoutMs), agent: false },
      (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          reject(unavailable(`answered HTTP ${response.statusCode ?? 0}`));
          return;
        }
        readCapped(response, options.maxBytes).then(parseJson).then(resolve, reject);
      },
    );
    request.on('error', (error) => reject(unavailable('could not be reached', error)));
  });
}

export interface JsonAnswer {
  status: number;
  /** The answer read as JSON, or null when it is not JSON. */
  body: unknown;
}

/**
 * One HTTPS POST of a JSON body, for TMSP's calls between its own servers. Any HTTP status
 * comes back to the caller; only a failed connection, a timeout or an oversized answer throws.
 */
export function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string>,
  options: HttpsJsonOptions,
): Promise<JsonAnswer> {
  if (!url.startsWith('https://')) return Promise.reject(unavailable('is not an HTTPS URL'));
  const payload = JSON.stringify(body);

  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      {
        method: 'POST',
        ca: options.ca,
        signal: AbortSignal.timeout(options.timeoutMs),
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (response) => {
        readCapped(response, options.maxBytes)
          .then((raw) => resolve({ status: response.statusCode ?? 0, body: parseJson(raw) }))
          .catch(reject);
      },
    );
    request.on('error', (error) => reject(unavailable('could not be reached', error)));
    request.end(payload);
  });
}

function readCapped(stream: Readable, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(unavailable(`answered more than ${maxBytes} bytes`));
        stream.destroy();
        return;
      }
      chunks.push(chunk);
    });
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', (error) => reject(unavailable('broke off its answer', error)));
  });
}

/** An answer that is not JSON reads as null, which no answer schema accepts. */
function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return null;
  }
}

function unavailable(what: string, cause?: unknown): AppError {
  return new AppError('unavailable', `the CAS server ${what}`, { expose: false, cause });
}
