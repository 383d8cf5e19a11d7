import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ACME, addCustomer, type RunningTmsp, tmspUp } from '../support/cli.js';
import { rsyncOverSsh } from '../support/rsync-client.js';
import { rsyncOverTls } from '../support/rsync-ssl-client.js';

const GUID = '6F9619FF-8B86-D011-B42D-00CF4FC964FF';
const GIB = 1024 ** 3;

async function writeLargeFile(file: string, size: number): Promise<void> {
  const handle = await open(file, 'w');
  try {
    // Fresh random data per MiB: no block repeats, so every byte travels as literal data.
    for (let written = 0; written < size; written += 1024 * 1024) {
      await handle.write(randomBytes(Math.min(1024 * 1024, size - written)));
    }
  } finally {
    await handle.close();
  }
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe('a 1 GiB push through each door of the log server', () => {
  let dataDir: string;
  let system: RunningTmsp;
  let source: string;
  let expected: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tmsp-large-push-'));
    system = await tmspUp(dataDir);
    await addCustomer(dataDir);
    source = path.join(dataDir, 'appliance');
    await mkdir(source);
    await writeLargeFile(path.join(source, 'large.log'), GIB);
    expected = await sha256(path.join(source, 'large.log'));
  }, 120_000);
  afterAll(async () => {
    await system.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const stored = () => path.join(dataDir, 'areas', '1', GUID, 'logs', 'large.log');

  it('arrives whole over SSH', async () => {
    const port = Number(system.endpoints.log.ssh.split(':')[1]);
    const result = await rsyncOverSsh(
      dataDir,
      port,
      ACME.registrationUser,
      ACME.registrationSecret,
      ['-a', `${source}/`, `127.0.0.1:${GUID}/`],
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect((await stat(stored())).size).toBe(GIB);
    expect(await sha256(stored())).toBe(expected);
    await rm(stored());
  }, 300_000);

  it('arrives whole over TLS', async () => {
    const port = system.endpoints.log.tls.split(':')[1];
    const base = `rsync://${ACME.registrationUser}@localhost:${port}`;
    const result = await rsyncOverTls(system.endpoints.caCertificate, ACME.registrationSecret, [
      '-a',
      `${source}/`,
      `${base}/logs/${GUID}/`,
    ]);
    expect(result.stderr).not.toMatch(/error|tmsp:/i);
    expect(result.code).toBe(0);
    expect(await sha256(stored())).toBe(expected);
  }, 300_000);
});
