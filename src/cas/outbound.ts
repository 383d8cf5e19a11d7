import { createHmac, randomUUID } from 'node:crypto';
import https from 'node:https';
import http from 'node:http';
import { rootCertificates } from 'node:tls';

import type { Logger } from '../shared/log.js';
import { escapeXml } from './responses.js';

const TIMEOUT_MS = 5_000;

export const LOGOUT_SIGNATURE_HEADER = 'x-tmsp-signature';

/** Outbound calls CAS makes: proxy callbacks and single-logout requests. */
export interface Outbound {
  callProxyCallback(url: string): Promise<boolean>;
  sendLogoutRequest(service: string, ticket: string): Promise<void>;
}

/**
 * Calls only URLs already in the service registry. TLS is verified against the public roots and
 * TMSP's own CA; single-logout requests carry an HMAC under the service key, which is how the
 * console and portal know a logout request really comes from CAS (handed case C30).
 */
export function outbound(ca: string, serviceKey: Buffer, logger: Logger): Outbound {
  const trust = [...rootCertificates, ca];
  return {
    callProxyCallback: async (url) => {
      try {
        return (await request('GET', url, trust)) === 200;
      } catch (error) {
        logger.warn({ err: error, url: new URL(url).origin }, 'proxy callback failed');
        return false;
      }
    },
    sendLogoutRequest: async (service, ticket) => {
      const body = new URLSearchParams({ logoutRequest: logoutRequest(ticket) }).toString();
      const signature = createHmac('sha256', serviceKey).update(body).digest('hex');
      try {
        const status = await request('POST', service, trust, body, {
          [LOGOUT_SIGNATURE_HEADER]: signature,
        });
        logger.debug({ service, status }, 'single logout delivered');
      } catch (error) {
        logger.warn({ err: error, service }, 'single logout could not be delivered');
      }
    },
  };
}

/** The SAML LogoutRequest CAS services expect; the SessionIndex is the service ticket. */
export function logoutRequest(ticket: string): string {
  return (
    `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ` +
    `xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="LR-${randomUUID()}" Version="2.0" ` +
    `IssueInstant="${new Date().toISOString()}"><saml:NameID>@NOT_USED@</saml:NameID>` +
    `<samlp:SessionIndex>${escapeXml(ticket)}</samlp:SessionIndex></samlp:LogoutRequest>`
  );
}

function request(
  method: 'GET' | 'POST',
  url: string,
  ca: string[],
  body?: string,
  headers: Record<string, string> = {},
): Promise<number> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const outgoing = client.request(
      target,
      {
        method,
        ca,
        timeout: TIMEOUT_MS,
        headers:
          body === undefined
            ? headers
            : {
                ...headers,
                'content-type': 'application/x-www-form-urlencoded',
                'content-length': Buffer.byteLength(body),
              },
      },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('timed out')));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
