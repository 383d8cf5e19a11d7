import https from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { loadConfig } from '../src/config/load.js';
import { createMetrics } from '../src/metrics/registry.js';
import { silentLogger } from '../src/shared/log.js';
import { createStatusServer } from '../src/status/server.js';
import { loadKeyMaterial, openRuntime } from '../src/system/runtime.js';
import type { BenchResult } from './main.js';
import { requestsPerSecond } from './load.js';

const REQUESTS = 6_000;
const CONCURRENCY = 32;

/**
 * The status server's health route (framework, security headers, metrics, one database ping)
 * against a bare Node HTTPS server answering a constant: the runtime's own limit.
 */
export async function httpsHealth(): Promise<BenchResult> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tmsp-bench-'));
  const runtime = await openRuntime(loadConfig({ dataDir, env: {} }), silentLogger());
  const keys = await loadKeyMaterial(runtime);
  const app = createStatusServer({
    store: runtime.store,
    tls: keys.tls,
    metrics: createMetrics(),
    logger: silentLogger(),
  });
  const bare = https.createServer(
    { key: keys.tls.privateKey, cert: keys.tls.certificate },
    (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    },
  );

  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    const appUrl = `https://localhost:${String((app.server.address() as { port: number }).port)}/healthz`;
    const bareUrl = `https://localhost:${String((bare.address() as { port: number }).port)}/`;

    await requestsPerSecond(bareUrl, keys.tls.ca, 500, CONCURRENCY);
    await requestsPerSecond(appUrl, keys.tls.ca, 500, CONCURRENCY);
    const reference = await requestsPerSecond(bareUrl, keys.tls.ca, REQUESTS, CONCURRENCY);
    const subject = await requestsPerSecond(appUrl, keys.tls.ca, REQUESTS, CONCURRENCY);
    return {
      name: 'HTTPS health route vs bare Node HTTPS constant (keep-alive)',
      subject: `${subject.toFixed(0)} req/s`,
      reference: `${reference.toFixed(0)} req/s`,
      ratio: subject / reference,
    };
  } finally {
    await app.close();
    bare.close();
    await runtime.store.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
