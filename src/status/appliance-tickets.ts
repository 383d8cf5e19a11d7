import { z } from 'zod';

import { serviceValidateUrl } from '../cas-client/cas-urls.js';
import { getJson } from '../http/https-json.js';

/** Who CAS says presented a service ticket to the status server: an appliance of a customer. */
export interface AppliancePrincipal {
  /** The customer account's registration user name. */
  user: string;
  customerName: string;
}

export type ApplianceTicketResult =
  { ok: true; principal: AppliancePrincipal } | { ok: false; code: string };

export type ApplianceTicketValidator = (ticket: string) => Promise<ApplianceTicketResult>;

export interface ApplianceTicketOptions {
  casUrl: () => string;
  /** The status server's casService URL, from configuration: never from the request (C26). */
  serviceUrl: () => string;
  /** The CA that signed the CAS server's certificate; nothing else is trusted. */
  ca: string;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;
// An appliance's answer names one customer account: a few hundred bytes.
const MAX_ANSWER_BYTES = 64 * 1024;

const userName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/);
const customerName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);

// Any role is read, so that a person's ticket is told apart from a malformed answer.
const successSchema = z.object({
  serviceResponse: z.object({
    authenticationSuccess: z.object({
      user: userName,
      attributes: z.object({
        role: z.tuple([z.string().max(64)]),
        customerScope: z.tuple([z.string().max(64)]),
        customerAccounts: z.array(customerName).max(100_000),
      }),
    }),
  }),
});

const failureSchema = z.object({
  serviceResponse: z.object({
    authenticationFailure: z.object({ code: z.string().max(64) }),
  }),
});

/**
 * Validates service tickets at CAS's `/p3/serviceValidate` for the status server's own service
 * URL. Only an appliance (role `appliance`, scope `own`, one customer account) is accepted; a
 * ticket is single use at CAS. An unreachable CAS throws `unavailable`.
 */
export function createApplianceTicketValidator(
  options: ApplianceTicketOptions,
): ApplianceTicketValidator {
  return async (ticket) => {
    const url = serviceValidateUrl(options.casUrl(), options.serviceUrl(), ticket);
    const answer = await getJson(url, {
      ca: options.ca,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxBytes: MAX_ANSWER_BYTES,
    });
    return parseApplianceAnswer(answer);
  };
}

/** Reads a CAS 3.0 JSON answer; anything but an appliance's success is a refusal. */
export function parseApplianceAnswer(answer: unknown): ApplianceTicketResult {
  const success = successSchema.safeParse(answer);
  if (!success.success) {
    const failure = failureSchema.safeParse(answer);
    return {
      ok: false,
      code: failure.success
        ? failure.data.serviceResponse.authenticationFailure.code
        : 'MALFORMED_ANSWER',
    };
  }

  const { user, attributes } = success.data.serviceResponse.authenticationSuccess;
  if (attributes.role[0] !== 'appliance') return { ok: false, code: 'NOT_AN_APPLIANCE' };
  const [customer, ...others] = attributes.customerAccounts;
  if (attributes.customerScope[0] !== 'own' || customer === undefined || others.length > 0) {
    return { ok: false, code: 'INCONSISTENT' };
  }
  return { ok: true, principal: { user, customerName: customer } };
}
