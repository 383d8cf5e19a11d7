import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { listAuditEvents } from '../../src/audit/audit-log.js';
import { openStore, type Store } from '../../src/storage/database.js';
import { ACME, addCustomer, type RunningTmsp, tmspUp } from '../support/cli.js';
import { rsyncOverSsh } from '../support/rsync-client.js';

const GUID = '6F9619FF-8B86-D011-B42D-00CF4FC964FF';
const OTHER_GUID = '0A1B2C3D-4E5F-4061-8293-A4B5C6D7E8F9';
const OTHER = {
  ...ACME,
  name: 'globex',
  registrationUser: 'globex-fleet',
  registrationSecret: 'Globex-Secret-2026',
  portalUser: 'globex-staff',
};

describe('the log server SSH door with the real rsync and ssh clients', () => {
  let dataDir: string;
  let system: RunningTmsp;
  let port: number;
  let source: string;

  const push = (args: string[], secret = ACME.registrationSecret, user = ACME.registrationUser) =>
    rsyncOverSsh(dataDir, port, user, secret, args);
  const area = (guid: string, customerId = 1) =>
    path.join(dataDir, 'areas', String(customerId), guid, 'logs');

  async function withStore<T>(use: (store: Store) => Promise<T>): Promise<T> {
    const store = await openStore({ url: null, sqliteFile: path.join(dataDir, 'tmsp.sqlite') });
    try {
      return await use(store);
    } finally {
      await store.close();
    }
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tmsp-ssh-door-'));
    system = await tmspUp(dataDir);
    port = Number(system.endpoints.log.ssh.split(':')[1]);
    await addCustomer(dataDir);
    await addCustomer(dataDir, {}, OTHER);
    source = path.join(dataDir, 'appliance');
    await mkdir(source);
    await writeFile(
      path.join(source, 'detections.log'),
      'CEF:0|Trend Micro|TDA|2.0|100|Test|5|src=10.0.0.1\n',
    );
  });
  afterAll(async () => {
    await system.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses a wrong registration secret at SSH authentication', async () => {
    const result = await push(['-a', `${source}/`, `127.0.0.1:${GUID}/`], 'wrong-secret');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Permission denied');
  });

  it.each([
    ['default', []],
    ['27', ['--protocol=27']],
    ['29', ['--protocol=29', '-z']],
    ['30', ['--protocol=30']],
    ['31', ['--protocol=31', '-z']],
  ])('stores a push with protocol %s in the appliance area and records it', async (_, args) => {
    const result = await push(['-a', ...args, `${source}/`, `127.0.0.1:${GUID}/`]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await readFile(path.join(area(GUID), 'detections.log'), 'utf8')).toContain('CEF:0');
  });

  const rsync327 = process.env['TMSP_RSYNC_327'];
  it.skipIf(!rsync327)('stores a push from rsync 3.2.7', async () => {
    const args = ['-az', `${source}/`, `127.0.0.1:${GUID}/`];
    const result = await rsyncOverSsh(
      dataDir,
      port,
      ACME.registrationUser,
      ACME.registrationSecret,
      args,
      rsync327,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('registers the appliance on its first push, and records each file', async () => {
    await withStore(async (store) => {
      const product = await store.db
        .selectFrom('registeredProducts')
        .selectAll()
        .where('guid', '=', GUID)
        .executeTakeFirstOrThrow();
      expect(product.type).toBeNull();
      expect(product.lastLogReceivedAt).not.toBeNull();
      const files = await store.db.selectFrom('receivedFiles').selectAll().execute();
      expect(files.length).toBeGreaterThanOrEqual(1);
      expect(files[0]?.name).toBe('detections.log');
    });
  });

  it('refuses a GUID that belongs to another customer account, writing nothing', async () => {
    const first = await push(
      ['-a', `${source}/`, `127.0.0.1:${OTHER_GUID}/`],
      OTHER.registrationSecret,
      OTHER.registrationUser,
    );
    expect(first.code).toBe(0);
    const result = await push(['-a', `${source}/`, `127.0.0.1:${OTHER_GUID}/`]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('registered to another customer account');
    await expect(readdir(area(OTHER_GUID, 1))).rejects.toThrow();
  });

  it.each([
    ['a destination outside any appliance', ['-a', 'SOURCE/', '127.0.0.1:../'], 'GUID'],
    ['a pull', ['-a', `127.0.0.1:${GUID}/`, 'TARGET/'], 'only receives files'],
    ['hidden arguments', ['-a', '-s', 'SOURCE/', `127.0.0.1:${GUID}/`], '-s'],
    ['an unsupported option', ['-a', '-X', 'SOURCE/', `127.0.0.1:${GUID}/`], 'not supported'],
  ])('refuses %s with a message the client prints', async (_, template, message) => {
    const target = path.join(dataDir, 'pulled');
    const args = template.map((arg) => arg.replace('SOURCE', source).replace('TARGET', target));
    const result = await push(args);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(message);
  });

  it('lets the appliance delete what it sent once the log server has stored it', async () => {
    const outbox = path.join(dataDir, 'outbox');
    await mkdir(outbox);
    await writeFile(path.join(outbox, 'rotated.log'), 'rotated line\n');
    const result = await push(['-a', '--remove-source-files', `${outbox}/`, `127.0.0.1:${GUID}/`]);
    expect(result.code).toBe(0);
    expect(await readdir(outbox)).toEqual([]);
    expect(await readFile(path.join(area(GUID), 'rotated.log'), 'utf8')).toBe('rotated line\n');
  });

  it('confirms a file sent again after a lost confirmation, recording it once (C23)', async () => {
    const outbox = path.join(dataDir, 'outbox-c23');
    await mkdir(outbox);
    await writeFile(path.join(outbox, 'again.log'), 'sent twice\n');
    const target = `127.0.0.1:${GUID}/c23/`;
    expect((await push(['-a', '--append-verify', `${outbox}/`, target])).code).toBe(0);

    const again = await push([
      '-a',
      '--append-verify',
      '--remove-source-files',
      `${outbox}/`,
      target,
    ]);
    expect(again.code).toBe(0);
    expect(await readdir(outbox)).toEqual([]);
    await withStore(async (store) => {
      const rows = await store.db
        .selectFrom('receivedFiles')
        .select('id')
        .where('name', '=', 'c23/again.log')
        .execute();
      expect(rows).toHaveLength(1);
    });
  });

  it('records the logon attempts in the audit trail, without the secret', async () => {
    await withStore(async (store) => {
      const logons = (await listAuditEvents(store.db, new Date(0))).filter(
        (event) => event.action === 'appliance.logon',
      );
      expect(logons.map((event) => event.result)).toContain('failure');
      expect(logons.map((event) => event.result)).toContain('success');
      expect(JSON.stringify(logons)).not.toContain(ACME.registrationSecret);
    });
  });
});
