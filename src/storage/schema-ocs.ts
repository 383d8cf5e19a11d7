import type { Generated } from 'kysely';

/** Outbreak Containment Services: OCS events, malware mapping, and network configuration. */
export interface OcsSchema {
  ocsEvents: OcsEventTable;
  malwareMappings: MalwareMappingTable;
  ocsBursts: OcsBurstTable;
  networkConfigurations: NetworkConfigurationTable;
  monitoredNetworks: MonitoredNetworkTable;
  registeredDomains: RegisteredDomainTable;
  registeredServices: RegisteredServiceTable;
}

/** One OCS event as a TDA posted it, with the malware name the mapping gave it. */
export interface OcsEventTable {
  id: Generated<number>;
  customerId: number;
  productId: number;
  /** The appliance's own id of the event: a batch sent again is not stored twice. */
  eventId: string;
  /** The appliance's clock: shown, never used to judge anything. */
  occurredAt: number;
  receivedAt: number;
  action: string;
  sourceIp: string;
  sourceHost: string | null;
  destinationIp: string | null;
  destinationPort: number | null;
  protocol: string | null;
  ruleId: string | null;
  ruleName: string | null;
  detectionName: string | null;
  content: string | null;
  fileName: string | null;
  url: string | null;
  malwareName: string | null;
}

/** An operator's malware mapping entry: for every customer (customerId null) or for one. */
export interface MalwareMappingTable {
  id: Generated<number>;
  customerId: number | null;
  /** Matched as a literal, case-insensitively, inside an OCS event's content fields. */
  pattern: string;
  malwareName: string;
  createdAt: number;
}

/**
 * The `ocs.triggered` appliance event a product's events from one source currently add to,
 * so that a flood becomes one event with a count (P09). sourceKey is the source IP, or `*`
 * for the sources beyond the per-product limit.
 */
export interface OcsBurstTable {
  id: Generated<number>;
  customerId: number;
  productId: number;
  sourceKey: string;
  applianceEventId: number;
  startedAt: number;
  lastAt: number;
  count: number;
}

/** When a product last reported its network configuration; its parts are in the tables below. */
export interface NetworkConfigurationTable {
  productId: number;
  customerId: number;
  updatedAt: number;
}

export type NetworkTrust = 'trusted' | 'untrusted';

/** One range of a monitored network group, as a canonical CIDR. */
export interface MonitoredNetworkTable {
  id: Generated<number>;
  customerId: number;
  productId: number;
  groupName: string;
  trust: NetworkTrust;
  cidr: string;
}

export interface RegisteredDomainTable {
  id: Generated<number>;
  customerId: number;
  productId: number;
  domain: string;
}

export interface RegisteredServiceTable {
  id: Generated<number>;
  customerId: number;
  productId: number;
  /** dns, ad, smtp, proxy, ... */
  kind: string;
  name: string | null;
  /** An IP address or a host name. */
  address: string;
  port: number | null;
}
