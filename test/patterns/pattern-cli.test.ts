import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openStore } from '../../src/storage/database.js';
import { addCustomer, tmsp } from '../support/cli.js';
import { ENGINES, scratchDatabase, type ScratchDatabase } from '../support/databases.js';

const GUID = 'C1100000-0000-4000-8000-000000000001';

describe.each(ENGINES)('tmsp pattern on %s', (engine) => {
  let dataDir: string;
  let database: ScratchDatabase;
  let env: Record<string, string>;
  const run = (args: string[]) => tmsp([...args, '--data-dir', dataDir], env);

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tmsp-pattern-cli-'));
    database = await scratchDatabase(engine);
    env = database.url === null ? {} : { TMSP_DATABASE_URL: database.url };
    expect((await run(['migrate'])).code).toBe(0);
    await addCustomer(dataDir, env);
    const store = await openStore({
      url: database.url,
      sqliteFile: path.join(dataDir, 'tmsp.sqlite'),
    });
    const customer = await store.db
      .selectFrom('customerAccounts')
      .select('id')
      .executeTakeFirstOrThrow();
    await store.db
      .insertInto('registeredProducts')
      .values({
        ...{ customerId: customer.id, guid: GUID, type: 'TM', hostName: 'tm01', ipAddress: null },
        ...{ version: null, firstRegisteredAt: 0, lastHeartbeatAt: null },
        ...{ lastLogReceivedAt: null, offlineAnnouncedAt: null, timeZone: null },
      })
      .execute();
    await store.close();
  });
  afterAll(async () => {
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('uploads a pattern (printing its id), deploys it and shows its status', async () => {
    const file = path.join(dataDir, 'bandage.ptn');
    await writeFile(file, randomBytes(1000));
    const upload = await run(
      ['pattern', 'upload', '--customer', 'acme', '--type', 'bandage'].concat([
        '--version',
        '12.1',
        '--file',
        file,
        '--description',
        'hot fix',
      ]),
    );
    expect(upload).toMatchObject({ code: 0, stdout: '1\n' });

    const deploy = await run(['pattern', 'deploy', '--pattern', '1']);
    expect(deploy.code).toBe(0);
    expect(deploy.stdout).toContain('1 new deployment(s)');
    expect(
      (await run(['pattern', 'deploy', '--pattern', '1', '--product', GUID])).stdout,
    ).toContain('0 new deployment(s)');

    const status = await run(['pattern', 'status', '--pattern', '1', '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject([
      { guid: GUID, status: 'notified', attempts: 1 },
    ]);
    expect((await run(['pattern', 'status', '--pattern', '2', '--json'])).code).toBe(1);
  });
});
