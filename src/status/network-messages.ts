import { z } from 'zod';

import { parseCidr, parseIpAddress, type Cidr } from '../network/cidr.js';
import { applianceGuid } from './heartbeat-messages.js';

const MAX_RANGES = 4096;

const name = (max: number) =>
  z.string().regex(new RegExp(`^[\\x21-\\x7E][\\x20-\\x7E]{0,${max - 1}}$`), {
    error: `must be 1 to ${max} printable ASCII characters`,
  });

/** A CIDR (`10.0.0.0/8`, `2001:db8::/32`) or a single address; read into its canonical form. */
const cidr = z
  .string()
  .max(64)
  .transform((text, context): Cidr => {
    const parsed = parseCidr(text);
    if (parsed.ok) return parsed.cidr;
    context.addIssue({ code: 'custom', message: `"${text}" is no CIDR: ${parsed.reason}` });
    return z.NEVER;
  })
  .meta({ description: 'A CIDR such as 10.1.0.0/16 or 2001:db8::/48, or a single address' });

const domainName = z
  .string()
  .max(253)
  .regex(
    /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?$/,
    'must be a domain name such as corp.example.com',
  )
  .transform((domain) => domain.toLowerCase().replace(/\.$/, ''));

const serviceAddress = z
  .string()
  .max(253)
  .refine(
    (text) => parseIpAddress(text) !== null || /^[A-Za-z0-9.-]{1,253}$/.test(text),
    'must be an IP address or a host name',
  );

const monitoredNetwork = z.strictObject({
  name: name(128).meta({ description: 'The group’s name, e.g. Headquarters' }),
  trust: z.enum(['trusted', 'untrusted']),
  ranges: z.array(cidr).min(1).max(MAX_RANGES),
});

const registeredService = z.strictObject({
  kind: z.enum(['dns', 'ad', 'smtp', 'proxy', 'http', 'ftp', 'database', 'file', 'other']),
  name: name(128).optional(),
  address: serviceAddress,
  port: z.int().min(1).max(65_535).optional(),
});

export const networkConfigurationBody = z
  .strictObject({
    guid: applianceGuid,
    monitoredNetworks: z.array(monitoredNetwork).max(256),
    registeredDomains: z.array(domainName).max(1024),
    registeredServices: z.array(registeredService).max(1024),
  })
  .refine(
    (body) =>
      body.monitoredNetworks.reduce((sum, group) => sum + group.ranges.length, 0) <= MAX_RANGES,
    { error: `at most ${MAX_RANGES} ranges in all`, path: ['monitoredNetworks'] },
  )
  .refine(
    (body) =>
      new Set(body.monitoredNetworks.map((group) => group.name)).size ===
      body.monitoredNetworks.length,
    { error: 'each group name once', path: ['monitoredNetworks'] },
  );

export type NetworkConfigurationBody = z.infer<typeof networkConfigurationBody>;

export const networkConfigurationAnswer = z.strictObject({
  updatedAt: z.iso.datetime(),
  monitoredRanges: z.int().min(0),
  registeredDomains: z.int().min(0),
  registeredServices: z.int().min(0),
});
