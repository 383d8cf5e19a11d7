import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { serviceTicket, ticketGrantingTicket } from '../../src/simulator/cas-rest.js';
import { callHttps, unexpected } from '../../src/simulator/https-client.js';
import type { BenchOutcome } from '../main.js';
import {
  fleetRun,
  keepAliveRun,
  percentile,
  type HeartbeatCall,
  type LoadOutcome,
} from './heartbeat-load.js';
import {
  BENCH_CUSTOMER,
  type RssReport,
  type ServerMessage,
  type ServerReady,
} from './protocol.js';

const CONCURRENCY = 32;
const WARM_UP = 1_000;
const MEASURED = 6_000;
const FLEET = 10_000;
/** The fleet's minute, not compressed: 10,000 appliances at 167 heartbeats a second. */
const FLEET_SPREAD_MS = 60_000;
const SESSIONS = 10;
/** A few appliances first, so that the idle figure is of a server that has served. */
const FLEET_WARM_UP = 200;
const FLEET_WARM_UP_MS = 2_000;

interface ServerProcess {
  ready: ServerReady;
  rss(): Promise<RssReport>;
  send(message: ServerMessage): void;
  stop(): Promise<void>;
}

/**
 * Heartbeats per second on keep-alive HTTPS into the status server (real CAS sessions, real
 * SQLite store, every heartbeat stored) against a bare Node HTTPS server answering a constant;
 * then 10,000 appliances heartbeating once within one minute, each on a new connection, with
 * the server's errors and peak RSS. Each server runs in a process of its own.
 */
