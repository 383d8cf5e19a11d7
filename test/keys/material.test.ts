import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import ssh2 from 'ssh2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ensureKeyMaterial, ensureSecretBox } from '../../src/keys/material.js';
import { silentLogger } from '../../src/shared/log.js';
import {
  keyFileList,
  keySetup,
  opensslSubjectAltNames,
  opensslVerify,
  readAll,
  tlsFilesConsistent,
} from './key-helpers.js';

const NOW = new Date('2025-03-01T12:00:00Z');
const DAY_MS = 86_400_000;
let dataDir: string;

const validTo = (pem: string): Date => new Date(new X509Certificate(pem).validTo);

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'tmsp-keys-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('ensureKeyMaterial on an empty data directory', () => {
  it('generates the CA, server certificate, SSH host key, secrets key and service key', async () => {
    const { paths, names } = keySetup(dataDir);
    const material = await ensureKeyMaterial(paths, names, NOW, silentLogger());
    const files = await readAll(keyFileList(paths));

    expect(files['ca']).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(files['caKey']).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(material.tls).toEqual({
      certificate: files['server'],
      privateKey: files['serverKey'],
      ca: files['ca'],
    });
    expect(material.sshHostKey).toBe(files['sshHostKey']);
    const hostKey = ssh2.utils.parseKey(material.sshHostKey);
    expect(hostKey).not.toBeInstanceOf(Error);
    expect((hostKey as ssh2.ParsedKey).type).toBe('ssh-ed25519');
    expect(Buffer.from(files['secretsKey']!.trim(), 'base64')).toHaveLength(32);
    expect(material.serviceKey).toEqual(Buffer.from(files['serviceKey']!.trim(), 'base64'));
    expect(material.serviceKey).toHaveLength(32);
    expect(material.secrets.open(material.secrets.seal('abc'))).toBe('abc');
  });

  it('keeps private files at mode 0600 and the keys directory at 0700', async () => {
    const { paths, names } = keySetup(dataDir);
    await ensureKeyMaterial(paths, names, NOW, silentLogger());
    const mode = async (file: string): Promise<number> => (await stat(file)).mode & 0o777;
    for (const file of [
      paths.caKey,
      paths.serverKey,
      paths.sshHostKey,
      paths.secretsKey,
      paths.serviceKey,
    ]) {
      expect({ file, mode: await mode(file) }).toEqual({ file, mode: 0o600 });
    }
    for (const file of [paths.caCertificate, paths.serverCertificate]) {
      expect((await mode(file)) & 0o022).toBe(0);
    }
    expect(await mode(paths.keysDir)).toBe(0o700);
  });

  it('issues a server certificate that openssl verifies against the CA for TLS servers', async () => {
    const { paths, names } = keySetup(dataDir);
    await ensureKeyMaterial(paths, names, NOW, silentLogger());
    expect(await opensslVerify(paths)).toBe(`${paths.serverCertificate}: OK`);
    expect(await tlsFilesConsistent(paths)).toEqual({
      caKeyMatchesCa: true,
      serverKeyMatchesCertificate: true,
      caSignedServer: true,
    });
  });

  it('names localhost, 127.0.0.1, the configured hosts and the extra TLS names', async () => {
    const { paths, names } = keySetup(dataDir, {
      TMSP_TLS_NAMES: 'portal.example.test,10.20.30.40',
      TMSP_SERVERS_CAS_PUBLIC_HOST: 'cas.example.test',
    });
    await ensureKeyMaterial(paths, names, NOW, silentLogger());
    const sans = await opensslSubjectAltNames(paths);
    expect(sans).toEqual(
      expect.arrayContaining([
        'DNS:localhost',
        'IP Address:127.0.0.1',
        'DNS:portal.example.test',
        'IP Address:10.20.30.40',
        'DNS:cas.example.test',
      ]),
    );
    expect(sans).toHaveLength(names.length);
  });
});

