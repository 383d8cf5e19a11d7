import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { expect } from 'vitest';

import { loadConfig } from '../../src/config/load.js';
import { AppError } from '../../src/shared/errors.js';

/** A fresh directory for configuration files; remove it with rm after the test. */
export function configDirectory(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'tmsp-config-'));
}

export async function removeDirectory(directory: string): Promise<void> {
  await rm(directory, { recursive: true, force: true });
}

/** Writes a configuration file (JSON-encoding anything but a string) under directory. */
export async function configFile(
  directory: string,
  content: unknown,
  name = 'tmsp.json',
): Promise<string> {
  const file = path.join(directory, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

/** The one-line config_invalid AppError loadConfig throws (fails the test if it accepts). */
export function configFailure(sources: Parameters<typeof loadConfig>[0]): AppError {
  try {
    loadConfig(sources);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    const appError = error as AppError;
    expect(appError.code).toBe('config_invalid');
    expect(appError.message).not.toContain('\n');
    return appError;
  }
  throw new Error('loadConfig accepted the configuration');
}
