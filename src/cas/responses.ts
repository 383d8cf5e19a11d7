import type { Attributes } from './attributes.js';

/** The protocol's error codes (CAS 3.0 §2.5.3 and §2.7.2). */
export type CasErrorCode =
  | 'INVALID_REQUEST'
  | 'INVALID_TICKET_SPEC'
  | 'UNAUTHORIZED_SERVICE_PROXY'
  | 'INVALID_PROXY_CALLBACK'
  | 'INVALID_TICKET'
  | 'INVALID_SERVICE'
  | 'INTERNAL_ERROR';

export interface ValidationSuccess {
  ok: true;
  user: string;
  attributes: Attributes | null;
  proxyGrantingTicketIou: string | null;
  proxies: string[];
}

export interface CasFailure {
  ok: false;
  code: CasErrorCode;
  description: string;
}

export type ValidationOutcome = ValidationSuccess | CasFailure;

export type ResponseFormat = 'XML' | 'JSON';

const NAMESPACE = 'http://www.yale.edu/tp/cas';

/** Everything that goes into XML is escaped: user names and URLs come from outside. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

export function renderValidation(outcome: ValidationOutcome, format: ResponseFormat): string {
  if (format === 'JSON') return JSON.stringify({ serviceResponse: validationJson(outcome) });
  return wrapXml(outcome.ok ? successXml(outcome) : failureXml('authenticationFailure', outcome));
}

export function renderProxy(
  outcome: { ok: true; proxyTicket: string } | CasFailure,
  format: ResponseFormat,
): string {
  if (format === 'JSON') {
    const body = outcome.ok
      ? { proxySuccess: { proxyTicket: outcome.proxyTicket } }
      : { proxyFailure: { code: outcome.code, description: outcome.description } };
    return JSON.stringify({ serviceResponse: body });
  }
  return wrapXml(
    outcome.ok
      ? `<cas:proxySuccess><cas:proxyTicket>${escapeXml(outcome.proxyTicket)}</cas:proxyTicket></cas:proxySuccess>`
      : failureXml('proxyFailure', outcome),
  );
}

/** CAS 1.0 /validate: two lines, "yes" and the user, or "no" and an empty line. */
export function renderCas1(outcome: ValidationOutcome): string {
  return outcome.ok ? `yes\n${outcome.user}\n` : 'no\n\n';
}

function validationJson(outcome: ValidationOutcome): unknown {
  if (!outcome.ok)
    return { authenticationFailure: { code: outcome.code, description: outcome.description } };
  return {
    authenticationSuccess: {
      user: outcome.user,
      ...(outcome.proxyGrantingTicketIou === null
        ? {}
        : { proxyGrantingTicket: outcome.proxyGrantingTicketIou }),
      ...(outcome.proxies.length === 0 ? {} : { proxies: outcome.proxies }),
      ...(outcome.attributes === null ? {} : { attributes: outcome.attributes }),
    },
  };
}

function successXml(outcome: ValidationSuccess): string {
  const parts = [`<cas:user>${escapeXml(outcome.user)}</cas:user>`];
  if (outcome.attributes !== null) {
    const attributes = Object.entries(outcome.attributes).flatMap(([name, values]) =>
      values.map((value) => `<cas:${name}>${escapeXml(value)}</cas:${name}>`),
    );
    parts.push(`<cas:attributes>${attributes.join('')}</cas:attributes>`);
  }
  if (outcome.proxyGrantingTicketIou !== null) {
    parts.push(
      `<cas:proxyGrantingTicket>${escapeXml(outcome.proxyGrantingTicketIou)}</cas:proxyGrantingTicket>`,
    );
  }
  if (outcome.proxies.length > 0) {
    const proxies = outcome.proxies.map((proxy) => `<cas:proxy>${escapeXml(proxy)}</cas:proxy>`);
    parts.push(`<cas:proxies>${proxies.join('')}</cas:proxies>`);
  }
  return `<cas:authenticationSuccess>${parts.join('')}</cas:authenticationSuccess>`;
}

function failureXml(element: string, failure: CasFailure): string {
  return `<cas:${element} code="${failure.code}">${escapeXml(failure.description)}</cas:${element}>`;
}

function wrapXml(body: string): string {
  return `<cas:serviceResponse xmlns:cas="${NAMESPACE}">${body}</cas:serviceResponse>\n`;
}

export function failure(code: CasErrorCode, description: string): CasFailure {
  return { ok: false, code, description };
}
