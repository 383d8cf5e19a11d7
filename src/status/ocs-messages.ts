import { z } from 'zod';

import { parseIpAddress } from '../network/cidr.js';
import { OCS_ACTIONS } from '../ocs/ocs-events.js';
import { applianceGuid } from './heartbeat-messages.js';

/** Tab and line feed pass; other control characters would forge lines in logs and reports. */
function withoutControls(value: string): boolean {
  for (const char of value) {
    const code = char.charCodeAt(0);
    if ((code < 0x20 && char !== '\t' && char !== '\n') || code === 0x7f) return false;
  }
  return true;
}

const text = (max: number) =>
  z.string().min(1).max(max).refine(withoutControls, 'must not contain control characters');

export const ipAddress = z
  .string()
  .max(64)
  .refine((value) => parseIpAddress(value) !== null, 'must be an IPv4 or IPv6 address');

export const hostName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,253}$/, 'must be a host name of letters, digits and . _ -');

const ocsEvent = z.strictObject({
  eventId: z
    .string()
    .regex(/^[\x21-\x7E]{1,64}$/, 'must be 1 to 64 printable ASCII characters')
    .meta({ description: 'The appliance’s own id of the event: sent again, it is stored once' }),
  time: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time with Z or an offset' }),
  action: z.enum(OCS_ACTIONS).meta({ description: 'What OCS did to the connection' }),
  sourceIp: ipAddress.meta({ description: 'The infected host OCS acted on' }),
  sourceHost: hostName.optional(),
  destinationIp: ipAddress.optional(),
  destinationPort: z.int().min(0).max(65_535).optional(),
  protocol: text(32).optional(),
  ruleId: text(64).optional(),
  ruleName: text(256).optional(),
  detectionName: text(256).optional(),
  content: text(2048)
    .optional()
    .meta({ description: 'The OCS log content; malware mapping reads it' }),
  fileName: text(512).optional(),
  url: text(2048).optional(),
});

export type OcsEventBody = z.infer<typeof ocsEvent>;

export const MAX_OCS_EVENTS = 100;

export const ocsBody = z.strictObject({
  guid: applianceGuid,
  events: z.array(ocsEvent).min(1).max(MAX_OCS_EVENTS),
});

export const ocsAnswer = z.strictObject({
  stored: z.int().min(0),
  duplicates: z.int().min(0).meta({ description: 'Events sent before (same eventId): kept once' }),
});
