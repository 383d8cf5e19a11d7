import https from 'node:https';

import type { Endpoints } from '../../src/system/endpoints.js';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body read as JSON, or undefined when it is not JSON. */
  json: any;
}

export interface Call {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

/** The certificate names localhost: it is checked for that, whatever Host header a test sends. */
const CERTIFICATE_NAME = 'localhost';

/** One HTTPS request that trusts only the given CA, as an appliance would make it. */
export function call(ca: string, request: Call): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = https.request(
      request.url,
      {
        method: request.method,
        ca,
        headers: request.headers ?? {},
        agent: false,
        servername: CERTIFICATE_NAME,
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text,
            json: parse(text),
          }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const json = (body: unknown): Pick<Call, 'headers' | 'body'> => ({
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const form = (fields: Record<string, string>): Pick<Call, 'headers' | 'body'> => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

/** An appliance talking to a running CAS and status server with its customer's credentials. */
export class ApplianceClient {
  token: string | null = null;

  constructor(
    private readonly endpoints: Endpoints,
    private readonly ca: string,
    private readonly credentials: { user: string; secret: string },
  ) {}

  /** CAS REST: registration credentials → TGT → a service ticket for the status server. */
  async serviceTicket(service = this.endpoints.status.casService): Promise<string> {
    const granted = await call(this.ca, {
      method: 'POST',
      url: `${this.endpoints.cas.url}/v1/tickets`,
      ...form({ username: this.credentials.user, password: this.credentials.secret }),
    });
    if (granted.status !== 201) throw new Error(`CAS answered ${granted.status}: ${granted.text}`);
    const ticket = await call(this.ca, {
      method: 'POST',
      url: String(granted.headers.location),
      ...form({ service }),
    });
    if (ticket.status !== 200) throw new Error(`CAS answered ${ticket.status}: ${ticket.text}`);
    return ticket.text.trim();
  }

  /** POST /v1/sessions with a ticket; keeps the token of a 201. */
  async openSession(ticket: string): Promise<Answer> {
    const answer = await this.status('POST', '/v1/sessions', json({ ticket }), false);
    if (answer.status === 201) this.token = answer.json.token;
    return answer;
  }

  async signOn(): Promise<string> {
    const answer = await this.openSession(await this.serviceTicket());
    if (answer.status !== 201) throw new Error(`sign-on answered ${answer.status}: ${answer.text}`);
    return answer.json.token;
  }

  heartbeat(body: unknown): Promise<Answer> {
    return this.status('POST', '/v1/heartbeats', json(body));
  }

  file(query: Record<string, string>): Promise<Answer> {
    return this.status('GET', `/v1/files?${new URLSearchParams(query).toString()}`, {});
  }

  /** A request to the status server, with the session token unless told otherwise. */
  status(
    method: Call['method'],
    path: string,
    parts: Pick<Call, 'headers' | 'body'>,
    withToken = true,
  ): Promise<Answer> {
    const headers: Record<string, string> = { ...parts.headers };
    if (withToken && this.token !== null) headers['authorization'] = `Bearer ${this.token}`;
    const url = `${this.endpoints.status.url}${path}`;
    return call(this.ca, {
      method,
      url,
      headers,
      ...(parts.body === undefined ? {} : { body: parts.body }),
    });
  }
}

/** A TDA heartbeat with everything filled in; tests override what they look at. */
export function tdaHeartbeat(guid: string, overrides: Record<string, unknown> = {}) {
  return {
    guid,
    type: 'tda',
    hostName: 'ddi01.acme.example',
    ipAddress: '10.1.0.2',
    version: '6.0.1234',
    securityCompliance: true,
    sentAt: '2026-12-04T10:00:00Z',
    state: 'online',
    ...overrides,
  };
}

/**
 * A person (portal logon, administrator) signing in at CAS's login form for a service, as a
 * browser would: the form's hidden fields and cookie, then the password. Returns the ticket.
 */
export async function personTicket(
  endpoints: Endpoints,
  ca: string,
  person: { user: string; password: string },
  service: string,
): Promise<string> {
  const login = `${endpoints.cas.url}/login`;
  const page = await call(ca, {
    method: 'GET',
    url: `${login}?service=${encodeURIComponent(service)}`,
  });
  const cookie = [page.headers['set-cookie'] ?? []]
    .flat()
    .map((line) => line.split(';')[0])
    .join('; ');
  const hidden = Object.fromEntries(
    [...page.text.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
      m[1]!,
      m[2]!
        .replace(/&amp;/g, '&')
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'"),
    ]),
  );
  const fields = { ...hidden, username: person.user, password: person.password };
  const signedIn = await call(ca, {
    method: 'POST',
    url: login,
    headers: { ...form(fields).headers, cookie },
    body: form(fields).body,
  });
  const match = /[?&]ticket=([^&]+)/.exec(String(signedIn.headers.location));
  if (match === null) throw new Error(`no ticket after sign-in: ${signedIn.status}`);
  return decodeURIComponent(match[1]!);
}
