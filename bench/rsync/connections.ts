import { readFile } from 'node:fs/promises';

const SAMPLE_MS = 100;
const ESTABLISHED = '01';

export interface ConnectionWatch {
  /** Stops sampling; resolves with the most connections seen open at once. */
  stop(): Promise<number>;
}

/**
 * Samples how many TCP connections a loopback server holds open, from /proc/net/tcp: the
 * true concurrency of a burst, which the clients' start-up may spread out.
 */
export function watchConnections(port: number): ConnectionWatch {
  let peak = 0;
  const stopping = new AbortController();
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      peak = Math.max(peak, await established(port));
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
    }
  })();
  return {
    stop: async () => {
      stopping.abort();
      await loop;
      return peak;
    },
  };
}

async function established(port: number): Promise<number> {
  const table = await readFile('/proc/net/tcp', 'utf8').catch(() => '');
  const local = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let count = 0;
  for (const line of table.split('\n').slice(1)) {
    const [, localAddress, , state] = line.trim().split(/\s+/);
    if (localAddress?.endsWith(local) === true && state === ESTABLISHED) count++;
  }
  return count;
}
