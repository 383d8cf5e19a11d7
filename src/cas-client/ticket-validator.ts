import { serviceValidateUrl } from './cas-urls.js';
import { getJson } from '../http/https-json.js';
import { parseServiceResponse, type ValidationResult } from './principal.js';

export interface TicketValidatorOptions {
  casUrl: () => string;
  /** This server's own callback URL, from configuration: never from the request (C26, C27). */
  serviceUrl: () => string;
  /** The CA that signed the CAS server's certificate; nothing else is trusted. */
  ca: string;
  timeoutMs?: number;
}

export type TicketValidator = (ticket: string) => Promise<ValidationResult>;

const DEFAULT_TIMEOUT_MS = 5_000;
// A success answer names the user's customer accounts: generous for thousands of them.
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * Validates service tickets with the CAS server's `/p3/serviceValidate`. A ticket is single
 * use at CAS (C28): validating it again fails there. An unreachable CAS throws `unavailable`.
 */
export function createTicketValidator(options: TicketValidatorOptions): TicketValidator {
  return async (ticket) => {
    const url = serviceValidateUrl(options.casUrl(), options.serviceUrl(), ticket);
    const answer = await getJson(url, {
      ca: options.ca,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxBytes: MAX_ANSWER_BYTES,
    });
    return parseServiceResponse(answer);
  };
}
