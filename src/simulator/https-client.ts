import { request } from 'node:https';

export interface HttpsAnswer {
  status: number;
  location: string | null;
  text: string;
}

export interface HttpsCall {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  /** The TMSP CA: appliances trust it alone, never the system's store. */
  ca: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** One HTTPS exchange, read whole: the answers of CAS and the status server are small. */
export function callHttps(call: HttpsCall): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const headers = { ...call.headers };
    if (call.body !== undefined) headers['content-length'] = String(Buffer.byteLength(call.body));
    const outgoing = request(
      call.url,
      { method: call.method, ca: call.ca, headers, timeout: call.timeoutMs ?? DEFAULT_TIMEOUT_MS },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', reject);
        incoming.on('end', () => {
          const location = incoming.headers.location ?? null;
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: incoming.statusCode ?? 0, location, text });
        });
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer from ${call.url}`)));
    outgoing.on('error', reject);
    outgoing.end(call.body);
  });
}

/** A failed exchange, told in one line with what the server said. */
export function unexpected(what: string, answer: HttpsAnswer): Error {
  const said = answer.text.trim().slice(0, 200);
  return new Error(`${what} answered ${answer.status}${said === '' ? '' : `: ${said}`}`);
}
