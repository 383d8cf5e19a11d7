import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ACME, addCustomer, type RunningTmsp, tmspUp } from '../support/cli.js';
import { rsyncOverSsh } from '../support/rsync-client.js';

const GUID = '6F9619FF-8B86-D011-B42D-00CF4FC964FF';

/** Opens plain TCP connections that never authenticate, as a scanner or a stuck peer would. */
async function holdConnections(port: number, count: number): Promise<net.Socket[]> {
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Socket>((resolve, reject) => {
          const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
          socket.on('error', reject);
        }),
    ),
  );
}

describe('the log server doors under too many connections from one address', () => {
  let dataDir: string;
  let system: RunningTmsp;
  let source: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tmsp-door-limits-'));
    system = await tmspUp(dataDir, { TMSP_PUSHES_CONNECTIONS_PER_SOURCE: '2' });
    await addCustomer(dataDir);
    source = path.join(dataDir, 'appliance');
    await mkdir(source);
    await writeFile(path.join(source, 'one.log'), 'one line\n');
  });
  afterAll(async () => {
    await system.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const sshPort = () => Number(system.endpoints.log.ssh.split(':')[1]);
  const push = () =>
    rsyncOverSsh(dataDir, sshPort(), ACME.registrationUser, ACME.registrationSecret, [
      '-a',
      `${source}/`,
      `127.0.0.1:${GUID}/`,
    ]);

  it('refuses a push while the address holds its allowance, and takes it once freed', async () => {
    const held = await holdConnections(sshPort(), 2);
    const refused = await push();
    expect(refused.code).not.toBe(0);

    for (const socket of held) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const accepted = await push();
    expect(accepted.stderr).toBe('');
    expect(accepted.code).toBe(0);
  });

  it('counts connections to the TLS door before the TLS handshake', async () => {
    const tlsPort = Number(system.endpoints.log.tls.split(':')[1]);
    const held = await holdConnections(tlsPort, 2);
    const third = await holdConnections(tlsPort, 1);
    const closed = await new Promise<boolean>((resolve) => {
      third[0]?.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 2000);
    });
    expect(closed).toBe(true);
    for (const socket of held) socket.destroy();
  });
});
