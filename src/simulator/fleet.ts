import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { runAppliance, type Report } from './appliance.js';
import {
  newCounters,
  type ApplianceSpec,
  type FleetCounters,
  type FleetPlan,
} from './fleet-types.js';
import { stableGuid } from './identity.js';

const PROGRESS_EVERY_MS = 2_000;

export interface FleetOutcome {
  counters: FleetCounters;
  /** Something worked end to end: an appliance came online and a push was taken. */
  ok: boolean;
}

/** Runs every appliance of the plan side by side, each in its own directory under a temp dir. */
export async function runFleet(plan: FleetPlan, report: Report): Promise<FleetOutcome> {
  const root = await mkdtemp(path.join(tmpdir(), 'tmsp-simulator-'));
  const counters = newCounters();
  const specs = planAppliances(plan, root);
  const startedAt = Date.now();
  const progress = setInterval(
    () => report(progressLine(counters, specs.length, Date.now() - startedAt)),
    PROGRESS_EVERY_MS,
  );
  const stopper = new AbortController();
  const stop = (): void => stopper.abort();
  process.once('SIGINT', stop).once('SIGTERM', stop);
  try {
    await Promise.all(specs.map((spec) => mkdir(spec.workDir, { recursive: true })));
    await Promise.all(
      specs.map((spec) => runAppliance(spec, plan, counters, report, stopper.signal)),
    );
  } finally {
    process.off('SIGINT', stop).off('SIGTERM', stop);
    clearInterval(progress);
    await rm(root, { recursive: true, force: true });
  }
  report(progressLine(counters, specs.length, Date.now() - startedAt));
  return { counters, ok: counters.heartbeats > 0 && counters.pushesOk > 0 };
}

/** TDAs first, then TMs; with `both`, every second appliance pushes over TLS. */
export function planAppliances(plan: FleetPlan, root: string): ApplianceSpec[] {
  const kinds = [
    ...Array.from({ length: plan.tda }, (_, i) => ({ type: 'tda' as const, index: i + 1 })),
    ...Array.from({ length: plan.tm }, (_, i) => ({ type: 'tm' as const, index: i + 1 })),
  ];
  return kinds.map(({ type, index }, position) => {
    const guid = stableGuid(plan.userName, type, index);
    const both = position % 2 === 0 ? 'ssh' : 'tls';
    return {
      label: `${type.toUpperCase()}-${index}`,
      index,
      type,
      guid,
      protocol: plan.protocol === 'both' ? both : plan.protocol,
      workDir: path.join(root, guid),
    };
  });
}

function progressLine(counters: FleetCounters, total: number, elapsedMs: number): string {
  const seconds = String(Math.round(elapsedMs / 1000)).padStart(3);
  const failures =
    counters.signOnFailures + counters.heartbeatFailures === 0
      ? ''
      : `, sign-on failures ${counters.signOnFailures}, heartbeat failures ` +
        `${counters.heartbeatFailures}`;
  const activityFailures =
    counters.activityFailures === 0 ? '' : `, other failures ${counters.activityFailures}`;
  return (
    `[${seconds}s] online ${counters.online}/${total}, heartbeats ${counters.heartbeats}, ` +
    `pushes ${counters.pushesOk} ok ${counters.pushesFailed} failed, ` +
    `lines written ${counters.linesWritten}, OCS events ${counters.ocsEvents}, ` +
    `forensic uploads ${counters.forensicUploads}, patterns deployed ` +
    `${counters.patternsDeployed}${failures}${activityFailures}`
  );
}
