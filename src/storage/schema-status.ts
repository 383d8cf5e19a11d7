import type { Generated } from 'kysely';

/** The status server's tables: appliance sessions, heartbeats and appliance events. */
export interface StatusSchema {
  applianceSessions: ApplianceSessionTable;
  productHeartbeats: ProductHeartbeatTable;
  applianceEvents: ApplianceEventTable;
}

/** A status-server session of an appliance, found by the hash of its bearer token. */
export interface ApplianceSessionTable {
  tokenHash: string;
  customerId: number;
  /** The registration user name CAS named in the ticket. */
  userName: string;
  createdAt: number;
  expiresAt: number;
}

export type HeartbeatState = 'online' | 'going-offline';
export type OnlineState = 'online' | 'offline';

/** The latest heartbeat of a registered product, as the appliance reported it. */
export interface ProductHeartbeatTable {
  productId: number;
  customerId: number;
  /** On the server's clock: the same instant as registeredProducts.lastHeartbeatAt. */
  receivedAt: number;
  state: HeartbeatState;
  /** The appliance's own clock when it sent the heartbeat. */
  applianceTime: number;
  /** The appliance's clock minus the server's, in whole seconds. */
  clockSkewSeconds: number;
  /** TDA only: 0 / 1. */
  securityCompliance: number | null;
  /** TM only: 0 / 1. */
  canRunMitigation: number | null;
  licenceExpiresAt: number | null;
  patternVersion: string | null;
  /** The online state the product's latest appliance event recorded. */
  lastEventState: OnlineState;
}

/** Something that happened to an appliance that notifications report (heartbeat lost, ...). */
export interface ApplianceEventTable {
  id: Generated<number>;
  customerId: number;
  productId: number;
  kind: string;
  /** When it happened, on the server's clock. */
  at: number;
  /** A JSON object with what a notification shows; never a secret. */
  detail: string;
}
