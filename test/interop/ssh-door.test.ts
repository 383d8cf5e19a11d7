import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { listAuditEvents } from '../../src/audit/audit-log.js';
import { openStore } from '../../src/storage/database.js';
import { addCustomer, type RunningTmsp, tmspUp } from '../support/cli.js';
import { rsyncOverSsh } from '../support/rsync-client.js';

const GUID = '6F9619FF-8B86-D011-B42D-00CF4FC964FF';

describe('the log server SSH door with the real rsync and ssh clients', () => {
  let dataDir: string;
  let system: RunningTmsp;
  let port: number;
  let file: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tmsp-ssh-door-'));
    system = await tmspUp(dataDir);
    port = Number(system.endpoints.log.ssh.split(':')[1]);
    await addCustomer(dataDir);
    file = path.join(dataDir, 'detections.log');
    await writeFile(file, 'CEF:0|Trend Micro|TDA|2.0|100|Test|5|src=10.0.0.1\n');
  });
  afterAll(async () => {
    await system.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses a wrong registration secret at SSH authentication', async () => {
    const result = await rsyncOverSsh(dataDir, port, 'acme-fleet', 'wrong-secret', [
      '-a',
      file,
      `127.0.0.1:${GUID}/`,
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Permission denied');
  });

  it('checks the secret at CAS and tells the client, in words, that nothing was taken', async () => {
    const result = await rsyncOverSsh(dataDir, port, 'acme-fleet', 'Fleet-Secret-2026', [
      '-a',
      file,
      `127.0.0.1:${GUID}/`,
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('tmsp: this log server cannot receive files yet');
  });

  it('records both logon attempts in the audit trail, without the secret', async () => {
    const store = await openStore({ url: null, sqliteFile: path.join(dataDir, 'tmsp.sqlite') });
    try {
      const logons = (await listAuditEvents(store.db, new Date(0))).filter(
        (event) => event.action === 'appliance.logon',
      );
      expect(logons.map((event) => event.result).sort()).toEqual(['failure', 'success']);
      expect(JSON.stringify(logons)).not.toContain('Fleet-Secret-2026');
    } finally {
      await store.close();
    }
  });
});
