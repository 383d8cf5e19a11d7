import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { pathExists } from '../../src/shared/files.js';
import { addCustomer, freePort, type RunningTmsp, tmsp, tmspUp } from '../support/cli.js';
import { httpsGet } from '../support/https.js';

const ENDPOINT_SHAPE = {
  admin: ['casService', 'health', 'url'],
  portal: ['casService', 'health', 'url'],
  cas: ['health', 'url'],
  log: ['ssh', 'tls'],
  status: ['casService', 'health', 'ssh', 'url'],
};

describe('tmsp up on the embedded database', () => {
  let dataDir: string;
  let system: RunningTmsp;
  let ca: string;
  // endpoints.json has a fixed shape without the redirect port, so the test chooses it.
  let redirectPort: number;
  const start = (): Promise<RunningTmsp> =>
    tmspUp(dataDir, { TMSP_SERVERS_ADMIN_HTTP_PORT: String(redirectPort) });
  const endpointsFile = (): string => path.join(dataDir, 'endpoints.json');

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tmsp-up-'));
    redirectPort = await freePort();
    system = await start();
    ca = await readFile(system.endpoints.caCertificate, 'utf8');
  });

  afterAll(async () => {
    if (system.child.exitCode === null) await system.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('writes endpoints.json in the documented shape', () => {
    const { endpoints } = system;
    expect(Object.keys(endpoints).sort()).toEqual(
      ['admin', 'caCertificate', 'cas', 'log', 'metrics', 'portal', 'status'].sort(),
    );
    for (const [server, keys] of Object.entries(ENDPOINT_SHAPE)) {
      expect(Object.keys(endpoints[server as keyof typeof ENDPOINT_SHAPE]).sort()).toEqual(keys);
    }
    expect(endpoints.admin.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/admin$/);
    expect(endpoints.admin.casService).toBe(`${endpoints.admin.url}/cas/callback`);
    expect(endpoints.portal.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/tms2$/);
    expect(endpoints.cas.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/cas$/);
    expect(endpoints.status.casService).toBe(`${endpoints.status.url}/v1/cas`);
    expect(endpoints.log.ssh).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(endpoints.metrics).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(path.isAbsolute(endpoints.caCertificate)).toBe(true);
  });

  it('prints the URLs and the first-logon credentials', () => {
    expect(system.stdout()).toContain(system.endpoints.admin.url);
    expect(system.stdout()).toContain('admin / 123456');
  });

  it('answers every health endpoint over TLS trusted through the generated CA', async () => {
    const { admin, portal, cas, status } = system.endpoints;
    for (const health of [admin.health, portal.health, cas.health, status.health]) {
      const answer = await httpsGet(health, ca);
      expect(answer.status, health).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ status: 'ok' });
      expect(answer.headers['strict-transport-security']).toBeDefined();
    }
  });

  it('serves the same certificate under the name localhost', async () => {
    const answer = await httpsGet(
      system.endpoints.cas.health.replace('127.0.0.1', 'localhost'),
      ca,
    );
    expect(answer.status).toBe(200);
  });

  it('greets on the log TLS door as an rsync daemon, certified for localhost', async () => {
    const [, port] = system.endpoints.log.tls.split(':');
    const output = await opensslClient(`localhost:${port}`, system.endpoints.caCertificate);
    // -verify_return_error aborts the handshake on a bad certificate: a greeting proves it passed.
    expect(output).toMatch(/@RSYNCD: \d+\.\d+/);
  });

  it('sends plain-HTTP console visitors to the configured HTTPS origin, any Host', async () => {
    const adminPort = new URL(system.endpoints.admin.url).port;
    const location = await plainGet(`http://127.0.0.1:${redirectPort}/admin`, 'evil.example');
    expect(location).toBe(`https://127.0.0.1:${adminPort}/admin`);
  });

  it('serves Prometheus metrics on its own listener', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get(system.endpoints.metrics, (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    expect(body).toContain('tmsp_http_requests_total');
  });

  it('takes a customer added by the CLI while running, and keeps it across a restart', async () => {
    await addCustomer(dataDir);

    const before = await statsOf(dataDir);
    expect(before).toEqual({
      customer: 'acme',
      products: [],
      counts: {
        linesReceived: 0,
        detections: 0,
        otherEvents: 0,
        quarantined: 0,
        purged: 0,
        incidents: 0,
        cases: 0,
        parseWarnings: 0,
        ocsEvents: 0,
      },
    });

    const stopped = await system.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(5_000);
    expect(await pathExists(endpointsFile())).toBe(false);

    system = await start();
    expect(await statsOf(dataDir)).toEqual(before);
  });

  it('restores a backup into an empty directory with the same stats', async () => {
    const archive = path.join(dataDir, '..', `${path.basename(dataDir)}.tar.gz`);
    const target = await mkdtemp(path.join(tmpdir(), 'tmsp-restored-'));
    try {
      expect((await tmsp(['backup', '--data-dir', dataDir, '--out', archive])).code).toBe(0);
      const restored = await tmsp(['restore', '--data-dir', target, '--from', archive]);
      expect(restored.stderr).toBe('');
      expect(restored.code).toBe(0);
      expect(await statsOf(target)).toEqual(await statsOf(dataDir));
      expect(await readFile(path.join(target, 'keys', 'secrets.key'), 'utf8')).toBe(
        await readFile(path.join(dataDir, 'keys', 'secrets.key'), 'utf8'),
      );
    } finally {
      await rm(target, { recursive: true, force: true });
      await rm(archive, { force: true });
    }
  });

  it('removes endpoints.json at Ctrl-C, but not one another process wrote since', async () => {
    const interrupted = await system.stop('SIGINT');
    expect(interrupted.code).toBe(0);
    expect(await pathExists(endpointsFile())).toBe(false);

    system = await start();
    const another = `${JSON.stringify({ writtenBy: 'another tmsp up' })}\n`;
    await writeFile(endpointsFile(), another);
    expect((await system.stop()).code).toBe(0);
    expect(await readFile(endpointsFile(), 'utf8')).toBe(another);
  });
});

async function statsOf(dataDir: string): Promise<unknown> {
  const result = await tmsp(['stats', '--data-dir', dataDir, '--customer', 'acme', '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

function opensslClient(address: string, caFile: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const [host] = address.split(':');
    const child = spawn('openssl', [
      's_client',
      '-connect',
      address,
      '-CAfile',
      caFile,
      '-verify_hostname',
      host ?? '',
      '-quiet',
      '-verify_return_error',
    ]);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(output));
    child.stdin.end();
  });
}

function plainGet(url: string, host: string): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { host } }, (response) => {
        response.resume();
        resolve(response.headers.location);
      })
      .on('error', reject);
  });
}
