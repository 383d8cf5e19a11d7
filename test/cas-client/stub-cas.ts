import { randomBytes } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

import {
  createCertificateAuthority,
  createServerCertificate,
} from '../../src/keys/certificates.js';

export interface StubPrincipal {
  user: string;
  role: 'administrator' | 'portal';
  customerScope: 'all' | 'assigned' | 'own';
  customerAccounts: string[];
}

export interface StubCas {
  /** The CAS base URL, https://127.0.0.1:<port>/cas. */
  url: string;
  /** The CA that signed the stub's certificate. */
  ca: string;
  /** The stub's own certificate and key, also good for the app under test. */
  tls: { certificate: string; privateKey: string; ca: string };
  /** Every validation request as received: the path and each query parameter, in order. */
  received: Array<{ path: string; parameters: Array<[string, string]> }>;
  /** A service ticket for the service, valid once (as CAS issues them). */
  issue(service: string, principal: StubPrincipal): string;
  /** Replaces the answer body for every later request (a misbehaving CAS); null: normal. */
  answerWith(body: string | null): void;
  /** From now on, take requests but never answer them (true) or answer again (false). */
  stall(on: boolean): void;
  close(): Promise<void>;
}

/**
 * A stand-in for the CAS server's `/p3/serviceValidate` over real HTTPS on loopback, behaving
 * per the protocol: tickets are single use and bound to the service they were issued for.
 */
export async function startStubCas(): Promise<StubCas> {
  const now = new Date();
  const authority = await createCertificateAuthority(now);
  const server = await createServerCertificate(authority, ['127.0.0.1', 'localhost'], now);
  const tickets = new Map<string, { service: string; principal: StubPrincipal }>();
  const received: StubCas['received'] = [];
  let override: string | null = null;
  let stalled = false;

  const httpsServer = https.createServer(
    { key: server.privateKey, cert: server.certificate },
    (request, response) => {
      const url = new URL(request.url ?? '/', 'https://127.0.0.1');
      received.push({ path: url.pathname, parameters: [...url.searchParams.entries()] });
      if (stalled) return;
      const body = override ?? answer(url.searchParams, tickets);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(body);
    },
  );
  await new Promise<void>((resolve) => httpsServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpsServer.address() as AddressInfo;

  return {
    url: `https://127.0.0.1:${port}/cas`,
    ca: authority.certificate,
    tls: { ...server, ca: authority.certificate },
    received,
    issue: (service, principal) => {
      const ticket = `ST-${randomBytes(24).toString('hex')}`;
      tickets.set(ticket, { service, principal });
      return ticket;
    },
    answerWith: (body) => {
      override = body;
    },
    stall: (on) => {
      stalled = on;
    },
    close: () =>
      new Promise((resolve) => {
        httpsServer.closeAllConnections();
        httpsServer.close(() => resolve());
      }),
  };
}

function answer(
  query: URLSearchParams,
  tickets: Map<string, { service: string; principal: StubPrincipal }>,
): string {
  const ticket = query.get('ticket') ?? '';
  const issued = tickets.get(ticket);
  tickets.delete(ticket);
  if (issued === undefined) return failure('INVALID_TICKET', 'ticket not recognized');
  if (issued.service !== query.get('service')) return failure('INVALID_SERVICE', 'wrong service');

  const { principal } = issued;
  return JSON.stringify({
    serviceResponse: {
      authenticationSuccess: {
        user: principal.user,
        attributes: {
          role: [principal.role],
          customerAccounts: principal.customerAccounts,
          customerScope: [principal.customerScope],
          mustChangePassword: ['false'],
          authenticationDate: [new Date().toISOString()],
          isFromNewLogin: ['true'],
        },
      },
    },
  });
}

function failure(code: string, description: string): string {
  return JSON.stringify({ serviceResponse: { authenticationFailure: { code, description } } });
}
