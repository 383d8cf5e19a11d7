import { spawn } from 'node:child_process';

import type { RsyncResult } from './rsync-client.js';

/**
 * Runs Debian's rsync-ssl as an appliance with the "SSL" choice does: openssl s_client
 * verifying the server certificate against the given CA, the secret in RSYNC_PASSWORD.
 */
export function rsyncOverTls(
  caFile: string,
  secret: string,
  args: string[],
  binDir?: string,
): Promise<RsyncResult> {
  const path = process.env['PATH'] ?? '/usr/bin:/bin';
  return new Promise((resolve, reject) => {
    // Another rsync's directory first: its rsync-ssl script then runs its own rsync.
    const child = spawn(binDir === undefined ? 'rsync-ssl' : `${binDir}/rsync-ssl`, args, {
      env: {
        PATH: binDir === undefined ? path : `${binDir}:${path}`,
        RSYNC_PASSWORD: secret,
        RSYNC_SSL_CA_CERT: caFile,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr: output }));
  });
}
