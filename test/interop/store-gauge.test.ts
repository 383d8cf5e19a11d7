import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type RunningTmsp, tmspUp } from '../support/cli.js';

describe('the store gauge of a running system', () => {
  let dataDir: string;
  let system: RunningTmsp;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tmsp-store-gauge-'));
    system = await tmspUp(dataDir);
  });
  afterAll(async () => {
    await system.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('reports a writable store until a write fails', async () => {
    const response = await fetch(system.endpoints.metrics);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/^tmsp_store_writable 1$/m);
  });
});
