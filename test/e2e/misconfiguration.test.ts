import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ANY_PORTS, tmsp, type CommandResult } from '../support/cli.js';

/**
 * A misconfiguration ends in one error line naming the problem and a non-zero exit; whatever
 * the start logged before it (as JSON lines) is not an error and holds no stack trace.
 */
function expectOneLineError(result: CommandResult, pattern: RegExp): void {
  expect(result.code).not.toBe(0);
  const errors = result.stderr
    .trimEnd()
    .split('\n')
    .filter((line) => !line.startsWith('{'));
  expect(errors, result.stderr).toHaveLength(1);
  expect(errors[0]).toMatch(/^tmsp: /);
  expect(errors[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\s+at .*:\d+:\d+/);
  expect(result.stderr).not.toMatch(/"level":"(error|fatal)"/);
}

describe('tmsp up refuses a wrong set-up with one line', () => {
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'tmsp-misconfig-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('names an unknown configuration key', async () => {
    const config = path.join(directory, 'unknown-key.json');
    await writeFile(config, JSON.stringify({ servers: { admin: { prot: 1 } } }));
    const result = await tmsp(['up', '--config', config, '--data-dir', path.join(directory, 'a')]);
    expectOneLineError(result, /unknown key servers\.admin\.prot/);
  });

  it('names an unknown environment variable', async () => {
    const result = await tmsp(['up', '--data-dir', path.join(directory, 'b')], {
      TMSP_SERVERS_ADMIN_PROT: '1',
    });
    expectOneLineError(result, /unknown environment variable TMSP_SERVERS_ADMIN_PROT/);
  });

  it('names a port that is already in use', async () => {
    const blocker = await listen();
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await tmsp(['up', '--data-dir', path.join(directory, 'c')], {
        ...ANY_PORTS,
        TMSP_SERVERS_PORTAL_PORT: String(port),
      });
      expectOneLineError(
        result,
        new RegExp(`127\\.0\\.0\\.1:${port} \\(servers\\.portal\\.port\\) is already in use`),
      );
    } finally {
      blocker.close();
    }
  });

  it('names a data directory that is not a directory', async () => {
    const file = path.join(directory, 'not-a-directory');
    await writeFile(file, 'x');
    const result = await tmsp(['up', '--data-dir', file], ANY_PORTS);
    expectOneLineError(result, /data directory .*not-a-directory is not a directory/);
  });

  it('names an unreachable database without its password', async () => {
    const result = await tmsp(['up', '--data-dir', path.join(directory, 'd')], {
      ...ANY_PORTS,
      TMSP_DATABASE_URL: 'postgres://tmsp:hunter2-secret@127.0.0.1:1/tmsp',
    });
    expectOneLineError(
      result,
      /database postgres:\/\/tmsp:\*\*\*@127\.0\.0\.1:1\/tmsp is unreachable/,
    );
    expect(result.stderr).not.toContain('hunter2');
  });

  it('names a configuration file that is not JSON', async () => {
    const config = path.join(directory, 'broken.json');
    await writeFile(config, '{ "servers": ');
    const result = await tmsp(['up', '--config', config]);
    expectOneLineError(result, /broken\.json is not valid JSON/);
  });

  it('names an unknown server for tmsp serve', async () => {
    const result = await tmsp(['serve', 'mail', '--data-dir', path.join(directory, 'e')]);
    expectOneLineError(result, /unknown server "mail"/);
  });
});

function listen(): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}
