import { json, type Answer, type ApplianceClient } from '../status/appliance-client.js';

let sequence = 0;

/** A GUID no other test uses. */
export function newGuid(): string {
  sequence += 1;
  return `0C5E7E57-0000-4000-8000-${String(sequence).padStart(12, '0')}`;
}

/** An OCS event as a TDA sends it; tests override what they look at. */
export function ocsEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  sequence += 1;
  return {
    eventId: `ocs-${sequence}`,
    time: '2026-12-04T10:00:00Z',
    action: 'blocked',
    sourceIp: '10.1.0.23',
    sourceHost: 'pc023.acme.example',
    destinationIp: '203.0.113.80',
    destinationPort: 445,
    protocol: 'SMB',
    ruleId: '1512',
    ruleName: 'Worm propagation over SMB',
    detectionName: 'WORM_DOWNAD.AD',
    content: 'Outbound exploit attempt MS08-067 from infected host',
    ...overrides,
  };
}

export function postOcs(
  appliance: ApplianceClient,
  guid: string,
  events: unknown[],
): Promise<Answer> {
  return appliance.status('POST', '/v1/ocs-logs', json({ guid, events }));
}

export function putNetwork(appliance: ApplianceClient, body: unknown): Promise<Answer> {
  return appliance.status('PUT', '/v1/network-configuration', json(body));
}
