import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';

import { callHttps, unexpected } from './https-client.js';
import type { StatusAccess } from './status-api.js';

/** A pattern task as the event stream and the heartbeat answer announce it. */
export interface PatternTask {
  kind: 'pattern';
  id: number;
  version: string;
  size: number;
  sha256: string;
  url: string;
}

/** A simulated Threat Mitigator's session at the status server, and its GUID. */
export interface PatternClient extends StatusAccess {
  guid: string;
}

const DOWNLOAD_TRIES = 3;

/**
 * Keeps the event stream open and deploys every pattern it announces, until the signal aborts
 * or the server ends the stream. Calls onDeployed with each version deployed, which the
 * appliance then reports as patternVersion in its heartbeats (only that confirms it).
 */
export async function followPatterns(
  client: PatternClient,
  signal: AbortSignal,
  onDeployed: (version: string) => void,
): Promise<void> {
  const url = `${client.statusUrl}/v1/events?guid=${encodeURIComponent(client.guid)}`;
  const stream = await open(client, url, {}, signal);
  if (stream.statusCode !== 200) throw new Error(`event stream answered ${stream.statusCode}`);
  let buffered = '';
  try {
    for await (const chunk of stream) {
      buffered += (chunk as Buffer).toString('utf8');
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const task = patternEvent(buffered.slice(0, end));
        buffered = buffered.slice(end + 2);
        if (task !== null) onDeployed(await deployPattern(client, task));
      }
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}

/** The task an `event: pattern` block carries, or null for comments and other events. */
function patternEvent(block: string): PatternTask | null {
  const lines = block.split('\n');
  if (!lines.includes('event: pattern')) return null;
  const data = lines.filter((line) => line.startsWith('data: ')).map((line) => line.slice(6));
  return JSON.parse(data.join('\n')) as PatternTask;
}

/** Downloads, checks and "deploys" one pattern; reports each step. Returns its version. */
export async function deployPattern(client: PatternClient, task: PatternTask): Promise<string> {
  const content = await download(client, task);
  const sha256 = createHash('sha256').update(content).digest('hex');
  if (sha256 !== task.sha256) {
    await report(client, task, 'failed', `SHA-256 ${sha256} differs from ${task.sha256}`);
    throw new Error(`pattern ${task.id} arrived damaged`);
  }
  await report(client, task, 'downloaded');
  await report(client, task, 'deployed');
  return task.version;
}

/** Fetches the content, resuming with a Range request after a cut. */
async function download(client: PatternClient, task: PatternTask): Promise<Buffer> {
  const parts: Buffer[] = [];
  let have = 0;
  for (let tries = 0; have < task.size && tries < DOWNLOAD_TRIES; tries += 1) {
    const headers: Record<string, string> = have > 0 ? { range: `bytes=${have}-` } : {};
    const answer = await open(client, task.url, headers, AbortSignal.timeout(60_000));
    if (answer.statusCode !== (have > 0 ? 206 : 200)) {
      answer.resume();
      throw new Error(`pattern ${task.id} download answered ${answer.statusCode}`);
    }
    try {
      for await (const chunk of answer) {
        parts.push(chunk as Buffer);
        have += (chunk as Buffer).length;
      }
    } catch {
      // A cut connection: the next try asks for the rest.
    }
  }
  return Buffer.concat(parts);
}

async function report(
  client: PatternClient,
  task: PatternTask,
  state: 'downloaded' | 'deployed' | 'failed',
  message?: string,
): Promise<void> {
  const answer = await callHttps({
    method: 'POST',
    url: `${client.statusUrl}/v1/patterns/${task.id}/reports`,
    ca: client.ca,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${client.token}` },
    body: JSON.stringify({
      guid: client.guid,
      state,
      ...(message === undefined ? {} : { message }),
    }),
  });
  if (answer.status !== 200) throw unexpected(`pattern ${task.id} report`, answer);
}

function open(
  client: PatternClient,
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, {
      ca: client.ca,
      signal,
      headers: { ...headers, authorization: `Bearer ${client.token}` },
    });
    outgoing.on('response', resolve);
    outgoing.on('error', reject);
    outgoing.end();
  });
}
