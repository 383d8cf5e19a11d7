import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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

  const stored = (name: string) =>
    readFile(path.join(dataDir, 'areas', '1', GUID, 'logs', name), 'utf8');

  it('verifies the challenge response at CAS and stores the push', async () => {
    const result = await push('Fleet-Secret-2026', `logs/${GUID}/`);
    expect(result.stderr).not.toMatch(/error|tmsp:/i);
    expect(result.code).toBe(0);
    expect(await stored('detections.log')).toContain('CEF:0');
  });

  it('refuses a destination that names no appliance, in words the client prints', async () => {
    const result = await push('Fleet-Secret-2026', 'logs/not-a-guid/');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('tmsp: push into <appliance GUID>/');
  });

  it('refuses an option it does not implement before taking anything', async () => {
    const result = await push('Fleet-Secret-2026', `logs/${GUID}/`, ['-X']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('not supported');
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

  it.each([
    ['31', ['-z']],
    ['30', []],
    ['29', ['-z']],
    ['27', []],
  ])('stores a push from a client forced to protocol %s', async (version, extra) => {
    // A new length: a same-sized file with the same mtime second is up to date, as in rsync.
    const content = `pushed with protocol ${version}${'.'.repeat(Number(version))}\n`;
    await writeFile(file, content);
    const result = await push('Fleet-Secret-2026', `logs/${GUID}/`, [
      `--protocol=${version}`,
      ...extra,
    ]);
    expect(result.stderr).not.toMatch(/error|tmsp:/i);
    expect(result.code).toBe(0);
    expect(await stored('detections.log')).toBe(content);
  });

  const rsync327 = process.env['TMSP_RSYNC_327'];
  it.skipIf(!rsync327)('stores a push from the rsync-ssl of rsync 3.2.7', async () => {
    const content = 'pushed by rsync 3.2.7, which dials a name the certificate carries\n';
    await writeFile(file, content);
    const result = await rsyncOverTls(
      system.endpoints.caCertificate,
      'Fleet-Secret-2026',
      ['-a', file, `${base}/logs/${GUID}/`],
      path.dirname(rsync327 ?? ''),
    );
    expect(result.stderr).not.toMatch(/error|tmsp:/i);
    expect(result.code).toBe(0);
    expect(await stored('detections.log')).toBe(content);
  });
});
