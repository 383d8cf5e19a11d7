import type { PushProtocol } from './rsync-push.js';

export type Misbehaviour = 'skew' | 'silence' | 'garbage' | 'drop';
export const MISBEHAVIOURS: readonly Misbehaviour[] = ['skew', 'silence', 'garbage', 'drop'];

/** Where the servers are, from endpoints.json, and the CA that vouches for them. */
export interface ServerDoors {
  casUrl: string;
  statusUrl: string;
  statusService: string;
  logSsh: string;
  logTls: string;
  caFile: string;
  caPem: string;
}

export interface FleetPlan {
  doors: ServerDoors;
  userName: string;
  secret: string;
  tda: number;
  tm: number;
  protocol: PushProtocol | 'both';
  durationMs: number;
  misbehave: Misbehaviour | null;
}

export interface ApplianceSpec {
  label: string;
  index: number;
  type: 'tda' | 'tm';
  guid: string;
  protocol: PushProtocol;
  workDir: string;
}

/** What every appliance adds to, and the progress lines read. */
export interface FleetCounters {
  online: number;
  signOnFailures: number;
  heartbeats: number;
  heartbeatFailures: number;
  pushesOk: number;
  pushesFailed: number;
  linesWritten: number;
  ocsEvents: number;
  forensicUploads: number;
  patternsDeployed: number;
  /** OCS posts, uploads and pattern steps that failed. */
  activityFailures: number;
}

export function newCounters(): FleetCounters {
  return {
    online: 0,
    signOnFailures: 0,
    heartbeats: 0,
    heartbeatFailures: 0,
    pushesOk: 0,
    pushesFailed: 0,
    linesWritten: 0,
    ocsEvents: 0,
    forensicUploads: 0,
    patternsDeployed: 0,
    activityFailures: 0,
  };
}
