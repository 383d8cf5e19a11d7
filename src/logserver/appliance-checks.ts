import { z } from 'zod';

import { SERVICE_KEY_HEADER } from '../cas/internal-routes.js';
import { postJson } from '../http/https-json.js';
import { AppError } from '../shared/errors.js';

/** Whose appliance pushes: the customer account its registration credentials belong to. */
export interface ApplianceAccount {
  customer: string;
  customerId: number;
}

/** The questions the doors ask CAS; the doors themselves never see a stored secret. */
export interface ApplianceChecks {
  /** The account, or null when CAS refused (wrong credentials, or the address is throttled). */
  checkPassword(userName: string, secret: string, source: string): Promise<ApplianceAccount | null>;
  /** The same for an rsync daemon challenge: CAS holds the secret and checks the response. */
  checkChallenge(challenge: RsyncChallenge, source: string): Promise<ApplianceAccount | null>;
}

export interface RsyncChallenge {
  userName: string;
  challenge: string;
  response: string;
  digest: string;
}

const accepted = z.object({ customer: z.string(), customerId: z.number().int() });

export interface CasChecksOptions {
  casUrl: () => string;
  ca: string;
  serviceKey: Buffer;
}

/** Asks the CAS server over HTTPS, authenticated with the service key TMSP's servers share. */
export function casApplianceChecks(options: CasChecksOptions): ApplianceChecks {
  const ask = async (path: string, body: object): Promise<ApplianceAccount | null> => {
    const answer = await postJson(
      `${options.casUrl()}/internal/v1/${path}`,
      body,
      { [SERVICE_KEY_HEADER]: options.serviceKey.toString('base64') },
      { ca: options.ca, timeoutMs: 10_000, maxBytes: 4096 },
    );
    if (answer.status === 401 || answer.status === 429) return null;
    const account = accepted.safeParse(answer.body);
    if (answer.status !== 200 || !account.success) {
      throw new AppError('unavailable', `CAS answered the credential check with ${answer.status}`);
    }
    return account.data;
  };
  return {
    checkPassword: (userName, secret, source) =>
      ask('appliance-logons', { userName, secret, source }),
    checkChallenge: (challenge, source) => ask('rsync-challenges', { ...challenge, source }),
  };
}
