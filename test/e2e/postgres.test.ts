import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { tmsp, tmspUp, type RunningTmsp } from '../support/cli.js';
import { scratchDatabase, type ScratchDatabase } from '../support/databases.js';
import { httpsGet } from '../support/https.js';

describe.skipIf(!process.env['DATABASE_URL'])('tmsp up on PostgreSQL', () => {
  let dataDir: string;
  let database: ScratchDatabase;
  let system: RunningTmsp;
  let env: Record<string, string>;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tmsp-pg-'));
    database = await scratchDatabase('postgres');
    env = { TMSP_DATABASE_URL: database.url as string };
    system = await tmspUp(dataDir, env);
  });
  afterAll(async () => {
    await system.stop();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers health on every HTTPS server', async () => {
    const ca = await readFile(system.endpoints.caCertificate, 'utf8');
    const { admin, portal, cas, status } = system.endpoints;
    for (const health of [admin.health, portal.health, cas.health, status.health]) {
      expect((await httpsGet(health, ca)).status).toBe(200);
    }
  });

  it('keeps customers in the shared database, not in the data directory', async () => {
    const add = await tmsp(
      [
        'customer',
        'add',
        '--data-dir',
        dataDir,
        '--name',
        'globex',
        '--registration-user',
        'globex-fleet',
        '--registration-secret',
        'Fleet-Secret-77',
      ],
      env,
    );
    expect(add.code, add.stderr).toBe(0);

    const stats = await tmsp(
      ['stats', '--data-dir', dataDir, '--customer', 'globex', '--json'],
      env,
    );
    expect(JSON.parse(stats.stdout)).toMatchObject({ customer: 'globex', products: [] });

    const list = await tmsp(['customer', 'list', '--data-dir', dataDir, '--json'], env);
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ name: 'globex', registrationUser: 'globex-fleet' }),
    ]);
  });
});
