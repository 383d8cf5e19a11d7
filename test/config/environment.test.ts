import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { environmentNames, loadConfig } from '../../src/config/load.js';
import { configDirectory, configFailure, configFile, removeDirectory } from './config-helpers.js';

let directory: string;

beforeEach(async () => {
  directory = await configDirectory();
});
afterEach(async () => {
  await removeDirectory(directory);
});

describe('loadConfig from TMSP_* environment variables', () => {
  it('maps every configuration leaf to one upper-snake variable name', () => {
    const names = environmentNames();
    expect(names.get('TMSP_SERVERS_ADMIN_HTTP_PORT')).toEqual(['servers', 'admin', 'httpPort']);
    expect(names.get('TMSP_DATA_DIR')).toEqual(['dataDir']);
    expect(names.get('TMSP_SERVERS_STATUS_HEARTBEAT_TIMEOUT_SECONDS')).toEqual([
      'servers',
      'status',
      'heartbeatTimeoutSeconds',
    ]);
  });

  it('overrides numbers, strings, null-able values and comma lists', () => {
    const config = loadConfig({
      env: {
        TMSP_SERVERS_ADMIN_PORT: '9443',
        TMSP_DATABASE_URL: 'postgres://tmsp@127.0.0.1:5432/tmsp',
        TMSP_TLS_NAMES: 'portal.example.test, 10.0.0.5,,tmsp.internal ',
        TMSP_SERVERS_PORTAL_PUBLIC_HOST: 'portal.example.test',
        TMSP_LOG_FORMAT: 'json',
      },
      cwd: directory,
    });
    expect(config.servers.admin.port).toBe(9443);
    expect(config.database.url).toBe('postgres://tmsp@127.0.0.1:5432/tmsp');
    expect(config.tls.names).toEqual(['portal.example.test', '10.0.0.5', 'tmsp.internal']);
    expect(config.servers.portal.publicHost).toBe('portal.example.test');
    expect(config.log.format).toBe('json');
  });

  it('wins over the file, and an empty value sets a null-able key back to null', async () => {
    const file = await configFile(directory, {
      servers: { admin: { port: 8443 } },
      database: { url: 'postgres://127.0.0.1/from-file' },
    });
    const config = loadConfig({
      file,
      env: { TMSP_SERVERS_ADMIN_PORT: '9443', TMSP_DATABASE_URL: '' },
      cwd: directory,
    });
    expect(config.servers.admin.port).toBe(9443);
    expect(config.database.url).toBeNull();
  });

  it('resolves a relative path from the environment against cwd', () => {
    const config = loadConfig({
      env: { TMSP_DATA_DIR: 'var/tmsp', TMSP_STORAGE_AREAS_DIR: '/srv/areas' },
      cwd: directory,
    });
    expect(config.dataDir).toBe(path.join(directory, 'var', 'tmsp'));
    expect(config.storage.areasDir).toBe('/srv/areas');
  });

  it('names an unknown TMSP_ variable instead of ignoring it', () => {
    const { message } = configFailure({
      env: { TMSP_SERVERS_ADMIN_PROT: '1', TMSP_DATADIR: 'x', TMSP_LOG_LEVEL: 'debug' },
      cwd: directory,
    });
    expect(message).toBe(
      'configuration: unknown environment variable TMSP_SERVERS_ADMIN_PROT, TMSP_DATADIR',
    );
  });

  it('refuses a port that is not a number, naming the key', () => {
    const { message } = configFailure({
      env: { TMSP_SERVERS_LOG_SSH_PORT: 'ssh' },
      cwd: directory,
    });
    expect(message).toMatch(/^configuration: servers\.log\.sshPort: /);
  });

  it('refuses a port out of range', () => {
    const { message } = configFailure({ env: { TMSP_SERVERS_CAS_PORT: '99999' }, cwd: directory });
    expect(message).toContain('servers.cas.port:');
  });

  it('refuses a collision made by the environment', () => {
    const { message } = configFailure({
      env: { TMSP_SERVERS_METRICS_PORT: '7022' },
      cwd: directory,
    });
    expect(message).toContain('servers.metrics.port and servers.log.sshPort both use');
  });
});

describe('loadConfig --data-dir', () => {
  it('wins over the file and the environment, resolved against cwd', async () => {
    const file = await configFile(directory, { dataDir: '/from/file' });
    const config = loadConfig({
      file,
      dataDir: 'flag-dir',
      env: { TMSP_DATA_DIR: '/from/env' },
      cwd: directory,
    });
    expect(config.dataDir).toBe(path.join(directory, 'flag-dir'));
  });

  it('keeps an absolute --data-dir as it is', () => {
    const config = loadConfig({ dataDir: '/srv/tmsp', env: {}, cwd: directory });
    expect(config.dataDir).toBe('/srv/tmsp');
  });
});
