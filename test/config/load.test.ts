import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { loadConfig } from '../../src/config/load.js';
import { configDirectory, configFailure, configFile, removeDirectory } from './config-helpers.js';

let directory: string;

beforeEach(async () => {
  directory = await configDirectory();
});
afterEach(async () => {
  await removeDirectory(directory);
});

describe('loadConfig defaults', () => {
  it('gives the documented defaults with the data directory resolved against cwd', () => {
    const config = loadConfig({ env: {}, cwd: directory });
    expect(config.dataDir).toBe(path.join(directory, 'data'));
    expect(config.servers).toEqual(DEFAULT_CONFIG.servers);
    expect(config.database.url).toBeNull();
    expect(config.tls.names).toEqual([]);
    expect(config.log).toEqual({ level: 'info', format: 'auto' });
  });

  it('ignores environment variables that do not start with TMSP_', () => {
    const config = loadConfig({
      env: { HOME: '/x', PATH: '/bin', tmsp_data_dir: 'y' },
      cwd: directory,
    });
    expect(config.dataDir).toBe(path.join(directory, 'data'));
  });

  it('returns a deeply frozen object that cannot be changed by accident', () => {
    const config = loadConfig({ env: {}, cwd: directory });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.servers.admin)).toBe(true);
    expect(Object.isFrozen(config.tls.names)).toBe(true);
    expect(() => {
      (config.servers.admin as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(config.servers.admin.port).toBe(7443);
  });

  it('does not share state between calls or change the defaults', () => {
    const first = loadConfig({ env: { TMSP_SERVERS_ADMIN_PORT: '9000' }, cwd: directory });
    const second = loadConfig({ env: {}, cwd: directory });
    expect(first.servers.admin.port).toBe(9000);
    expect(second.servers.admin.port).toBe(7443);
    expect(DEFAULT_CONFIG.servers.admin.port).toBe(7443);
  });
});

describe('loadConfig from a file', () => {
  it('lets a JSON file override single values and keeps the other defaults', async () => {
    const file = await configFile(directory, {
      servers: { portal: { port: 9444 } },
      log: { level: 'debug' },
      database: { url: 'postgres://tmsp@127.0.0.1:5432/tmsp' },
    });
    const config = loadConfig({ file, env: {}, cwd: directory });
    expect(config.servers.portal).toEqual({ host: '127.0.0.1', port: 9444, publicHost: null });
    expect(config.servers.admin.port).toBe(7443);
    expect(config.log).toEqual({ level: 'debug', format: 'auto' });
    expect(config.database.url).toBe('postgres://tmsp@127.0.0.1:5432/tmsp');
  });

  it("resolves relative paths in the file against the file's own directory", async () => {
    const file = await configFile(
      directory,
      {
        dataDir: 'state',
        tls: { certificateFile: 'certs/server.pem', keyFile: '/abs/server-key.pem' },
        keys: { secretsKeyFile: '../shared-keys/secrets.key' },
        storage: { areasDir: './areas' },
      },
      path.join('etc', 'tmsp.json'),
    );
    const etc = path.join(directory, 'etc');
    const config = loadConfig({ file, env: {}, cwd: '/' });
    expect(config.dataDir).toBe(path.join(etc, 'state'));
    expect(config.tls.certificateFile).toBe(path.join(etc, 'certs', 'server.pem'));
    expect(config.tls.keyFile).toBe('/abs/server-key.pem');
    expect(config.keys.secretsKeyFile).toBe(path.join(directory, 'shared-keys', 'secrets.key'));
    expect(config.storage.areasDir).toBe(path.join(etc, 'areas'));
  });

  it('finds a relative file name against cwd', async () => {
    await configFile(directory, { servers: { cas: { port: 9446 } } }, path.join('conf', 'a.json'));
    const config = loadConfig({ file: 'conf/a.json', env: {}, cwd: directory });
    expect(config.servers.cas.port).toBe(9446);
  });

  it('names an unknown key with its full path, in one line', async () => {
    const file = await configFile(directory, { servers: { admin: { prot: 8443 } } });
    const error = configFailure({ file, env: {}, cwd: directory });
    expect(error.message).toBe('configuration: unknown key servers.admin.prot');
  });

  it('names an unknown top-level key', async () => {
    const file = await configFile(directory, { datadir: 'x' });
    expect(configFailure({ file, env: {}, cwd: directory }).message).toContain(
      'unknown key datadir',
    );
  });

  // A merged "__proto__" would change Object.prototype for the whole process.
  it('refuses a __proto__ key as unknown without touching Object.prototype', async () => {
    const file = await configFile(directory, '{"__proto__": {"tmspPolluted": true}}');
    try {
      const { message } = configFailure({ file, env: {}, cwd: directory });
      expect(({} as Record<string, unknown>)['tmspPolluted']).toBeUndefined();
      expect(message).toBe('configuration: unknown key __proto__');
    } finally {
      delete (Object.prototype as unknown as Record<string, unknown>)['tmspPolluted'];
    }
  });

  it('lists several bad values in one message', async () => {
    const file = await configFile(directory, {
      servers: { admin: { port: 70000, host: '' }, status: { heartbeatTimeoutSeconds: 1 } },
      log: { level: 'loud' },
      tls: { names: 'not-a-list' },
    });
    const { message } = configFailure({ file, env: {}, cwd: directory });
    for (const where of [
      'servers.admin.port',
      'servers.admin.host',
      'servers.status.heartbeatTimeoutSeconds',
      'log.level',
      'tls.names',
    ]) {
      expect(message).toContain(`${where}:`);
    }
    expect(message.split('; ').length).toBe(5);
  });

  it.each([
    ['above 65535', 65536],
    ['negative', -1],
    ['fractional', 443.5],
    ['a string', '443'],
  ])('refuses a port that is %s', async (_label, port) => {
    const file = await configFile(directory, { servers: { metrics: { port } } });
    expect(configFailure({ file, env: {}, cwd: directory }).message).toContain(
      'servers.metrics.port:',
    );
  });

  it('accepts port 0 (any free port) on several listeners at once', async () => {
    const file = await configFile(directory, { servers: { admin: { port: 0, httpPort: 0 } } });
    const config = loadConfig({ file, env: {}, cwd: directory });
    expect(config.servers.admin).toMatchObject({ port: 0, httpPort: 0 });
  });

  it('refuses two listeners on the same host and port, naming both', async () => {
    const file = await configFile(directory, { servers: { portal: { port: 7443 } } });
    const { message } = configFailure({ file, env: {}, cwd: directory });
    expect(message).toBe(
      'configuration: servers.portal.port and servers.admin.port both use 127.0.0.1:7443',
    );
  });

  it('allows the same port on different hosts', async () => {
    const file = await configFile(directory, {
      servers: { portal: { host: '127.0.0.2', port: 7443 } },
    });
    expect(loadConfig({ file, env: {}, cwd: directory }).servers.portal.port).toBe(7443);
  });

  it.each([
    ['not JSON', '{ servers: '],
    ['an array', '[1, 2]'],
    ['a bare number', '42'],
    ['null', 'null'],
  ])('refuses a file that is %s', async (_label, text) => {
    const file = await configFile(directory, text);
    const { message } = configFailure({ file, env: {}, cwd: directory });
    expect(message).toContain(`config file ${file} is not valid JSON`);
  });

  it('names a file that cannot be read', () => {
    const file = path.join(directory, 'missing.json');
    const { message } = configFailure({ file, env: {}, cwd: directory });
    expect(message).toContain(`config file ${file} cannot be read`);
  });
});
