import { callHttps, unexpected } from './https-client.js';

export interface CasRestTarget {
  /** endpoints.json cas.url, e.g. https://localhost:8443/cas */
  casUrl: string;
  ca: string;
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** CAS REST step one: the registration credentials buy a ticket-granting ticket's URL. */
export async function ticketGrantingTicket(
  target: CasRestTarget,
  userName: string,
  secret: string,
): Promise<string> {
  const answer = await callHttps({
    method: 'POST',
    url: `${target.casUrl}/v1/tickets`,
    ca: target.ca,
    headers: FORM,
    body: new URLSearchParams({ username: userName, password: secret }).toString(),
  });
  if (answer.status !== 201 || answer.location === null) throw unexpected('CAS logon', answer);
  return answer.location;
}

/** CAS REST step two: a single-use service ticket for one registered service URL. */
export async function serviceTicket(
  target: CasRestTarget,
  tgtUrl: string,
  service: string,
): Promise<string> {
  const answer = await callHttps({
    method: 'POST',
    url: tgtUrl,
    ca: target.ca,
    headers: FORM,
    body: new URLSearchParams({ service }).toString(),
  });
  if (answer.status !== 200) throw unexpected('CAS service ticket', answer);
  return answer.text.trim();
}
