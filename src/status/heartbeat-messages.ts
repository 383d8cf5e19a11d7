import { z } from 'zod';

import { isKnownTimeZone } from '../ingest/parsers/zoned-time.js';
import { parseApplianceGuid } from '../logserver/received-files.js';

const PRINTABLE = /^[\x21-\x7E][\x20-\x7E]*$/;

const printable = (max: number) =>
  z.string().min(1).max(max).regex(PRINTABLE, 'must be printable ASCII');

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Text for people, in any script, but on one line without control codes (logs, mails). */
export const plainText = (max: number) =>
  z
    .string()
    .max(max)
    .refine((text) => !CONTROL.test(text), 'must not contain control codes');

const instant = z.iso.datetime({
  offset: true,
  error: 'must be an ISO 8601 time with Z or an offset, e.g. 2026-12-04T10:00:00Z',
});

export const applianceGuid = z
  .string()
  .max(38)
  .refine((text) => parseApplianceGuid(text) !== null, 'must be an appliance GUID (8-4-4-4-12)')
  .meta({ description: 'The appliance’s GUID: hex 8-4-4-4-12, any case, braces allowed' });

const common = {
  guid: applianceGuid,
  hostName: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,253}$/, 'must be a host name of letters, digits and . _ -'),
  ipAddress: z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' }),
  version: printable(64).meta({ description: 'The appliance’s software version' }),
  timeZone: z
    .string()
    .max(64)
    .refine(isKnownTimeZone, 'unknown time zone (use an IANA name such as Europe/Berlin)')
    .optional()
    .meta({ description: 'IANA zone of its time stamps that carry none; ingestion reads it' }),
  sentAt: instant.meta({
    description: 'The appliance’s own clock: only compared with the server’s (clock skew)',
  }),
  licenceExpiresAt: instant.optional(),
  patternVersion: printable(64).optional().meta({ description: 'The pattern version loaded' }),
  state: z.enum(['online', 'going-offline']).meta({
    description: '`going-offline` makes the product offline at once (a planned shutdown)',
  }),
};

/**
 * A heartbeat. Unknown fields are refused rather than dropped: a misspelt optional field (say
 * `timezone`) would otherwise be lost without a word, and ingestion would read the wrong zone.
 */
export const heartbeatBody = z.discriminatedUnion('type', [
  z.strictObject({
    ...common,
    type: z.literal('tda').meta({ description: 'Threat Discovery Appliance' }),
    securityCompliance: z.boolean().meta({ description: 'Its security compliance feature is on' }),
  }),
  z.strictObject({
    ...common,
    type: z.literal('tm').meta({ description: 'Threat Mitigator' }),
    canRunMitigation: z.boolean().meta({ description: 'It can run mitigation tasks now' }),
  }),
]);

export type HeartbeatBody = z.infer<typeof heartbeatBody>;

/** A custom pattern to fetch (PROTOCOLS.md §3), also announced on the event stream. */
export const patternTask = z.strictObject({
  kind: z.literal('pattern'),
  id: z.int().positive().meta({ description: 'The pattern id' }),
  version: z.string().meta({ description: 'Report it as patternVersion once it is loaded' }),
  size: z.int().nonnegative().meta({ description: 'Bytes' }),
  sha256: z.string().meta({ description: 'Lower-case hex SHA-256 of the content' }),
  url: z.string().meta({ description: 'Where to download it (Range requests resume)' }),
});

export type PatternTask = z.infer<typeof patternTask>;

/** Work for the appliance, told apart by kind; kinds it does not know it skips. */
const pendingTask = z.discriminatedUnion('kind', [patternTask]);

export const heartbeatAnswer = z.strictObject({
  serverTime: z.iso.datetime(),
  heartbeatIntervalSeconds: z.int().positive().meta({ description: 'When to send the next' }),
  clockSkewSeconds: z.int().meta({
    description: 'The appliance’s clock minus the server’s, as received',
  }),
  pendingTasks: z.array(pendingTask),
});

export type HeartbeatAnswer = z.infer<typeof heartbeatAnswer>;