export async function heartbeatBenchmark(): Promise<BenchOutcome[]> {
  const dirs = await Promise.all(
    ['bare', 'tmsp'].map((name) => mkdtemp(path.join(tmpdir(), `tmsp-bench-${name}-`))),
  );
  const [bareDir = '', tmspDir = ''] = dirs;
  try {
    const { ratio, tokens } = await keepAlivePhase(bareDir, tmspDir);
    // A fresh process over the same store: the fleet's memory is not the load test's.
    const tmsp = await startServer(['tmsp', tmspDir]);
    try {
      return [ratio, await fleetPhase(tmsp, heartbeatCalls(tokens, FLEET))];
    } finally {
      await tmsp.stop();
    }
  } finally {
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

async function keepAlivePhase(
  bareDir: string,
  tmspDir: string,
): Promise<{ ratio: BenchOutcome; tokens: string[] }> {
  const bare = await startServer(['bare', bareDir]);
  const tmsp = await startServer(['tmsp', tmspDir, 'set-up']);
  try {
    const tokens = await signOn(tmsp.ready, SESSIONS);
    // The warm-up registers the appliances the timed runs heartbeat for: none is a first one.
    const callOf = heartbeatCalls(tokens, WARM_UP);
    const bareUrl = { url: `${bare.ready.url}/v1/heartbeats`, ca: bare.ready.ca };
    const tmspUrl = { url: `${tmsp.ready.url}/v1/heartbeats`, ca: tmsp.ready.ca };

    await keepAliveRun(bareUrl, WARM_UP, CONCURRENCY, callOf);
    await keepAliveRun(tmspUrl, WARM_UP, CONCURRENCY, callOf);
    const reference = await keepAliveRun(bareUrl, MEASURED, CONCURRENCY, callOf);
    const subject = await keepAliveRun(tmspUrl, MEASURED, CONCURRENCY, callOf);
    const fleetCalls = heartbeatCalls(tokens, FLEET);
    const registration = await keepAliveRun(tmspUrl, FLEET, CONCURRENCY, fleetCalls);
    return { ratio: ratioOutcome(subject, reference, registration), tokens };
  } finally {
    await Promise.all([bare.stop(), tmsp.stop()]);
  }
}

async function fleetPhase(
  tmsp: ServerProcess,
  callOf: (index: number) => HeartbeatCall,
): Promise<BenchOutcome> {
  const url = { url: `${tmsp.ready.url}/v1/heartbeats`, ca: tmsp.ready.ca };
  await fleetRun(url, FLEET_WARM_UP, FLEET_WARM_UP_MS, callOf);
  const idle = await tmsp.rss();
  tmsp.send({ type: 'reset' });
  const fleet = await fleetRun(url, FLEET, FLEET_SPREAD_MS, callOf);
  return fleetOutcome(fleet, idle, await tmsp.rss());
}

function ratioOutcome(
  subject: LoadOutcome,
  reference: LoadOutcome,
  registration: LoadOutcome,
): BenchOutcome {
  const rate = (run: LoadOutcome, total: number) => total / run.seconds;
  return {
    name: 'Heartbeats over keep-alive HTTPS vs bare Node HTTPS constant',
    subject: `${rate(subject, MEASURED).toFixed(0)} heartbeats/s`,
    reference: `${rate(reference, MEASURED).toFixed(0)} req/s`,
    ratio: rate(subject, MEASURED) / rate(reference, MEASURED),
    details: [
      `${CONCURRENCY} connections, ${MEASURED} heartbeats each side, SQLite, 10 sessions`,
      `heartbeat latency p50 ${ms(percentile(subject.latencies, 0.5))}, ` +
        `p99 ${ms(percentile(subject.latencies, 0.99))}; ` +
        `errors ${subject.errors + reference.errors}`,
      `first heartbeats of ${FLEET} appliances (registration): ` +
        `${rate(registration, FLEET).toFixed(0)}/s (the first ${WARM_UP} were known), ` +
        `errors ${registration.errors}`,
    ],
  };
}

function fleetOutcome(fleet: LoadOutcome, idle: RssReport, after: RssReport): BenchOutcome {
  const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
  const growth = Math.max(0, after.peak - idle.now);
  const perConnection = growth / Math.max(1, fleet.mostInFlight);
  const error = fleet.firstError === null ? '' : ` (first: ${fleet.firstError})`;
  return {
    name: `${FLEET} appliances heartbeating once a minute (one new TLS connection each)`,
    note: [
      `${FLEET} heartbeats in ${fleet.seconds.toFixed(1)} s ` +
        `(${(FLEET / fleet.seconds).toFixed(0)}/s), errors ${fleet.errors}${error}`,
      `latency p50 ${ms(percentile(fleet.latencies, 0.5))}, ` +
        `p99 ${ms(percentile(fleet.latencies, 0.99))}, most in flight ${fleet.mostInFlight}`,
      `server RSS idle ${mib(idle.now)} (restarted over the same store), peak ` +
        `${mib(after.peak)}: ${mib(growth)} more, ${(perConnection / 1024).toFixed(0)} KiB ` +
        `per connection in flight, ${(growth / FLEET / 1024).toFixed(1)} KiB per appliance`,
    ].join('\n  '),
  };
}

function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

/** Call `index` is of appliance `index % appliances`: its own GUID, one of the sessions. */
function heartbeatCalls(tokens: string[], appliances: number): (index: number) => HeartbeatCall {
  return (index) => {
    const number = index % appliances;
    const guid = `BE7C4000-0000-4000-8000-${String(number).padStart(12, '0')}`;
    const body = JSON.stringify({
      guid,
      type: 'tda',
      hostName: `tda${number}.bench.example`,
      ipAddress: `10.${Math.floor(number / 250) % 250}.${number % 250}.1`,
      version: '2.6.1062',
      securityCompliance: true,
      sentAt: new Date().toISOString(),
      state: 'online',
    });
    return { token: tokens[index % tokens.length] ?? '', body };
  };
}

/** Real sessions: CAS REST with the registration credentials, then POST /v1/sessions. */
async function signOn(ready: ServerReady, count: number): Promise<string[]> {
  const target = { casUrl: ready.casUrl, ca: ready.ca };
  const tgt = await ticketGrantingTicket(
    target,
    BENCH_CUSTOMER.registrationUser,
    BENCH_CUSTOMER.registrationSecret,
  );
  const tokens: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const ticket = await serviceTicket(target, tgt, ready.casService);
    const answer = await callHttps({
      method: 'POST',
      url: `${ready.url}/v1/sessions`,
      ca: ready.ca,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ticket }),
    });
    if (answer.status !== 201) throw unexpected('session request', answer);
    tokens.push((JSON.parse(answer.text) as { token: string }).token);
  }
  return tokens;
}

async function startServer(args: string[]): Promise<ServerProcess> {
  const child = fork(new URL('./server-process.js', import.meta.url), args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await nextMessage<ServerReady>(child, 'ready');
  return {
    ready,
    rss: () => {
      const report = nextMessage<RssReport>(child, 'rss');
      child.send({ type: 'rss' } satisfies ServerMessage);
      return report;
    },
    send: (message) => child.send(message),
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' } satisfies ServerMessage);
      await exited;
    },
  };
}

function nextMessage<T extends { type: string }>(child: ChildProcess, type: T['type']): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: T): void => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message);
    };
    const onExit = (code: number | null): void => reject(new Error(`server exited (${code})`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
