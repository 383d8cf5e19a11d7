import { pendingPatterns, type PendingPattern } from '../patterns/pending-patterns.js';
import type { Heartbeat, StoredHeartbeat } from '../products/heartbeats.js';
import type { ApiContext } from './api-context.js';
import type { PatternTask } from './heartbeat-messages.js';

export const PATTERN_CONTENT_PATH = '/v1/patterns/:id/content';

export function patternTaskOf(pending: PendingPattern, statusUrl: string): PatternTask {
  return {
    kind: 'pattern',
    id: pending.patternId,
    version: pending.version,
    size: pending.size,
    sha256: pending.sha256,
    url: `${statusUrl}${PATTERN_CONTENT_PATH.replace(':id', String(pending.patternId))}`,
  };
}

/**
 * What a heartbeat's answer lists besides the event stream, as its fallback: every deployment
 * still pending for the appliance, after the heartbeat's pattern version confirmed those of
 * that version (in the transaction that stored it). A product without an unconfirmed
 * deployment when its heartbeat was stored is not asked about: the store said so.
 */
export async function heartbeatPatternTasks(
  context: ApiContext,
  heartbeat: Heartbeat,
  stored: StoredHeartbeat,
): Promise<PatternTask[]> {
  const patterns = context.patterns;
  if (patterns === undefined || !stored.deploymentsPending) return [];
  const pending = await pendingPatterns(context.store.db, [heartbeat.productId]);
  return pending.map((one) => patternTaskOf(one, patterns.statusUrl()));
}
