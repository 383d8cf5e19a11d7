import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { addCustomer, type RunningTmsp, tmspUp } from '../support/cli.js';
import { rsyncOverTls } from '../support/rsync-ssl-client.js';

const GUID = '6F9619FF-8B86-D011-B42D-00CF4FC964FF';

describe('the log server TLS door with the real rsync-ssl client', () => {
  let dataDir: string;
  let system: RunningTmsp;
  let file: string;
  // rsync-ssl checks the host name, so appliances dial a name the certificate carries.
  let base: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tmsp-tls-door-'));
    system = await tmspUp(dataDir);
    base = `rsync://acme-fleet@localhost:${system.endpoints.log.tls.split(':')[1]}`;
    await addCustomer(dataDir);
    file = path.join(dataDir, 'detections.log');
    await writeFile(file, 'CEF:0|Trend Micro|TDA|2.0|100|Test|5|src=10.0.0.1\n');
  });
  afterAll(async () => {
    await system.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const push = (secret: string, target: string, extra: string[] = []) =>
    rsyncOverTls(system.endpoints.caCertificate, secret, [
      '-a',
      ...extra,
      file,
      `${base}/${target}`,
    ]);

  it('verifies the challenge response at CAS and says, in words, that nothing was taken', async () => {
    const result = await push('Fleet-Secret-2026', `logs/${GUID}/`);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('@ERROR: this log server cannot receive files yet');
  });

  it('refuses a wrong secret', async () => {
    const result = await push('wrong-secret', `logs/${GUID}/`);
    expect(result.stderr).toContain('@ERROR: auth failed on module logs');
  });

  it('knows only the logs module, and lists it', async () => {
    const unknown = await push('Fleet-Secret-2026', 'other/');
    expect(unknown.stderr).toContain("@ERROR: Unknown module 'other'");
    const list = await rsyncOverTls(system.endpoints.caCertificate, '', [`${base}/`]);
    expect(list.stderr).toMatch(/^logs\s+appliance log files$/m);
  });

  it.each(['31', '30', '29', '27'])(
    'authenticates a client forced to protocol %s',
    async (version) => {
      const result = await push('Fleet-Secret-2026', `logs/${GUID}/`, [`--protocol=${version}`]);
      expect(result.stderr).toContain('cannot receive files yet');
    },
  );
});
