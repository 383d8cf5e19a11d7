import type { Generated } from 'kysely';

/** Custom patterns the provider uploads for a customer account's Threat Mitigators. */
export interface PatternSchema {
  patterns: PatternTable;
  patternDeployments: PatternDeploymentTable;
}

export type PatternType = 'bandage' | 'controlled';

/** One uploaded pattern. Never deleted: retiring it stops it from being issued. */
export interface PatternTable {
  /** System-wide, counting up from 1: the same number in the console, the CLI and the API. */
  id: Generated<number>;
  customerId: number;
  type: PatternType;
  /** What a Threat Mitigator reports in its heartbeats' patternVersion once it runs it. */
  version: string;
  description: string;
  size: number;
  /** Lower-case hex SHA-256 of the content; also the content's file name. */
  sha256: string;
  uploadedAt: number;
  uploadedBy: string;
  retiredAt: number | null;
}

/**
 * notified → downloaded → deployed, or failed. Deployed only once a heartbeat of the appliance
 * reports the pattern's version: its own "deployed" report is kept, but confirms nothing.
 */
export type DeploymentState = 'notified' | 'downloaded' | 'deployed' | 'failed';

/** One pattern on one appliance: one row per pair, whatever the number of deploy requests. */
export interface PatternDeploymentTable {
  id: Generated<number>;
  customerId: number;
  patternId: number;
  productId: number;
  state: DeploymentState;
  /** How many notifications were sent: the first, re-issues and retries after a timeout. */
  attempts: number;
  /** The latest notification: the confirmation deadline counts from here. */
  notifiedAt: number;
  downloadedAt: number | null;
  /** When the appliance said it deployed the pattern (not a confirmation, see P05). */
  reportedAt: number | null;
  /** When a heartbeat reported the pattern's version. */
  deployedAt: number | null;
  failedAt: number | null;
  /** 0 / 1: a timed-out deployment that was notified again. */
  retrying: number;
  /** The latest failure or message, as the appliance or the sweeper put it. */
  failure: string | null;
  /** The endpoint the appliance's latest report named, if any. */
  endpoint: string | null;
}
