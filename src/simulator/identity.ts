import { createHash } from 'node:crypto';

import type { ApplianceIdentity } from './status-api.js';

/**
 * A GUID that stays the same for the same registration user, type and number, so that runs
 * one after another come back as the same registered products instead of new ones.
 */
export function stableGuid(userName: string, type: 'tda' | 'tm', index: number): string {
  const hex = createHash('sha256')
    .update(`tmsp-simulator:${userName}:${type}:${index}`)
    .digest('hex')
    .toUpperCase();
  const parts = [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20)];
  return [...parts, hex.slice(20, 32)].join('-');
}

export function identityOf(guid: string, type: 'tda' | 'tm', index: number): ApplianceIdentity {
  const number = String(index).padStart(2, '0');
  return {
    guid,
    type,
    hostName: `${type}${number}.sim.example`,
    ipAddress: `10.${subnetOf(type, index)}.0.1`,
    version: type === 'tda' ? '2.6.1062' : '2.5.1120',
    timeZone: 'UTC',
    patternVersion: '17.101.00',
  };
}

/** Each appliance watches its own /16, so that affected hosts differ from one to the next. */
export function subnetOf(type: 'tda' | 'tm', index: number): number {
  return (type === 'tda' ? 10 : 130) + (index % 100);
}
