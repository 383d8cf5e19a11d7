import { spawn } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface RsyncResult {
  code: number | null;
  stderr: string;
}

/**
 * Runs the real rsync client over the real ssh client, as an appliance does. The password goes
 * in through SSH_ASKPASS, the way a script feeds ssh without a terminal.
 */
export async function rsyncOverSsh(
  workDir: string,
  port: number,
  userName: string,
  secret: string,
  args: string[],
  rsync = 'rsync',
): Promise<RsyncResult> {
  const askpass = path.join(workDir, 'askpass.sh');
  await writeFile(askpass, '#!/bin/sh\nprintf "%s\\n" "$TMSP_TEST_SECRET"\n');
  await chmod(askpass, 0o700);
  const ssh = [
    'ssh',
    `-p ${port}`,
    `-l ${userName}`,
    '-o StrictHostKeyChecking=no',
    '-o UserKnownHostsFile=/dev/null',
    '-o PreferredAuthentications=password',
    '-o PubkeyAuthentication=no',
    '-o NumberOfPasswordPrompts=1',
    '-o LogLevel=ERROR',
  ].join(' ');

  return new Promise((resolve, reject) => {
    const child = spawn(rsync, ['-e', ssh, ...args], {
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        SSH_ASKPASS: askpass,
        SSH_ASKPASS_REQUIRE: 'force',
        TMSP_TEST_SECRET: secret,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}
