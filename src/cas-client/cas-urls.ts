/**
 * The CAS URLs a console or portal sends browsers to or calls itself. Every parameter goes
 * through encodeURIComponent or URLSearchParams, never string pasting: a ticket or service
 * carrying `&service=` must stay one value (handed case C24).
 */
export function casLoginUrl(casUrl: string, service: string): string {
  return `${casUrl}/login?service=${encodeURIComponent(service)}`;
}

export function casLogoutUrl(casUrl: string, service: string): string {
  return `${casUrl}/logout?service=${encodeURIComponent(service)}`;
}

/** The CAS 3.0 validation URL with attributes, answered in JSON. */
export function serviceValidateUrl(casUrl: string, service: string, ticket: string): string {
  const query = new URLSearchParams({ service, ticket, format: 'JSON' });
  return `${casUrl}/p3/serviceValidate?${query.toString()}`;
}

// What our CAS server issues (PROTOCOLS.md §4: [A-Za-z0-9-], at least 128 bits): anything else
// never reaches CAS, so a crafted value cannot smuggle parameters into the back channel.
const SERVICE_TICKET = /^ST-[A-Za-z0-9-]{20,256}$/;

export function isServiceTicket(value: unknown): value is string {
  return typeof value === 'string' && SERVICE_TICKET.test(value);
}
