import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  createCertificateAuthority,
  createServerCertificate,
} from '../../src/keys/certificates.js';
import { ensureKeyMaterial } from '../../src/keys/material.js';
import { AppError } from '../../src/shared/errors.js';
import { createLogger, silentLogger, type Logger } from '../../src/shared/log.js';
import { keyFileList, keySetup, readAll, tlsFilesConsistent } from './key-helpers.js';

const NOW = new Date('2025-03-01T12:00:00Z');
let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'tmsp-keys-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** A JSON logger whose lines the test can read back. */
function capturingLogger(): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  const logger = createLogger({ level: 'info', format: 'json', destination: stream });
  const lines = (): Array<Record<string, unknown>> =>
    chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines };
}

describe('ensureKeyMaterial run by several processes at once', () => {
  it('ends two concurrent first starts with one secrets key that both can use', async () => {
    const { paths, names } = keySetup(dataDir);
    const [a, b] = await Promise.all([
      ensureKeyMaterial(paths, names, NOW, silentLogger()),
      ensureKeyMaterial(paths, names, NOW, silentLogger()),
    ]);
    expect(b.secrets.open(a.secrets.seal('from-a'))).toBe('from-a');
    expect(a.secrets.open(b.secrets.seal('from-b'))).toBe('from-b');
    expect(a.serviceKey).toEqual(b.serviceKey);
    expect(a.sshHostKey).toBe(b.sshHostKey);

    const files = await readAll(keyFileList(paths));
    expect(a.serviceKey).toEqual(Buffer.from(files['serviceKey']!.trim(), 'base64'));
    const again = await ensureKeyMaterial(paths, names, NOW, silentLogger());
    expect(again.secrets.open(a.secrets.seal('after'))).toBe('after');
  });

  it('leaves no temporary files behind after concurrent first starts', async () => {
    const { paths, names } = keySetup(dataDir);
    await Promise.all([1, 2, 3].map(() => ensureKeyMaterial(paths, names, NOW, silentLogger())));
    const left = (await readdir(paths.keysDir)).filter((name) => name.startsWith('.'));
    expect(left).toEqual([]);
  });

  // Racing first starts must not mix one racer's CA or server key with another's certificate.
  it('ends concurrent first starts with a CA and server certificate that belong together', async () => {
    for (let round = 0; round < 10; round += 1) {
      const { paths, names } = keySetup(path.join(dataDir, `round-${round}`));
      await Promise.all([
        ensureKeyMaterial(paths, names, NOW, silentLogger()),
        ensureKeyMaterial(paths, names, NOW, silentLogger()),
      ]);
      expect({ round, ...(await tlsFilesConsistent(paths)) }).toEqual({
        round,
        caKeyMatchesCa: true,
        serverKeyMatchesCertificate: true,
        caSignedServer: true,
      });
    }
  });
});

describe('ensureKeyMaterial with operator-provided files', () => {
  it('uses an operator certificate as it is and generates no CA of its own', async () => {
    const operatorDir = path.join(dataDir, 'operator');
    await mkdir(operatorDir);
    const ca = await createCertificateAuthority(NOW);
    const server = await createServerCertificate(ca, ['tmsp.example.test'], NOW);
    const files = {
      TMSP_TLS_CERTIFICATE_FILE: path.join(operatorDir, 'cert.pem'),
      TMSP_TLS_KEY_FILE: path.join(operatorDir, 'key.pem'),
      TMSP_TLS_CA_FILE: path.join(operatorDir, 'ca.pem'),
    };
    await writeFile(files.TMSP_TLS_CERTIFICATE_FILE, server.certificate);
    await writeFile(files.TMSP_TLS_KEY_FILE, server.privateKey, { mode: 0o600 });
    await writeFile(files.TMSP_TLS_CA_FILE, ca.certificate);

    const { paths, names } = keySetup(dataDir, files);
    const material = await ensureKeyMaterial(paths, names, NOW, silentLogger());
    expect(material.tls).toEqual({
      certificate: server.certificate,
      privateKey: server.privateKey,
      ca: ca.certificate,
    });
    const generated = await readdir(paths.keysDir);
    expect(generated.sort()).toEqual(['secrets.key', 'service.key', 'ssh_host_ed25519_key']);
  });

  it('refuses a secrets key file that does not hold 256 bits, naming the file', async () => {
    const { paths, names } = keySetup(dataDir);
    await mkdir(paths.keysDir, { recursive: true });
    await writeFile(paths.secretsKey, 'dG9vIHNob3J0\n', { mode: 0o600 });
    const failure = ensureKeyMaterial(paths, names, NOW, silentLogger());
    await expect(failure).rejects.toBeInstanceOf(AppError);
    await expect(failure).rejects.toMatchObject({
      code: 'startup_failed',
      message: `${paths.secretsKey} does not hold a 256-bit key`,
    });
  });

  it('fails with a startup AppError when the keys directory cannot be created', async () => {
    await writeFile(path.join(dataDir, 'keys'), 'a file where a directory belongs');
    const { paths, names } = keySetup(dataDir);
    await expect(ensureKeyMaterial(paths, names, NOW, silentLogger())).rejects.toMatchObject({
      code: 'startup_failed',
    });
  });
});

describe('ensureKeyMaterial logging', () => {
  it('logs each created file once and nothing about keys on a later start', async () => {
    const { paths, names } = keySetup(dataDir);
    const first = capturingLogger();
    await ensureKeyMaterial(paths, names, NOW, first.logger);
    const created = first.lines().filter((line) => line['msg'] === 'key material created');
    expect(created.map((line) => line['file']).sort()).toEqual(
      [paths.caCertificate, paths.sshHostKey, paths.secretsKey, paths.serviceKey].sort(),
    );
    expect(first.lines().some((line) => line['msg'] === 'server certificate issued')).toBe(true);

    const second = capturingLogger();
    await ensureKeyMaterial(paths, names, NOW, second.logger);
    expect(second.lines()).toEqual([]);
  });

  it('warns when others than the owner can read the secrets key, without its content', async () => {
    const { paths, names } = keySetup(dataDir);
    await ensureKeyMaterial(paths, names, NOW, silentLogger());
    await chmod(paths.secretsKey, 0o644);
    const { logger, lines } = capturingLogger();
    await ensureKeyMaterial(paths, names, NOW, logger);
    const warnings = lines().filter((line) => line['level'] === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      file: paths.secretsKey,
      msg: 'the secrets key is readable by others than its owner',
    });
    const secretsKey = (await readAll({ key: paths.secretsKey }))['key']!.trim();
    expect(JSON.stringify(lines())).not.toContain(secretsKey);
  });
});
