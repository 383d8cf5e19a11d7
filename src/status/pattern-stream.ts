import type { ServerResponse } from 'node:http';

import type { FastifyReply } from 'fastify';

import { pendingPatterns, type PendingPattern } from '../patterns/pending-patterns.js';
import { describeError } from '../shared/errors.js';
import type { ApiContext } from './api-context.js';
import type { PatternApiDeps } from './pattern-context.js';
import { patternTaskOf } from './pattern-tasks.js';
import { liveSessions } from './stream-sessions.js';

/** The appliance a stream belongs to. */
export interface StreamOwner {
  customerId: number;
  productId: number;
  guid: string;
  /** The session's: a stream ends when its session ends, expires or its account is disabled. */
  tokenHash: string;
  expiresAt: number;
}

interface OpenStream {
  owner: StreamOwner;
  response: ServerResponse;
  /** deployment:attempt pairs already sent: each notification is sent once per stream. */
  sent: Set<string>;
  timers: NodeJS.Timeout[];
}

/**
 * One appliance needs one stream; a few allow for reconnects whose old connection has not
 * closed yet. Past this, the oldest is ended, so that no client can pile streams up.
 */
const STREAMS_PER_APPLIANCE = 4;

// What an EventSource waits before it reconnects after the stream ends.
const RECONNECT_MS = 5_000;

const STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'strict-transport-security': 'max-age=31536000',
  // Tells nginx-like proxies not to buffer the stream.
  'x-accel-buffering': 'no',
};

/**
 * The Server-Sent Events streams appliances keep open, per process. A new notification is
 * sent at once when this process made it (the bus) and within a poll otherwise: every open
 * stream's pending deployments are read from the database, which all processes share.
 */
export class PatternStreams {
  private readonly streams = new Map<number, Set<OpenStream>>();
  private readonly unsubscribe: () => void;
  private readonly poller: NodeJS.Timeout;
  private polling = false;

  constructor(
    private readonly context: ApiContext,
    private readonly deps: PatternApiDeps,
  ) {
    this.unsubscribe = deps.bus.subscribe((productIds) => {
      void this.deliver(productIds.filter((id) => this.streams.has(id)));
    });
    this.poller = setInterval(() => void this.poll(), deps.pollMs).unref();
  }

  /** Takes the reply over and keeps it open, sending what is pending at once. */
  async open(reply: FastifyReply, owner: StreamOwner): Promise<void> {
    reply.hijack();
    const response = reply.raw;
    response.writeHead(200, STREAM_HEADERS);
    response.write(`retry: ${RECONNECT_MS}\n\n`);
    const stream: OpenStream = { owner, response, sent: new Set(), timers: [] };
    const untilExpiry = owner.expiresAt - this.context.clock.now().getTime();
    stream.timers.push(
      setInterval(() => write(stream, ': keep-alive\n\n'), this.deps.keepAliveMs).unref(),
      setTimeout(() => response.end(), Math.max(0, untilExpiry)).unref(),
    );
    response.on('close', () => this.forget(stream));
    this.remember(stream);
    this.context.logger.debug(this.logFields(owner), 'event stream opened');
    await this.deliver([owner.productId]);
  }

  /** Ends every stream, so that the server's close does not wait for them. */
  close(): void {
    clearInterval(this.poller);
    this.unsubscribe();
    for (const streams of this.streams.values()) {
      for (const stream of streams) stream.response.end();
    }
  }

  private remember(stream: OpenStream): void {
    const { productId } = stream.owner;
    const streams = this.streams.get(productId) ?? new Set();
    const oldest = streams.values().next().value;
    if (streams.size >= STREAMS_PER_APPLIANCE && oldest !== undefined) {
      streams.delete(oldest);
      oldest.response.end();
    }
    streams.add(stream);
    this.streams.set(productId, streams);
  }

  private forget(stream: OpenStream): void {
    for (const timer of stream.timers) clearTimeout(timer);
    const streams = this.streams.get(stream.owner.productId);
    streams?.delete(stream);
    if (streams?.size === 0) this.streams.delete(stream.owner.productId);
  }

  private async poll(): Promise<void> {
    if (this.polling || this.streams.size === 0) return;
    this.polling = true;
    try {
      await this.endStale();
      await this.deliver([...this.streams.keys()]);
    } finally {
      this.polling = false;
    }
  }

  private async endStale(): Promise<void> {
    const open = [...this.streams.values()].flatMap((streams) => [...streams]);
    const hashes = [...new Set(open.map((stream) => stream.owner.tokenHash))];
    try {
      const live = await liveSessions(this.context.store.db, hashes, this.context.clock.now());
      for (const stream of open) {
        if (!live.has(stream.owner.tokenHash)) stream.response.end();
      }
    } catch (error) {
      this.context.logger.warn({ err: describeError(error) }, 'event stream sessions unchecked');
    }
  }

  private async deliver(productIds: readonly number[]): Promise<void> {
    if (productIds.length === 0) return;
    try {
      const pending = await pendingPatterns(this.context.store.db, productIds);
      for (const one of pending) {
        for (const stream of this.streams.get(one.productId) ?? []) this.send(stream, one);
      }
    } catch (error) {
      this.context.logger.warn({ err: describeError(error) }, 'event streams not updated');
    }
  }

  private send(stream: OpenStream, pending: PendingPattern): void {
    const id = `${pending.deploymentId}:${pending.attempts}`;
    if (stream.sent.has(id)) return;
    stream.sent.add(id);
    const task = patternTaskOf(pending, this.deps.statusUrl());
    write(stream, `id: ${id}\nevent: pattern\ndata: ${JSON.stringify(task)}\n\n`);
    this.context.logger.info(
      { ...this.logFields(stream.owner), patternId: task.id, attempt: pending.attempts },
      'pattern announced on the event stream',
    );
  }

  private logFields(owner: StreamOwner) {
    return { customerId: owner.customerId, productId: owner.productId, guid: owner.guid };
  }
}

/** A stream ended by the server or the peer takes no more writes (they would throw). */
function write(stream: OpenStream, text: string): void {
  if (!stream.response.writableEnded && !stream.response.destroyed) stream.response.write(text);
}
