import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';

import { AppError, describeError } from '../shared/errors.js';
import { DEFAULT_CONFIG, PATH_KEYS } from './defaults.js';
import { configSchema, type Config } from './schema.js';

export interface ConfigSources {
  /** A JSON configuration file (`--config`). */
  file?: string | undefined;
  /** `--data-dir`, which wins over the file and the environment. */
  dataDir?: string | undefined;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const ENV_PREFIX = 'TMSP_';

type Tree = Record<string, unknown>;

/**
 * Reads the configuration once: defaults, then the file, then `TMSP_*` environment variables,
 * then command-line flags. Every bad value is listed in one line; the result is frozen.
 */
export function loadConfig(sources: ConfigSources = {}): Config {
  const cwd = sources.cwd ?? process.cwd();
  const env = sources.env ?? process.env;
  const merged = structuredClone(DEFAULT_CONFIG) as unknown as Tree;

  if (sources.file !== undefined) {
    const fromFile = readConfigFile(path.resolve(cwd, sources.file));
    resolvePathKeys(fromFile, path.dirname(path.resolve(cwd, sources.file)));
    deepMerge(merged, fromFile);
  }
  const fromEnv = readEnvironment(env);
  resolvePathKeys(fromEnv, cwd);
  deepMerge(merged, fromEnv);
  if (sources.dataDir !== undefined) merged['dataDir'] = sources.dataDir;
  resolvePathKeys(merged, cwd);

  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) throw configError(parsed.error.issues);
  checkListenersDoNotCollide(parsed.data);
  return deepFreeze(parsed.data);
}

function readConfigFile(file: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new AppError(
      'config_invalid',
      `config file ${file} cannot be read: ${describeError(error)}`,
    );
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new Error('the top level must be an object');
    }
    refuseProtoKeys(value as Tree, []);
    return value as Tree;
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError(
      'config_invalid',
      `config file ${file} is not valid JSON: ${describeError(error)}`,
    );
  }
}

/** Each configuration leaf's variable: servers.admin.httpPort → TMSP_SERVERS_ADMIN_HTTP_PORT. */
export function environmentNames(): Map<string, string[]> {
  const names = new Map<string, string[]>();
  const walk = (node: Tree, trail: string[]): void => {
    for (const [key, value] of Object.entries(node)) {
      const here = [...trail, key];
      if (isTree(value)) walk(value, here);
      else names.set(ENV_PREFIX + here.map(toUpperSnake).join('_'), here);
    }
  };
  walk(DEFAULT_CONFIG, []);
  return names;
}

function readEnvironment(env: NodeJS.ProcessEnv): Tree {
  const names = environmentNames();
  const result: Tree = {};
  const unknown: string[] = [];

  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined) continue;
    const trail = names.get(name);
    if (trail === undefined) {
      unknown.push(name);
      continue;
    }
    setPath(result, trail, coerce(raw, getPath(DEFAULT_CONFIG, trail)));
  }

  if (unknown.length > 0) {
    throw new AppError(
      'config_invalid',
      `configuration: unknown environment variable ${unknown.join(', ')}`,
    );
  }
  return result;
}

function coerce(raw: string, model: unknown): unknown {
  if (typeof model === 'number') return /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
  if (Array.isArray(model))
    return raw
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean);
  if (model === null && raw === '') return null;
  return raw;
}

function resolvePathKeys(tree: Tree, base: string): void {
  for (const key of PATH_KEYS) {
    const trail = key.split('.');
    const value = getPath(tree, trail);
    if (typeof value === 'string' && value.length > 0)
      setPath(tree, trail, path.resolve(base, value));
  }
}

function checkListenersDoNotCollide(config: Config): void {
  const { admin, portal, cas, log, status, metrics } = config.servers;
  const listeners: Array<[string, string, number]> = [
    ['servers.admin.port', admin.host, admin.port],
    ['servers.admin.httpPort', admin.host, admin.httpPort],
    ['servers.portal.port', portal.host, portal.port],
    ['servers.cas.port', cas.host, cas.port],
    ['servers.log.sshPort', log.host, log.sshPort],
    ['servers.log.tlsPort', log.host, log.tlsPort],
    ['servers.status.port', status.host, status.port],
    ['servers.status.sshPort', status.host, status.sshPort],
    ['servers.metrics.port', metrics.host, metrics.port],
  ];
  const seen = new Map<string, string>();
  for (const [key, hostName, portNumber] of listeners) {
    if (portNumber === 0) continue;
    const address = `${hostName}:${portNumber}`;
    const other = seen.get(address);
    if (other !== undefined) {
      throw new AppError(
        'config_invalid',
        `configuration: ${key} and ${other} both use ${address}`,
      );
    }
    seen.set(address, key);
  }
}

function configError(issues: z.core.$ZodIssue[]): AppError {
  const problems = issues.map((issue) => {
    const where = issue.path.join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `unknown key ${where ? `${where}.` : ''}${key}`).join('; ');
    }
    return `${where || '(top level)'}: ${issue.message}`;
  });
  return new AppError('config_invalid', `configuration: ${problems.join('; ')}`);
}

/** A key that could reach Object.prototype through a merge is refused as unknown, wherever. */
function refuseProtoKeys(tree: Tree, trail: string[]): void {
  for (const [key, value] of Object.entries(tree)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
      throw new AppError(
        'config_invalid',
        `configuration: unknown key ${[...trail, key].join('.')}`,
      );
    }
    if (isTree(value)) refuseProtoKeys(value, [...trail, key]);
  }
}

function toUpperSnake(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function getPath(tree: Tree, trail: string[]): unknown {
  let node: unknown = tree;
  for (const key of trail) node = isTree(node) ? node[key] : undefined;
  return node;
}

function setPath(tree: Tree, trail: string[], value: unknown): void {
  let node = tree;
  for (const key of trail.slice(0, -1)) {
    if (!isTree(node[key])) node[key] = {};
    node = node[key] as Tree;
  }
  node[trail[trail.length - 1] as string] = value;
}

function deepMerge(target: Tree, source: Tree): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (isTree(value) && isTree(existing)) deepMerge(existing, value);
    else target[key] = value;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
