import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ANY_PORTS, cleanEnv, freePort, TMSP_BIN } from '../support/cli.js';
import { httpsGet } from '../support/https.js';

describe('tmsp serve runs one server alone', () => {
  let dataDir: string;
  let casPort: number;
  let child: ReturnType<typeof spawn>;
  let stdout = '';

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tmsp-serve-'));
    casPort = await freePort();
    child = spawn(process.execPath, [TMSP_BIN, 'serve', 'cas', '--data-dir', dataDir], {
      env: cleanEnv({ ...ANY_PORTS, TMSP_SERVERS_CAS_PORT: String(casPort) }),
    });
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    for (let waited = 0; !stdout.includes('CAS') && waited < 30_000; waited += 50) await sleep(50);
  });
  afterAll(async () => {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers its own health check and names only itself', async () => {
    const ca = await readFile(path.join(dataDir, 'keys', 'ca.pem'), 'utf8');
    const answer = await httpsGet(`https://127.0.0.1:${casPort}/healthz`, ca);
    expect(JSON.parse(answer.body)).toEqual({ status: 'ok', server: 'cas' });
    expect(stdout).toContain(`https://127.0.0.1:${casPort}/cas`);
    expect(stdout).not.toContain('console');
  });

  it('leaves endpoints.json to a whole system', async () => {
    await expect(stat(path.join(dataDir, 'endpoints.json'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});
