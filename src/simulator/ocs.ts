import { randomUUID } from 'node:crypto';

import { callHttps, unexpected } from './https-client.js';
import type { Random } from './random.js';
import type { StatusAccess } from './status-api.js';

export interface OcsReply {
  stored: number;
  duplicates: number;
}

// What OCS typically stops: worm propagation and callbacks, with the names TDAs put on them.
const OUTBREAKS = [
  { detectionName: 'WORM_DOWNAD.AD', ruleName: 'Worm propagation over SMB', port: 445 },
  { detectionName: 'TSPY_ZBOT.SMEP', ruleName: 'Botnet command and control', port: 443 },
  { detectionName: 'PE_SALITY.RL', ruleName: 'File infector spreading over shares', port: 139 },
  { detectionName: 'ELF_MIRAI.A', ruleName: 'Telnet brute force', port: 23 },
] as const;

/**
 * A burst as OCS reports it when a host starts spreading: `count` blocked connections of one
 * infected host in the appliance's /16, within seconds of `at`.
 */
export function ocsBurst(random: Random, subnet: number, at: Date, count: number): object[] {
  const outbreak = random.pick(OUTBREAKS);
  const host = random.int(2, 250);
  return Array.from({ length: count }, (_, index) => ({
    eventId: randomUUID(),
    time: new Date(at.getTime() + index * 200).toISOString(),
    action: 'blocked',
    sourceIp: `10.${subnet}.1.${host}`,
    sourceHost: `pc${host}.sim.example`,
    destinationIp: `10.${subnet}.${random.int(2, 200)}.${random.int(2, 250)}`,
    destinationPort: outbreak.port,
    protocol: 'TCP',
    ruleId: String(1000 + OUTBREAKS.indexOf(outbreak)),
    ruleName: outbreak.ruleName,
    detectionName: outbreak.detectionName,
    content: `OCS blocked ${outbreak.detectionName} from an infected host`,
  }));
}

/** Posts OCS events as they happen, a hundred at most in one request. */
export async function postOcsEvents(
  access: StatusAccess,
  guid: string,
  events: readonly object[],
): Promise<OcsReply> {
  const total: OcsReply = { stored: 0, duplicates: 0 };
  for (let start = 0; start < events.length; start += 100) {
    const answer = await callHttps({
      method: 'POST',
      url: `${access.statusUrl}/v1/ocs-logs`,
      ca: access.ca,
      headers: jsonHeaders(access),
      body: JSON.stringify({ guid, events: events.slice(start, start + 100) }),
    });
    if (answer.status !== 200) throw unexpected('OCS log', answer);
    const reply = JSON.parse(answer.text) as OcsReply;
    total.stored += reply.stored;
    total.duplicates += reply.duplicates;
  }
  return total;
}

/** The network a simulated TDA watches: its /16 in two groups, its domain and services. */
export function simulatedNetwork(subnet: number, domain = 'sim.example'): object {
  return {
    monitoredNetworks: [
      { name: 'Office', trust: 'trusted', ranges: [`10.${subnet}.0.0/17`] },
      { name: 'Guests', trust: 'untrusted', ranges: [`10.${subnet}.128.0/17`] },
    ],
    registeredDomains: [domain],
    registeredServices: [
      { kind: 'dns', name: 'dns1', address: `10.${subnet}.0.53`, port: 53 },
      { kind: 'ad', name: 'dc1', address: `10.${subnet}.0.10` },
      { kind: 'smtp', name: 'mail', address: `10.${subnet}.0.25`, port: 25 },
      { kind: 'proxy', name: 'proxy', address: `10.${subnet}.0.80`, port: 8080 },
    ],
  };
}

/** Reports the appliance's whole network configuration; it replaces the one reported before. */
export async function putNetworkConfiguration(
  access: StatusAccess,
  guid: string,
  network: object,
): Promise<void> {
  const answer = await callHttps({
    method: 'PUT',
    url: `${access.statusUrl}/v1/network-configuration`,
    ca: access.ca,
    headers: jsonHeaders(access),
    body: JSON.stringify({ guid, ...network }),
  });
  if (answer.status !== 200) throw unexpected('network configuration', answer);
}

function jsonHeaders(access: StatusAccess): Record<string, string> {
  return { 'content-type': 'application/json', authorization: `Bearer ${access.token}` };
}
