import https from 'node:https';
import { readFile } from 'node:fs/promises';

import { addCustomer } from '../../src/accounts/customers.js';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/shared/log.js';
import { loadKeyMaterial, loadSecretBox, openRuntime } from '../../src/system/runtime.js';
import { startSystem } from '../../src/system/start.js';
import { BENCH_CUSTOMER, type ServerMessage, type ServerReady } from './protocol.js';

/**
 * One server of the heartbeat benchmark in a process of its own, so that its peak RSS is its
 * own: `tmsp` (CAS and the status server over SQLite, as `tmsp serve` runs them) or `bare`
 * (Node's HTTPS server answering a constant, with a certificate of the same kind). Arguments:
 * the mode, the data directory (the benchmark's, removed by it), and `set-up` for a first start.
 */
const PORTS_ANYWHERE = {
  TMSP_SERVERS_CAS_PORT: '0',
  TMSP_SERVERS_STATUS_PORT: '0',
  TMSP_SERVERS_STATUS_SSH_PORT: '0',
  TMSP_SERVERS_METRICS_PORT: '0',
};
const CONSTANT = JSON.stringify({
  serverTime: new Date(0).toISOString(),
  heartbeatIntervalSeconds: 100,
  clockSkewSeconds: 0,
  pendingTasks: [],
});

let peakRss = process.memoryUsage.rss();
setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 20).unref();

async function main(mode: string, dataDir: string, setUp: boolean): Promise<void> {
  const config = loadConfig({ dataDir, env: PORTS_ANYWHERE });
  const runtime = await openRuntime(config, silentLogger());
  const { ready, stop } =
    mode === 'tmsp' ? await startTmsp(runtime, setUp) : await startBare(runtime);
  process.on('message', (message: ServerMessage) => {
    if (message.type === 'rss')
      send({ type: 'rss', peak: peakRss, now: process.memoryUsage.rss() });
    if (message.type === 'reset') peakRss = process.memoryUsage.rss();
    if (message.type === 'stop') void stop().then(() => process.exit(0));
  });
  send(ready);
}

type Started = { ready: ServerReady; stop: () => Promise<void> };

/** A restart over the same data directory finds the customer, products and sessions. */
async function startTmsp(
  runtime: Awaited<ReturnType<typeof openRuntime>>,
  setUp: boolean,
): Promise<Started> {
  const system = await startSystem(runtime, ['cas', 'status']);
  if (setUp) {
    const secrets = await loadSecretBox(runtime);
    const context = { store: runtime.store, clock: runtime.clock, secrets };
    await addCustomer(context, BENCH_CUSTOMER, { name: 'bench', source: 'bench' });
  }
  const { endpoints } = system;
  const ready: ServerReady = {
    type: 'ready',
    url: endpoints.status.url,
    casUrl: endpoints.cas.url,
    casService: endpoints.status.casService,
    ca: await readFile(endpoints.caCertificate, 'utf8'),
  };
  return { ready, stop: () => system.stop() };
}

async function startBare(runtime: Awaited<ReturnType<typeof openRuntime>>): Promise<Started> {
  const keys = await loadKeyMaterial(runtime);
  const server = https.createServer(
    { key: keys.tls.privateKey, cert: keys.tls.certificate },
    (request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/json' }).end(CONSTANT);
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const ready: ServerReady = {
    type: 'ready',
    url: `https://localhost:${port}`,
    casUrl: '',
    casService: '',
    ca: keys.tls.ca,
  };
  const stop = async (): Promise<void> => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await runtime.store.close();
  };
  return { ready, stop };
}

function send(message: unknown): void {
  process.send?.(message);
}

const [mode = 'bare', dataDir = '', setUp] = process.argv.slice(2);
await main(mode, dataDir, setUp === 'set-up');
