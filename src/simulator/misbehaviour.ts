import type { FleetPlan } from './fleet-types.js';
import type { Random } from './random.js';

/** How far a skewed appliance's clock is off: enough for the stored skew to stand out. */
const SKEW_MS = 2 * 3_600_000;

/** The time an appliance puts in its heartbeat: its own clock, two hours fast when skewed. */
export function sentAtOf(plan: FleetPlan, now: Date): Date {
  return plan.misbehave === 'skew' ? new Date(now.getTime() + SKEW_MS) : now;
}

/**
 * A silent appliance stops heartbeats, logs and pushes after half the run and never says it
 * goes offline, as a crashed or cut-off one would.
 */
export function silentNow(plan: FleetPlan, startedAt: number): boolean {
  return plan.misbehave === 'silence' && Date.now() - startedAt > plan.durationMs / 2;
}

const GARBAGE: ReadonlyArray<(random: Random) => string> = [
  () => 'CEF:0|Trend Micro|Threat Discovery Appliance|2.6',
  (random) => `\u0000\u0001 binary noise ${random.int(0, 1e6)}`,
  () => '<<< appliance debug dump: buffer overflow >>>',
  (random) => `${'A'.repeat(random.int(10, 40))}=\\|broken|`,
];

/** A line no parser should accept, for the quarantine to catch. */
export function garbageLine(random: Random): string {
  return random.pick(GARBAGE)(random);
}
