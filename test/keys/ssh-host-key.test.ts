import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import ssh2 from 'ssh2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ensureKeyMaterial, generateSshHostKey } from '../../src/keys/material.js';
import { silentLogger } from '../../src/shared/log.js';
import { keySetup } from './key-helpers.js';

const NOW = new Date('2025-03-01T12:00:00Z');
let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'tmsp-host-key-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('the SSH host key', () => {
  // ssh2's own generator yields a key its parser refuses about once in 300 draws; a door that
  // cannot start is what CI saw once.
  it('is always one the SSH door can load', () => {
    for (let draw = 0; draw < 2000; draw++) {
      const key = generateSshHostKey();
      expect(ssh2.utils.parseKey(key)).not.toBeInstanceOf(Error);
    }
  });

  it('stops the start with the file named when the stored key is malformed', async () => {
    const { paths, names } = keySetup(dataDir);
    await mkdir(path.dirname(paths.sshHostKey), { recursive: true });
    await writeFile(paths.sshHostKey, '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n', {
      mode: 0o600,
    });

    await expect(ensureKeyMaterial(paths, names, NOW, silentLogger())).rejects.toThrow(
      `${paths.sshHostKey} is not a usable SSH host key`,
    );
  });
});
