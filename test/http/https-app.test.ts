import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { dataPaths } from '../../src/config/paths.js';
import { createHttpsApp, IDLE_CONNECTION_MS, WHOLE_REQUEST_MS } from '../../src/http/https-app.js';
import { ensureKeyMaterial } from '../../src/keys/material.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { silentLogger } from '../../src/shared/log.js';
import { scratchStore } from '../support/databases.js';

describe('the HTTPS application every server starts from', () => {
  // The framework's defaults wait forever: a request trickled a byte at a time held its socket
  // and, for a forensic upload, the upload's lock.
  it('closes silent connections and requests that do not arrive whole in time', async () => {
    const scratch = await scratchStore('sqlite');
    const keysDir = await mkdtemp(path.join(tmpdir(), 'tmsp-https-app-'));
    const paths = dataPaths({ ...DEFAULT_CONFIG, dataDir: keysDir });
    const keys = await ensureKeyMaterial(paths, ['localhost'], new Date(), silentLogger());
    const app = createHttpsApp({
      server: 'test',
      store: scratch.store,
      tls: keys.tls,
      metrics: createMetrics(),
      logger: silentLogger(),
    });
    try {
      await app.ready();
      expect(app.server.timeout).toBe(IDLE_CONNECTION_MS);
      expect(app.server.requestTimeout).toBe(WHOLE_REQUEST_MS);
    } finally {
      await app.close();
      await scratch.close();
      await rm(keysDir, { recursive: true, force: true });
    }
  });
});
