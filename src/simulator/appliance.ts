import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { ApplianceActivities } from './activities.js';
import { serviceTicket, ticketGrantingTicket } from './cas-rest.js';
import type { ApplianceSpec, FleetCounters, FleetPlan } from './fleet-types.js';
import { identityOf, subnetOf } from './identity.js';
import { garbageLine, sentAtOf, silentNow } from './misbehaviour.js';
import { Random } from './random.js';
import { pushDirectory } from './rsync-push.js';
import { StatusSession, type ApplianceIdentity, type HeartbeatState } from './status-api.js';
import { tdaLine } from './tda-events.js';
import { tmLine } from './tm-events.js';

const TICK_MS = 500;
const PUSH_EVERY_MS = 4_000;
/** A short run still shows several heartbeats: at most a fifth of the run between two. */
const HEARTBEATS_PER_RUN = 5;

export type Report = (line: string) => void;

interface Running {
  spec: ApplianceSpec;
  plan: FleetPlan;
  counters: FleetCounters;
  report: Report;
  /** Ctrl-C: the run ends early, but as planned, with every appliance going offline. */
  stop: AbortSignal;
  identity: ApplianceIdentity;
  random: Random;
  logFile: string;
  logDir: string;
  startedAt: number;
}

/** One simulated appliance from sign-on to its planned shutdown; true when it came online. */
export async function runAppliance(
  spec: ApplianceSpec,
  plan: FleetPlan,
  counters: FleetCounters,
  report: Report,
  stop: AbortSignal,
): Promise<boolean> {
  const logDir = path.join(spec.workDir, 'logs');
  await mkdir(logDir, { recursive: true });
  const running: Running = {
    spec,
    plan,
    counters,
    report,
    stop,
    identity: identityOf(spec.guid, spec.type, spec.index),
    random: new Random(parseInt(spec.guid.slice(0, 8), 16)),
    logFile: path.join(logDir, `${spec.type}-${runStamp(new Date())}.log`),
    logDir,
    startedAt: Date.now(),
  };
  const session = await signOn(running);
  if (session === null) return false;
  const intervalMs = await firstHeartbeat(running, session);
  if (intervalMs === null) return false;
  counters.online += 1;
  report(`${spec.label} ${spec.guid} online, pushing over ${spec.protocol}`);

  // Its own end closes what it keeps open (the pattern event stream); Ctrl-C ends it too.
  const ended = new AbortController();
  const activities = new ApplianceActivities({
    label: spec.label,
    identity: running.identity,
    subnet: subnetOf(spec.type, spec.index),
    random: running.random,
    counters,
    report,
    stop: AbortSignal.any([stop, ended.signal]),
  });
  await activities.begin(session.access);
  const last = await live(running, session, intervalMs, activities);
  ended.abort();
  await activities.end();
  await goOffline(running, last);
  return true;
}

async function signOn(running: Running): Promise<StatusSession | null> {
  const { doors, userName, secret } = running.plan;
  const target = { casUrl: doors.casUrl, ca: doors.caPem };
  try {
    const tgt = await ticketGrantingTicket(target, userName, secret);
    const ticket = await serviceTicket(target, tgt, doors.statusService);
    return await StatusSession.open(doors.statusUrl, doors.caPem, ticket);
  } catch (error) {
    running.counters.signOnFailures += 1;
    running.report(`${running.spec.label} sign-on failed: ${messageOf(error)}`);
    return null;
  }
}

async function firstHeartbeat(running: Running, session: StatusSession): Promise<number | null> {
  const reply = await heartbeat(running, session, 'online');
  if (reply === null) return null;
  const told = reply.heartbeatIntervalSeconds * 1000;
  return Math.max(1000, Math.min(told, running.plan.durationMs / HEARTBEATS_PER_RUN));
}

/** Until the run ends; answers the session it ended with (a lost one is opened anew). */
async function live(
  running: Running,
  first: StatusSession,
  intervalMs: number,
  activities: ApplianceActivities,
): Promise<StatusSession> {
  const endAt = running.startedAt + running.plan.durationMs;
  let session = first;
  let nextHeartbeat = Date.now() + intervalMs;
  let nextPush = Date.now() + PUSH_EVERY_MS;
  while (Date.now() < endAt && !running.stop.aborted) {
    await sleep(Math.min(TICK_MS, Math.max(0, endAt - Date.now())));
    if (silentNow(running.plan, running.startedAt)) continue;
    await writeLines(running);
    await activities.tick(session.access);
    if (Date.now() >= nextHeartbeat || activities.takeHeartbeatRequest()) {
      // Sessions end (8 hours, a server restart): a refused heartbeat signs on again.
      const reply = await heartbeat(running, session, 'online');
      if (reply === null) session = (await signOn(running)) ?? session;
      nextHeartbeat = Date.now() + intervalMs;
    }
    if (Date.now() >= nextPush) {
      await push(running);
      nextPush = Date.now() + PUSH_EVERY_MS;
    }
  }
  return session;
}

async function writeLines(running: Running): Promise<void> {
  const { random, spec } = running;
  const count = spec.type === 'tda' ? random.int(1, 6) : random.int(0, 2);
  const subnet = subnetOf(spec.type, spec.index);
  let text = '';
  for (let i = 0; i < count; i += 1) {
    const now = new Date();
    const garbage = running.plan.misbehave === 'garbage' && random.chance(0.1);
    const line = spec.type === 'tda' ? tdaLine(random, now, subnet) : tmLine(random, now, subnet);
    text += `${garbage ? garbageLine(random) : line}\n`;
  }
  if (text === '') return;
  await appendFile(running.logFile, text);
  running.counters.linesWritten += count;
}

async function push(running: Running): Promise<void> {
  const { plan, spec } = running;
  const door = spec.protocol === 'ssh' ? plan.doors.logSsh : plan.doors.logTls;
  const target = {
    protocol: spec.protocol,
    door,
    userName: plan.userName,
    secret: plan.secret,
    caFile: plan.doors.caFile,
  };
  const dropAfterMs =
    plan.misbehave === 'drop' && running.random.chance(0.5) ? running.random.int(5, 200) : null;
  const result = await pushDirectory(target, spec.workDir, running.logDir, spec.guid, dropAfterMs);
  if (result.ok) {
    running.counters.pushesOk += 1;
    return;
  }
  running.counters.pushesFailed += 1;
  running.report(`${spec.label} push failed: ${result.detail}`);
}

async function heartbeat(
  running: Running,
  session: StatusSession,
  state: HeartbeatState,
): Promise<{ heartbeatIntervalSeconds: number } | null> {
  try {
    const sentAt = sentAtOf(running.plan, new Date());
    const reply = await session.heartbeat(running.identity, state, sentAt);
    running.counters.heartbeats += 1;
    return reply;
  } catch (error) {
    running.counters.heartbeatFailures += 1;
    running.report(`${running.spec.label} heartbeat failed: ${messageOf(error)}`);
    return null;
  }
}

/**
 * A planned shutdown pushes what is left, then says so: the product is offline at once instead
 * of after the heartbeat timeout.
 */
async function goOffline(running: Running, session: StatusSession): Promise<void> {
  // An appliance that fell silent died without a word: that is the misbehaviour shown.
  if (running.plan.misbehave === 'silence') return;
  await push(running);
  const reply = await heartbeat(running, session, 'going-offline');
  if (reply !== null) running.counters.online -= 1;
  await session.close().catch(() => undefined);
}

function runStamp(time: Date): string {
  return time.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
