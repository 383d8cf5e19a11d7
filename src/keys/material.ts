import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

import ssh2 from 'ssh2';

import type { DataPaths } from '../config/paths.js';
import { AppError, describeError } from '../shared/errors.js';
import { createFileExclusive, withFileLock, writeFileAtomic } from '../shared/files.js';
import type { Logger } from '../shared/log.js';
import {
  certificateCovers,
  createCertificateAuthority,
  createServerCertificate,
} from './certificates.js';
import { SecretBox } from './secret-box.js';

export interface KeyMaterial {
  tls: { certificate: string; privateKey: string; ca: string };
  sshHostKey: string;
  secrets: SecretBox;
  /** Shared by TMSP's own servers to authenticate their internal calls to CAS. */
  serviceKey: Buffer;
}

const PRIVATE = 0o600;
const PUBLIC = 0o644;

/**
 * Loads the keys every server needs, generating on first start whatever is missing: a
 * certificate authority and a server certificate for the configured names, an SSH host key, the
 * key that encrypts registration secrets and the internal service key. Several hosts share them
 * by pointing their configuration at the same files.
 */
export async function ensureKeyMaterial(
  paths: DataPaths,
  certificateNames: string[],
  now: Date,
  logger: Logger,
): Promise<KeyMaterial> {
  // Several processes may start at once on a new data directory: one generates, the others wait
  // and then read, so a CA, its key and the server certificate always belong together.
  const lockFile = path.join(paths.keysDir, '.generate.lock');
  const tls = await withFileLock(lockFile, () =>
    ensureTls(paths, certificateNames, now, logger),
  ).catch((error: unknown) => {
    if (error instanceof AppError) throw error;
    throw new AppError(
      'startup_failed',
      `cannot prepare ${paths.keysDir}: ${describeError(error)}`,
      {
        cause: error,
      },
    );
  });
  const sshHostKey = await ensureFile(paths.sshHostKey, logger, generateSshHostKey);
  checkSshHostKey(paths.sshHostKey, sshHostKey);
  const secretsKey = await ensureFile(paths.secretsKey, logger, () =>
    randomBytes(32).toString('base64'),
  );
  const serviceKey = await ensureFile(paths.serviceKey, logger, () =>
    randomBytes(32).toString('base64'),
  );

  await warnIfOthersCanRead(paths.secretsKey, logger);
  return {
    tls,
    sshHostKey,
    secrets: SecretBox.fromBase64(secretsKey.trim(), paths.secretsKey),
    serviceKey: Buffer.from(serviceKey.trim(), 'base64'),
  };
}

/** Only what the command-line tools need: the key for registration secrets. */
export async function ensureSecretBox(paths: DataPaths, logger: Logger): Promise<SecretBox> {
  const secretsKey = await ensureFile(paths.secretsKey, logger, () =>
    randomBytes(32).toString('base64'),
  );
  return SecretBox.fromBase64(secretsKey.trim(), paths.secretsKey);
}

/**
 * ssh2's generator writes an OpenSSH key that its own parser refuses about once in 300 tries,
 * which would stop the SSH door from starting; a fresh key is drawn until one parses.
 */
export function generateSshHostKey(): string {
  for (let attempt = 0; attempt < 20; attempt++) {
    const key = ssh2.utils.generateKeyPairSync('ed25519').private;
    if (!(ssh2.utils.parseKey(key) instanceof Error)) return key;
  }
  throw new AppError('startup_failed', 'cannot generate an SSH host key that parses');
}

function checkSshHostKey(file: string, key: string): void {
  const parsed = ssh2.utils.parseKey(key);
  if (!(parsed instanceof Error)) return;
  throw new AppError(
    'startup_failed',
    `${file} is not a usable SSH host key (${parsed.message}); replace it or remove it to have` +
      ' a new one generated',
  );
}

async function ensureTls(
  paths: DataPaths,
  names: string[],
  now: Date,
  logger: Logger,
): Promise<KeyMaterial['tls']> {
  if (paths.operatorCertificate) return readTls(paths);

  const caPem = await ensureFile(paths.caCertificate, logger, async () => {
    const ca = await createCertificateAuthority(now);
    await createFileExclusive(paths.caKey, ca.privateKey, PRIVATE);
    return ca.certificate;
  });
  const caKey = await readRequired(paths.caKey);

  const current = await readOptional(paths.serverCertificate);
  if (current === null || !certificateCovers(current, names, now)) {
    const server = await createServerCertificate(
      { certificate: caPem, privateKey: caKey },
      names,
      now,
    );
    await writeFileAtomic(paths.serverKey, server.privateKey, PRIVATE);
    await writeFileAtomic(paths.serverCertificate, server.certificate, PUBLIC);
    logger.info({ file: paths.serverCertificate, names }, 'server certificate issued');
  }
  return readTls(paths);
}

async function readTls(paths: DataPaths): Promise<KeyMaterial['tls']> {
  return {
    certificate: await readRequired(paths.serverCertificate),
    privateKey: await readRequired(paths.serverKey),
    ca: await readRequired(paths.caCertificate),
  };
}

async function ensureFile(
  file: string,
  logger: Logger,
  create: () => string | Promise<string>,
): Promise<string> {
  const existing = await readOptional(file);
  if (existing !== null) return existing;

  const content = await create();
  const created = await createFileExclusive(
    file,
    content,
    file.endsWith('.pem') ? PUBLIC : PRIVATE,
  ).catch((error: unknown) => {
    throw new AppError('startup_failed', `cannot create ${file}: ${describeError(error)}`, {
      cause: error,
    });
  });
  if (created) logger.info({ file }, 'key material created');
  return readRequired(file);
}

async function readOptional(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new AppError('startup_failed', `cannot read ${file}: ${describeError(error)}`, {
      cause: error,
    });
  }
}

async function readRequired(file: string): Promise<string> {
  const content = await readOptional(file);
  if (content === null) throw new AppError('startup_failed', `${file} is missing`);
  return content;
}

async function warnIfOthersCanRead(file: string, logger: Logger): Promise<void> {
  const { mode } = await stat(file);
  if ((mode & 0o077) !== 0)
    logger.warn({ file }, 'the secrets key is readable by others than its owner');
}
