import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

import { loadConfig } from '../../src/config/load.js';
import { dataPaths, type DataPaths } from '../../src/config/paths.js';
import type { Config } from '../../src/config/schema.js';
import { certificateNames } from '../../src/system/endpoints.js';

const run = promisify(execFile);

/** The configuration, paths and certificate names of a data directory (no real environment). */
export function keySetup(
  dataDir: string,
  env: Record<string, string> = {},
): { config: Config; paths: DataPaths; names: string[] } {
  const config = loadConfig({ dataDir, env, cwd: dataDir });
  return { config, paths: dataPaths(config), names: certificateNames(config) };
}

/** Every key file ensureKeyMaterial keeps, by a short label. */
export function keyFileList(paths: DataPaths): Record<string, string> {
  return {
    ca: paths.caCertificate,
    caKey: paths.caKey,
    server: paths.serverCertificate,
    serverKey: paths.serverKey,
    sshHostKey: paths.sshHostKey,
    secretsKey: paths.secretsKey,
    serviceKey: paths.serviceKey,
  };
}

export async function readAll(files: Record<string, string>): Promise<Record<string, string>> {
  const contents: Record<string, string> = {};
  for (const [label, file] of Object.entries(files)) contents[label] = await readFile(file, 'utf8');
  return contents;
}

/** `openssl verify` of the server certificate against the CA, as a TLS client would. */
export async function opensslVerify(paths: DataPaths): Promise<string> {
  const { stdout } = await run('openssl', [
    'verify',
    '-purpose',
    'sslserver',
    '-CAfile',
    paths.caCertificate,
    paths.serverCertificate,
  ]);
  return stdout.trim();
}

/** The subjectAltName entries openssl reads from the server certificate. */
export async function opensslSubjectAltNames(paths: DataPaths): Promise<string[]> {
  const { stdout } = await run('openssl', [
    'x509',
    '-noout',
    '-ext',
    'subjectAltName',
    '-in',
    paths.serverCertificate,
  ]);
  const lines = stdout.trim().split('\n');
  return (lines[1] ?? '').split(',').map((entry) => entry.trim());
}

/** Whether the files on disk form one working TLS setup: keys match, the CA signed the cert. */
export async function tlsFilesConsistent(paths: DataPaths): Promise<Record<string, boolean>> {
  const ca = new X509Certificate(await readFile(paths.caCertificate));
  const server = new X509Certificate(await readFile(paths.serverCertificate));
  return {
    caKeyMatchesCa: ca.checkPrivateKey(createPrivateKey(await readFile(paths.caKey))),
    serverKeyMatchesCertificate: server.checkPrivateKey(
      createPrivateKey(await readFile(paths.serverKey)),
    ),
    caSignedServer: server.verify(ca.publicKey),
  };
}
