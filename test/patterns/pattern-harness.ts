import { createHash, randomBytes } from 'node:crypto';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';

import { deployPattern } from '../../src/patterns/deployments.js';
import { listDeployments, type DeploymentView } from '../../src/patterns/deployment-status.js';
import { patternsDir } from '../../src/patterns/pattern-files.js';
import { PatternBus } from '../../src/patterns/pattern-bus.js';
import { uploadPattern } from '../../src/patterns/patterns.js';
import {
  KEEP_ALIVE_MS,
  PATTERN_POLL_MS,
  type PatternApiDeps,
} from '../../src/status/pattern-context.js';
import type { Engine } from '../../src/storage/engine.js';
import { patternBusOf } from '../../src/system/pattern-wiring.js';
import { ACME } from '../support/cli.js';
import type { Answer, ApplianceClient } from '../status/appliance-client.js';
import { statusHarness, type StatusHarness } from '../status/status-harness.js';

export const ADMIN = { name: 'test-admin', source: 'test' };

export interface PatternHarness extends StatusHarness {
  /** Uploads a pattern of random content for the account; returns its id and content. */
  upload(version: string, customer?: typeof ACME): Promise<{ id: number; content: Buffer }>;
  /** Deploys as another process would (no bus): streams learn it from the database. */
  deployElsewhere(patternId: number, guid?: string, customer?: typeof ACME): Promise<void>;
  /** Deploys as this process's console would: the bus tells streams at once. */
  deployHere(patternId: number, guid?: string): Promise<void>;
  deployments(patternId: number, customer?: typeof ACME): Promise<DeploymentView[]>;
  /** A signed-on Threat Mitigator that has heartbeated once. */
  threatMitigator(guid: string, customer?: typeof ACME): Promise<ApplianceClient>;
  download(client: ApplianceClient, patternId: number, range?: string): Promise<BinaryAnswer>;
}

export interface BinaryAnswer {
  status: number;
  headers: Answer['headers'];
  body: Buffer;
}

export function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/** A TM heartbeat, with the pattern version it says it runs. */
export function tmHeartbeat(guid: string, sentAt: string, patternVersion?: string) {
  return {
    guid,
    type: 'tm',
    hostName: 'tm01.acme.example',
    ipAddress: '10.1.0.3',
    version: '3.0.100',
    canRunMitigation: true,
    sentAt,
    state: 'online',
    ...(patternVersion === undefined ? {} : { patternVersion }),
  };
}

/** The status harness (CAS and status server as `tmsp serve` runs them) with pattern helpers. */
export async function patternHarness(
  engine: Engine,
  settings: Record<string, string> = {},
): Promise<PatternHarness> {
  const harness = await statusHarness(engine, settings);
  const { runtime } = harness;
  const catalogue = { store: runtime.store, clock: harness.clock };
  const customerOf = (customer = ACME) => harness.customerId(customer);

  return {
    ...harness,
    upload: async (version, customer) => {
      const content = randomBytes(200_000);
      const upload = { customerId: await customerOf(customer), type: 'bandage', version };
      const dir = patternsDir(runtime.paths.areasDir);
      const pattern = await uploadPattern(
        { ...catalogue, dir },
        { ...upload, description: `pattern ${version}`, content },
        ADMIN,
      );
      return { id: pattern.id, content };
    },
    deployElsewhere: async (patternId, guid, customer) => {
      const request = { customerId: await customerOf(customer), patternId, guid };
      await deployPattern(catalogue, request, ADMIN);
    },
    deployHere: async (patternId, guid) => {
      const request = { customerId: await customerOf(), patternId, guid };
      await deployPattern({ ...catalogue, bus: patternBusOf(runtime) }, request, ADMIN);
    },
    deployments: async (patternId, customer) =>
      listDeployments(runtime.store.db, await customerOf(customer), patternId),
    threatMitigator: async (guid, customer) => {
      const client = harness.appliance(customer);
      await client.signOn();
      const answer = await client.heartbeat(tmHeartbeat(guid, harness.clock.now().toISOString()));
      if (answer.status !== 200) throw new Error(`heartbeat answered ${answer.status}`);
      return client;
    },
    download: (client, patternId, range) => binaryGet(harness, client, patternId, range),
  };
}

function binaryGet(
  harness: StatusHarness,
  client: ApplianceClient,
  patternId: number,
  range?: string,
): Promise<BinaryAnswer> {
  const headers: Record<string, string> = { authorization: `Bearer ${client.token ?? ''}` };
  if (range !== undefined) headers['range'] = range;
  const url = `${harness.endpoints.status.url}/v1/patterns/${patternId}/content`;
  return new Promise((resolve, reject) => {
    const outgoing = https.request(url, { ca: harness.ca, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks),
        }),
      );
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

export interface EventStream {
  status: number;
  /** The `event: pattern` blocks' data so far, parsed. */
  events: Array<Record<string, unknown>>;
  /** Everything received, comments included. */
  text(): string;
  /** Resolves once the server ended the stream. */
  ended: Promise<void>;
  /** Waits until `count` pattern events arrived, or fails after timeoutMs. */
  waitFor(count: number, timeoutMs: number): Promise<void>;
  close(): void;
}

/** Opens GET /v1/events as an appliance would and collects what arrives. */
export function openEventStream(
  harness: StatusHarness,
  client: ApplianceClient,
  guid: string,
): Promise<EventStream> {
  const url = `${harness.endpoints.status.url}/v1/events?guid=${guid}`;
  const headers = { authorization: `Bearer ${client.token ?? ''}`, accept: 'text/event-stream' };
  return new Promise((resolve, reject) => {
    const outgoing = https.request(url, { ca: harness.ca, headers, agent: false }, (response) => {
      let received = '';
      const events: Array<Record<string, unknown>> = [];
      const ended = new Promise<void>((done) => response.on('close', done));
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        received += chunk;
        events.splice(0, events.length, ...patternEvents(received));
      });
      response.on('error', () => undefined);
      resolve({
        status: response.statusCode ?? 0,
        events,
        text: () => received,
        ended,
        waitFor: (count, timeoutMs) => until(() => events.length >= count, timeoutMs),
        close: () => outgoing.destroy(),
      });
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

function patternEvents(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n\n')
    .filter((block) => block.split('\n').includes('event: pattern'))
    .map((block) => {
      const data = block.split('\n').find((line) => line.startsWith('data: ')) ?? 'data: {}';
      return JSON.parse(data.slice(6)) as Record<string, unknown>;
    });
}

export async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** Pattern routes' parts for a status server built by hand, streams polling as in production. */
export function patternApiDeps(dir: string): PatternApiDeps {
  return {
    dir,
    bus: new PatternBus(),
    statusUrl: () => 'https://status.test',
    pollMs: PATTERN_POLL_MS,
    keepAliveMs: KEEP_ALIVE_MS,
  };
}
