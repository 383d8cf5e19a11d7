import https from 'node:https';

/** One heartbeat to send: whose session, and the body. */
export interface HeartbeatCall {
  token: string;
  body: string;
}

export interface LoadTarget {
  /** The heartbeat URL. */
  url: string;
  ca: string;
}

export interface LoadOutcome {
  seconds: number;
  errors: number;
  firstError: string | null;
  /** Milliseconds from sending to the whole answer, sorted. */
  latencies: number[];
  /** The most requests in flight at once (new connections, in a fleet run). */
  mostInFlight: number;
}

/**
 * Sends `total` heartbeats over keep-alive HTTPS with `concurrency` in flight: the throughput
 * a server reaches when appliances keep their connection.
 */
export async function keepAliveRun(
  target: LoadTarget,
  total: number,
  concurrency: number,
  callOf: (index: number) => HeartbeatCall,
): Promise<LoadOutcome> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: concurrency, ca: target.ca });
  const recorder = new Recorder();
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < total) {
      const index = issued;
      issued += 1;
      await recorder.record(post(target, agent, callOf(index)));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return recorder.outcome();
}

/**
 * `appliances` heartbeats spread evenly over `spreadMs`, each on a connection of its own, as
 * a fleet heartbeating once a minute arrives: handshake, one request, close.
 */
export async function fleetRun(
  target: LoadTarget,
  appliances: number,
  spreadMs: number,
  callOf: (index: number) => HeartbeatCall,
): Promise<LoadOutcome> {
  const recorder = new Recorder();
  const sent: Array<Promise<void>> = [];
  const started = performance.now();
  for (let index = 0; index < appliances; index += 1) {
    const due = started + (index * spreadMs) / appliances;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    sent.push(recorder.record(post(target, false, callOf(index))));
  }
  await Promise.all(sent);
  return recorder.outcome();
}

class Recorder {
  private readonly started = performance.now();
  private readonly latencies: number[] = [];
  private inFlight = 0;
  private mostInFlight = 0;
  private errors = 0;
  private firstError: string | null = null;

  async record(request: Promise<number>): Promise<void> {
    const sentAt = performance.now();
    this.inFlight += 1;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    try {
      const status = await request;
      if (status !== 200) this.fail(`answered ${status}`);
    } catch (error) {
      this.fail(error instanceof Error ? error.message : String(error));
    } finally {
      this.inFlight -= 1;
      this.latencies.push(performance.now() - sentAt);
    }
  }

  outcome(): LoadOutcome {
    return {
      seconds: (performance.now() - this.started) / 1000,
      errors: this.errors,
      firstError: this.firstError,
      latencies: this.latencies.sort((a, b) => a - b),
      mostInFlight: this.mostInFlight,
    };
  }

  private fail(reason: string): void {
    this.errors += 1;
    this.firstError ??= reason;
  }
}

function post(
  target: LoadTarget,
  agent: https.Agent | false,
  call: HeartbeatCall,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      target.url,
      {
        method: 'POST',
        agent,
        ca: target.ca,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(call.body),
          authorization: `Bearer ${call.token}`,
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(call.body);
  });
}

/** The value below which `share` of the sorted values lie. */
export function percentile(sorted: readonly number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] ?? 0;
}