describe('ensureKeyMaterial on a data directory that has keys', () => {
  it('reuses every file unchanged on the second call', async () => {
    const { paths, names } = keySetup(dataDir);
    const first = await ensureKeyMaterial(paths, names, NOW, silentLogger());
    const before = await readAll(keyFileList(paths));
    const later = new Date(NOW.getTime() + 100 * DAY_MS);
    const second = await ensureKeyMaterial(paths, names, later, silentLogger());

    expect(await readAll(keyFileList(paths))).toEqual(before);
    expect(second.tls).toEqual(first.tls);
    expect(second.sshHostKey).toBe(first.sshHostKey);
    expect(second.serviceKey).toEqual(first.serviceKey);
    expect(second.secrets.open(first.secrets.seal('kept'))).toBe('kept');
  });

  it('re-issues the server certificate under the same CA when a name is added', async () => {
    const { paths, names } = keySetup(dataDir);
    await ensureKeyMaterial(paths, names, NOW, silentLogger());
    const before = await readAll(keyFileList(paths));

    const wider = keySetup(dataDir, { TMSP_TLS_NAMES: 'new.example.test' });
    const material = await ensureKeyMaterial(wider.paths, wider.names, NOW, silentLogger());
    const after = await readAll(keyFileList(paths));

    expect(after['server']).not.toBe(before['server']);
    expect(after['serverKey']).not.toBe(before['serverKey']);
    for (const kept of ['ca', 'caKey', 'sshHostKey', 'secretsKey', 'serviceKey']) {
      expect(after[kept]).toBe(before[kept]);
    }
    expect(material.tls.certificate).toBe(after['server']);
    expect(await opensslSubjectAltNames(paths)).toContain('DNS:new.example.test');
    expect(await opensslVerify(paths)).toBe(`${paths.serverCertificate}: OK`);
    expect((await tlsFilesConsistent(paths)).serverKeyMatchesCertificate).toBe(true);
  });

  it('does not re-issue for a subset of the names or the same names in another case', async () => {
    const { paths } = keySetup(dataDir);
    const names = ['localhost', '127.0.0.1', 'Portal.Example.Test', '::1'];
    await ensureKeyMaterial(paths, names, NOW, silentLogger());
    const before = await readFile(paths.serverCertificate, 'utf8');
    await ensureKeyMaterial(paths, ['portal.example.test', '::1'], NOW, silentLogger());
    await ensureKeyMaterial(paths, names, NOW, silentLogger());
    expect(await readFile(paths.serverCertificate, 'utf8')).toBe(before);
  });

  it('re-issues a server certificate that expires within 30 days, keeping the CA', async () => {
    const { paths, names } = keySetup(dataDir);
    await ensureKeyMaterial(paths, names, NOW, silentLogger());
    const before = await readAll(keyFileList(paths));
    const oldExpiry = validTo(before['server']!);

    const nearExpiry = new Date(oldExpiry.getTime() - 10 * DAY_MS);
    await ensureKeyMaterial(paths, names, nearExpiry, silentLogger());
    const after = await readAll(keyFileList(paths));
    expect(after['server']).not.toBe(before['server']);
    expect(after['ca']).toBe(before['ca']);
    expect(validTo(after['server']!).getTime()).toBeGreaterThan(oldExpiry.getTime());
  });
});

describe('ensureSecretBox', () => {
  it('creates only the secrets key, which ensureKeyMaterial then adopts', async () => {
    const { paths, names } = keySetup(dataDir);
    const box = await ensureSecretBox(paths, silentLogger());
    const sealed = box.seal('Shared-Secret-1');
    await expect(stat(paths.caCertificate)).rejects.toMatchObject({ code: 'ENOENT' });

    const material = await ensureKeyMaterial(paths, names, NOW, silentLogger());
    expect(material.secrets.open(sealed)).toBe('Shared-Secret-1');
  });

  it('keeps key files wherever the configuration points them', async () => {
    const shared = path.join(dataDir, 'elsewhere', 'secrets.key');
    const { paths } = keySetup(dataDir, { TMSP_KEYS_SECRETS_KEY_FILE: shared });
    await ensureSecretBox(paths, silentLogger());
    expect(Buffer.from((await readFile(shared, 'utf8')).trim(), 'base64')).toHaveLength(32);
  });
});
