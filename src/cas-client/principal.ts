import { z } from 'zod';

export type CasRole = 'administrator' | 'portal';
export type CustomerScope = 'all' | 'assigned' | 'own';

/** Who CAS says signed in, and what they may see. */
export interface CasPrincipal {
  user: string;
  role: CasRole;
  customerScope: CustomerScope;
  /** The customer accounts the user may see; empty when the scope is 'all'. */
  customerAccounts: string[];
  mustChangePassword: boolean;
}

export type ValidationResult = { ok: true; principal: CasPrincipal } | { ok: false; code: string };

// The same shapes the account module accepts. Checking them here keeps a name such as `*`,
// which the session store uses for "every account", from ever arriving as a customer name.
const userName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/);
const customerName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);

/** CAS 3.0 JSON attributes are always arrays of strings; these hold exactly one value. */
const single = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.tuple([z.enum(values)]);

const successSchema = z.object({
  serviceResponse: z.object({
    authenticationSuccess: z.object({
      user: userName,
      attributes: z.object({
        role: single(['administrator', 'portal']),
        customerScope: single(['all', 'assigned', 'own']),
        customerAccounts: z.array(customerName).max(100_000),
        mustChangePassword: single(['true', 'false']),
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
 * Reads a `/p3/serviceValidate?format=JSON` answer. Anything but a well-formed success with a
 * consistent role and scope is a failed logon.
 */
export function parseServiceResponse(answer: unknown): ValidationResult {
  const success = successSchema.safeParse(answer);
  if (!success.success) {
    const failure = failureSchema.safeParse(answer);
    const code = failure.success
      ? failure.data.serviceResponse.authenticationFailure.code
      : 'MALFORMED_ANSWER';
    return { ok: false, code };
  }

  const { user, attributes } = success.data.serviceResponse.authenticationSuccess;
  const principal: CasPrincipal = {
    user,
    role: attributes.role[0],
    customerScope: attributes.customerScope[0],
    customerAccounts: attributes.customerScope[0] === 'all' ? [] : attributes.customerAccounts,
    mustChangePassword: attributes.mustChangePassword[0] === 'true',
  };
  return isConsistent(principal) ? { ok: true, principal } : { ok: false, code: 'INCONSISTENT' };
}

/** Administrators see all or their assigned accounts; a portal logon sees its own one. */
function isConsistent(principal: CasPrincipal): boolean {
  switch (principal.role) {
    case 'administrator':
      return principal.customerScope !== 'own';
    case 'portal':
      return principal.customerScope === 'own' && principal.customerAccounts.length === 1;
  }
}
