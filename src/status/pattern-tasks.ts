import { confirmDeployments } from '../patterns/deployment-reports.js';
import { pendingPatterns, type PendingPattern } from '../patterns/pending-patterns.js';
import type { Heartbeat } from '../products/heartbeats.js';
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
 * What a heartbeat's answer lists besides the event stream, as its fallback: the heartbeat's
 * pattern version first confirms the deployments of that version, then every deployment still
 * pending for the appliance is listed.
 */
export async function heartbeatPatternTasks(
  context: ApiContext,
  heartbeat: Heartbeat,
): Promise<PatternTask[]> {
  if (heartbeat.patternVersion !== null) {
    await confirmDeployments(context.store.db, {
      customerId: heartbeat.customerId,
      productId: heartbeat.productId,
      patternVersion: heartbeat.patternVersion,
      at: heartbeat.receivedAt,
    });
  }
  const patterns = context.patterns;
  if (patterns === undefined) return [];
  const pending = await pendingPatterns(context.store.db, [heartbeat.productId]);
  return pending.map((one) => patternTaskOf(one, patterns.statusUrl()));
}
